// SPDX-License-Identifier: MIT
#include "boot/elf_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "test_elf.h"
#include "vmm.h"

namespace wisp::vmm {
namespace {

using test::TempDir;
using test::TestElf;
using ::testing::HasSubstr;

constexpr uint64_t kRamSize = 16 << 20;

struct Ram {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(kRamSize);
    GuestMemory memory() { return {bytes.data(), bytes.size()}; }
};

std::string load_error(const std::string& path, uint64_t ram_size = kRamSize) {
    std::vector<uint8_t> bytes(ram_size);
    try {
        load_kernel(path, GuestMemory(bytes.data(), bytes.size()));
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

TestElf simple_kernel() {
    TestElf elf;
    elf.segments.push_back(
        {.paddr = 0x20'0000, .vaddr = 0, .bytes = {0xf4, 0xeb, 0xfd}, .memsz = 0x2000});
    elf.segments.push_back(
        {.paddr = 0x20'4000, .vaddr = 0xffff'ffff'8020'4000, .bytes = {1, 2, 3, 4}, .memsz = 0});
    elf.pvh_entry = 0x20'0000;
    return elf;
}

TEST(ElfLoader, LoadsSegmentsAtPhysicalAddresses) {
    TempDir dir;
    Ram ram;
    LoadedKernel kernel = load_kernel(simple_kernel().write(dir, "k"), ram.memory());
    EXPECT_EQ(kernel.pvh_entry, 0x20'0000u);
    EXPECT_EQ(kernel.phys_start, 0x20'0000u);
    EXPECT_EQ(kernel.phys_end, 0x20'4004u);
    EXPECT_EQ(ram.bytes[0x20'0000], 0xf4);
    EXPECT_EQ(ram.bytes[0x20'0002], 0xfd);
    EXPECT_EQ(ram.bytes[0x20'4003], 4);
}

TEST(ElfLoader, LeavesBssUntouched) {
    // RAM arrives zeroed; the loader must not write (and so allocate) .bss pages.
    TempDir dir;
    Ram ram;
    std::fill(ram.bytes.begin(), ram.bytes.end(), 0xaa);
    load_kernel(simple_kernel().write(dir, "k"), ram.memory());
    EXPECT_EQ(ram.bytes[0x20'0003], 0xaa);
    EXPECT_EQ(ram.bytes[0x20'1fff], 0xaa);
}

TEST(ElfLoader, MissingFile) {
    EXPECT_THAT(load_error("/nonexistent/wisp-kernel"), HasSubstr("not found"));
}

TEST(ElfLoader, NotAnElf) {
    TempDir dir;
    test::write_file(dir.file("text"), std::vector<uint8_t>(200, 'x'));
    EXPECT_THAT(load_error(dir.file("text")), HasSubstr("is not an ELF file"));
    test::write_file(dir.file("short"), {0x7f, 'E'});
    EXPECT_THAT(load_error(dir.file("short")), HasSubstr("is not an ELF file"));
}

TEST(ElfLoader, WrongArchitecture) {
    TempDir dir;
    TestElf elf = simple_kernel();
    elf.machine = EM_AARCH64;
    EXPECT_THAT(load_error(elf.write(dir, "k")), HasSubstr("not an x86-64"));
}

TEST(ElfLoader, NoPvhNote) {
    TempDir dir;
    TestElf elf = simple_kernel();
    elf.pvh_entry.reset();
    EXPECT_THAT(load_error(elf.write(dir, "k")), HasSubstr("not a PVH kernel"));
}

TEST(ElfLoader, PvhEntryOutsideSegments) {
    TempDir dir;
    TestElf elf = simple_kernel();
    elf.pvh_entry = 0x10'0000;
    EXPECT_THAT(load_error(elf.write(dir, "k")), HasSubstr("outside its loaded segments"));
}

TEST(ElfLoader, SegmentBeyondRam) {
    TempDir dir;
    EXPECT_THAT(load_error(simple_kernel().write(dir, "k"), 0x20'1000),
                HasSubstr("does not fit in guest memory"));
    TestElf huge = simple_kernel();
    huge.segments[0].memsz = ~0ull - 0x10'0000; // wraps around: must not pass the check
    EXPECT_THAT(load_error(huge.write(dir, "huge")), HasSubstr("does not fit"));
}

TEST(ElfLoader, SegmentInLowMemory) {
    // Below 1 MiB lives the PVH start info.
    TempDir dir;
    TestElf elf = simple_kernel();
    elf.segments[0].paddr = 0x7000;
    elf.pvh_entry = 0x7000;
    EXPECT_THAT(load_error(elf.write(dir, "k")), HasSubstr("does not fit"));
}

TEST(ElfLoader, TruncatedFile) {
    TempDir dir;
    std::vector<uint8_t> bytes = simple_kernel().build();
    bytes.resize(bytes.size() - 2); // cuts into the last segment's bytes
    test::write_file(dir.file("k"), bytes);
    EXPECT_THAT(load_error(dir.file("k")), HasSubstr("truncated"));
}

TEST(ElfLoader, RealKernel) {
    std::string path = test::built_kernel_path();
    if (path.empty())
        GTEST_SKIP() << "the kernel is not built (" << WISP_BINARY_DIR << "/bin/wisp-kernel)";
    std::vector<uint8_t> bytes(64 << 20);
    LoadedKernel kernel = load_kernel(path, GuestMemory(bytes.data(), bytes.size()));
    EXPECT_GE(kernel.pvh_entry, kernel.phys_start);
    EXPECT_LT(kernel.pvh_entry, kernel.phys_end);
    EXPECT_GE(kernel.phys_start, kKernelMinPhys);
    // The entry is 32-bit code of boot.S: its first instruction is `cli` (0xfa).
    EXPECT_EQ(bytes[kernel.pvh_entry], 0xfa);
}

} // namespace
} // namespace wisp::vmm
