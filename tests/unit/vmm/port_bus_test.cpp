// SPDX-License-Identifier: MIT
#include "devices/port_bus.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include <wisp/abi/platform.h>

namespace wisp::vmm {
namespace {

// A fake kvm_run mapping: the kvm_run struct followed by the PIO data page, like KVM's.
struct FakeRun {
    static constexpr size_t kSize = 3 * 4096;
    static constexpr uint64_t kDataOffset = 4096;
    std::vector<uint8_t> bytes = std::vector<uint8_t>(kSize);
    kvm_run* run() { return reinterpret_cast<kvm_run*>(bytes.data()); }

    PioAccess out(uint16_t port, uint8_t size, std::string_view data) {
        run()->io.direction = KVM_EXIT_IO_OUT;
        run()->io.port = port;
        run()->io.size = size;
        run()->io.count = static_cast<uint32_t>(data.size() / size);
        run()->io.data_offset = kDataOffset;
        std::memcpy(bytes.data() + kDataOffset, data.data(), data.size());
        return decode_pio(run(), kSize).value();
    }
    PioAccess in(uint16_t port, uint8_t size, uint32_t count = 1) {
        run()->io.direction = KVM_EXIT_IO_IN;
        run()->io.port = port;
        run()->io.size = size;
        run()->io.count = count;
        run()->io.data_offset = kDataOffset;
        return decode_pio(run(), kSize).value();
    }
    uint8_t data(size_t i) const { return bytes[kDataOffset + i]; }
};

struct Bus {
    std::vector<std::string> out, err;
    PortBus bus{[this](std::string_view s) { out.emplace_back(s); },
                [this](std::string_view s) { err.emplace_back(s); }};
};

TEST(DecodePio, AcceptsDataInsideTheMapping) {
    FakeRun fake;
    fake.run()->io = {KVM_EXIT_IO_OUT, 1, 0x3f8, 4096, FakeRun::kDataOffset};
    auto access = decode_pio(fake.run(), FakeRun::kSize);
    ASSERT_TRUE(access);
    EXPECT_EQ(access->data.size(), 4096u);
    EXPECT_EQ(access->data.data(), fake.bytes.data() + FakeRun::kDataOffset);
    EXPECT_TRUE(access->is_write);
    // Exactly up to the end of the mapping is fine.
    fake.run()->io = {KVM_EXIT_IO_OUT, 4, 0x3f8, 1024, FakeRun::kSize - 4096};
    EXPECT_TRUE(decode_pio(fake.run(), FakeRun::kSize));
}

TEST(DecodePio, RejectsDataOutsideTheMapping) {
    FakeRun fake;
    fake.run()->io = {KVM_EXIT_IO_OUT, 1, 0x3f8, 1, FakeRun::kSize};
    EXPECT_FALSE(decode_pio(fake.run(), FakeRun::kSize)); // starts at the end
    fake.run()->io = {KVM_EXIT_IO_OUT, 1, 0x3f8, 2, FakeRun::kSize - 1};
    EXPECT_FALSE(decode_pio(fake.run(), FakeRun::kSize)); // runs one byte past
    fake.run()->io = {KVM_EXIT_IO_OUT, 4, 0x3f8, 0xffff'ffff, FakeRun::kDataOffset};
    EXPECT_FALSE(decode_pio(fake.run(), FakeRun::kSize)); // size * count is huge
    fake.run()->io = {KVM_EXIT_IO_OUT, 1, 0x3f8, 1, ~0ull - 2};
    EXPECT_FALSE(decode_pio(fake.run(), FakeRun::kSize)); // offset + length wraps
    fake.run()->io = {KVM_EXIT_IO_OUT, 3, 0x3f8, 1, FakeRun::kDataOffset};
    EXPECT_FALSE(decode_pio(fake.run(), FakeRun::kSize)); // no 3-byte port access
    fake.run()->io = {KVM_EXIT_IO_OUT, 1, 0x3f8, 1, FakeRun::kDataOffset};
    EXPECT_FALSE(decode_pio(fake.run(), sizeof(kvm_run) - 1)); // mapping smaller than kvm_run
}

TEST(PortBus, StringOutputIsOneChunk) {
    FakeRun fake;
    Bus b;
    b.bus.handle(fake.out(abi::kPortCom1, 1, "hello, world\n"));
    b.bus.handle(fake.out(abi::kPortCom2, 1, "oops\n"));
    ASSERT_EQ(b.out.size(), 1u);
    EXPECT_EQ(b.out[0], "hello, world\n");
    ASSERT_EQ(b.err.size(), 1u);
    EXPECT_EQ(b.err[0], "oops\n");
    EXPECT_FALSE(b.bus.exit_value());
}

TEST(PortBus, SingleBytesAndWideWrites) {
    FakeRun fake;
    Bus b;
    b.bus.handle(fake.out(abi::kPortCom1, 1, "a"));
    // outw to the data register: the low byte is data, the high byte goes to IER (port + 1).
    b.bus.handle(fake.out(abi::kPortCom1, 2, "bc"));
    std::string all;
    for (auto& s : b.out)
        all += s;
    EXPECT_EQ(all, "ab");
    b.bus.handle(fake.in(abi::kPortCom1 + 1, 1));
    EXPECT_EQ(fake.data(0), 'c' & 0x0f); // IER keeps its 4 defined bits
}

TEST(PortBus, UartRegisters) {
    FakeRun fake;
    Bus b;
    b.bus.handle(fake.in(abi::kPortCom1 + 5, 1));
    EXPECT_EQ(fake.data(0), 0x60); // LSR: THRE | TEMT, always ready
    b.bus.handle(fake.in(abi::kPortCom2 + 5, 1));
    EXPECT_EQ(fake.data(0), 0x60);
    b.bus.handle(fake.in(abi::kPortCom1, 1));
    EXPECT_EQ(fake.data(0), 0); // nothing received
    b.bus.handle(fake.in(abi::kPortCom1 + 2, 1));
    EXPECT_EQ(fake.data(0), 0x01); // IIR: no interrupt pending
    b.bus.handle(fake.out(abi::kPortCom1 + 7, 1, "\x5a"));
    b.bus.handle(fake.in(abi::kPortCom1 + 7, 1));
    EXPECT_EQ(fake.data(0), 0x5a); // scratch register
}

TEST(PortBus, DivisorLatchWritesAreNotOutput) {
    FakeRun fake;
    Bus b;
    b.bus.handle(fake.out(abi::kPortCom1 + 3, 1, "\x80")); // LCR.DLAB
    b.bus.handle(fake.out(abi::kPortCom1, 1, "\x01"));     // divisor low byte
    b.bus.handle(fake.out(abi::kPortCom1 + 3, 1, "\x03")); // 8N1, DLAB off
    b.bus.handle(fake.out(abi::kPortCom1, 1, "x"));
    ASSERT_EQ(b.out.size(), 1u);
    EXPECT_EQ(b.out[0], "x");
}

TEST(PortBus, UnknownPorts) {
    FakeRun fake;
    Bus b;
    b.bus.handle(fake.in(0x60, 4));
    EXPECT_EQ(fake.data(0), 0xff);
    EXPECT_EQ(fake.data(3), 0xff);
    b.bus.handle(fake.in(0x70, 1, 16)); // rep insb
    EXPECT_EQ(fake.data(15), 0xff);
    b.bus.handle(fake.out(0x80, 1, "x"));
    EXPECT_TRUE(b.out.empty());
    EXPECT_FALSE(b.bus.exit_value());
}

TEST(PortBus, DebugExit) {
    FakeRun fake;
    Bus b;
    b.bus.handle(fake.out(abi::kPortDebugExit, 2, std::string("\x2a\x01", 2)));
    ASSERT_TRUE(b.bus.exit_value());
    EXPECT_EQ(*b.bus.exit_value(), 0x12au); // the value itself, not QEMU's (v << 1) | 1
    Bus c;
    c.bus.handle(fake.out(abi::kPortDebugExit, 1, std::string("\0", 1)));
    ASSERT_TRUE(c.bus.exit_value());
    EXPECT_EQ(*c.bus.exit_value(), 0u);
}

TEST(PortBus, ControlChannel) {
    FakeRun fake;
    Bus b;
    b.bus.handle(fake.out(abi::kPortCom3, 1, "exit=3\nt.main=12"));
    b.bus.handle(fake.out(abi::kPortCom3, 1, "34\n"));
    EXPECT_EQ(b.bus.control().records().at("exit"), "3");
    EXPECT_EQ(b.bus.control().records().at("t.main"), "1234");
    EXPECT_TRUE(b.out.empty());
    EXPECT_TRUE(b.err.empty());
}

} // namespace
} // namespace wisp::vmm
