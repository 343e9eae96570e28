// SPDX-License-Identifier: MIT
#pragma once

// Two (or more) stacks on the simulated link: helpers for connection tests.
#include <gtest/gtest.h>

#include <vector>

#include "net/host/frames.h"
#include "net/host/sim.h"
#include "net/stack.h"

namespace nettest {

using namespace wisp::net;
using namespace wisp::net::host;

inline constexpr Ipv4Address kIpA = Ipv4Address::from_octets(10, 0, 0, 1);
inline constexpr Ipv4Address kIpB = Ipv4Address::from_octets(10, 0, 0, 2);

inline std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
    std::vector<uint8_t> v(n);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v[i] = uint8_t(x);
    }
    return v;
}

// Sends as much of `data` from offset `sent` as the socket takes.
inline void pump_send(Stack& st, Socket* s, const std::vector<uint8_t>& data, size_t& sent) {
    while (sent < data.size()) {
        auto r = st.send(s, std::span<const uint8_t>(data.data() + sent, data.size() - sent));
        if (r.is_error()) {
            EXPECT_EQ(r.error().code, wisp::Errno::AGAIN);
            return;
        }
        sent += r.value();
    }
}

// Reads everything available; returns false at EOF.
inline bool pump_receive(Stack& st, Socket* s, std::vector<uint8_t>& out) {
    uint8_t buf[16384];
    while (true) {
        auto r = st.receive(s, std::span<uint8_t>(buf));
        if (r.is_error()) {
            EXPECT_EQ(r.error().code, wisp::Errno::AGAIN);
            return true;
        }
        if (r.value() == 0) return false;
        out.insert(out.end(), buf, buf + r.value());
    }
}

struct Pair {
    Simulation sim;
    Simulation::Host* a;
    Simulation::Host* b;
    Pair(uint64_t seed, LinkConditions c, const StackConfig& config = Simulation::default_config())
        : sim(seed, c) {
        a = &sim.add_host(kIpA, config);
        b = &sim.add_host(kIpB, config);
    }
    Stack& A() { return *a->stack; }
    Stack& B() { return *b->stack; }

    // B listens on `port`; A connects; returns {client on A, accepted on B}.
    std::pair<Socket*, Socket*> connect(uint16_t port, uint64_t limit_us = 60'000'000) {
        Socket* l = B().socket(SocketType::Tcp).value();
        EXPECT_TRUE(B().bind(l, Endpoint{Ipv4Address{}, port}));
        EXPECT_TRUE(B().listen(l, 16));
        Socket* c = A().socket(SocketType::Tcp).value();
        auto r = A().connect(c, Endpoint{kIpB, port});
        EXPECT_EQ(r.error().code, wisp::Errno::INPROGRESS);
        Socket* accepted = nullptr;
        sim.run_until([&] {
            if (!accepted) {
                auto x = B().accept(l, nullptr);
                if (x) accepted = x.value();
            }
            return accepted && (A().poll_events(c) & kPollOut);
        }, limit_us);
        B().close(l);
        return {c, accepted};
    }
};

} // namespace nettest
