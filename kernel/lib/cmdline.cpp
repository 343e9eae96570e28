// SPDX-License-Identifier: MIT
#include "lib/cmdline.h"

namespace wisp::cmdline {

namespace {

bool is_separator(char c) {
    return c == ' ' || c == '\t' || c == '\n';
}

} // namespace

Result<Tokens> tokenize(std::string_view line, std::span<char> storage,
                        std::span<std::string_view> tokens) {
    Tokens result;
    size_t in = 0, out = 0;
    while (true) {
        while (in < line.size() && is_separator(line[in]))
            in++;
        if (in == line.size()) break;
        const size_t start = out;
        bool in_quotes = false;
        bool bare = true; // no quote or backslash: only a bare `--` separates
        while (in < line.size() && (in_quotes || !is_separator(line[in]))) {
            char c = line[in++];
            if (c == '\0') return Errno::INVAL;
            if (c == '"') {
                in_quotes = !in_quotes;
                bare = false;
                continue;
            }
            if (c == '\\') {
                if (in == line.size()) return Errno::INVAL; // trailing backslash
                c = line[in++];
                if (c == '\0') return Errno::INVAL;
                bare = false;
            }
            if (out == storage.size()) return Errno::TOOBIG;
            storage[out++] = c;
        }
        if (in_quotes) return Errno::INVAL; // unterminated quote
        const std::string_view token(storage.data() + start, out - start);
        if (bare && token == "--" && result.separator == kNoSeparator) {
            result.separator = result.count;
            out = start; // the separator keeps no text
            continue;
        }
        if (result.count == tokens.size()) return Errno::TOOBIG;
        tokens[result.count++] = token;
    }
    return result;
}

Option split_option(std::string_view token) {
    Option option;
    for (size_t i = 0; i < token.size(); i++) {
        if (token[i] == '=') {
            // (Views built directly: substr() may throw, which the kernel cannot.)
            option.key = std::string_view(token.data(), i);
            option.value = std::string_view(token.data() + i + 1, token.size() - i - 1);
            option.has_value = true;
            return option;
        }
    }
    option.key = token;
    return option;
}

Result<Cmdline> Cmdline::parse(std::string_view line, std::span<char> storage,
                               std::span<std::string_view> tokens) {
    Tokens parsed = TRY(tokenize(line, storage, tokens));
    Cmdline cmdline;
    const size_t options = parsed.separator == kNoSeparator ? parsed.count : parsed.separator;
    cmdline.m_options = tokens.first(options);
    cmdline.m_argv = tokens.subspan(options, parsed.count - options);
    cmdline.m_has_argv = parsed.separator != kNoSeparator;
    return cmdline;
}

std::optional<std::string_view> Cmdline::value(std::string_view key) const {
    std::optional<std::string_view> found;
    for (std::string_view token : m_options) {
        Option option = split_option(token);
        if (option.key == key) found = option.value;
    }
    return found;
}

Result<Cmdline> merge(const Cmdline& image, const Cmdline& boot,
                      std::span<std::string_view> tokens) {
    const auto argv = boot.has_argv() ? boot.argv() : image.argv();
    const size_t options = image.options().size() + boot.options().size();
    if (options + argv.size() > tokens.size()) return Errno::TOOBIG;
    size_t n = 0;
    for (auto token : image.options())
        tokens[n++] = token;
    for (auto token : boot.options())
        tokens[n++] = token;
    for (auto token : argv)
        tokens[n++] = token;
    Cmdline merged;
    merged.m_options = tokens.first(options);
    merged.m_argv = tokens.subspan(options, argv.size());
    merged.m_has_argv = image.has_argv() || boot.has_argv();
    return merged;
}

#ifdef WISP_HOSTED
std::string quote(std::string_view token) {
    bool plain = !token.empty() && token != "--";
    for (char c : token) {
        VERIFY(c != '\0');
        if (is_separator(c) || c == '"' || c == '\\') plain = false;
    }
    if (plain) return std::string(token);
    // Inside quotes only '"' and '\' need a backslash; separators are literal there.
    std::string quoted = "\"";
    for (char c : token) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

std::string build_cmdline(const std::vector<std::string>& options,
                          const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& option : options) {
        if (!line.empty()) line += ' ';
        line += quote(option);
    }
    if (!argv.empty()) {
        if (!line.empty()) line += ' ';
        line += "--";
        for (const auto& arg : argv) {
            line += ' ';
            line += quote(arg);
        }
    }
    return line;
}
#endif

} // namespace wisp::cmdline
