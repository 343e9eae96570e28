// SPDX-License-Identifier: MIT
#pragma once

// Parsing and resolving what the user typed on the `wisp` command line. Pure functions (apart
// from file-system look-ups) so they are unit tested; failures throw vmm::UserError with the
// one-line message the CLI prints after "wisp: ".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wisp::cli {

// The environment every app gets unless the user overrides a variable with -e. The VM tests
// run the native side with exactly this environment (tests/vm/diff.sh).
inline constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";
inline constexpr std::string_view kDefaultHome = "/";

// Smallest -m the CLI accepts; the kernel itself may need more for a given app.
inline constexpr uint64_t kMinMemoryBytes = 4ull << 20;

// "256M", "1G", "512k", "2GiB", "64MB": binary units (K, M, G, T; an optional "iB"/"B" suffix).
// A bare number means MiB, as for QEMU's -m. The result is a whole number of 4 KiB pages.
// Returns nullopt for anything else (empty, junk, zero, overflow, not page-aligned).
std::optional<uint64_t> parse_memory_size(std::string_view text);

// "256M" style rendering of a byte count, for messages and QEMU's -m (rounded up to MiB).
std::string format_memory_size(uint64_t bytes);

// -e KEY=VAL, or -e KEY to copy the host's value (dropped when the host has none, like docker).
// Returns the "KEY=VAL" to pass, or nullopt when KEY is unset on the host.
std::optional<std::string> parse_env_option(std::string_view text);

// --file HOST[:GUEST]: HOST made absolute; GUEST defaults to that absolute path and must be
// absolute. When the whole argument names an existing host path it is taken as HOST alone, so
// host paths containing ':' still work.
std::pair<std::string, std::string> parse_file_option(std::string_view text);

// Finds PROGRAM like a shell does: a name containing '/' is a path, anything else is searched
// in `path_var` ($PATH, or kDefaultPath when unset). Returns an absolute, lexically normalized
// path; throws UserError when nothing is found.
std::string resolve_program(std::string_view program, const char* path_var);

// Merges the default environment with the user's -e values: a user KEY replaces the default
// one, and later -e values replace earlier ones. Order: defaults first, then the user's.
std::vector<std::string> merged_environment(const std::vector<std::string>& user_env);

} // namespace wisp::cli
