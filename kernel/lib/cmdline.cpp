// SPDX-License-Identifier: MIT
#include "lib/cmdline.h"

#include <array>

namespace wisp::cmdline {

namespace {

// What a byte means to the grammar. Every control character other than tab and newline is
// ordinary token text.
enum class CharClass : uint8_t { Ordinary, Separator, Quote, Backslash, Nul };

constexpr std::array<CharClass, 256> make_char_classes() {
    std::array<CharClass, 256> classes{};
    classes[uint8_t(' ')] = classes[uint8_t('\t')] = classes[uint8_t('\n')] = CharClass::Separator;
    classes[uint8_t('"')] = CharClass::Quote;
    classes[uint8_t('\\')] = CharClass::Backslash;
    classes[0] = CharClass::Nul;
    return classes;
}
constexpr std::array<CharClass, 256> kCharClasses = make_char_classes();

CharClass class_of(char c) {
    return kCharClasses[static_cast<uint8_t>(c)];
}

[[maybe_unused]] bool is_separator(char c) {
    return class_of(c) == CharClass::Separator;
}

// Word-at-a-time scanning (the tokenizer runs at CPL0, where every instruction counts,
// DESIGN.md §8). bytes_below() sets 0x80 in every byte of `word` below `limit`; the lowest
// marked byte is always exact (a borrow only runs upwards from a true match), higher marks may
// be false.
constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

uint64_t bytes_below(uint64_t word, uint8_t limit) { // limit <= 0x80
    return (word - kOnes * limit) & ~word & kHighBits;
}

// How many of the 8 bytes at `p` come before the first one that may be special: a separator,
// quote, backslash or NUL, or any other byte up to ' ' (those then take the byte-by-byte way,
// as do separators inside quotes). Clearing bit 1 turns '"' (0x22) into ' ' and leaves every
// byte above ' ' other than '"' above it, so one comparison finds both; '\\' needs its own.
size_t plain_prefix(const char* p) {
    uint64_t word;
    __builtin_memcpy(&word, p, sizeof word);
    const uint64_t marks =
        bytes_below(word & ~(kOnes * 0x02), ' ' + 1) | bytes_below(word ^ (kOnes * '\\'), 1);
    if (marks == 0) return 8;
    // The index of the lowest marked byte: multiplying its 1 brings the matching byte of the
    // index table to the top (no bsf/tzcnt needed).
    const uint64_t lowest = (marks & (0 - marks)) >> 7;
    return static_cast<size_t>((lowest * 0x0001020304050607ull) >> 56);
}

} // namespace

Result<Tokens> tokenize(std::string_view line, std::span<char> storage,
                        std::span<std::string_view> tokens) {
    Tokens result;
    const char* const text = line.data();
    const size_t size = line.size();
    size_t in = 0, out = 0;
    while (true) {
        while (in < size && class_of(text[in]) == CharClass::Separator)
            in++;
        if (in == size) break;
        const size_t start = out;
        bool in_quotes = false;
        bool bare = true; // no quote or backslash: only a bare `--` separates
        while (in < size) {
            char c = text[in];
            const CharClass kind = class_of(c);
            if (kind != CharClass::Ordinary) {
                if (kind == CharClass::Separator) {
                    if (!in_quotes) break; // end of the token
                } else if (kind == CharClass::Nul) {
                    return Errno::INVAL;
                } else if (kind == CharClass::Quote) {
                    in++;
                    in_quotes = !in_quotes;
                    bare = false;
                    continue;
                } else {
                    // A backslash: the next byte is literal.
                    if (++in == size) return Errno::INVAL; // trailing backslash
                    c = text[in];
                    if (c == '\0') return Errno::INVAL;
                    bare = false;
                }
            }
            in++;
            if (out == storage.size()) return Errno::TOOBIG;
            storage[out++] = c;
            // Token text tends to come in runs of ordinary bytes: take them a word at a time
            // while a whole word is left in the line and fits the storage (near either end the
            // byte-by-byte path goes on and finds any error in order).
            while (size - in >= 8 && storage.size() - out >= 8) {
                const size_t plain = plain_prefix(text + in);
                if (plain == 8) {
                    __builtin_memcpy(storage.data() + out, text + in, 8);
                } else {
                    for (size_t i = 0; i < plain; i++)
                        storage[out + i] = text[in + i];
                }
                in += plain;
                out += plain;
                if (plain < 8) break;
            }
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
