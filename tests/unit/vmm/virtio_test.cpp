// SPDX-License-Identifier: MIT
// The monitor's virtio code against hostile drivers: every ring field, address, length and
// chain is under guest control, so none of them may crash the monitor or reach memory outside
// the guest's.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "devices/virtio_console.h"
#include "devices/virtio_mmio.h"
#include "devices/virtqueue.h"

namespace wisp::vmm {
namespace {

constexpr uint64_t kDesc = 0x1000, kAvail = 0x2000, kUsed = 0x3000, kData = 0x8000;
constexpr uint64_t kMemorySize = 0x10000;

// Guest memory with helpers to write rings as a driver would.
struct Guest {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(kMemorySize);
    GuestMemory memory{bytes.data(), kMemorySize};

    void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
        uint8_t* d = bytes.data() + kDesc + 16 * i;
        std::memcpy(d, &addr, 8);
        std::memcpy(d + 8, &len, 4);
        std::memcpy(d + 12, &flags, 2);
        std::memcpy(d + 14, &next, 2);
    }
    void publish(uint16_t slot, uint16_t head, uint16_t new_idx) {
        std::memcpy(bytes.data() + kAvail + 4 + 2 * slot, &head, 2);
        std::memcpy(bytes.data() + kAvail + 2, &new_idx, 2);
    }
    uint16_t used_idx() const {
        uint16_t v;
        std::memcpy(&v, bytes.data() + kUsed + 2, 2);
        return v;
    }
    std::pair<uint32_t, uint32_t> used(uint16_t slot) const {
        uint32_t e[2];
        std::memcpy(e, bytes.data() + kUsed + 4 + 8 * slot, 8);
        return {e[0], e[1]};
    }
};

VirtqLayout layout(uint16_t size = 8) { return {kDesc, kAvail, kUsed, size}; }

TEST(Virtqueue, RejectsBadLayouts) {
    Guest g;
    Virtqueue q;
    EXPECT_FALSE(q.configure(g.memory, layout(0)));
    EXPECT_FALSE(q.configure(g.memory, layout(3)));   // not a power of two
    EXPECT_FALSE(q.configure(g.memory, layout(512))); // above kMaxSize
    EXPECT_FALSE(q.configure(g.memory, {kDesc + 8, kAvail, kUsed, 8}));     // misaligned
    EXPECT_FALSE(q.configure(g.memory, {kMemorySize - 16, kAvail, kUsed, 8})); // past the end
    EXPECT_FALSE(q.configure(g.memory, {kDesc, ~0ull - 1, kUsed, 8}));      // wraps around
    EXPECT_FALSE(q.configure(g.memory, {kDesc, kAvail, kMemorySize - 4, 8}));
    EXPECT_TRUE(q.configure(g.memory, layout()));
}

TEST(Virtqueue, PopsAChainAndReturnsIt) {
    Guest g;
    Virtqueue q;
    ASSERT_TRUE(q.configure(g.memory, layout()));
    EXPECT_FALSE(q.pop());
    std::memcpy(g.bytes.data() + kData, "hello", 5);
    g.desc(2, kData, 3, Virtqueue::kDescNext, 5);
    g.desc(5, kData + 3, 2, 0, 0);
    g.publish(0, 2, 1);
    auto chain = q.pop();
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->head, 2);
    ASSERT_EQ(chain->buffers.size(), 2u);
    EXPECT_EQ(chain->readable_bytes(), 5u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(chain->buffers[1].bytes.data()), 2), "lo");
    q.push_used(chain->head, 7);
    EXPECT_EQ(g.used_idx(), 1);
    EXPECT_EQ(g.used(0), std::make_pair(2u, 7u));
    EXPECT_FALSE(q.pop());
    EXPECT_FALSE(q.broken());
}

struct Hostile : ::testing::Test {
    Guest g;
    Virtqueue q;
    void SetUp() override { ASSERT_TRUE(q.configure(g.memory, layout())); }
    void expect_broken() {
        EXPECT_FALSE(q.pop());
        EXPECT_TRUE(q.broken());
        EXPECT_FALSE(q.pop()); // and stays so
        q.push_used(0, 1);     // ignored
        EXPECT_EQ(g.used_idx(), 0);
    }
};

TEST_F(Hostile, HeadOutOfRange) {
    g.publish(0, 8, 1);
    expect_broken();
}

TEST_F(Hostile, NextOutOfRange) {
    g.desc(0, kData, 1, Virtqueue::kDescNext, 0xffff);
    g.publish(0, 0, 1);
    expect_broken();
}

TEST_F(Hostile, LoopInChain) {
    g.desc(0, kData, 1, Virtqueue::kDescNext, 1);
    g.desc(1, kData, 1, Virtqueue::kDescNext, 0);
    g.publish(0, 0, 1);
    expect_broken();
}

TEST_F(Hostile, SelfLoop) {
    g.desc(4, kData, 1, Virtqueue::kDescNext, 4);
    g.publish(0, 4, 1);
    expect_broken();
}

TEST_F(Hostile, BufferOutsideMemory) {
    g.desc(0, kMemorySize - 2, 4, 0, 0);
    g.publish(0, 0, 1);
    expect_broken();
}

TEST_F(Hostile, AddressPlusLengthWraps) {
    g.desc(0, ~0ull - 1, 0x10, 0, 0);
    g.publish(0, 0, 1);
    expect_broken();
}

TEST_F(Hostile, HugeLength) {
    g.desc(0, kData, 0xffff'ffff, 0, 0);
    g.publish(0, 0, 1);
    expect_broken();
}

TEST_F(Hostile, IndirectDescriptor) {
    g.desc(0, kData, 16, Virtqueue::kDescIndirect, 0);
    g.publish(0, 0, 1);
    expect_broken();
}

TEST_F(Hostile, ReadableAfterWritable) {
    g.desc(0, kData, 4, Virtqueue::kDescWrite | Virtqueue::kDescNext, 1);
    g.desc(1, kData, 4, 0, 0);
    g.publish(0, 0, 1);
    expect_broken();
}

TEST_F(Hostile, AvailIndexRunsAhead) {
    g.desc(0, kData, 1, 0, 0);
    g.publish(0, 0, 9); // 9 new entries in a queue of 8
    expect_broken();
}

TEST_F(Hostile, ZeroLengthBufferIsAllowed) {
    g.desc(0, kData, 0, 0, 0);
    g.publish(0, 0, 1);
    auto chain = q.pop();
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->readable_bytes(), 0u);
    EXPECT_FALSE(q.broken());
}

// The image slot (read-only) may hold what a driver transmits, never what it receives into.
TEST(Virtqueue, ReadOnlyRegionForReadableBuffersOnly) {
    Guest g;
    std::vector<uint8_t> image(0x2000, 'i');
    GuestMemory readonly(image.data(), image.size(), 0x1'0000'0000);
    Virtqueue q;
    ASSERT_TRUE(q.configure(g.memory, layout(), readonly));
    g.desc(0, 0x1'0000'0010, 4, 0, 0);
    g.publish(0, 0, 1);
    auto chain = q.pop();
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->buffers[0].bytes.data(), image.data() + 0x10);
    g.desc(1, 0x1'0000'0010, 4, Virtqueue::kDescWrite, 0);
    g.publish(1, 1, 2);
    EXPECT_FALSE(q.pop());
    EXPECT_TRUE(q.broken());
}

// Random rings: whatever the bytes, pop() returns in-bounds buffers or breaks the queue.
TEST_F(Hostile, RandomRingsStayInBounds) {
    uint64_t seed = 0x9e3779b97f4a7c15;
    auto next = [&seed] {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed;
    };
    for (int round = 0; round < 2000; round++) {
        for (uint64_t i = kDesc; i < kUsed + 0x100; i += 8) {
            uint64_t v = next();
            // Mostly small addresses and lengths, so some chains are valid.
            if (i < kAvail) v &= round % 2 ? 0x0000'0003'0000'ffffull : ~0ull;
            std::memcpy(g.bytes.data() + i, &v, 8);
        }
        Virtqueue fresh;
        ASSERT_TRUE(fresh.configure(g.memory, layout()));
        for (int k = 0; k < 10; k++) {
            auto chain = fresh.pop();
            if (!chain) break;
            ASSERT_LE(chain->buffers.size(), 8u);
            for (const VirtqBuffer& b : chain->buffers) {
                if (b.bytes.empty()) continue;
                ASSERT_GE(b.bytes.data(), g.bytes.data());
                ASSERT_LE(b.bytes.data() + b.bytes.size(), g.bytes.data() + g.bytes.size());
            }
            fresh.push_used(chain->head, 0);
        }
    }
}

// --- the transport and the console, driven like the kernel driver drives them ---

struct Mmio {
    Guest g;
    std::string output;
    std::vector<bool> irq_levels;
    VirtioConsole console{[this](std::string_view s) { output.append(s); }};
    VirtioMmio transport{console, g.memory, 0xd0000000, 5,
                         [this](bool level) { irq_levels.push_back(level); }};

    uint32_t read(uint64_t offset) {
        uint8_t data[4];
        transport.read(0xd0000000 + offset, data);
        uint32_t v;
        std::memcpy(&v, data, 4);
        return v;
    }
    void write(uint64_t offset, uint32_t value) {
        uint8_t data[4];
        std::memcpy(data, &value, 4);
        transport.write(0xd0000000 + offset, data);
    }
    // Queue `index` with its rings at `base` (descriptors, avail +0x400, used +0x800), or
    // where Guest's helpers write them.
    void setup_queue(unsigned index, uint64_t base, uint16_t size = 8) {
        setup_queue(index, base, base + 0x400, base + 0x800, size);
    }
    void setup_queue(unsigned index, uint64_t desc, uint64_t avail, uint64_t used,
                     uint16_t size = 8) {
        uint64_t base = desc;
        write(0x30, index);
        write(0x38, size);
        write(0x80, static_cast<uint32_t>(base));
        write(0x84, 0);
        write(0x90, static_cast<uint32_t>(avail));
        write(0x94, 0);
        write(0xa0, static_cast<uint32_t>(used));
        write(0xa4, 0);
        write(0x44, 1);
    }
    void start() {
        write(0x70, 0);
        write(0x70, 3);
        write(0x24, 1);
        write(0x20, 1); // VIRTIO_F_VERSION_1
        write(0x24, 0);
        write(0x20, 0);
        write(0x70, 3 | 8);
        setup_queue(0, 0x4000);
        setup_queue(1, kDesc, kAvail, kUsed);
        write(0x70, 3 | 8 | 4);
    }
};

TEST(VirtioMmio, IdentifiesAsConsole) {
    Mmio m;
    EXPECT_EQ(m.read(0x000), 0x74726976u);
    EXPECT_EQ(m.read(0x004), 2u);
    EXPECT_EQ(m.read(0x008), 3u);
    m.write(0x14, 1);
    EXPECT_EQ(m.read(0x010) & 1, 1u); // VERSION_1
    EXPECT_EQ(m.transport.cmdline_token(), "virtio_mmio.device=4K@0xd0000000:5");
}

TEST(VirtioMmio, RefusesFeaturesWithoutVersion1) {
    Mmio m;
    m.write(0x70, 3);
    m.write(0x70, 3 | 8);
    EXPECT_EQ(m.read(0x70) & 8, 0u);
}

TEST(VirtioMmio, QueueOutsideMemoryNeedsReset) {
    Mmio m;
    m.write(0x70, 3);
    m.write(0x24, 1);
    m.write(0x20, 1);
    m.write(0x70, 3 | 8);
    m.write(0x30, 1);
    m.write(0x38, 8);
    m.write(0x80, 0xfffff000);
    m.write(0x84, 0x7);
    m.write(0x44, 1);
    EXPECT_EQ(m.read(0x44), 0u);
    EXPECT_NE(m.read(0x70) & 64, 0u); // DEVICE_NEEDS_RESET
    m.write(0x50, 1);                  // a notify on it does nothing
    EXPECT_TRUE(m.output.empty());
}

TEST(VirtioMmio, OddAccessesAreHarmless) {
    Mmio m;
    uint8_t byte[1] = {0xff};
    m.transport.read(0xd0000000, byte); // a 1-byte register read reads 0
    EXPECT_EQ(byte[0], 0);
    m.transport.write(0xd0000072, byte);
    uint8_t wide[8];
    m.transport.read(0xd0000ff8, wide); // config space beyond its end
    m.write(0x30, 1000);                // queue select out of range
    EXPECT_EQ(m.read(0x34), 0u);
    m.write(0x44, 1);
    m.write(0x50, 1000);
}

TEST(VirtioConsole, TransmitsAChain) {
    Mmio m;
    m.start();
    std::memcpy(m.g.bytes.data() + kData, "hello, world", 12);
    m.g.desc(0, kData, 7, Virtqueue::kDescNext, 1);
    m.g.desc(1, kData + 7, 5, 0, 0);
    m.g.publish(0, 0, 1);
    m.write(0x50, 1);
    EXPECT_EQ(m.output, "hello, world");
    EXPECT_EQ(m.g.used_idx(), 1);
}

TEST(VirtioConsole, BrokenTransmitQueueNeedsReset) {
    Mmio m;
    m.start();
    m.g.desc(0, kData, 1, Virtqueue::kDescNext, 0);
    m.g.publish(0, 0, 1);
    m.write(0x50, 1);
    EXPECT_NE(m.read(0x70) & 64, 0u);
    EXPECT_NE(m.read(0x60) & 2, 0u); // configuration change interrupt
    EXPECT_TRUE(m.output.empty());
}

TEST(VirtioConsole, ReceivesInputThenEof) {
    Mmio m;
    m.start();
    // Two 4-byte receive buffers in the receive queue (rings at 0x4000).
    auto rx_desc = [&](uint16_t i, uint64_t addr, uint32_t len) {
        uint8_t* d = m.g.bytes.data() + 0x4000 + 16 * i;
        uint16_t flags = Virtqueue::kDescWrite, next = 0;
        std::memcpy(d, &addr, 8);
        std::memcpy(d + 8, &len, 4);
        std::memcpy(d + 12, &flags, 2);
        std::memcpy(d + 14, &next, 2);
    };
    auto rx_publish = [&](uint16_t slot, uint16_t head, uint16_t idx) {
        std::memcpy(m.g.bytes.data() + 0x4400 + 4 + 2 * slot, &head, 2);
        std::memcpy(m.g.bytes.data() + 0x4400 + 2, &idx, 2);
    };
    auto rx_used = [&](uint16_t slot) {
        uint32_t e[2];
        std::memcpy(e, m.g.bytes.data() + 0x4800 + 4 + 8 * slot, 8);
        return std::make_pair(e[0], e[1]);
    };
    rx_desc(0, kData, 4);
    rx_desc(1, kData + 4, 4);
    rx_publish(0, 0, 1);
    rx_publish(1, 1, 2);
    m.write(0x50, 0);
    m.console.add_input("abcdef");
    m.console.end_input();
    m.console.deliver(m.transport);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(m.g.bytes.data() + kData), 6), "abcdef");
    EXPECT_EQ(rx_used(0), std::make_pair(0u, 4u));
    EXPECT_EQ(rx_used(1), std::make_pair(1u, 2u));
    EXPECT_FALSE(m.console.input_finished()); // no buffer left for the EOF marker yet
    ASSERT_FALSE(m.irq_levels.empty());
    EXPECT_TRUE(m.irq_levels.back());
    m.write(0x64, m.read(0x60)); // acknowledge: the line drops
    EXPECT_FALSE(m.irq_levels.back());
    rx_publish(2, 0, 3);
    m.write(0x50, 0);
    EXPECT_EQ(rx_used(2), std::make_pair(0u, 0u)); // the EOF marker
    EXPECT_TRUE(m.console.input_finished());
}

} // namespace
} // namespace wisp::vmm
