// SPDX-License-Identifier: MIT
#pragma once

// The boot command line (DESIGN.md §2 Boot):
//
//   kernel options  --  the application's argv
//   env=HOME=/root virtio_mmio.device=4K@0xd0000000:5 quiet -- /usr/bin/python3 -c "print(1)"
//
// Grammar: tokens are separated by spaces, tabs and newlines. Double quotes group ("a b" is one
// token, and quotes may sit inside a token: a"b c"d is `ab cd`). A backslash makes the next
// character literal anywhere, inside quotes too (\" \\ \  and so on). The first `--` token
// written bare (not quoted, not escaped) separates the kernel options from argv; a later `--`
// is an ordinary argument. A kernel option is `key` or `key=value` (split at the first '=').
//
// The image carries its default command line in /.wisp/cmdline in the same grammar; merge()
// applies the boot command line over it. Nothing here allocates: unquoted token text goes to
// caller-provided storage, token views to a caller-provided array.
#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <span>
#include <string_view>

#include "lib/result.h"

#ifdef WISP_HOSTED
#include <string>
#include <vector>
#endif

namespace wisp::cmdline {

inline constexpr size_t kNoSeparator = SIZE_MAX;

struct Tokens {
    size_t count = 0;                // tokens written (the bare `--` itself is not one)
    size_t separator = kNoSeparator; // index of argv[0] among them if a bare `--` was seen
};

// Splits `line` into tokens, unquoted into `storage` (line.size() bytes always suffice; at most
// (line.size() + 1) / 2 tokens). Errors: INVAL for an unterminated quote, a trailing backslash
// or a NUL byte; TOOBIG when `tokens` or `storage` is too small.
Result<Tokens> tokenize(std::string_view line, std::span<char> storage,
                        std::span<std::string_view> tokens);

// A kernel option split at its first '='.
struct Option {
    std::string_view key;
    std::string_view value; // empty for a bare `key`
    bool has_value = false;
};
Option split_option(std::string_view token);

// A parsed command line: views into the caller's token array (which views the caller's storage).
class Cmdline {
  public:
    Cmdline() = default;
    static Result<Cmdline> parse(std::string_view line, std::span<char> storage,
                                 std::span<std::string_view> tokens);

    std::span<const std::string_view> options() const { return m_options; }
    std::span<const std::string_view> argv() const { return m_argv; }
    bool has_argv() const { return m_has_argv; } // a bare `--` was present

    // The value of the last `key` / `key=value` option ("" for a bare key): later wins.
    std::optional<std::string_view> value(std::string_view key) const;
    // Calls fn(value) for every `key=value` option with this key, in order (e.g. each env=).
    template<typename Fn>
    void for_each_value(std::string_view key, Fn&& fn) const {
        for (std::string_view token : m_options) {
            Option option = split_option(token);
            if (option.key == key) fn(option.value);
        }
    }

  private:
    friend Result<Cmdline> merge(const Cmdline&, const Cmdline&, std::span<std::string_view>);
    std::span<const std::string_view> m_options;
    std::span<const std::string_view> m_argv;
    bool m_has_argv = false;
};

// The image's command line with the boot command line applied: the boot line's options come
// after the image's (so value() sees the boot line's last, and every env= is kept, image's
// first); if the boot line has a `--`, its argv replaces the image's. The result views
// `tokens` (which needs room for both option lists and the chosen argv) and the two inputs'
// storage. Error: TOOBIG when `tokens` is too small.
Result<Cmdline> merge(const Cmdline& image, const Cmdline& boot,
                      std::span<std::string_view> tokens);

#ifdef WISP_HOSTED
// Host side (the image builder, `wisp run`): writing command lines that tokenize() reads back
// exactly. Tokens must not contain NUL bytes (not representable; the CLI refuses them first).
std::string quote(std::string_view token);
std::string build_cmdline(const std::vector<std::string>& options,
                          const std::vector<std::string>& argv);
#endif

} // namespace wisp::cmdline
