// SPDX-License-Identifier: MIT
// wisp-netstack-bench: measurements of the network stack on the host.
//
//   wisp-netstack-bench throughput BYTES   two stacks in one process over an in-memory link:
//                                          one bulk TCP transfer, wall-clock MB/s
//   wisp-netstack-bench rx SEGMENTS        fast path of one in-order data segment arriving
//   wisp-netstack-bench tx SEGMENTS        fast path of one full segment sent by send()
//
// rx/tx are meant to run under `valgrind --tool=callgrind --collect-atstart=no`: the
// measured calls are bracketed with CALLGRIND_START/STOP_INSTRUMENTATION-free toggles
// (CALLGRIND_TOGGLE_COLLECT), so the instruction count covers exactly the stack's work per
// segment (not frame building, not the NIC copy). Outside valgrind they just run.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include <string>
#include <vector>

#include "net/host/frames.h"
#include "net/host/host.h"
#include "net/host/sim.h"
#include "net/stack.h"

using namespace wisp::net;
using namespace wisp::net::host;

namespace {

double now_s() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

int throughput(uint64_t bytes) {
    StackConfig cfg = Simulation::default_config();
    cfg.tcp.send_buffer = 1 << 20;
    cfg.tcp.receive_buffer = 1 << 20;
    Simulation sim(1, LinkConditions{});
    auto& a = sim.add_host(Ipv4Address::from_octets(10, 0, 0, 1), cfg);
    auto& b = sim.add_host(Ipv4Address::from_octets(10, 0, 0, 2), cfg);
    Socket* l = b.stack->socket(SocketType::Tcp).value();
    (void)b.stack->bind(l, Endpoint{{}, 9});
    (void)b.stack->listen(l, 4);
    Socket* c = a.stack->socket(SocketType::Tcp).value();
    (void)a.stack->connect(c, Endpoint{Ipv4Address::from_octets(10, 0, 0, 2), 9});
    Socket* s = nullptr;
    sim.run_until([&] {
        if (auto r = b.stack->accept(l, nullptr)) s = r.value();
        return s != nullptr;
    }, 10'000'000);
    if (!s) return 1;
    std::vector<uint8_t> chunk(65536, 'x'), sink(65536);
    uint64_t sent = 0, received = 0;
    double start = now_s();
    sim.run_until([&] {
        while (sent < bytes) {
            size_t n = size_t(std::min<uint64_t>(chunk.size(), bytes - sent));
            auto r = a.stack->send(c, std::span<const uint8_t>(chunk.data(), n));
            if (r.is_error()) break;
            sent += r.value();
        }
        while (true) {
            auto r = b.stack->receive(s, std::span<uint8_t>(sink));
            if (r.is_error() || r.value() == 0) break;
            received += r.value();
        }
        return received >= bytes;
    }, 3'600'000'000ull);
    double elapsed = now_s() - start;
    const TcpStats& st = a.stack->tcp().stats();
    printf("throughput: %llu bytes in %.3f s = %.1f MB/s (%.0f segments/s, both stacks on one core)\n",
           (unsigned long long)received, elapsed, double(received) / elapsed / 1e6,
           double(st.segments_sent) / elapsed);
    return received >= bytes ? 0 : 1;
}

// One stack on a NIC that discards what it sends, talking to a scripted peer.
class NullNic final : public Nic {
public:
    MacAddress mac_address() const override { return {{0x02, 0, 0, 0, 0, 1}}; }
    uint16_t mtu() const override { return 1500; }
    uint16_t tx_headroom() const override { return 12; }
    void transmit(Packet&& frame) override {
        last_length = frame.total_length();
        if (keep) {
            last.resize(last_length);
            frame.copy_out(0, last.data(), last_length);
        }
        frames++;
    }
    bool keep = true;
    size_t last_length = 0;
    uint64_t frames = 0;
    std::vector<uint8_t> last;
};

struct Fixture {
    HeapMemory memory;
    FakeClock clock;
    SeededRandom random{7};
    NullNic nic;
    Stack* stack;
    Socket* conn = nullptr;
    const MacAddress peer_mac{{0x02, 0, 0, 0, 0, 2}};
    const Ipv4Address ip = Ipv4Address::from_octets(10, 0, 0, 2);
    const Ipv4Address peer = Ipv4Address::from_octets(10, 0, 0, 1);
    uint32_t peer_seq = 1000;
    uint32_t stack_seq = 0;
    uint32_t ts = 100;

    Fixture() {
        StackConfig cfg;
        cfg.tcp.send_buffer = 4 << 20;
        cfg.tcp.receive_buffer = 4 << 20;
        cfg.packet_budget_bytes = 64 << 20;
        stack = Stack::create(cfg, StackEnvironment{nic, clock, random, memory}).value();
        stack->configure(InterfaceConfig{ip, 24, {}});
        stack->arp().add_permanent(peer, peer_mac);
        Socket* l = stack->socket(SocketType::Tcp).value();
        (void)stack->bind(l, Endpoint{{}, 80});
        (void)stack->listen(l, 4);
        stack->tcp().set_next_isn_for_testing(5000);
        TcpSegmentSpec syn = spec(kTcpSyn, {});
        syn.options.mss = 1460;
        syn.options.window_scale = 7;
        syn.options.sack_permitted = true;
        inject(build_tcp_frame(syn));
        peer_seq++;
        stack_seq = 5001;
        inject(build_tcp_frame(spec(kTcpAck, {})));
        conn = stack->accept(l, nullptr).value();
        stack->close(l);
    }
    ~Fixture() { Stack::destroy(stack); }

    TcpSegmentSpec spec(uint8_t flags, std::vector<uint8_t> payload) {
        TcpSegmentSpec s;
        s.src_mac = peer_mac;
        s.dst_mac = nic.mac_address();
        s.src = peer;
        s.dst = ip;
        s.sport = 40000;
        s.dport = 80;
        s.seq = peer_seq;
        s.ack = stack_seq;
        s.flags = flags;
        s.window = 65535;
        s.options.timestamp = true;
        s.options.ts_value = ts++;
        s.payload = std::move(payload);
        return s;
    }
    Packet rx(const std::vector<uint8_t>& frame) {
        return make_rx_packet(stack->pool(), frame.data(), frame.size());
    }
    void inject(const std::vector<uint8_t>& frame) { stack->receive_frame(rx(frame)); }
};

int rx_bench(uint64_t segments) {
    Fixture f;
    f.nic.keep = false;
    // Pre-build the frames: only the stack's work is measured.
    std::vector<std::vector<uint8_t>> frames;
    for (uint64_t i = 0; i < segments; i++) {
        frames.push_back(build_tcp_frame(f.spec(kTcpAck | kTcpPsh, std::vector<uint8_t>(1448, 'r'))));
        f.peer_seq += 1448;
    }
    uint8_t sink[65536];
    uint64_t acks_before = f.nic.frames;
    for (auto& frame : frames) {
        Packet p = f.rx(frame); // the NIC's copy into a receive buffer: not measured
        CALLGRIND_TOGGLE_COLLECT;
        f.stack->receive_frame(std::move(p));
        CALLGRIND_TOGGLE_COLLECT;
        (void)f.stack->receive(f.conn, std::span<uint8_t>(sink)); // the application: not measured
    }
    printf("rx: %llu data segments received, %llu ACKs sent\n", (unsigned long long)segments,
           (unsigned long long)(f.nic.frames - acks_before));
    return 0;
}

int tx_bench(uint64_t segments) {
    Fixture f;
    f.nic.keep = false;
    (void)f.stack->set_option(f.conn, SocketOption::NoDelay, 1);
    std::vector<uint8_t> data(1448, 't');
    uint64_t sent_frames = 0;
    std::vector<std::vector<uint8_t>> acks;
    uint32_t acked = f.stack_seq;
    for (uint64_t i = 0; i < segments; i++) {
        uint64_t before = f.nic.frames;
        CALLGRIND_TOGGLE_COLLECT;
        auto r = f.stack->send(f.conn, std::span<const uint8_t>(data));
        CALLGRIND_TOGGLE_COLLECT;
        if (r.is_error() || r.value() != data.size()) {
            fprintf(stderr, "tx: send failed at segment %llu\n", (unsigned long long)i);
            return 1;
        }
        sent_frames += f.nic.frames - before;
        // The peer acknowledges every second segment (not measured here; see "ack").
        if (i % 2 == 1) {
            acked += 2 * 1448;
            f.stack_seq = acked;
            f.inject(build_tcp_frame(f.spec(kTcpAck, {})));
        }
    }
    printf("tx: %llu send() calls of 1448 bytes, %llu segments sent\n",
           (unsigned long long)segments, (unsigned long long)sent_frames);
    return 0;
}

int ack_bench(uint64_t segments) {
    // Pure ACKs arriving for data in flight (the other half of the transmit path).
    Fixture f;
    f.nic.keep = false;
    (void)f.stack->set_option(f.conn, SocketOption::NoDelay, 1);
    std::vector<uint8_t> data(1448, 't');
    uint32_t acked = f.stack_seq;
    for (uint64_t i = 0; i < segments; i++) {
        (void)f.stack->send(f.conn, std::span<const uint8_t>(data));
        if (i % 2 == 1) {
            acked += 2 * 1448;
            f.stack_seq = acked;
            Packet p = f.rx(build_tcp_frame(f.spec(kTcpAck, {})));
            CALLGRIND_TOGGLE_COLLECT;
            f.stack->receive_frame(std::move(p));
            CALLGRIND_TOGGLE_COLLECT;
        }
    }
    printf("ack: %llu ACKs received (each acknowledging 2 segments)\n", (unsigned long long)(segments / 2));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: wisp-netstack-bench throughput BYTES | rx N | tx N | ack N\n");
        return 2;
    }
    std::string mode = argv[1];
    uint64_t n = strtoull(argv[2], nullptr, 10);
    if (mode == "throughput") return throughput(n);
    if (mode == "rx") return rx_bench(n);
    if (mode == "tx") return tx_bench(n);
    if (mode == "ack") return ack_bench(n);
    fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
}
