// SPDX-License-Identifier: MIT
// Fuzz target: TCP segments into an established connection. The fuzzer controls the TCP
// header (flags, sequence and acknowledgment offsets relative to the connection's real
// numbers, window, options) and payload; ports and checksums are made valid so the input
// reaches the state machine, interleaved with application calls and clock advances.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::World w(true);
    fuzz::Input in(data, size);
    while (!in.empty()) {
        uint8_t kind = in.byte();
        if (kind < 32) {
            w.application_step(in.byte());
            continue;
        }
        fuzz::TcpSegmentSpec s;
        s.src_mac = fuzz::kPeerMac;
        s.dst_mac = fuzz::kStackMac;
        s.src = fuzz::kPeerIp;
        s.dst = fuzz::kStackIp;
        s.sport = (kind & 0x40) ? w.peer_port : uint16_t(40000 + in.byte() % 4);
        s.dport = 80;
        // Sequence numbers near the real ones most of the time, anywhere sometimes.
        int32_t dseq = int32_t(int16_t(in.u16()));
        int32_t dack = int32_t(int16_t(in.u16()));
        s.seq = (kind & 0x20) ? in.u32() : w.peer_seq + uint32_t(dseq);
        s.ack = w.stack_seq + uint32_t(dack);
        s.flags = in.byte();
        s.window = in.u16();
        uint8_t opts = in.byte();
        if (opts & 1) {
            s.options.timestamp = true;
            s.options.ts_value = in.u32();
            s.options.ts_echo = in.u32();
        }
        if (opts & 2) {
            s.options.sack_count = uint8_t(1 + (opts >> 2) % 3);
            for (int i = 0; i < s.options.sack_count; i++) {
                s.options.sack[i].start = wisp::net::Seq(w.stack_seq + uint32_t(int16_t(in.u16())));
                s.options.sack[i].end = s.options.sack[i].start + in.u16();
            }
        }
        if (opts & 0x80) s.options.mss = in.u16();
        s.payload = in.bytes(in.u16() % 1400);
        if (s.sport == w.peer_port && (s.flags & fuzz::kTcpAck) && dseq == 0)
            w.peer_seq += uint32_t(s.payload.size()); // keep in step with the stack
        w.inject(fuzz::build_tcp_frame(s));
        // Track what the stack acknowledged so later inputs stay near the window.
        for (auto& f : w.nic.frames) {
            fuzz::ParsedFrame pf;
            if (fuzz::parse_frame(f, pf) && pf.is_tcp && pf.tcp.destination_port.value() == w.peer_port) {
                w.stack_seq = pf.seq() + uint32_t(pf.payload.size());
            }
        }
        w.nic.frames.clear();
    }
    return 0;
}
