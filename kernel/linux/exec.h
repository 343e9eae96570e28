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
ExecFailure exec_program(const ImageLocation& image, std::span<const std::string_view> argv,
                         std::span<const std::string_view> envp);

} // namespace wisp::linux
