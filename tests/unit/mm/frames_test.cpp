// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "mm/frames.h"

namespace {
using wisp::mm::FrameAllocator;
using wisp::mm::kPageSize;
using wisp::mm::PhysRange;

// Pretend physical memory [0, 64 pages) backed by a host buffer.
struct FakeMemory {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(64 * kPageSize, 0);
    uint8_t* direct_map() { return bytes.data(); }
};

TEST(FrameAllocator, SubtractsReservedRangesAndAlignsToPages) {
    FakeMemory mem;
    FrameAllocator a;
    const PhysRange ram[] = {{100, 20 * kPageSize}, {30 * kPageSize, 40 * kPageSize + 7}};
    const PhysRange reserved[] = {{4 * kPageSize + 1, 6 * kPageSize}, {35 * kPageSize, 36 * kPageSize}};
    a.init(mem.direct_map(), ram, reserved);
    std::set<uint64_t> got;
    while (uint64_t f = a.allocate_zeroed()) got.insert(f);
    std::set<uint64_t> expected;
    for (uint64_t p = 1; p < 20; p++)
        if (p < 4 || p >= 6) expected.insert(p * kPageSize); // page 4 holds a reserved byte
    for (uint64_t p = 30; p < 40; p++)
        if (p != 35) expected.insert(p * kPageSize);
    EXPECT_EQ(got, expected);
    EXPECT_EQ(a.stats().total_frames, expected.size());
}

TEST(FrameAllocator, FreshFramesAreNeverClearedDirtyOnesAreWhenZeroesAreAsked) {
    FakeMemory mem;
    FrameAllocator a;
    const PhysRange ram[] = {{kPageSize, 3 * kPageSize}};
    a.init(mem.direct_map(), ram, {});
    uint64_t f1 = a.allocate_zeroed();
    uint64_t f2 = a.allocate_zeroed();
    ASSERT_NE(f1, 0u);
    ASSERT_NE(f2, 0u);
    EXPECT_EQ(a.allocate_zeroed(), 0u); // out of memory
    std::memset(mem.bytes.data() + f1, 0xaa, kPageSize);
    a.free(f1);
    EXPECT_EQ(a.stats().dirty_frames, 1u);
    uint64_t again = a.allocate_zeroed();
    EXPECT_EQ(again, f1);
    for (uint64_t i = 0; i < kPageSize; i++) ASSERT_EQ(mem.bytes[f1 + i], 0) << i;
    EXPECT_EQ(a.stats().zeroed_on_demand, 1u);
}

TEST(FrameAllocator, DirtyFramesAreReusedLastInFirstOut) {
    FakeMemory mem;
    FrameAllocator a;
    const PhysRange ram[] = {{0, 10 * kPageSize}};
    a.init(mem.direct_map(), ram, {});
    uint64_t x = a.allocate(), y = a.allocate();
    EXPECT_EQ(x, kPageSize); // page 0 is never handed out
    a.free(x);
    a.free(y);
    EXPECT_EQ(a.allocate(), y);
    EXPECT_EQ(a.allocate(), x);
}

TEST(FrameAllocator, ContiguousRunsComeFromFreshMemory) {
    FakeMemory mem;
    FrameAllocator a;
    const PhysRange ram[] = {{0, 3 * kPageSize}, {8 * kPageSize, 16 * kPageSize}}; // page 0 unused
    a.init(mem.direct_map(), ram, {});
    EXPECT_EQ(a.allocate_contiguous(6), 8 * kPageSize);
    EXPECT_EQ(a.allocate_contiguous(3), 0u);
    EXPECT_EQ(a.allocate_contiguous(2), kPageSize); // first fit
    EXPECT_EQ(a.allocate_contiguous(2), 14 * kPageSize);
    EXPECT_EQ(a.allocate_contiguous(1), 0u);
}

} // namespace
