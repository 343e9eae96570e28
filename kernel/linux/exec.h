// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

#include <span>
#include <string_view>

#include "fs/erofs.h"
#include "lib/result.h"

namespace wisp::linux {

// Where the image (the root filesystem) is in guest-physical memory.
struct ImageLocation {
    const fs::erofs::Image* image;
    uint64_t paddr; // physical address of image byte 0 (page-aligned)
    uint64_t size;
};

// A reason for a failed start, printed by the caller as `wisp: <path>: <reason>`.
struct ExecFailure {
    Error error;
    const char* reason;
};

// Loads the program argv[0] from the image and enters it in user mode. Returns only on failure.
// The address space must hold no user mappings (boot, or execve after clearing it).
// `path` is the program's absolute path in the image (NUL-terminated: it names the mappings and
// /proc/self/exe); `execfn` the name it was started by (AT_EXECFN, /proc/self/comm).
ExecFailure exec_program(const ImageLocation& image, std::string_view path, std::string_view execfn,
                         std::span<const std::string_view> argv, std::span<const std::string_view> envp);

// The image the first program came from (execve loads from it too).
const ImageLocation& boot_image();

// The checks exec_program makes before it maps anything — the file exists in the image, is a
// regular, contiguously stored ELF for this machine, and so is its interpreter — so execve can
// fail with an errno while the caller's address space is still intact.
// Errors: as exec_program, with the reason in *reason.
Result<void> check_program(const ImageLocation& image, std::string_view path, const char** reason);

} // namespace wisp::linux
