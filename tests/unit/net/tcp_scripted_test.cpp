// SPDX-License-Identifier: MIT
// TCP against a scripted peer: hand-crafted segments test the RFC 5961 defences (blind
// RST, SYN and data injection), sequence numbers wrapping past 2^32, zero windows, SYN
// floods past the backlog, overlapping and out-of-window segments, PAWS, TIME-WAIT.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.h"

using namespace nettest;
using wisp::Errno;

namespace {

// The peer's half of one connection, with its own sequence state.
class Peer {
public:
    Peer(Harness& h, uint16_t port, uint16_t stack_port, uint32_t isn)
        : m_h(h), m_port(port), m_stack_port(stack_port), m_snd_nxt(isn) {}

    TcpSegmentSpec spec(uint8_t flags, uint32_t seq, uint32_t ack, std::vector<uint8_t> payload = {},
                        uint16_t window = 65535) {
        TcpSegmentSpec s;
        s.src_mac = kPeerMac;
        s.dst_mac = kStackMac;
        s.src = kPeerIp;
        s.dst = kStackIp;
        s.sport = m_port;
        s.dport = m_stack_port;
        s.seq = seq;
        s.ack = ack;
        s.flags = flags;
        s.window = window;
        s.payload = std::move(payload);
        if (m_timestamps && !(flags & kTcpRst)) {
            s.options.timestamp = true;
            s.options.ts_value = m_ts++;
            s.options.ts_echo = m_ts_echo;
        }
        return s;
    }
    void inject(const TcpSegmentSpec& s) { m_h.inject(build_tcp_frame(s)); }
    // Sends at the peer's current sequence numbers and advances them.
    void send(uint8_t flags, std::vector<uint8_t> payload = {}, uint16_t window = 65535) {
        auto s = spec(flags, m_snd_nxt, m_rcv_nxt, payload, window);
        m_snd_nxt += uint32_t(payload.size()) + ((flags & kTcpSyn) ? 1 : 0) + ((flags & kTcpFin) ? 1 : 0);
        inject(s);
    }
    // Frames the stack sent to this peer.
    std::vector<ParsedFrame> take() {
        std::vector<ParsedFrame> out;
        for (auto& f : m_h.take()) {
            if (f.is_tcp && f.tcp.destination_port.value() == m_port) {
                if (f.tcp_options.has_timestamp) m_ts_echo = f.tcp_options.ts_value;
                out.push_back(f);
            }
        }
        return out;
    }
    // Opens a connection to the stack's listener: SYN, expect SYN-ACK, ACK.
    ParsedFrame handshake(uint16_t window = 65535) {
        TcpSegmentSpec syn = spec(kTcpSyn, m_snd_nxt, 0, {}, window);
        syn.options.mss = 1460;
        syn.options.window_scale = 0;
        syn.options.sack_permitted = true;
        m_snd_nxt += 1;
        inject(syn);
        auto out = take();
        EXPECT_EQ(out.size(), 1u);
        if (out.empty()) return {};
        ParsedFrame sa = out[0];
        EXPECT_EQ(sa.flags(), kTcpSyn | kTcpAck);
        EXPECT_EQ(sa.ack(), m_snd_nxt);
        m_rcv_nxt = sa.seq() + 1;
        m_stack_isn = sa.seq();
        send(kTcpAck, {}, window);
        return sa;
    }

    Harness& m_h;
    uint16_t m_port;
    uint16_t m_stack_port;
    uint32_t m_snd_nxt;
    uint32_t m_rcv_nxt = 0;
    uint32_t m_stack_isn = 0;
    bool m_timestamps = true;
    uint32_t m_ts = 1000;
    uint32_t m_ts_echo = 0;
};

struct Server {
    Harness h;
    Socket* listener;
    explicit Server(uint16_t port = 80, int backlog = 16, const StackConfig& cfg = small_config()) : h(cfg) {
        listener = h.stack->socket(SocketType::Tcp).value();
        EXPECT_TRUE(h.stack->bind(listener, Endpoint{{}, port}));
        EXPECT_TRUE(h.stack->listen(listener, backlog));
    }
    Socket* accept() {
        auto r = h.stack->accept(listener, nullptr);
        return r ? r.value() : nullptr;
    }
};

std::vector<uint8_t> read_all(Stack& st, Socket* s) {
    std::vector<uint8_t> out;
    uint8_t buf[4096];
    while (true) {
        auto r = st.receive(s, std::span<uint8_t>(buf));
        if (!r || r.value() == 0) break;
        out.insert(out.end(), buf, buf + r.value());
    }
    return out;
}

} // namespace

TEST(TcpScripted, HandshakeOptionsAndAccept) {
    Server srv;
    Peer peer(srv.h, 40000, 80, 1000);
    ParsedFrame sa = peer.handshake();
    EXPECT_TRUE(sa.tcp_options.has_mss);
    EXPECT_EQ(sa.tcp_options.mss, 1460);
    EXPECT_TRUE(sa.tcp_options.has_window_scale);
    EXPECT_TRUE(sa.tcp_options.sack_permitted);
    EXPECT_TRUE(sa.tcp_options.has_timestamp);
    EXPECT_TRUE(sa.transport_checksum_ok);
    EXPECT_TRUE(sa.ip.flags_fragment.value() & kIpFlagDontFragment);
    Socket* s = srv.accept();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(static_cast<TcpSocket*>(s)->state(), TcpState::Established);
    srv.h.stack->close(s);
}

TEST(TcpScripted, NoOptionsOfferedMeansNoneUsed) {
    Server srv;
    Peer peer(srv.h, 40001, 80, 5);
    peer.m_timestamps = false;
    TcpSegmentSpec syn = peer.spec(kTcpSyn, 5, 0);
    srv.h.inject(build_tcp_frame(syn));
    auto out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FALSE(out[0].tcp_options.has_window_scale);
    EXPECT_FALSE(out[0].tcp_options.sack_permitted);
    EXPECT_FALSE(out[0].tcp_options.has_timestamp);
    EXPECT_TRUE(out[0].tcp_options.has_mss); // we always announce ours
    peer.m_snd_nxt = 6;
    peer.m_rcv_nxt = out[0].seq() + 1;
    peer.send(kTcpAck);
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    // Without an MSS option the default 536 applies (RFC 9293 §3.7.1).
    EXPECT_EQ(static_cast<TcpSocket*>(s)->mss(), 536);
    srv.h.stack->close(s);
}

TEST(TcpScripted, BlindResetsAreChallengedNotObeyed) {
    Server srv;
    Peer peer(srv.h, 40002, 80, 7777);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    auto* t = static_cast<TcpSocket*>(s);
    // Out of window: silently dropped.
    peer.inject(peer.spec(kTcpRst, peer.m_snd_nxt + 1'000'000, 0));
    EXPECT_TRUE(peer.take().empty());
    EXPECT_EQ(t->state(), TcpState::Established);
    // In window but not exactly RCV.NXT: challenge ACK (RFC 5961 §3.2).
    peer.inject(peer.spec(kTcpRst, peer.m_snd_nxt + 100, 0));
    auto out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags(), kTcpAck);
    EXPECT_EQ(out[0].ack(), peer.m_snd_nxt);
    EXPECT_EQ(t->state(), TcpState::Established);
    EXPECT_EQ(srv.h.stack->tcp().stats().challenge_acks, 1u);
    // Exactly RCV.NXT: the connection is reset.
    peer.inject(peer.spec(kTcpRst, peer.m_snd_nxt, 0));
    EXPECT_EQ(t->state(), TcpState::Closed);
    uint8_t buf[4];
    EXPECT_EQ(srv.h.stack->receive(s, std::span<uint8_t>(buf)).error().code, Errno::CONNRESET);
    srv.h.stack->close(s);
}

TEST(TcpScripted, BlindSynIsChallengedNotObeyed) {
    Server srv;
    Peer peer(srv.h, 40003, 80, 100);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    // A SYN in ESTABLISHED, in window or not: challenge ACK, no reset (RFC 5961 §4.2).
    for (uint32_t seq : {peer.m_snd_nxt, peer.m_snd_nxt + 10, peer.m_snd_nxt + 5'000'000}) {
        peer.inject(peer.spec(kTcpSyn, seq, 0));
        auto out = peer.take();
        ASSERT_EQ(out.size(), 1u) << seq;
        EXPECT_EQ(out[0].flags(), kTcpAck);
        EXPECT_EQ(out[0].ack(), peer.m_snd_nxt);
    }
    EXPECT_EQ(static_cast<TcpSocket*>(s)->state(), TcpState::Established);
    // The connection still works.
    peer.send(kTcpAck | kTcpPsh, bytes("still alive"));
    EXPECT_EQ(read_all(*srv.h.stack, s), bytes("still alive"));
    srv.h.stack->close(s);
}

TEST(TcpScripted, BlindDataWithBadAckIsRejected) {
    Server srv;
    Peer peer(srv.h, 40004, 80, 100);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    // ACK far below SND.UNA - MAX.SND.WND: discarded with a challenge ACK (RFC 5961 §5.2).
    auto bad = peer.spec(kTcpAck | kTcpPsh, peer.m_snd_nxt, peer.m_rcv_nxt - 1'000'000, bytes("evil"));
    peer.inject(bad);
    auto out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags(), kTcpAck);
    EXPECT_TRUE(read_all(*srv.h.stack, s).empty());
    // ACK of data never sent: ACK back, segment dropped (RFC 9293 §3.10.7.4).
    auto future = peer.spec(kTcpAck | kTcpPsh, peer.m_snd_nxt, peer.m_rcv_nxt + 5000, bytes("evil"));
    peer.inject(future);
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(read_all(*srv.h.stack, s).empty());
    // No ACK bit at all: dropped.
    peer.inject(peer.spec(kTcpPsh, peer.m_snd_nxt, 0, bytes("evil")));
    EXPECT_TRUE(read_all(*srv.h.stack, s).empty());
    // Bad checksum: dropped.
    auto corrupt = peer.spec(kTcpAck, peer.m_snd_nxt, peer.m_rcv_nxt, bytes("evil"));
    corrupt.corrupt_checksum = true;
    peer.inject(corrupt);
    EXPECT_TRUE(read_all(*srv.h.stack, s).empty());
    EXPECT_EQ(srv.h.stack->tcp().stats().bad_checksum, 1u);
    // The real data still goes through.
    peer.send(kTcpAck | kTcpPsh, bytes("good"));
    EXPECT_EQ(read_all(*srv.h.stack, s), bytes("good"));
    srv.h.stack->close(s);
}

TEST(TcpScripted, ChallengeAcksAreRateLimited) {
    Server srv;
    Peer peer(srv.h, 40005, 80, 100);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    for (int i = 0; i < 1500; i++) peer.inject(peer.spec(kTcpRst, peer.m_snd_nxt + 1 + uint32_t(i), 0));
    EXPECT_EQ(peer.take().size(), 1000u); // RFC 5961 §7 limit per second
    EXPECT_EQ(srv.h.stack->tcp().stats().challenge_acks_suppressed, 500u);
    srv.h.advance(1'000'001);
    peer.inject(peer.spec(kTcpRst, peer.m_snd_nxt + 1, 0));
    EXPECT_EQ(peer.take().size(), 1u);
    srv.h.stack->close(s);
}

TEST(TcpScripted, ReceiveAcrossSequenceWrap) {
    Server srv;
    Peer peer(srv.h, 40006, 80, 0xffffe000u); // 8 KiB below 2^32
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    std::vector<uint8_t> all;
    for (int i = 0; i < 20; i++) {
        std::vector<uint8_t> chunk(1000);
        for (size_t j = 0; j < chunk.size(); j++) chunk[j] = uint8_t(i * 31 + j);
        all.insert(all.end(), chunk.begin(), chunk.end());
        peer.send(kTcpAck, chunk);
    }
    EXPECT_LT(peer.m_snd_nxt, 0x10000u); // wrapped
    EXPECT_EQ(read_all(*srv.h.stack, s), all);
    srv.h.advance(50'000); // the delayed ACK for the last segment
    auto out = peer.take();
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back().ack(), peer.m_snd_nxt);
    // A segment from before the wrap is a duplicate (answered with an ACK, not delivered).
    peer.inject(peer.spec(kTcpAck, 0xfffff000u, peer.m_rcv_nxt, std::vector<uint8_t>(100, 0xee)));
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ack(), peer.m_snd_nxt);
    EXPECT_TRUE(read_all(*srv.h.stack, s).empty());
    srv.h.stack->close(s);
}

TEST(TcpScripted, SendAcrossSequenceWrapWithRetransmission) {
    Server srv;
    srv.h.stack->tcp().set_next_isn_for_testing(0xfffffc00u); // our ISN 1 KiB below 2^32
    Peer peer(srv.h, 40007, 80, 500);
    ParsedFrame sa = peer.handshake();
    EXPECT_EQ(sa.seq(), 0xfffffc00u);
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    std::vector<uint8_t> data(6000);
    for (size_t i = 0; i < data.size(); i++) data[i] = uint8_t(i * 7);
    ASSERT_TRUE(srv.h.stack->set_option(s, SocketOption::NoDelay, 1));
    ASSERT_EQ(srv.h.stack->send(s, std::span<const uint8_t>(data)).value(), data.size());
    auto out = peer.take();
    std::vector<uint8_t> got;
    uint32_t expect_seq = 0xfffffc01u;
    for (auto& f : out) {
        EXPECT_EQ(f.seq(), expect_seq);
        got.insert(got.end(), f.payload.begin(), f.payload.end());
        expect_seq += uint32_t(f.payload.size());
    }
    EXPECT_EQ(got, data);
    // Acknowledge only the first segment: after the RTO the rest is resent from there.
    peer.m_rcv_nxt = out[0].seq() + uint32_t(out[0].payload.size());
    peer.send(kTcpAck);
    peer.take();
    // (A tail loss probe resends the last segment first; the RTO then resends from
    // SND.UNA.)
    out.clear();
    for (int i = 0; i < 3; i++) {
        srv.h.advance_to_next_timer();
        for (auto& f : peer.take()) out.push_back(f);
    }
    auto at_una = std::find_if(out.begin(), out.end(), [&](const ParsedFrame& f) {
        return f.seq() == peer.m_rcv_nxt && !f.payload.empty();
    });
    ASSERT_NE(at_una, out.end());
    for (auto& f : out) {
        uint32_t off = f.seq() - 0xfffffc01u;
        ASSERT_LE(off + f.payload.size(), data.size());
        EXPECT_EQ(f.payload, std::vector<uint8_t>(data.begin() + long(off),
                                                  data.begin() + long(off + f.payload.size())));
    }
    // Acknowledge everything past the wrap.
    peer.m_rcv_nxt = 0xfffffc01u + uint32_t(data.size());
    peer.send(kTcpAck);
    EXPECT_EQ(static_cast<TcpSocket*>(s)->send_queue_bytes(), 0u);
    EXPECT_EQ(static_cast<TcpSocket*>(s)->m_snd_una, Seq(0xfffffc01u + 6000));
    srv.h.stack->close(s);
}

TEST(TcpScripted, ZeroWindowProbesBackOffAndWindowReopens) {
    Server srv;
    Peer peer(srv.h, 40008, 80, 100);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    std::vector<uint8_t> data(3000, 'z');
    ASSERT_TRUE(srv.h.stack->set_option(s, SocketOption::NoDelay, 1));
    ASSERT_TRUE(srv.h.stack->send(s, std::span<const uint8_t>(data)));
    auto out = peer.take();
    ASSERT_EQ(out.size(), 3u);
    // Acknowledge the first 1000 bytes, closing the window.
    peer.m_rcv_nxt += 1000;
    peer.send(kTcpAck, {}, 0);
    peer.take();
    // The 2000 in flight beyond the window are retransmitted on RTO... then, once
    // acknowledged with window zero, zero-window probes back off.
    peer.m_rcv_nxt += 2000;
    peer.send(kTcpAck, {}, 0);
    peer.take();
    ASSERT_TRUE(srv.h.stack->send(s, std::span<const uint8_t>(data)));
    EXPECT_TRUE(peer.take().empty()); // window closed: nothing sent
    std::vector<uint64_t> probe_times;
    for (int i = 0; i < 200 && probe_times.size() < 5; i++) {
        srv.h.advance_to_next_timer();
        for (auto& f : peer.take()) {
            EXPECT_TRUE(f.payload.empty());
            EXPECT_EQ(f.seq(), peer.m_rcv_nxt - 1); // a probe with an old sequence number
            probe_times.push_back(srv.h.clock.now_us());
            peer.send(kTcpAck, {}, 0); // still closed
        }
    }
    ASSERT_EQ(probe_times.size(), 5u);
    for (size_t i = 2; i < probe_times.size(); i++)
        EXPECT_GE(probe_times[i] - probe_times[i - 1], probe_times[i - 1] - probe_times[i - 2]);
    EXPECT_EQ(static_cast<TcpSocket*>(s)->state(), TcpState::Established);
    // Window reopens: data flows again at once.
    peer.send(kTcpAck, {}, 65535);
    out = peer.take();
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].seq(), peer.m_rcv_nxt);
    EXPECT_FALSE(out[0].payload.empty());
    srv.h.stack->close(s);
}

TEST(TcpScripted, OurZeroWindowAndReopenUpdate) {
    StackConfig cfg = small_config();
    cfg.tcp.receive_buffer = 4096;
    Server srv(80, 16, cfg);
    Peer peer(srv.h, 40009, 80, 100);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    for (int i = 0; i < 5; i++) peer.send(kTcpAck, std::vector<uint8_t>(1000, uint8_t('a' + i)));
    auto out = peer.take();
    ASSERT_FALSE(out.empty());
    // Our window closed: the last ACK advertises (close to) nothing; data beyond is dropped.
    uint32_t last_window = out.back().window() << static_cast<TcpSocket*>(s)->m_rcv_wscale;
    EXPECT_LT(last_window, 1000u);
    uint32_t acked = out.back().ack();
    peer.send(kTcpAck, std::vector<uint8_t>(1000, 'x'));
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ack(), acked); // not accepted
    // Reading opens the window and sends an update without being asked.
    std::vector<uint8_t> got = read_all(*srv.h.stack, s);
    EXPECT_EQ(got.size(), size_t(acked - (peer.m_stack_isn ? 0 : 0) - 101));
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_GT(out[0].window(), 0);
    srv.h.stack->close(s);
}

TEST(TcpScripted, OverlappingAndOutOfOrderSegments) {
    Server srv;
    Peer peer(srv.h, 40010, 80, 1000);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    uint32_t base = peer.m_snd_nxt;
    std::vector<uint8_t> stream(400);
    for (size_t i = 0; i < stream.size(); i++) stream[i] = uint8_t(i);
    auto part = [&](size_t from, size_t to) {
        return std::vector<uint8_t>(stream.begin() + long(from), stream.begin() + long(to));
    };
    // [300,400) then [100,250) then [200,350) overlapping both, then [0,150) overlapping.
    peer.inject(peer.spec(kTcpAck, base + 300, peer.m_rcv_nxt, part(300, 400)));
    auto out = peer.take();
    ASSERT_EQ(out.size(), 1u); // immediate duplicate ACK with SACK
    EXPECT_EQ(out[0].ack(), base);
    ASSERT_EQ(out[0].tcp_options.sack_count, 1);
    EXPECT_EQ(out[0].tcp_options.sack[0].start, Seq(base + 300));
    EXPECT_EQ(out[0].tcp_options.sack[0].end, Seq(base + 400));
    peer.inject(peer.spec(kTcpAck, base + 100, peer.m_rcv_nxt, part(100, 250)));
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].tcp_options.sack_count, 2);
    EXPECT_EQ(out[0].tcp_options.sack[0].start, Seq(base + 100)); // most recent first
    peer.inject(peer.spec(kTcpAck, base + 200, peer.m_rcv_nxt, part(200, 350)));
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].tcp_options.sack_count, 1);
    EXPECT_EQ(out[0].tcp_options.sack[0].start, Seq(base + 100));
    EXPECT_EQ(out[0].tcp_options.sack[0].end, Seq(base + 400));
    EXPECT_TRUE(read_all(*srv.h.stack, s).empty());
    peer.inject(peer.spec(kTcpAck, base, peer.m_rcv_nxt, part(0, 150)));
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ack(), base + 400);
    EXPECT_EQ(out[0].tcp_options.sack_count, 0);
    EXPECT_EQ(read_all(*srv.h.stack, s), stream);
    // Beyond the right edge of the window: not acceptable, answered with an ACK.
    peer.inject(peer.spec(kTcpAck, base + 400 + 10'000'000, peer.m_rcv_nxt, part(0, 10)));
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ack(), base + 400);
    EXPECT_TRUE(read_all(*srv.h.stack, s).empty());
    srv.h.stack->close(s);
}

TEST(TcpScripted, SegmentStraddlingTheWindowEdgeIsTrimmed) {
    StackConfig cfg = small_config();
    cfg.tcp.receive_buffer = 3000;
    Server srv(80, 16, cfg);
    Peer peer(srv.h, 40015, 80, 1000);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    auto* t = static_cast<TcpSocket*>(s);
    peer.send(kTcpAck, std::vector<uint8_t>(1400, 'a'));
    peer.send(kTcpAck, std::vector<uint8_t>(1000, 'b'));
    uint32_t wnd = uint32_t(t->m_rcv_adv - t->m_rcv_nxt);
    ASSERT_GT(wnd, 0u);
    ASSERT_LT(wnd, 1400u);
    peer.send(kTcpAck, std::vector<uint8_t>(1400, 'c'));
    // RFC 9293 §3.10.7.4: only the part inside the window is kept.
    EXPECT_EQ(t->readable_bytes(), 2400u + wnd);
    auto got = read_all(*srv.h.stack, s);
    ASSERT_EQ(got.size(), 2400u + wnd);
    EXPECT_EQ(got.back(), 'c');
    srv.h.stack->close(s);
}

TEST(TcpScripted, FinInOutOfOrderSegmentIsHeldUntilHoleFills) {
    Server srv;
    Peer peer(srv.h, 40011, 80, 1000);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    uint32_t base = peer.m_snd_nxt;
    peer.inject(peer.spec(kTcpAck | kTcpFin, base + 5, peer.m_rcv_nxt, bytes("world")));
    auto* t = static_cast<TcpSocket*>(s);
    EXPECT_EQ(t->state(), TcpState::Established);
    peer.inject(peer.spec(kTcpAck, base, peer.m_rcv_nxt, bytes("hello")));
    EXPECT_EQ(t->state(), TcpState::CloseWait);
    EXPECT_EQ(read_all(*srv.h.stack, s), bytes("helloworld"));
    auto out = peer.take();
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back().ack(), base + 11);
    srv.h.stack->close(s);
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].flags() & kTcpFin);
    EXPECT_EQ(t->state(), TcpState::LastAck);
}

TEST(TcpScripted, SynFloodPastBacklog) {
    Server srv(80, 4);
    size_t pool_before = srv.h.stack->pool().in_use();
    // 200 SYNs from spoofed ports that never complete the handshake.
    for (int i = 0; i < 200; i++) {
        Peer p(srv.h, uint16_t(20000 + i), 80, uint32_t(i * 1000));
        TcpSegmentSpec syn = p.spec(kTcpSyn, p.m_snd_nxt, 0);
        syn.options.mss = 1460;
        p.inject(syn);
    }
    auto out = srv.h.take();
    EXPECT_EQ(out.size(), 4u); // SYN-ACKs only for the SYN queue's 4 entries
    auto* l = static_cast<TcpSocket*>(srv.listener);
    EXPECT_EQ(l->m_syn_queue.size(), 4u);
    EXPECT_EQ(srv.h.stack->tcp().stats().syn_queue_overflow, 196u);
    EXPECT_EQ(srv.h.stack->socket_count(), 5u);
    // The half-open entries give up after their SYN-ACK retries (1+2+4+8+16+32 s).
    for (int i = 0; i < 100; i++) srv.h.advance(1'000'000);
    srv.h.take();
    EXPECT_EQ(l->m_syn_queue.size(), 0u);
    EXPECT_EQ(srv.h.stack->socket_count(), 1u);
    EXPECT_EQ(srv.h.stack->pool().in_use(), pool_before);
    // A legitimate client is served afterwards.
    Peer good(srv.h, 50000, 80, 42);
    good.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    srv.h.stack->close(s);
}

TEST(TcpScripted, AckToListenerGetsResetAndClosedPortResets) {
    Server srv;
    Peer peer(srv.h, 40012, 80, 100);
    peer.inject(peer.spec(kTcpAck, 100, 5555));
    auto out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags(), kTcpRst);
    EXPECT_EQ(out[0].seq(), 5555u);
    Peer other(srv.h, 40013, 81, 100);
    other.inject(other.spec(kTcpSyn, 100, 0));
    out = other.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags(), kTcpRst | kTcpAck);
    EXPECT_EQ(out[0].ack(), 101u);
    // A RST to a closed port is never answered.
    other.inject(other.spec(kTcpRst, 100, 0));
    EXPECT_TRUE(other.take().empty());
}

TEST(TcpScripted, PawsRejectsOldTimestamps) {
    Server srv;
    Peer peer(srv.h, 40014, 80, 100);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    peer.send(kTcpAck, bytes("new"));
    EXPECT_EQ(read_all(*srv.h.stack, s), bytes("new"));
    peer.take();
    // Same sequence space, but a timestamp from the past: an old duplicate (RFC 7323 §5).
    auto old = peer.spec(kTcpAck, peer.m_snd_nxt, peer.m_rcv_nxt, bytes("old"));
    old.options.ts_value = 5;
    peer.inject(old);
    auto out = peer.take();
    ASSERT_EQ(out.size(), 1u); // answered with an ACK
    EXPECT_TRUE(read_all(*srv.h.stack, s).empty());
    EXPECT_EQ(srv.h.stack->tcp().stats().paws_rejected, 1u);
    srv.h.stack->close(s);
}

TEST(TcpScripted, ActiveOpenResetWithBadAckIgnored) {
    Harness h;
    Socket* c = h.stack->socket(SocketType::Tcp).value();
    ASSERT_EQ(h.stack->connect(c, Endpoint{kPeerIp, 9000}).error().code, Errno::INPROGRESS);
    auto out = h.take();
    ASSERT_EQ(out.size(), 1u);
    ParsedFrame syn = out[0];
    EXPECT_EQ(syn.flags(), kTcpSyn);
    Peer peer(h, 9000, syn.tcp.source_port.value(), 7000);
    // RST whose ACK does not acknowledge our SYN: ignored (RFC 9293 §3.10.7.3).
    peer.inject(peer.spec(kTcpRst | kTcpAck, 0, syn.seq() + 50));
    EXPECT_EQ(static_cast<TcpSocket*>(c)->state(), TcpState::SynSent);
    // SYN-ACK acknowledging something else: we answer with a RST and keep waiting.
    peer.inject(peer.spec(kTcpSyn | kTcpAck, 7000, syn.seq() + 9));
    out = h.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags(), kTcpRst);
    EXPECT_EQ(static_cast<TcpSocket*>(c)->state(), TcpState::SynSent);
    // The right SYN-ACK establishes.
    peer.inject(peer.spec(kTcpSyn | kTcpAck, 7000, syn.seq() + 1));
    EXPECT_EQ(static_cast<TcpSocket*>(c)->state(), TcpState::Established);
    out = h.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ack(), 7001u);
    h.stack->close(c);
}

TEST(TcpScripted, TimeWaitAcksRetransmittedFinAndAllowsNewSyn) {
    Harness h;
    Socket* c = h.stack->socket(SocketType::Tcp).value();
    ASSERT_TRUE(h.stack->bind(c, Endpoint{{}, 33333}));
    (void)h.stack->connect(c, Endpoint{kPeerIp, 9001});
    ParsedFrame syn = h.take()[0];
    Peer peer(h, 9001, 33333, 9000);
    peer.m_ts_echo = syn.tcp_options.ts_value;
    auto sa = peer.spec(kTcpSyn | kTcpAck, 9000, syn.seq() + 1);
    sa.options.mss = 1460;
    peer.inject(sa);
    peer.m_snd_nxt = 9001;
    peer.m_rcv_nxt = syn.seq() + 1;
    peer.take();
    auto* t = static_cast<TcpSocket*>(c);
    ASSERT_EQ(t->state(), TcpState::Established);
    h.stack->close(c); // FIN
    auto out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].flags() & kTcpFin);
    peer.m_rcv_nxt += 1;
    peer.send(kTcpAck | kTcpFin);
    EXPECT_EQ(t->state(), TcpState::TimeWait);
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    // The peer's FIN again (our ACK was "lost"): ACKed again.
    peer.inject(peer.spec(kTcpAck | kTcpFin, peer.m_snd_nxt - 1, peer.m_rcv_nxt));
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ack(), peer.m_snd_nxt);
    // A new SYN with a higher sequence number may reuse the 4-tuple (RFC 9293 §3.6.1) —
    // here it finds no listener, so it is refused, and TIME-WAIT is gone.
    peer.inject(peer.spec(kTcpSyn, peer.m_snd_nxt + 100000, 0));
    out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].flags() & kTcpRst);
    EXPECT_EQ(h.stack->tcp().connection_count(), 0u);
}

TEST(TcpScripted, SackAckWithChangingWindowCountsAsDuplicate) {
    // Linux autotunes its receive window, so its duplicate ACKs often carry a new window;
    // with SACK they must still count (RFC 6675 §2), or loss recovery waits for the RTO.
    Server srv;
    Peer peer(srv.h, 40020, 80, 100);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    ASSERT_TRUE(srv.h.stack->set_option(s, SocketOption::NoDelay, 1));
    std::vector<uint8_t> data(8 * 1448, 'q');
    ASSERT_TRUE(srv.h.stack->send(s, std::span<const uint8_t>(data)));
    auto out = peer.take();
    ASSERT_EQ(out.size(), 8u);
    uint32_t first = out[0].seq();
    // Segment 0 is "lost": SACK 1..3 with a growing window each time.
    for (int i = 1; i <= 3; i++) {
        auto ack = peer.spec(kTcpAck, peer.m_snd_nxt, first, {}, uint16_t(30000 + 1000 * i));
        ack.options.sack_count = 1;
        ack.options.sack[0] = SackBlock{Seq(first + 1448), Seq(first + 1448 * uint32_t(i + 1))};
        peer.inject(ack);
    }
    out = peer.take();
    auto retransmit = std::find_if(out.begin(), out.end(), [&](const ParsedFrame& f) {
        return f.seq() == first && !f.payload.empty();
    });
    EXPECT_NE(retransmit, out.end()) << "no fast retransmit";
    EXPECT_EQ(srv.h.stack->tcp().stats().fast_retransmits, 1u);
    EXPECT_EQ(srv.h.stack->tcp().stats().timeouts, 0u);
    srv.h.stack->close(s);
}

TEST(TcpScripted, TailLossProbeBeforeTimeout) {
    // RFC 8985: the last segments of a burst lost -> a probe after ~2 SRTT, not a 200 ms+
    // RTO. SRTT here comes from the handshake (peer answers after 10 ms).
    Server srv;
    Peer peer(srv.h, 40021, 80, 100);
    TcpSegmentSpec syn = peer.spec(kTcpSyn, peer.m_snd_nxt, 0);
    syn.options.mss = 1460;
    syn.options.sack_permitted = true;
    peer.inject(syn);
    peer.m_snd_nxt++;
    auto sa = peer.take();
    ASSERT_EQ(sa.size(), 1u);
    peer.m_rcv_nxt = sa[0].seq() + 1;
    srv.h.clock.advance(10'000);
    peer.send(kTcpAck);
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    ASSERT_TRUE(srv.h.stack->set_option(s, SocketOption::NoDelay, 1));
    std::vector<uint8_t> data(3 * 1448, 'p');
    ASSERT_TRUE(srv.h.stack->send(s, std::span<const uint8_t>(data)));
    EXPECT_EQ(peer.take().size(), 3u);
    uint64_t sent_at = srv.h.clock.now_us();
    srv.h.advance_to_next_timer();
    auto out = peer.take();
    ASSERT_EQ(out.size(), 1u);
    uint64_t waited = srv.h.clock.now_us() - sent_at;
    EXPECT_LT(waited, 100'000u); // well before the 200 ms minimum RTO
    EXPECT_EQ(out[0].seq(), peer.m_rcv_nxt + 2 * 1448); // the last segment again
    EXPECT_EQ(srv.h.stack->tcp().stats().tail_loss_probes, 1u);
    EXPECT_EQ(srv.h.stack->tcp().stats().timeouts, 0u);
    srv.h.stack->close(s);
}

TEST(TcpScripted, IcmpUnreachableAbortsConnectAndFragNeededShrinksMss) {
    Harness h;
    Socket* c = h.stack->socket(SocketType::Tcp).value();
    ASSERT_EQ(h.stack->connect(c, Endpoint{kPeerIp, 9002}).error().code, Errno::INPROGRESS);
    auto out = h.take();
    ASSERT_EQ(out.size(), 1u);
    auto quote = [](const ParsedFrame& f) {
        std::vector<uint8_t> q(20 + 8);
        memcpy(q.data(), reinterpret_cast<const uint8_t*>(&f.ip), 20);
        memcpy(q.data() + 20, f.ip_payload.data(), 8);
        return q;
    };
    // An ICMP error quoting a sequence number we never sent is ignored (RFC 5927).
    auto bogus = quote(out[0]);
    bogus[20 + 4] ^= 0x55;
    h.inject(build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp,
                              build_icmp(kIcmpDestinationUnreachable, kIcmpPortUnreachable, 0, bogus)));
    EXPECT_EQ(static_cast<TcpSocket*>(c)->state(), TcpState::SynSent);
    h.inject(build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp,
                              build_icmp(kIcmpDestinationUnreachable, kIcmpPortUnreachable, 0, quote(out[0]))));
    EXPECT_EQ(static_cast<TcpSocket*>(c)->state(), TcpState::Closed);
    EXPECT_EQ(h.stack->connect(c, Endpoint{kPeerIp, 9002}).error().code, Errno::CONNREFUSED);
    h.stack->close(c);

    // Path MTU discovery: "fragmentation needed, next hop MTU 1000" shrinks the segments.
    Server srv;
    Peer peer(srv.h, 40022, 80, 100);
    peer.handshake();
    Socket* s = srv.accept();
    ASSERT_TRUE(s);
    std::vector<uint8_t> data(4000, 'm');
    ASSERT_TRUE(srv.h.stack->send(s, std::span<const uint8_t>(data)));
    out = peer.take();
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].payload.size(), 1448u);
    srv.h.inject(build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp,
                                  build_icmp(kIcmpDestinationUnreachable, kIcmpFragmentationNeeded, 1000, quote(out[0]))));
    out = peer.take();
    ASSERT_FALSE(out.empty());
    for (auto& f : out) EXPECT_LE(f.ip.total_length.value(), 1000);
    EXPECT_EQ(static_cast<TcpSocket*>(s)->mss(), 1000 - 40 - 12);
    srv.h.stack->close(s);
}
