// SPDX-License-Identifier: MIT
#pragma once

// Several stacks on one simulated Ethernet segment, in one process, on one fake clock: the
// link delays, loses, duplicates and reorders frames from a seeded generator, so a failing
// run can be replayed exactly. Host-only.
#include <stdint.h>

#include <functional>
#include <memory>
#include <queue>
#include <vector>

#include "net/host/host.h"
#include "net/stack.h"

namespace wisp::net::host {

struct LinkConditions {
    double loss = 0;          // probability a frame is dropped
    double duplicate = 0;     // probability a frame is delivered twice
    double reorder = 0;       // probability a frame is held back by reorder_delay_us
    uint64_t delay_us = 0;    // one-way propagation delay
    uint64_t jitter_us = 0;   // uniform extra delay 0..jitter (does not reorder by itself
                              // unless larger than the gap between frames)
    uint64_t reorder_delay_us = 0;
    uint64_t bandwidth_bps = 0; // 0 = unlimited; else frames are serialized per sender
};

class Simulation {
public:
    struct Host {
        HeapMemory memory;
        SeededRandom random{0};
        Stack* stack = nullptr;
        MacAddress mac;
        uint64_t link_free_us = 0; // when this host's transmitter is idle (bandwidth model)
        uint64_t frames_sent = 0;
        uint64_t frames_dropped = 0;
        class SimNic;
        std::unique_ptr<SimNic> nic;
        ~Host();
    };

    Simulation(uint64_t seed, LinkConditions conditions);
    ~Simulation();

    // Adds a stack with a static address (prefix /24 unless given) on this segment.
    Host& add_host(Ipv4Address address, const StackConfig& config = default_config(),
                   uint8_t prefix_length = 24);
    static StackConfig default_config();

    FakeClock& clock() { return m_clock; }
    uint64_t now() const { return m_clock.now_us(); }
    LinkConditions& conditions() { return m_conditions; }
    // Sees (and may edit) each frame as it is sent; return false to drop it.
    std::function<bool(size_t from_host, std::vector<uint8_t>& frame)> filter;

    // Runs until `done` returns true or `limit_us` of simulated time passed. Returns done().
    bool run_until(const std::function<bool()>& done, uint64_t limit_us);
    void run_for(uint64_t duration_us);
    // Delivers all frames due now and runs due timers; returns whether anything happened.
    bool step_now();

    uint64_t frames_delivered() const { return m_delivered; }
    uint64_t frames_lost() const { return m_lost; }

private:
    struct InFlight {
        uint64_t due;
        uint64_t order;
        size_t from;
        std::vector<uint8_t> bytes;
        bool operator>(const InFlight& o) const {
            return due != o.due ? due > o.due : order > o.order;
        }
    };
    void transmit(size_t from, Packet&& frame);
    void deliver(const InFlight& f);
    uint64_t next_event() const;

    FakeClock m_clock;
    SeededRandom m_random;
    LinkConditions m_conditions;
    std::vector<std::unique_ptr<Host>> m_hosts;
    std::priority_queue<InFlight, std::vector<InFlight>, std::greater<InFlight>> m_queue;
    uint64_t m_order = 0;
    uint64_t m_delivered = 0;
    uint64_t m_lost = 0;
};

} // namespace wisp::net::host
