// SPDX-License-Identifier: MIT
#pragma once

// Shared setup for the network stack's fuzz targets: a stack on a capture NIC with a fake
// clock, a TCP listener, a bound UDP socket and (optionally) one established connection, so
// fuzzed frames reach every protocol's parser and state machine.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vector>

#include "net/host/frames.h"
#include "net/host/host.h"
#include "net/stack.h"

namespace fuzz {

using namespace wisp::net;
using namespace wisp::net::host;

inline constexpr MacAddress kStackMac{{0x02, 0, 0, 0, 0, 0x01}};
inline constexpr MacAddress kPeerMac{{0x02, 0, 0, 0, 0, 0x02}};
inline constexpr Ipv4Address kStackIp = Ipv4Address::from_octets(10, 0, 0, 2);
inline constexpr Ipv4Address kPeerIp = Ipv4Address::from_octets(10, 0, 0, 1);

// Pulls bytes off the fuzzer's input.
class Input {
public:
    Input(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}
    bool empty() const { return m_pos >= m_size; }
    uint8_t byte() { return m_pos < m_size ? m_data[m_pos++] : 0; }
    uint16_t u16() { return uint16_t(byte() << 8 | byte()); }
    uint32_t u32() { return uint32_t(u16()) << 16 | u16(); }
    std::vector<uint8_t> bytes(size_t n) {
        if (n > m_size - m_pos) n = m_size - m_pos;
        std::vector<uint8_t> v(m_data + m_pos, m_data + m_pos + n);
        m_pos += n;
        return v;
    }

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_pos = 0;
};

struct World {
    HeapMemory memory;
    FakeClock clock;
    SeededRandom random{1};
    CaptureNic nic{kStackMac};
    Stack* stack = nullptr;
    Socket* listener = nullptr;
    Socket* udp = nullptr;
    Socket* conn = nullptr;  // the accepted side of an established connection
    uint16_t peer_port = 40000;
    uint32_t peer_seq = 1000;
    uint32_t stack_seq = 0;

    explicit World(bool establish) {
        StackConfig c;
        c.packet_budget_bytes = 1 << 20;
        c.max_tcp_sockets = 64;
        c.max_udp_sockets = 8;
        c.tcp_hash_buckets = 64;
        c.port_hash_buckets = 16;
        c.reassembly.max_total_buffers = 64;
        stack = Stack::create(c, StackEnvironment{nic, clock, random, memory}).value();
        stack->configure(InterfaceConfig{kStackIp, 24, Ipv4Address{}});
        stack->arp().add_permanent(kPeerIp, kPeerMac);
        listener = stack->socket(SocketType::Tcp).value();
        (void)stack->bind(listener, Endpoint{{}, 80});
        (void)stack->listen(listener, 4);
        udp = stack->socket(SocketType::Udp).value();
        (void)stack->bind(udp, Endpoint{{}, 53});
        if (establish) handshake();
        nic.frames.clear();
    }
    ~World() { Stack::destroy(stack); }

    void inject(const std::vector<uint8_t>& frame) {
        Packet p = make_rx_packet(stack->pool(), frame.data(), frame.size());
        if (p) stack->receive_frame(std::move(p));
    }

    void handshake() {
        TcpSegmentSpec syn;
        syn.src_mac = kPeerMac;
        syn.dst_mac = kStackMac;
        syn.src = kPeerIp;
        syn.dst = kStackIp;
        syn.sport = peer_port;
        syn.dport = 80;
        syn.seq = peer_seq;
        syn.flags = kTcpSyn;
        syn.options.mss = 1460;
        syn.options.window_scale = 2;
        syn.options.sack_permitted = true;
        syn.options.timestamp = true;
        syn.options.ts_value = 1;
        inject(build_tcp_frame(syn));
        ParsedFrame sa;
        if (nic.frames.empty() || !parse_frame(nic.frames.back(), sa)) return;
        stack_seq = sa.seq() + 1;
        peer_seq += 1;
        TcpSegmentSpec ack = syn;
        ack.flags = kTcpAck;
        ack.seq = peer_seq;
        ack.ack = stack_seq;
        ack.options = TcpOptionsOut{};
        ack.options.timestamp = true;
        ack.options.ts_value = 2;
        ack.options.ts_echo = sa.tcp_options.ts_value;
        inject(build_tcp_frame(ack));
        auto r = stack->accept(listener, nullptr);
        if (r) conn = r.value();
    }

    // Lets the application side react (read, write, close) as a fuzzed program would.
    void application_step(uint8_t action) {
        if (!conn) return;
        uint8_t buf[4096];
        switch (action % 6) {
        case 0:
            (void)stack->receive(conn, std::span<uint8_t>(buf));
            break;
        case 1: {
            memset(buf, 'x', sizeof(buf));
            (void)stack->send(conn, std::span<const uint8_t>(buf, size_t(action) * 16));
            break;
        }
        case 2:
            (void)stack->shutdown(conn, ShutdownHow::Write);
            break;
        case 3:
            clock.advance(uint64_t(action) * 10'000);
            stack->poll();
            break;
        case 4:
            (void)stack->poll_events(conn);
            break;
        default:
            clock.advance(1'000'000);
            stack->poll();
            break;
        }
        nic.frames.clear();
    }
};

} // namespace fuzz
