// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <set>

#include "lib/random.h"

namespace {

TEST(ChaCha20, Rfc8439BlockTestVector) {
    // RFC 8439 §2.3.2: key 00 01 .. 1f, counter 1, nonce 00:00:00:09:00:00:00:4a:00:00:00:00.
    uint32_t key[8];
    for (int i = 0; i < 8; i++)
        key[i] = (4 * i) | ((4 * i + 1) << 8) | ((4 * i + 2) << 16) | ((4u * i + 3) << 24);
    const uint32_t nonce[3] = {0x09000000, 0x4a000000, 0x00000000};
    uint32_t out[16];
    wisp::chacha20_block(key, 1, nonce, out);
    const uint32_t expected[16] = {0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3,
                                   0xc7f4d1c7, 0x0368c033, 0x9aaa2204, 0x4e6cd4c3,
                                   0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9,
                                   0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2};
    for (int i = 0; i < 16; i++) EXPECT_EQ(out[i], expected[i]) << i;
}

TEST(Csprng, DistinctOutputsAndSeedDependence) {
    wisp::Csprng a, b;
    const uint8_t seed_a[] = "seed-a", seed_b[] = "seed-b";
    a.seed(seed_a, sizeof(seed_a));
    b.seed(seed_b, sizeof(seed_b));
    std::set<uint64_t> seen;
    for (int i = 0; i < 1000; i++) seen.insert(a.next_u64());
    EXPECT_EQ(seen.size(), 1000u);
    EXPECT_NE(a.next_u64(), b.next_u64());
    uint8_t buffer[100];
    a.fill(buffer, sizeof(buffer));
    int zeros = 0;
    for (uint8_t byte : buffer) zeros += byte == 0;
    EXPECT_LT(zeros, 10);
}

} // namespace
