// SPDX-License-Identifier: MIT
#include "boot/symbols.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "boot/elf_loader.h"
#include "test_elf.h"

#include <wisp/abi/platform.h>

namespace wisp::vmm {
namespace {

using test::TempDir;
using test::TestElf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr uint64_t kText = 0xffff'ffff'8020'0000;

KernelSymbols synthetic(TempDir& dir) {
    TestElf elf;
    elf.segments.push_back(
        {.paddr = 0x20'0000, .vaddr = kText, .bytes = std::vector<uint8_t>(0x400), .memsz = 0});
    elf.symbols = {
        {"_ZN4wisp8platform5writeENS0_7ChannelEPKcm", kText + 0x100, 0x40, STT_FUNC},
        {"kernel_main", kText + 0x200, 0x80, STT_FUNC},
        {"kernel_main_alias", kText + 0x200, 0, STT_NOTYPE}, // same address: the function wins
        {"asm_label", kText + 0x300, 0, STT_NOTYPE},         // unsized: up to the section end
        {"_ZN4wisp3fooEv", kText, 0x10, STT_FUNC},
    };
    return KernelSymbols::load(elf.write(dir, "k"));
}

TEST(KernelSymbols, Describe) {
    TempDir dir;
    KernelSymbols symbols = synthetic(dir);
    ASSERT_FALSE(symbols.empty());
    EXPECT_EQ(symbols.describe(kText + 0x200), "kernel_main+0x0");
    EXPECT_EQ(symbols.describe(kText + 0x21a), "kernel_main+0x1a");
    EXPECT_EQ(symbols.describe(kText + 0x110),
              "wisp::platform::write(wisp::platform::Channel, char const*, unsigned long)+0x10");
    EXPECT_EQ(symbols.describe(kText + 0x5), "wisp::foo()+0x5");
    EXPECT_EQ(symbols.describe(kText + 0x3ff), "asm_label+0xff");
}

TEST(KernelSymbols, UnknownAddresses) {
    TempDir dir;
    KernelSymbols symbols = synthetic(dir);
    EXPECT_EQ(symbols.describe(kText + 0x50), "");  // after wisp::foo's 0x10 bytes
    EXPECT_EQ(symbols.describe(kText + 0x280), ""); // after kernel_main
    EXPECT_EQ(symbols.describe(kText + 0x400), ""); // past the section
    EXPECT_EQ(symbols.describe(kText - 1), "");
    EXPECT_EQ(symbols.describe(0), "");
}

TEST(KernelSymbols, SymbolizeLine) {
    TempDir dir;
    KernelSymbols symbols = synthetic(dir);
    EXPECT_EQ(symbols.symbolize_line("  #0 0xffffffff80200210"),
              "  #0 0xffffffff80200210 kernel_main+0x10");
    EXPECT_EQ(symbols.symbolize_line("  #12 0xffffffff80200210\n"),
              "  #12 0xffffffff80200210 kernel_main+0x10\n");
    // A return address just past a function that ends in a call still names that function.
    EXPECT_EQ(symbols.symbolize_line("  #1 0xffffffff80200280"),
              "  #1 0xffffffff80200280 kernel_main+0x80");
}

TEST(KernelSymbols, SymbolizeLineLeavesOtherLinesAlone) {
    TempDir dir;
    KernelSymbols symbols = synthetic(dir);
    for (std::string_view line :
         {"", "hello", "  #0 0xffffffff80201000", "#0 0xffffffff80200210",
          "  #x 0xffffffff80200210", "  #0 ffffffff80200210", "  #0 0xffffffff80200210 already",
          "  #0 0x", "  #0 0x1ffffffff802002100", "panic: something at 0xffffffff80200210\n"})
        EXPECT_EQ(symbols.symbolize_line(line), line) << line;
}

TEST(KernelSymbols, MissingOrBadFileIsEmpty) {
    TempDir dir;
    EXPECT_TRUE(KernelSymbols::load("/nonexistent").empty());
    test::write_file(dir.file("junk"), std::vector<uint8_t>(100, 0x7f));
    KernelSymbols junk = KernelSymbols::load(dir.file("junk"));
    EXPECT_TRUE(junk.empty());
    EXPECT_EQ(junk.describe(0x1000), "");
    EXPECT_EQ(junk.symbolize_line("  #0 0x1000"), "  #0 0x1000");
    TestElf no_symbols;
    no_symbols.segments.push_back({.paddr = 0x20'0000, .vaddr = 0, .bytes = {1}, .memsz = 0});
    EXPECT_TRUE(KernelSymbols::load(no_symbols.write(dir, "nosym")).empty());
}

TEST(KernelSymbols, RealKernel) {
    std::string path = test::built_kernel_path();
    if (path.empty())
        GTEST_SKIP() << "the kernel is not built (" << WISP_BINARY_DIR << "/bin/wisp-kernel)";
    KernelSymbols symbols = KernelSymbols::load(path);
    ASSERT_FALSE(symbols.empty());
    std::vector<uint8_t> ram(64 << 20);
    LoadedKernel kernel = load_kernel(path, GuestMemory(ram.data(), ram.size()));
    EXPECT_THAT(symbols.describe(kernel.pvh_entry), StartsWith("pvh_start32+0x0"));

    // Somewhere in the higher-half text is C++ code, shown demangled.
    bool found_cpp = false;
    for (uint64_t addr = abi::kKernelVirtBase;
         addr < abi::kKernelVirtBase + (8 << 20) && !found_cpp; addr += 16) {
        std::string name = symbols.describe(addr);
        found_cpp = name.find("wisp::") != std::string::npos && name.find('(') != std::string::npos;
    }
    EXPECT_TRUE(found_cpp);
}

} // namespace
} // namespace wisp::vmm
