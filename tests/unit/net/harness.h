// SPDX-License-Identifier: MIT
#pragma once

// One stack on a capture NIC, driven by hand-built frames: the scripted peer.
#include <gtest/gtest.h>

#include <vector>

#include "net/host/frames.h"
#include "net/host/host.h"
#include "net/stack.h"

namespace nettest {

using namespace wisp::net;
using namespace wisp::net::host;

inline constexpr MacAddress kStackMac{{0x02, 0, 0, 0, 0, 0x01}};
inline constexpr MacAddress kPeerMac{{0x02, 0, 0, 0, 0, 0x02}};
inline constexpr Ipv4Address kStackIp = Ipv4Address::from_octets(10, 0, 0, 2);
inline constexpr Ipv4Address kPeerIp = Ipv4Address::from_octets(10, 0, 0, 1);

inline StackConfig small_config() {
    StackConfig c;
    c.packet_budget_bytes = 4 * 1024 * 1024;
    c.max_tcp_sockets = 256;
    c.tcp_hash_buckets = 256;
    c.port_hash_buckets = 64;
    return c;
}

class Harness {
public:
    explicit Harness(const StackConfig& config = small_config(), bool learn_peer = true)
        : nic(kStackMac) {
        auto r = Stack::create(config, StackEnvironment{nic, clock, random, memory});
        if (r.is_error()) throw std::runtime_error("stack create");
        stack = r.value();
        stack->configure(InterfaceConfig{kStackIp, 24, Ipv4Address{}});
        if (learn_peer) stack->arp().add_permanent(kPeerIp, kPeerMac);
        nic.frames.clear();
    }
    ~Harness() {
        Stack::destroy(stack);
        EXPECT_EQ(memory.outstanding(), 0u);
    }

    void inject(const std::vector<uint8_t>& frame) {
        Packet p = make_rx_packet(stack->pool(), frame.data(), frame.size());
        ASSERT_TRUE(p);
        stack->receive_frame(std::move(p));
    }
    std::vector<ParsedFrame> take() {
        std::vector<ParsedFrame> out;
        for (auto& f : nic.frames) {
            ParsedFrame p;
            EXPECT_TRUE(parse_frame(f, p));
            out.push_back(p);
        }
        nic.frames.clear();
        return out;
    }
    void advance(uint64_t us) {
        clock.advance(us);
        stack->poll();
    }
    // Advances in steps to let every due timer fire.
    void advance_to_next_timer() {
        uint64_t d = stack->next_deadline_us();
        if (d == UINT64_MAX) return;
        clock.set(d);
        stack->poll();
    }

    HeapMemory memory;
    FakeClock clock;
    SeededRandom random{42};
    CaptureNic nic;
    Stack* stack = nullptr;
};

inline std::vector<uint8_t> bytes(const char* s) {
    return std::vector<uint8_t>(s, s + strlen(s));
}

} // namespace nettest
