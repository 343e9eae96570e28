// SPDX-License-Identifier: MIT
#include "file_digests.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <random>

namespace wisp::cli {

namespace {

// One line per file: "dev ino size mtime_ns ctime_ns <64 hex digits> path". Paths with a
// newline are never remembered.
constexpr const char* kHeader = "wisp-file-digests 1";

int64_t nanoseconds(const struct timespec& ts) {
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::optional<Sha256::Digest> parse_hex(const std::string& hex) {
    Sha256::Digest digest;
    if (hex.size() != 2 * digest.size()) return std::nullopt;
    for (size_t i = 0; i < digest.size(); i++) {
        unsigned value = 0;
        for (size_t j = 0; j < 2; j++) {
            char c = hex[2 * i + j];
            unsigned nibble = c >= '0' && c <= '9'   ? unsigned(c - '0')
                              : c >= 'a' && c <= 'f' ? unsigned(c - 'a' + 10)
                                                     : 16;
            if (nibble == 16) return std::nullopt;
            value = value * 16 + nibble;
        }
        digest[i] = uint8_t(value);
    }
    return digest;
}

} // namespace

FileDigests::Stamp FileDigests::stamp_of(const struct stat& st) {
    return {uint64_t(st.st_dev), uint64_t(st.st_ino), uint64_t(st.st_size), nanoseconds(st.st_mtim),
            nanoseconds(st.st_ctim)};
}

FileDigests::FileDigests(std::string path, int64_t settle_seconds)
    : m_path(std::move(path)), m_settle_seconds(settle_seconds) {
    // Read whole and parsed by hand: the memo of a Python closure is ~2000 lines, and a cache
    // hit for a small program should not pay milliseconds for it.
    std::ifstream in(m_path, std::ios::binary);
    if (!in) return;
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string_view rest = text;
    auto next_line = [&] {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        return line;
    };
    if (next_line() != kHeader) return;
    while (!rest.empty()) {
        std::string_view line = next_line();
        auto field = [&](auto& value) {
            auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), value);
            if (error != std::errc() || end == line.data() + line.size() || *end != ' ')
                return false;
            line.remove_prefix(size_t(end - line.data()) + 1);
            return true;
        };
        Remembered entry;
        if (!field(entry.stamp.dev) || !field(entry.stamp.ino) || !field(entry.stamp.size) ||
            !field(entry.stamp.mtime_ns) || !field(entry.stamp.ctime_ns))
            continue;
        if (line.size() < 66 || line[64] != ' ' || line[65] != '/') continue;
        auto digest = parse_hex(std::string(line.substr(0, 64)));
        if (!digest) continue;
        entry.digest = *digest;
        m_entries.emplace(std::string(line.substr(65)), entry);
    }
}

Sha256::Digest FileDigests::digest(const std::string& path, const struct stat& st,
                                   const std::function<Sha256::Digest()>& compute) {
    const Stamp stamp = stamp_of(st);
    if (auto it = m_entries.find(path); it != m_entries.end() && it->second.stamp == stamp)
        return it->second.digest;
    const Sha256::Digest digest = compute();
    struct timespec now;
    ::clock_gettime(CLOCK_REALTIME, &now);
    const int64_t settled = nanoseconds(now) - m_settle_seconds * 1000000000;
    struct stat after;
    const bool unchanged = ::lstat(path.c_str(), &after) == 0 && stamp_of(after) == stamp;
    if (unchanged && stamp.mtime_ns <= settled && stamp.ctime_ns <= settled &&
        path.find('\n') == std::string::npos) {
        if (m_entries.size() >= kMaxEntries) m_entries.clear();
        m_entries[path] = {stamp, digest};
        m_changed = true;
    }
    return digest;
}

void FileDigests::save() {
    if (!m_changed) return;
    std::random_device device;
    const std::string temp =
        m_path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(device());
    {
        std::ofstream out(temp, std::ios::trunc);
        if (!out) return;
        out << kHeader << '\n';
        for (const auto& [file, entry] : m_entries) {
            out << entry.stamp.dev << ' ' << entry.stamp.ino << ' ' << entry.stamp.size << ' '
                << entry.stamp.mtime_ns << ' ' << entry.stamp.ctime_ns << ' '
                << Sha256::hex(entry.digest) << ' ' << file << '\n';
        }
        if (!out.flush()) {
            ::unlink(temp.c_str());
            return;
        }
    }
    // Concurrent runs may both write: the last rename wins, and either memo is correct.
    if (::rename(temp.c_str(), m_path.c_str()) != 0) ::unlink(temp.c_str());
    m_changed = false;
}

} // namespace wisp::cli
