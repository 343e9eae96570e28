// SPDX-License-Identifier: MIT
#pragma once

// Host implementations of the stack's platform interfaces, for unit tests, fuzzers, the
// benchmarks and the TAP tool. Host-only (ordinary C++: containers, exceptions).
#include <stdint.h>

#include <deque>
#include <vector>

#include "net/packet.h"
#include "net/platform.h"

namespace wisp::net::host {

// malloc-backed memory with a count of what is outstanding.
class HeapMemory final : public MemorySource {
public:
    void* allocate(size_t size, size_t alignment) override;
    void release(void* memory, size_t size) override;
    size_t outstanding() const { return m_outstanding; }

private:
    size_t m_outstanding = 0;
};

class FakeClock final : public Clock {
public:
    explicit FakeClock(uint64_t start_us = 1'000'000) : m_now(start_us) {}
    uint64_t now_us() const override { return m_now; }
    void set(uint64_t us) { m_now = us; }
    void advance(uint64_t us) { m_now += us; }

private:
    uint64_t m_now;
};

class MonotonicClock final : public Clock {
public:
    uint64_t now_us() const override;
};

// Deterministic bits for tests (splitmix64). Not a CSPRNG: tests want reproducibility.
class SeededRandom final : public RandomSource {
public:
    explicit SeededRandom(uint64_t seed) : m_state(seed) {}
    void fill(void* buffer, size_t length) override;
    uint64_t next();
    double next_double() { return double(next() >> 11) / double(1ull << 53); }

private:
    uint64_t m_state;
};

// getrandom(2).
class SystemRandom final : public RandomSource {
public:
    void fill(void* buffer, size_t length) override;
};

// A NIC that keeps every transmitted frame (scripted-peer tests, fuzzers).
class CaptureNic final : public Nic {
public:
    explicit CaptureNic(MacAddress mac, uint16_t mtu = 1500) : m_mac(mac), m_mtu(mtu) {}
    MacAddress mac_address() const override { return m_mac; }
    uint16_t mtu() const override { return m_mtu; }
    void transmit(Packet&& frame) override;

    std::deque<std::vector<uint8_t>> frames;

private:
    MacAddress m_mac;
    uint16_t m_mtu;
};

// Copies `bytes` into a fresh receive buffer of `pool` (as a NIC's DMA would). Null Packet
// when the pool is empty.
Packet make_rx_packet(PacketPool& pool, const uint8_t* bytes, size_t length);

} // namespace wisp::net::host
