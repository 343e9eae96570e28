// SPDX-License-Identifier: MIT
#include "boot/pvh.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include <wisp/abi/platform.h>
#include <wisp/abi/pvh.h>

#include "vmm.h"

namespace wisp::vmm {
namespace {

using ::testing::HasSubstr;

struct Ram {
    explicit Ram(uint64_t size) : bytes(size) {}
    std::vector<uint8_t> bytes;
    GuestMemory memory() { return {bytes.data(), bytes.size()}; }
    template<class T>
    T at(uint64_t gpa) const {
        T value;
        std::memcpy(&value, bytes.data() + gpa, sizeof value);
        return value;
    }
};

TEST(PvhStartInfo, Layout) {
    Ram ram(64 << 20);
    uint64_t gpa = write_start_info(ram.memory(), "quiet -- /bin/app arg", std::nullopt);
    EXPECT_EQ(gpa, kStartInfoGpa);
    EXPECT_LT(gpa, 0x10'0000u); // below 1 MiB: the kernel never allocates there
    auto info = ram.at<abi::HvmStartInfo>(gpa);
    EXPECT_EQ(info.magic, abi::kHvmStartMagic);
    EXPECT_EQ(info.version, 1u);
    EXPECT_EQ(info.nr_modules, 0u);
    EXPECT_EQ(info.rsdp_paddr, 0u);
    EXPECT_STREQ(reinterpret_cast<const char*>(ram.bytes.data() + info.cmdline_paddr),
                 "quiet -- /bin/app arg");

    ASSERT_EQ(info.memmap_entries, 2u);
    auto low = ram.at<abi::HvmMemmapEntry>(info.memmap_paddr);
    auto high = ram.at<abi::HvmMemmapEntry>(info.memmap_paddr + sizeof(abi::HvmMemmapEntry));
    EXPECT_EQ(low.addr, 0u);
    EXPECT_EQ(low.size, 0x9fc00u);
    EXPECT_EQ(low.type, abi::kE820Ram);
    EXPECT_EQ(high.addr, 0x10'0000u);
    EXPECT_EQ(high.size, (64u << 20) - 0x10'0000u);
    EXPECT_EQ(high.type, abi::kE820Ram);

    // Nothing overlaps: start info, memmap and command line each in their own range.
    EXPECT_LE(gpa + sizeof info, kMemmapGpa);
    EXPECT_LE(info.memmap_paddr + 2 * sizeof(abi::HvmMemmapEntry), info.cmdline_paddr);
}

TEST(PvhStartInfo, ImageModule) {
    Ram ram(8 << 20);
    write_start_info(ram.memory(), "", PvhModule{abi::kImageGpa, 12345});
    auto info = ram.at<abi::HvmStartInfo>(kStartInfoGpa);
    ASSERT_EQ(info.nr_modules, 1u);
    auto module = ram.at<abi::HvmModlistEntry>(info.modlist_paddr);
    EXPECT_EQ(module.paddr, abi::kImageGpa);
    EXPECT_EQ(module.size, 12345u); // the exact file size, not rounded to pages
    EXPECT_EQ(module.cmdline_paddr, 0u);
    EXPECT_EQ(ram.bytes[info.cmdline_paddr], 0); // empty command line
}

TEST(PvhStartInfo, CommandLineLimits) {
    Ram ram(8 << 20);
    std::string longest(kCmdlineMax, 'a');
    write_start_info(ram.memory(), longest, std::nullopt);
    EXPECT_EQ(ram.bytes[kCmdlineGpa + kCmdlineMax], 0);
    EXPECT_LE(kCmdlineGpa + kCmdlineMax + 1, kCmdlineEnd);

    try {
        write_start_info(ram.memory(), longest + "a", std::nullopt);
        FAIL() << "an over-long command line was accepted";
    } catch (const UserError& e) {
        EXPECT_THAT(e.what(), HasSubstr("command line"));
    }
    EXPECT_THROW(write_start_info(ram.memory(), std::string("a\0b", 3), std::nullopt), UserError);
}

TEST(PvhStartInfo, RejectsTinyRam) {
    Ram ram(0x8'0000);
    EXPECT_THROW(write_start_info(ram.memory(), "", std::nullopt), UserError);
}

TEST(PvhEntryState, ProtectedModeFlatSegments) {
    kvm_regs regs{};
    kvm_sregs sregs{};
    sregs.cr0 = 0x6000'0010; // reset value: CD | NW | ET
    regs.rax = 0x1234;
    set_pvh_entry_state(regs, sregs, 0x20'0000, kStartInfoGpa);

    EXPECT_EQ(regs.rip, 0x20'0000u);
    EXPECT_EQ(regs.rbx, kStartInfoGpa);
    EXPECT_EQ(regs.rflags, 0x2u);
    EXPECT_EQ(regs.rax, 0u);
    EXPECT_EQ(sregs.cr0, 0x11u); // PE | ET, paging and cache-disable off
    EXPECT_EQ(sregs.cr4, 0u);
    EXPECT_EQ(sregs.efer, 0u);

    EXPECT_EQ(sregs.cs.selector, 0x8);
    EXPECT_EQ(sregs.cs.type, 0xb);
    EXPECT_EQ(sregs.cs.db, 1);
    EXPECT_EQ(sregs.cs.l, 0);
    EXPECT_EQ(sregs.cs.base, 0u);
    EXPECT_EQ(sregs.cs.limit, 0xffff'ffffu);
    EXPECT_EQ(sregs.cs.g, 1);
    for (const kvm_segment* data : {&sregs.ds, &sregs.es, &sregs.ss, &sregs.fs, &sregs.gs}) {
        EXPECT_EQ(data->selector, 0x10);
        EXPECT_EQ(data->type, 0x3);
        EXPECT_EQ(data->present, 1);
        EXPECT_EQ(data->limit, 0xffff'ffffu);
    }
    EXPECT_EQ(sregs.tr.type, 11); // busy 64/32-bit TSS
    EXPECT_EQ(sregs.tr.present, 1);
    EXPECT_EQ(sregs.tr.s, 0);
}

} // namespace
} // namespace wisp::vmm
