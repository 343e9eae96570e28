// SPDX-License-Identifier: MIT
#include "drivers/virtio/mmio_param.h"

#include <gtest/gtest.h>

namespace wisp::drivers::virtio {
namespace {

TEST(MmioParam, FirecrackerForm) {
    auto p = parse_mmio_param("4K@0xd0000000:5");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->size, 4096u);
    EXPECT_EQ(p->base, 0xd0000000u);
    EXPECT_EQ(p->irq, 5u);
}

TEST(MmioParam, QemuMicrovmForm) {
    // What QEMU's microvm appends: a decimal size and an upper-case hex base.
    auto p = parse_mmio_param("512@0xFEB00E00:12");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->size, 512u);
    EXPECT_EQ(p->base, 0xfeb00e00u);
    EXPECT_EQ(p->irq, 12u);
}

TEST(MmioParam, Suffixes) {
    EXPECT_EQ(parse_mmio_param("1M@4096:1")->size, 1u << 20);
    EXPECT_EQ(parse_mmio_param("1g@4096:1")->size, 1u << 30);
    EXPECT_EQ(parse_mmio_param("1M@4096:1")->base, 4096u);
}

TEST(MmioParam, Rejects) {
    for (const char* bad : {"", "4K", "4K@", "4K@0xd0000000", "4K@0xd0000000:", "@0x1:5",
                            "4K@0x:5", "4K@0x1:5x", "4X@0x1:5", "0@0x1000:5", "4K@0x1:70000",
                            "99999999999999999999@0x1:5", "18446744073709551615G@0x1:5",
                            "4K@0x1ffffffffffffffff:5"})
        EXPECT_FALSE(parse_mmio_param(bad)) << bad;
}

} // namespace
} // namespace wisp::drivers::virtio
