// SPDX-License-Identifier: MIT
#include "options.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

namespace wisp::cli {

namespace fs = std::filesystem;
using vmm::UserError;

std::optional<uint64_t> parse_memory_size(std::string_view text) {
    uint64_t number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end == text.data() || number == 0) return std::nullopt;
    std::string_view unit(end, text.data() + text.size() - end);

    // Strip an optional "iB" or "B" after the unit letter: 1G, 1GB and 1GiB all mean 2^30.
    if (unit.size() == 3 && (unit.substr(1) == "iB" || unit.substr(1) == "ib"))
        unit = unit.substr(0, 1);
    else if (unit.size() == 2 && (unit[1] == 'B' || unit[1] == 'b'))
        unit = unit.substr(0, 1);

    unsigned shift;
    if (unit.empty())
        shift = 20;
    else if (unit.size() != 1)
        return std::nullopt;
    else {
        switch (unit[0]) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        case 't':
        case 'T':
            shift = 40;
            break;
        default:
            return std::nullopt;
        }
    }
    if (number > (UINT64_MAX >> shift)) return std::nullopt;
    uint64_t bytes = number << shift;
    if (bytes % 4096 != 0) return std::nullopt;
    return bytes;
}

std::string format_memory_size(uint64_t bytes) {
    if (bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + "G";
    return std::to_string((bytes + (1ull << 20) - 1) >> 20) + "M";
}

std::optional<std::string> parse_env_option(std::string_view text) {
    auto eq = text.find('=');
    std::string_view key = text.substr(0, eq);
    if (key.empty())
        throw UserError("-e " + std::string(text) + ": expected KEY=VALUE (the name is empty)");
    if (eq != std::string_view::npos) return std::string(text);
    const char* host_value = getenv(std::string(key).c_str());
    if (!host_value) return std::nullopt;
    return std::string(key) + "=" + host_value;
}

std::pair<std::string, std::string> parse_file_option(std::string_view text) {
    std::string host(text), guest;
    std::error_code ec;
    if (!fs::exists(host, ec)) {
        auto colon = text.find(':');
        if (colon != std::string_view::npos) {
            host = std::string(text.substr(0, colon));
            guest = std::string(text.substr(colon + 1));
        }
    }
    if (host.empty()) throw UserError("--file " + std::string(text) + ": the host path is empty");
    if (!fs::exists(host, ec))
        throw UserError("--file " + std::string(text) + ": " + host +
                        ": no such file or directory");
    std::string absolute_host = fs::absolute(host).lexically_normal().string();
    if (guest.empty())
        guest = absolute_host;
    else if (guest[0] != '/')
        throw UserError("--file " + std::string(text) + ": the guest path " + guest +
                        " must be absolute");
    else
        guest = fs::path(guest).lexically_normal().string();
    // lexically_normal keeps a trailing separator ("/data/" -> "/data/"); the image wants a name.
    if (guest.size() > 1 && guest.back() == '/') guest.pop_back();
    return {absolute_host, guest};
}

std::string resolve_program(std::string_view program, const char* path_var) {
    if (program.empty()) throw UserError("the program name is empty");
    if (program.find('/') != std::string_view::npos)
        return fs::absolute(fs::path(program)).lexically_normal().string();

    std::string_view search = path_var ? path_var : kDefaultPath;
    while (true) {
        auto colon = search.find(':');
        std::string_view dir = search.substr(0, colon);
        // POSIX: an empty PATH entry means the current directory.
        fs::path candidate = fs::path(dir.empty() ? "." : std::string(dir)) / std::string(program);
        struct stat st;
        if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            access(candidate.c_str(), X_OK) == 0)
            return fs::absolute(candidate).lexically_normal().string();
        if (colon == std::string_view::npos) break;
        search.remove_prefix(colon + 1);
    }
    throw UserError(std::string(program) + ": command not found in PATH (give a path, e.g. ./" +
                    std::string(program) + ")");
}

std::vector<std::string> merged_environment(const std::vector<std::string>& user_env) {
    std::vector<std::string> env = {"PATH=" + std::string(kDefaultPath),
                                    "HOME=" + std::string(kDefaultHome)};
    for (const std::string& entry : user_env) {
        std::string_view key = std::string_view(entry).substr(0, entry.find('=') + 1);
        std::erase_if(env, [&](const std::string& e) { return e.starts_with(key); });
        env.push_back(entry);
    }
    return env;
}

} // namespace wisp::cli
