// SPDX-License-Identifier: MIT
#include "program_check.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <string_view>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/elf.h"
#include "vmm.h"

namespace wisp::cli {

using vmm::UserError;

namespace {

// Reads up to `size` bytes at `offset`; returns how many were read.
size_t read_at(int fd, void* buffer, size_t size, off_t offset) {
    ssize_t n = pread(fd, buffer, size, offset);
    return n < 0 ? 0 : static_cast<size_t>(n);
}

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

std::string machine_name(uint16_t machine) {
    switch (machine) {
    case EM_386:
        return "i386";
    case EM_ARM:
        return "arm";
    case EM_AARCH64:
        return "aarch64";
    case EM_RISCV:
        return "riscv";
    case EM_PPC:
        return "ppc";
    case EM_PPC64:
        return "ppc64";
    case EM_S390:
        return "s390x";
    case EM_MIPS:
        return "mips";
    case EM_SPARCV9:
        return "sparc64";
    case 258:
        return "loongarch"; // EM_LOONGARCH, newer than some <elf.h>
    default:
        return "machine " + std::to_string(machine);
    }
}

} // namespace

bool is_erofs_image(const std::string& path) {
    // EROFS on-disk format: the superblock starts at byte 1024 with magic 0xE0F5E1E2 (LE).
    Fd file{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) return false;
    uint8_t magic[4];
    if (read_at(file.fd, magic, sizeof(magic), 1024) != sizeof(magic)) return false;
    return magic[0] == 0xe2 && magic[1] == 0xe1 && magic[2] == 0xf5 && magic[3] == 0xe0;
}

void check_program(const std::string& path, const std::string& shown) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) throw UserError(shown + ": no such file or directory");
        throw UserError(shown + ": " + strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) throw UserError(shown + ": is a directory, not a program");
    if (!S_ISREG(st.st_mode)) throw UserError(shown + ": not a regular file");
    Fd file{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) throw UserError(shown + ": cannot read it: " + strerror(errno));

    // ELF: the identification bytes and header (System V ABI, ELF-64 Object File Format §3).
    Elf64_Ehdr header{};
    size_t got = read_at(file.fd, &header, sizeof(header), 0);
    if (got >= 2 && header.e_ident[0] == '#' && header.e_ident[1] == '!')
        throw UserError(shown +
                        ": is a script, not an ELF executable (run its interpreter, e.g. "
                        "wisp run /bin/sh " +
                        shown + ")");
    if (got < EI_NIDENT || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
        throw UserError(shown + ": not an ELF executable");
    if (got < sizeof(header) || header.e_ident[EI_CLASS] != ELFCLASS64 ||
        header.e_ident[EI_DATA] != ELFDATA2LSB) {
        // A 32-bit header has e_machine at the same offset; name the architecture when we can.
        uint16_t machine = got >= 20 ? header.e_machine : 0;
        std::string what = machine == EM_386 || machine == EM_X86_64 ? "a 32-bit x86 ELF"
                           : machine ? "an ELF for " + machine_name(machine)
                                     : "a 32-bit or big-endian ELF";
        throw UserError(shown + ": is " + what + ", wisp runs x86-64 programs");
    }
    if (header.e_machine != EM_X86_64)
        throw UserError(shown + ": is an ELF for " + machine_name(header.e_machine) +
                        ", wisp runs x86-64 programs");
    if (header.e_type != ET_EXEC && header.e_type != ET_DYN)
        throw UserError(shown + ": is an ELF " +
                        (header.e_type == ET_REL    ? "object file"
                         : header.e_type == ET_CORE ? "core dump"
                                                    : "file") +
                        ", not an executable");
    if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
        throw UserError(shown + ": is not executable (chmod +x " + shown + ")");

    // The full validation the kernel's loader will do (kernel/linux/elf.h), on the host.
    size_t size = static_cast<size_t>(st.st_size);
    void* bytes = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd, 0);
    if (bytes == MAP_FAILED) throw UserError(shown + ": cannot read it: " + strerror(errno));
    // A dynamic executable passes: the image builder resolves its interpreter and libraries
    // (deps.h) and names any it cannot find.
    elf::ElfProblem why = elf::ElfProblem::None;
    auto parsed = elf::ElfFile::parse({static_cast<const uint8_t*>(bytes), size}, &why);
    munmap(bytes, size);
    if (parsed.is_error()) throw UserError(shown + ": cannot be run: " + elf::describe(why));
}

} // namespace wisp::cli
