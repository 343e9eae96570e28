// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstring>
#include <elf.h>

#include "program_check.h"
#include "temp_dir.h"
#include "vmm.h"

using namespace wisp::cli;
using wisp::vmm::UserError;

namespace {

// A minimal ELF64 executable: header, program headers, and a PT_LOAD covering the file.
std::string make_elf(uint16_t machine = EM_X86_64, uint16_t type = ET_EXEC, bool interp = false) {
    Elf64_Ehdr eh{};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = type;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_entry = 0x401000;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = interp ? 2 : 1;

    std::string interp_path = "/lib64/ld-linux-x86-64.so.2";
    uint64_t interp_offset = sizeof(Elf64_Ehdr) + eh.e_phnum * sizeof(Elf64_Phdr);
    uint64_t file_size = 0x2000;
    std::vector<Elf64_Phdr> ph;
    if (interp)
        ph.push_back({PT_INTERP, PF_R, interp_offset, 0x400000 + interp_offset, 0,
                      interp_path.size() + 1, interp_path.size() + 1, 1});
    ph.push_back({PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x400000, file_size, file_size, 0x1000});

    std::string bytes(reinterpret_cast<const char*>(&eh), sizeof(eh));
    bytes.append(reinterpret_cast<const char*>(ph.data()), ph.size() * sizeof(Elf64_Phdr));
    if (interp) bytes.append(interp_path.c_str(), interp_path.size() + 1);
    bytes.resize(file_size, '\0');
    return bytes;
}

std::string check_message(const std::string& path, const std::string& shown) {
    try {
        check_program(path, shown);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(CheckProgram, StaticExecutableIsAccepted) {
    TempDir dir;
    EXPECT_EQ(check_message(dir.file("app", make_elf(), 0755), "./app"), "");
    EXPECT_EQ(check_message(dir.file("pie", make_elf(EM_X86_64, ET_DYN), 0755), "./pie"), "");
}

TEST(CheckProgram, Missing) {
    TempDir dir;
    EXPECT_EQ(check_message((dir.path() / "nope").string(), "./nope"),
              "./nope: no such file or directory");
}

TEST(CheckProgram, Directory) {
    TempDir dir;
    EXPECT_EQ(check_message(dir.path().string(), "d"), "d: is a directory, not a program");
}

TEST(CheckProgram, NotRegular) {
    EXPECT_EQ(check_message("/dev/null", "/dev/null"), "/dev/null: not a regular file");
}

TEST(CheckProgram, NotElf) {
    TempDir dir;
    EXPECT_EQ(check_message(dir.file("t", "hello world\n", 0755), "./t"),
              "./t: not an ELF executable");
    EXPECT_EQ(check_message(dir.file("e", "", 0755), "./e"), "./e: not an ELF executable");
    EXPECT_EQ(check_message(dir.file("s", "#!/bin/sh\necho hi\n", 0755), "./s"),
              "./s: is a script, not an ELF executable (run its interpreter, e.g. wisp run "
              "/bin/sh ./s)");
}

TEST(CheckProgram, WrongArchitecture) {
    TempDir dir;
    EXPECT_EQ(check_message(dir.file("a", make_elf(EM_AARCH64), 0755), "./a"),
              "./a: is an ELF for aarch64, wisp runs x86-64 programs");
    EXPECT_EQ(check_message(dir.file("r", make_elf(EM_RISCV), 0755), "./r"),
              "./r: is an ELF for riscv, wisp runs x86-64 programs");
    EXPECT_EQ(check_message(dir.file("u", make_elf(4242), 0755), "./u"),
              "./u: is an ELF for machine 4242, wisp runs x86-64 programs");
    std::string elf32 = make_elf(EM_386);
    elf32[EI_CLASS] = ELFCLASS32;
    EXPECT_EQ(check_message(dir.file("i", elf32, 0755), "./i"),
              "./i: is a 32-bit x86 ELF, wisp runs x86-64 programs");
}

TEST(CheckProgram, NotAnExecutable) {
    TempDir dir;
    EXPECT_EQ(check_message(dir.file("o", make_elf(EM_X86_64, ET_REL), 0644), "x.o"),
              "x.o: is an ELF object file, not an executable");
}

TEST(CheckProgram, NoExecutePermission) {
    TempDir dir;
    EXPECT_EQ(check_message(dir.file("app", make_elf(), 0644), "./app"),
              "./app: is not executable (chmod +x ./app)");
}

TEST(CheckProgram, Dynamic) {
    // Accepted: the image builder resolves its libraries (tests/unit/deps).
    TempDir dir;
    EXPECT_EQ(check_message(dir.file("dyn", make_elf(EM_X86_64, ET_DYN, true), 0755), "./dyn"), "");
}

TEST(CheckProgram, Truncated) {
    TempDir dir;
    std::string elf = make_elf();
    elf.resize(sizeof(Elf64_Ehdr) + 10); // program headers cut off
    EXPECT_EQ(check_message(dir.file("cut", elf, 0755), "./cut"),
              "./cut: cannot be run: corrupt ELF program header table");
}

TEST(IsErofsImage, Magic) {
    TempDir dir;
    std::string image(4096, '\0');
    const unsigned char magic[] = {0xe2, 0xe1, 0xf5, 0xe0};
    image.replace(1024, 4, reinterpret_cast<const char*>(magic), 4);
    EXPECT_TRUE(is_erofs_image(dir.file("img", image)));
    EXPECT_FALSE(is_erofs_image(dir.file("elf", make_elf())));
    EXPECT_FALSE(is_erofs_image(dir.file("short", "abc")));
    EXPECT_FALSE(is_erofs_image((dir.path() / "missing").string()));
    EXPECT_FALSE(is_erofs_image(dir.path().string()));
}

TEST(CheckProgram, SegmentPastEndOfFile) {
    TempDir dir;
    std::string elf = make_elf();
    elf.resize(0x1000); // the PT_LOAD says 0x2000 bytes
    EXPECT_EQ(check_message(dir.file("short", elf, 0755), "./short"),
              "./short: cannot be run: ELF segment extends past the end of the file");
}

TEST(CheckProgram, RealPrograms) {
    // The guest programs, when built (ctest builds nothing; skip quietly if absent).
    std::string hello = WISP_BINARY_DIR "/tests/guest/hello.musl";
    if (access(hello.c_str(), X_OK) == 0) {
        EXPECT_EQ(check_message(hello, "hello"), "");
    }
    if (access("/bin/ls", X_OK) == 0) {
        EXPECT_EQ(check_message("/bin/ls", "ls"), "");
    }
}
