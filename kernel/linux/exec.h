// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

#include <optional>
#include <span>
#include <string_view>

#include "fs/erofs.h"
#include "lib/result.h"
#include "linux/elf.h"

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

// A file of the image stored in one piece: its bytes (through the direct map) and where they are
// in guest-physical memory, so segments can be mapped from it without copying.
struct ImageFile {
    std::span<const uint8_t> bytes;
    uint64_t paddr = 0;
};

// A program found and checked, ready to load: its file and ELF headers, and its interpreter's
// when it has a PT_INTERP. (Views into the image, which lives as long as the VM.)
struct Program {
    ImageFile file;
    std::optional<elf::ElfFile> elf;
    ImageFile interpreter_file;
    std::optional<elf::ElfFile> interpreter_elf;
};

// Everything that can fail before an address space is touched: the file exists in the image,
// is a regular, contiguously stored ELF for this machine, and so is its interpreter. execve
// calls this while the caller's address space is still intact.
// Errors: NOENT, ACCES, NOEXEC..., with a one-line reason in *reason.
Result<Program> prepare_program(const ImageLocation& image, std::string_view path,
                                const char** reason);

// Maps a prepared program into the (empty) address space, builds its initial stack and enters
// it in user mode. Returns only on failure (out of memory, arguments too long, no room).
// `path` is the program's absolute path in the image (NUL-terminated: it names the mappings and
// /proc/self/exe); `execfn` the name it was started by (AT_EXECFN, /proc/self/comm).
ExecFailure load_program(const Program& program, std::string_view path, std::string_view execfn,
                         std::span<const std::string_view> argv,
                         std::span<const std::string_view> envp);

// The first program: prepare_program + load_program from `image`, which becomes boot_image().
ExecFailure exec_program(const ImageLocation& image, std::string_view path, std::string_view execfn,
                         std::span<const std::string_view> argv, std::span<const std::string_view> envp);

// The image the first program came from (execve loads from it too).
const ImageLocation& boot_image();

} // namespace wisp::linux
