// SPDX-License-Identifier: MIT
#include "kvm/crash_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace wisp::vmm {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t P = 1, W = 2, PS = 0x80;

// 4 MiB of guest RAM with long-mode page tables at 0x1000:
//   0xffffffff80000000 + 2 MiB page  -> phys 0x200000 (PDE with PS)
//   0x0000000000400000 4 KiB page    -> phys 0x300000 (PTE)
//   0x0000008000000000 1 GiB page    -> phys 0 (PDPTE with PS)
struct PagedRam {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(4 << 20);
    GuestMemory memory() { return {bytes.data(), bytes.size()}; }
    void put(uint64_t gpa, uint64_t value) { std::memcpy(bytes.data() + gpa, &value, 8); }
    kvm_sregs sregs() const {
        kvm_sregs s{};
        s.cr0 = 0x8000'0011;
        s.cr3 = 0x1000;
        s.cr4 = 0x20;
        s.efer = 0x500;
        s.cs.l = 1;
        return s;
    }
    PagedRam() {
        put(0x1000 + 511 * 8, 0x2000 | P | W); // PML4[511]
        put(0x2000 + 510 * 8, 0x3000 | P | W); // PDPT[510]
        put(0x3000 + 0 * 8, 0x20'0000 | P | W | PS);
        put(0x1000 + 0 * 8, 0x4000 | P | W); // PML4[0]
        put(0x4000 + 0 * 8, 0x5000 | P | W); // PDPT[0]
        put(0x5000 + 2 * 8, 0x6000 | P | W); // PD[2]: 0x400000
        put(0x6000 + 0 * 8, 0x30'0000 | P | W);
        put(0x1000 + 1 * 8, 0x7000 | P | W);      // PML4[1]: 0x8000000000
        put(0x7000 + 0 * 8, 0 | P | W | PS);      // 1 GiB page at 0
        put(0x4000 + 1 * 8, 0x8000'0000 | P | W); // PDPT[1] -> table outside RAM
    }
};

TEST(TranslateLinear, PageSizes) {
    PagedRam ram;
    auto sregs = ram.sregs();
    EXPECT_EQ(translate_linear(ram.memory(), sregs, 0xffff'ffff'8000'1234), 0x20'1234u);
    EXPECT_EQ(translate_linear(ram.memory(), sregs, 0x40'0abc), 0x30'0abcu);
    EXPECT_EQ(translate_linear(ram.memory(), sregs, 0x80'0012'3456), 0x12'3456u);
}

TEST(TranslateLinear, Unmapped) {
    PagedRam ram;
    auto sregs = ram.sregs();
    EXPECT_FALSE(translate_linear(ram.memory(), sregs, 0x40'1000));             // PTE not present
    EXPECT_FALSE(translate_linear(ram.memory(), sregs, 0xffff'8000'0000'0000)); // PML4 empty
    EXPECT_FALSE(translate_linear(ram.memory(), sregs, 0x4000'0000));           // table beyond RAM
    sregs.cr3 = 0xffff'f000; // page tables outside RAM
    EXPECT_FALSE(translate_linear(ram.memory(), sregs, 0x40'0000));
}

TEST(TranslateLinear, PagingOff) {
    PagedRam ram;
    kvm_sregs sregs{};
    sregs.cr0 = 0x11;
    EXPECT_EQ(translate_linear(ram.memory(), sregs, 0x20'0010), 0x20'0010u);
}

TEST(ReadLinear, AcrossPagesStopsAtTheHole) {
    PagedRam ram;
    auto sregs = ram.sregs();
    ram.bytes[0x30'0ffe] = 0xaa;
    ram.bytes[0x30'0fff] = 0xbb;
    uint8_t out[8] = {};
    // 0x400ffe..0x401005: the first page is mapped, the next one is not.
    EXPECT_EQ(read_linear(ram.memory(), GuestMemory{}, sregs, 0x40'0ffe, out), 2u);
    EXPECT_EQ(out[0], 0xaa);
    EXPECT_EQ(out[1], 0xbb);
}

TEST(ReadLinear, CodeInTheImage) {
    // Application code is mapped straight from the read-only image slot, outside RAM.
    PagedRam ram;
    auto sregs = ram.sregs();
    ram.put(0x6000 + 1 * 8, 0x1'0000'2000 | P); // 0x401000 -> image page at 4 GiB + 0x2000
    std::vector<uint8_t> image_bytes(0x3000);
    image_bytes[0x2010] = 0xcc;
    GuestMemory image(image_bytes.data(), image_bytes.size(), 0x1'0000'0000);
    uint8_t out[2] = {};
    EXPECT_EQ(read_linear(ram.memory(), image, sregs, 0x40'1010, out), 2u);
    EXPECT_EQ(out[0], 0xcc);
    EXPECT_EQ(read_linear(ram.memory(), GuestMemory{}, sregs, 0x40'1010, out), 0u);
}

TEST(GuestMemory, RangeAboveZero) {
    std::vector<uint8_t> bytes(0x1000);
    GuestMemory image(bytes.data(), bytes.size(), 0x1'0000'0000);
    EXPECT_TRUE(image.contains(0x1'0000'0000, 0x1000));
    EXPECT_TRUE(image.contains(0x1'0000'0fff, 1));
    EXPECT_FALSE(image.contains(0x1'0000'0fff, 2));
    EXPECT_FALSE(image.contains(0xffff'ffff, 1));
    EXPECT_FALSE(image.contains(0, 1));
    EXPECT_FALSE(image.contains(0x1'0000'0001, ~0ull));
    EXPECT_EQ(image.bytes(0x1'0000'0010, 4).data(), bytes.data() + 0x10);
}

TEST(CrashReport, HeadlineCodeAndRegisters) {
    PagedRam ram;
    auto sregs = ram.sregs();
    const uint8_t code[] = {0x0f, 0x0b, 0x90};
    std::memcpy(ram.bytes.data() + 0x20'0100, code, sizeof code);
    kvm_regs regs{};
    regs.rip = 0xffff'ffff'8000'0100;
    regs.rax = 0x1122334455667788;
    std::string report =
        crash_report("triple fault", regs, sregs, ram.memory(), {}, KernelSymbols{});
    EXPECT_EQ(report.substr(0, report.find('\n')),
              "wisp: guest crashed: triple fault at RIP 0xffffffff80000100");
    EXPECT_THAT(report, HasSubstr("code: 0f 0b 90 00"));
    EXPECT_THAT(report, HasSubstr("rax 1122334455667788"));
    EXPECT_THAT(report, HasSubstr("cr3 0000000000001000"));
}

TEST(CrashReport, UnmappedRip) {
    PagedRam ram;
    kvm_regs regs{};
    regs.rip = 0xdead'0000;
    std::string report = crash_report("emulation failure", regs, ram.sregs(), ram.memory(), {}, {});
    EXPECT_THAT(report, HasSubstr("RIP not mapped to guest memory"));
}

TEST(CrashReport, ProtectedModeUsesCsBase) {
    PagedRam ram;
    kvm_sregs sregs{};
    sregs.cr0 = 0x11;
    sregs.cs.base = 0x1000;
    kvm_regs regs{};
    regs.rip = 0x234;
    EXPECT_EQ(instruction_pointer(regs, sregs), 0x1234u);
}

} // namespace
} // namespace wisp::vmm
