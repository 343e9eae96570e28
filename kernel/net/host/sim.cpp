// SPDX-License-Identifier: MIT
#include "net/host/sim.h"

#include <string.h>

#include <stdexcept>

#include "net/ethernet.h"

namespace wisp::net::host {

class Simulation::Host::SimNic final : public Nic {
public:
    SimNic(Simulation& sim, size_t index, MacAddress mac) : m_sim(sim), m_index(index), m_mac(mac) {}
    MacAddress mac_address() const override { return m_mac; }
    uint16_t mtu() const override { return 1500; }
    uint16_t tx_headroom() const override { return 12; } // like virtio_net_hdr
    void transmit(Packet&& frame) override { m_sim.transmit(m_index, std::move(frame)); }

private:
    Simulation& m_sim;
    size_t m_index;
    MacAddress m_mac;
};

Simulation::Host::~Host() {
    if (stack) Stack::destroy(stack);
}

Simulation::Simulation(uint64_t seed, LinkConditions conditions)
    : m_random(seed), m_conditions(conditions) {}

Simulation::~Simulation() {
    // Stacks first (they own packets), while every host's memory source still exists.
    for (auto& h : m_hosts) {
        if (h->stack) Stack::destroy(h->stack);
        h->stack = nullptr;
    }
}

StackConfig Simulation::default_config() {
    StackConfig c;
    c.packet_budget_bytes = 32 * 1024 * 1024;
    return c;
}

Simulation::Host& Simulation::add_host(Ipv4Address address, const StackConfig& config,
                                       uint8_t prefix_length) {
    size_t index = m_hosts.size();
    auto host = std::make_unique<Host>();
    host->random = SeededRandom(m_random.next());
    host->mac = MacAddress{{0x02, 0x00, 0x00, 0x00, 0x00, uint8_t(index + 1)}};
    host->nic = std::make_unique<Host::SimNic>(*this, index, host->mac);
    auto stack = Stack::create(config, StackEnvironment{*host->nic, m_clock, host->random,
                                                        host->memory});
    if (stack.is_error()) throw std::runtime_error("Stack::create failed");
    host->stack = stack.value();
    m_hosts.push_back(std::move(host));
    m_hosts.back()->stack->configure(InterfaceConfig{address, prefix_length, Ipv4Address{}});
    return *m_hosts.back();
}

void Simulation::transmit(size_t from, Packet&& frame) {
    Host& h = *m_hosts[from];
    h.frames_sent++;
    InFlight f;
    f.from = from;
    f.bytes.resize(frame.total_length());
    frame.copy_out(0, f.bytes.data(), f.bytes.size());
    frame.reset(); // the "device" is done with the buffer
    if (filter && !filter(from, f.bytes)) {
        m_lost++;
        return;
    }
    uint64_t now = m_clock.now_us();
    uint64_t start = now;
    if (m_conditions.bandwidth_bps) {
        start = h.link_free_us > now ? h.link_free_us : now;
        uint64_t serialize = (f.bytes.size() + 24) * 8 * 1'000'000 / m_conditions.bandwidth_bps;
        h.link_free_us = start + serialize;
        start = h.link_free_us;
    }
    if (m_conditions.loss > 0 && m_random.next_double() < m_conditions.loss) {
        m_lost++;
        h.frames_dropped++;
        return;
    }
    uint64_t due = start + m_conditions.delay_us;
    if (m_conditions.jitter_us) due += m_random.next() % (m_conditions.jitter_us + 1);
    if (m_conditions.reorder > 0 && m_random.next_double() < m_conditions.reorder)
        due += m_conditions.reorder_delay_us;
    bool dup = m_conditions.duplicate > 0 && m_random.next_double() < m_conditions.duplicate;
    f.due = due;
    f.order = m_order++;
    if (dup) {
        InFlight copy = f;
        copy.order = m_order++;
        copy.due = due + 1 + m_random.next() % (m_conditions.delay_us + 1);
        m_queue.push(std::move(copy));
    }
    m_queue.push(std::move(f));
}

void Simulation::deliver(const InFlight& f) {
    const auto* eth = ByteView(f.bytes.data(), f.bytes.size()).header_at<EthernetHeader>();
    if (!eth) return;
    for (size_t i = 0; i < m_hosts.size(); i++) {
        if (i == f.from) continue;
        Host& h = *m_hosts[i];
        if (!eth->destination.is_broadcast() && eth->destination != h.mac) continue;
        Packet p = make_rx_packet(h.stack->pool(), f.bytes.data(), f.bytes.size());
        if (!p) {
            h.frames_dropped++;
            continue; // receive ring empty
        }
        m_delivered++;
        h.stack->receive_frame(std::move(p));
    }
}

bool Simulation::step_now() {
    bool any = false;
    uint64_t now = m_clock.now_us();
    while (!m_queue.empty() && m_queue.top().due <= now) {
        InFlight f = m_queue.top();
        m_queue.pop();
        deliver(f);
        any = true;
    }
    for (auto& h : m_hosts) {
        if (h->stack->next_deadline_us() <= now) {
            h->stack->poll();
            any = true;
        }
    }
    return any;
}

uint64_t Simulation::next_event() const {
    uint64_t next = m_queue.empty() ? UINT64_MAX : m_queue.top().due;
    for (auto& h : m_hosts) {
        uint64_t d = h->stack->next_deadline_us();
        if (d < next) next = d;
    }
    return next;
}

bool Simulation::run_until(const std::function<bool()>& done, uint64_t limit_us) {
    uint64_t end = m_clock.now_us() + limit_us;
    uint64_t spins = 0;
    uint64_t last_time = m_clock.now_us();
    while (!done()) {
        if (step_now()) {
            // Frames bouncing forever without time passing would be a stack bug (an ACK
            // storm); stop rather than hang the test.
            if (m_clock.now_us() != last_time) {
                last_time = m_clock.now_us();
                spins = 0;
            } else if (++spins > 5'000'000) {
                throw std::runtime_error("simulation: no progress in time (frame storm?)");
            }
            continue;
        }
        uint64_t next = next_event();
        if (next == UINT64_MAX || next > end) {
            m_clock.set(end > m_clock.now_us() ? end : m_clock.now_us());
            return done();
        }
        if (next > m_clock.now_us()) m_clock.set(next);
    }
    return true;
}

void Simulation::run_for(uint64_t duration_us) {
    run_until([] { return false; }, duration_us);
}

} // namespace wisp::net::host
