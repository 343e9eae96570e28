// SPDX-License-Identifier: MIT
#pragma once

// Checks made on the host before anything is built or booted, so a user mistake gets a one-line
// answer instead of a guest that fails in a confusing way.
#include <string>

namespace wisp::cli {

// True when `path` is an EROFS file system (an image from `wisp build`): it is then booted as
// is instead of being packed into an image.
bool is_erofs_image(const std::string& path);

// Throws vmm::UserError unless `path` (as the user typed it: `shown`) is a regular, executable
// x86-64 ELF executable (static or dynamic). Messages name the cause and the fix.
void check_program(const std::string& path, const std::string& shown);

} // namespace wisp::cli
