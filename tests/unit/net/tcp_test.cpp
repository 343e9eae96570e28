// SPDX-License-Identifier: MIT
// TCP between two stacks on a clean simulated link: the state machine end to end, the
// socket API's errno semantics, options and readiness events.
#include <gtest/gtest.h>

#include "sim_helpers.h"

using namespace nettest;
using wisp::Errno;

TEST(Tcp, ConnectTransferCloseBothWays) {
    Pair p(1, LinkConditions{.delay_us = 500});
    auto [c, s] = p.connect(80);
    ASSERT_NE(s, nullptr);
    auto* tc = static_cast<TcpSocket*>(c);
    auto* ts = static_cast<TcpSocket*>(s);
    EXPECT_EQ(tc->state(), TcpState::Established);
    EXPECT_EQ(ts->state(), TcpState::Established);
    EXPECT_EQ(p.A().remote_endpoint(c).value().port, 80);
    EXPECT_EQ(p.B().remote_endpoint(s).value().address, kIpA);
    // Options negotiated: window scaling, timestamps, SACK; MSS 1460 - 12.
    EXPECT_TRUE(tc->m_ws_enabled && tc->m_ts_enabled && tc->m_sack_enabled);
    EXPECT_EQ(tc->mss(), 1448);

    auto up = pattern(300000, 1), down = pattern(200000, 2);
    size_t up_sent = 0, down_sent = 0;
    std::vector<uint8_t> up_got, down_got;
    bool ok = p.sim.run_until([&] {
        pump_send(p.A(), c, up, up_sent);
        pump_send(p.B(), s, down, down_sent);
        pump_receive(p.B(), s, up_got);
        pump_receive(p.A(), c, down_got);
        return up_got.size() == up.size() && down_got.size() == down.size();
    }, 30'000'000);
    ASSERT_TRUE(ok);
    EXPECT_EQ(up_got, up);
    EXPECT_EQ(down_got, down);

    // A closes first: FIN-WAIT-1/2, B sees EOF, closes: A ends in TIME-WAIT.
    ASSERT_TRUE(p.A().shutdown(c, ShutdownHow::Write));
    std::vector<uint8_t> rest;
    p.sim.run_until([&] { return !pump_receive(p.B(), s, rest); }, 5'000'000);
    EXPECT_TRUE(rest.empty());
    p.sim.run_for(2'000);
    EXPECT_EQ(ts->state(), TcpState::CloseWait);
    EXPECT_TRUE(p.B().poll_events(s) & kPollRdHup);
    EXPECT_EQ(tc->state(), TcpState::FinWait2);
    p.B().close(s);
    p.sim.run_until([&] { return tc->state() == TcpState::TimeWait; }, 5'000'000);
    EXPECT_EQ(tc->state(), TcpState::TimeWait);
    p.sim.run_for(2'000);
    EXPECT_EQ(p.B().tcp().connection_count(), 0u); // LAST-ACK done, freed
    p.A().close(c);
    p.sim.run_for(61'000'000);
    EXPECT_EQ(p.A().tcp().connection_count(), 0u);
    EXPECT_EQ(p.A().socket_count(), 0u);
    EXPECT_EQ(p.B().socket_count(), 0u);
}

TEST(Tcp, ConnectionRefusedAndErrnoSemantics) {
    Pair p(2, LinkConditions{.delay_us = 100});
    Socket* c = p.A().socket(SocketType::Tcp).value();
    uint8_t buf[10];
    // Never connected: send EPIPE, recv ENOTCONN, poll OUT|HUP (Linux).
    EXPECT_EQ(p.A().send(c, std::span<const uint8_t>(buf, 1)).error().code, Errno::PIPE);
    EXPECT_EQ(p.A().receive(c, std::span<uint8_t>(buf)).error().code, Errno::NOTCONN);
    EXPECT_EQ(p.A().poll_events(c) & (kPollOut | kPollHup), uint32_t(kPollOut | kPollHup));
    EXPECT_EQ(p.A().remote_endpoint(c).error().code, Errno::NOTCONN);

    EXPECT_EQ(p.A().connect(c, Endpoint{kIpB, 81}).error().code, Errno::INPROGRESS);
    EXPECT_EQ(p.A().connect(c, Endpoint{kIpB, 81}).error().code, Errno::ALREADY);
    EXPECT_EQ(p.A().send(c, std::span<const uint8_t>(buf, 1)).error().code, Errno::AGAIN);
    EXPECT_EQ(p.A().receive(c, std::span<uint8_t>(buf)).error().code, Errno::AGAIN);
    p.sim.run_for(100'000);
    // RST from the closed port: ECONNREFUSED through SO_ERROR and the next connect().
    uint32_t ev = p.A().poll_events(c);
    EXPECT_TRUE(ev & kPollErr);
    EXPECT_TRUE(ev & kPollHup);
    EXPECT_EQ(p.A().get_option(c, SocketOption::Error).value(), int(Errno::CONNREFUSED));
    EXPECT_EQ(p.A().get_option(c, SocketOption::Error).value(), 0);
    p.A().close(c);

    Socket* d = p.A().socket(SocketType::Tcp).value();
    EXPECT_EQ(p.A().connect(d, Endpoint{kIpB, 81}).error().code, Errno::INPROGRESS);
    p.sim.run_for(100'000);
    EXPECT_EQ(p.A().connect(d, Endpoint{kIpB, 81}).error().code, Errno::CONNREFUSED);
    p.A().close(d);
}

TEST(Tcp, ConnectReportsSuccessOnceThenEisconn) {
    Pair p(3, LinkConditions{.delay_us = 100});
    auto [c, s] = p.connect(82);
    ASSERT_TRUE(s);
    EXPECT_TRUE(p.A().connect(c, Endpoint{kIpB, 82})); // completes the non-blocking connect
    EXPECT_EQ(p.A().connect(c, Endpoint{kIpB, 82}).error().code, Errno::ISCONN);
    EXPECT_EQ(p.B().listen(s, 5).error().code, Errno::INVAL);
    p.A().close(c);
    p.B().close(s);
}

TEST(Tcp, ResetOnCloseWithUnreadDataAndAfterReset) {
    Pair p(4, LinkConditions{.delay_us = 100});
    auto [c, s] = p.connect(83);
    ASSERT_TRUE(s);
    auto data = pattern(1000, 3);
    ASSERT_EQ(p.A().send(c, std::span<const uint8_t>(data)).value(), 1000u);
    p.sim.run_for(10'000);
    EXPECT_EQ(p.B().poll_events(s) & kPollIn, uint32_t(kPollIn));
    p.B().close(s); // unread data: RST (RFC 2525 §2.17)
    p.sim.run_for(10'000);
    auto* tc = static_cast<TcpSocket*>(c);
    EXPECT_EQ(tc->state(), TcpState::Closed);
    uint8_t buf[10];
    // ECONNRESET once, then EOF on recv and EPIPE on send.
    EXPECT_EQ(p.A().receive(c, std::span<uint8_t>(buf)).error().code, Errno::CONNRESET);
    EXPECT_EQ(p.A().receive(c, std::span<uint8_t>(buf)).value(), 0u);
    EXPECT_EQ(p.A().send(c, std::span<const uint8_t>(buf, 1)).error().code, Errno::PIPE);
    EXPECT_TRUE(p.A().poll_events(c) & kPollHup);
    p.A().close(c);
    EXPECT_EQ(p.B().socket_count(), 0u);
}

TEST(Tcp, LingerZeroAborts) {
    Pair p(5, LinkConditions{.delay_us = 100});
    auto [c, s] = p.connect(84);
    ASSERT_TRUE(s);
    ASSERT_TRUE(p.A().set_option(c, SocketOption::Linger, 0));
    p.A().close(c);
    p.sim.run_for(10'000);
    uint8_t buf[4];
    EXPECT_EQ(p.B().receive(s, std::span<uint8_t>(buf)).error().code, Errno::CONNRESET);
    EXPECT_EQ(p.A().tcp().connection_count(), 0u); // no TIME-WAIT after an abort
    p.B().close(s);
}

TEST(Tcp, SimultaneousClose) {
    Pair p(6, LinkConditions{.delay_us = 5000});
    auto [c, s] = p.connect(85);
    ASSERT_TRUE(s);
    auto* tc = static_cast<TcpSocket*>(c);
    auto* ts = static_cast<TcpSocket*>(s);
    // Both FINs cross in flight: FIN-WAIT-1 -> CLOSING -> TIME-WAIT on both sides.
    ASSERT_TRUE(p.A().shutdown(c, ShutdownHow::Write));
    ASSERT_TRUE(p.B().shutdown(s, ShutdownHow::Write));
    EXPECT_EQ(tc->state(), TcpState::FinWait1);
    EXPECT_EQ(ts->state(), TcpState::FinWait1);
    p.sim.run_until([&] { return tc->state() == TcpState::Closing; }, 1'000'000);
    EXPECT_EQ(ts->state(), TcpState::Closing);
    p.sim.run_until([&] { return tc->state() == TcpState::TimeWait && ts->state() == TcpState::TimeWait; }, 1'000'000);
    EXPECT_EQ(tc->state(), TcpState::TimeWait);
    EXPECT_EQ(ts->state(), TcpState::TimeWait);
    p.A().close(c);
    p.B().close(s);
    p.sim.run_for(61'000'000);
    EXPECT_EQ(p.A().socket_count() + p.B().socket_count(), 0u);
}

TEST(Tcp, SimultaneousOpen) {
    Pair p(7, LinkConditions{.delay_us = 5000});
    Socket* a = p.A().socket(SocketType::Tcp).value();
    Socket* b = p.B().socket(SocketType::Tcp).value();
    ASSERT_TRUE(p.A().bind(a, Endpoint{Ipv4Address{}, 4000}));
    ASSERT_TRUE(p.B().bind(b, Endpoint{Ipv4Address{}, 5000}));
    EXPECT_EQ(p.A().connect(a, Endpoint{kIpB, 5000}).error().code, Errno::INPROGRESS);
    EXPECT_EQ(p.B().connect(b, Endpoint{kIpA, 4000}).error().code, Errno::INPROGRESS);
    auto* ta = static_cast<TcpSocket*>(a);
    auto* tb = static_cast<TcpSocket*>(b);
    p.sim.run_until([&] { return ta->state() == TcpState::Established && tb->state() == TcpState::Established; }, 5'000'000);
    ASSERT_EQ(ta->state(), TcpState::Established);
    ASSERT_EQ(tb->state(), TcpState::Established);
    ASSERT_EQ(p.A().send(a, std::span<const uint8_t>((const uint8_t*)"ping", 4)).value(), 4u);
    std::vector<uint8_t> got;
    p.sim.run_until([&] { pump_receive(p.B(), b, got); return got.size() == 4; }, 1'000'000);
    EXPECT_EQ(got, std::vector<uint8_t>({'p', 'i', 'n', 'g'}));
    p.A().close(a);
    p.B().close(b);
    p.sim.run_for(200'000'000);
    EXPECT_EQ(p.A().socket_count() + p.B().socket_count(), 0u);
}

TEST(Tcp, HalfCloseKeepsOtherDirectionOpen) {
    Pair p(8, LinkConditions{.delay_us = 200});
    auto [c, s] = p.connect(86);
    ASSERT_TRUE(s);
    ASSERT_TRUE(p.A().shutdown(c, ShutdownHow::Write));
    EXPECT_EQ(p.A().send(c, std::span<const uint8_t>((const uint8_t*)"x", 1)).error().code, Errno::PIPE);
    std::vector<uint8_t> got;
    p.sim.run_until([&] { return !pump_receive(p.B(), s, got); }, 1'000'000);
    // B can still send a lot to A.
    auto data = pattern(100000, 9);
    size_t sent = 0;
    std::vector<uint8_t> back;
    p.sim.run_until([&] {
        pump_send(p.B(), s, data, sent);
        pump_receive(p.A(), c, back);
        return back.size() == data.size();
    }, 10'000'000);
    EXPECT_EQ(back, data);
    p.B().close(s);
    std::vector<uint8_t> none;
    p.sim.run_until([&] { return !pump_receive(p.A(), c, none); }, 1'000'000);
    p.A().close(c);
}

TEST(Tcp, ListenBacklogAcceptQueueAndListenerClose) {
    Pair p(9, LinkConditions{.delay_us = 100});
    p.A().arp().add_permanent(kIpB, p.b->mac);
    p.B().arp().add_permanent(kIpA, p.a->mac);
    Socket* l = p.B().socket(SocketType::Tcp).value();
    ASSERT_TRUE(p.B().bind(l, Endpoint{Ipv4Address{}, 90}));
    ASSERT_TRUE(p.B().listen(l, 2));
    EXPECT_EQ(p.B().get_option(l, SocketOption::AcceptConn).value(), 1);
    Socket* other = p.B().socket(SocketType::Tcp).value();
    ASSERT_TRUE(p.B().set_option(other, SocketOption::ReuseAddress, 1));
    ASSERT_TRUE(p.B().set_option(l, SocketOption::ReuseAddress, 1));
    EXPECT_EQ(p.B().bind(other, Endpoint{Ipv4Address{}, 90}).error().code, Errno::ADDRINUSE);
    p.B().close(other);
    std::vector<Socket*> clients;
    for (int i = 0; i < 5; i++) {
        Socket* c = p.A().socket(SocketType::Tcp).value();
        EXPECT_EQ(p.A().connect(c, Endpoint{kIpB, 90}).error().code, Errno::INPROGRESS);
        clients.push_back(c);
    }
    p.sim.run_for(50'000);
    // backlog 2: at most 2 half-open connections at once (no SYN cookies): 3 SYNs dropped.
    EXPECT_EQ(p.B().tcp().stats().syn_queue_overflow, 3u);
    // With SYN retransmissions, the accept queue fills to backlog + 1 (Linux: full when
    // longer than the backlog) and no further.
    p.sim.run_for(10'000'000);
    auto* tl = static_cast<TcpSocket*>(l);
    EXPECT_EQ(tl->m_accept_queue.size(), 3u);
    // Draining the queue lets the others complete.
    std::vector<Socket*> accepted;
    p.sim.run_until([&] {
        while (auto x = p.B().accept(l, nullptr)) accepted.push_back(x.value());
        return accepted.size() == 5;
    }, 60'000'000);
    EXPECT_EQ(accepted.size(), 5u);
    EXPECT_EQ(p.B().accept(l, nullptr).error().code, Errno::AGAIN);
    p.B().close(l);
    for (auto c : clients) p.A().close(c);
    for (auto s : accepted) p.B().close(s);
}

TEST(Tcp, SocketOptions) {
    Pair p(10, LinkConditions{.delay_us = 100});
    Socket* s = p.A().socket(SocketType::Tcp).value();
    EXPECT_EQ(p.A().get_option(s, SocketOption::Type).value(), 1);
    EXPECT_TRUE(p.A().set_option(s, SocketOption::NoDelay, 1));
    EXPECT_EQ(p.A().get_option(s, SocketOption::NoDelay).value(), 1);
    EXPECT_TRUE(p.A().set_option(s, SocketOption::ReceiveBuffer, 10000));
    EXPECT_EQ(p.A().get_option(s, SocketOption::ReceiveBuffer).value(), 20000);
    EXPECT_TRUE(p.A().set_option(s, SocketOption::SendBuffer, 1));
    EXPECT_EQ(p.A().get_option(s, SocketOption::SendBuffer).value(), 4608);
    EXPECT_EQ(p.A().set_option(s, SocketOption::KeepIdle, 0).error().code, Errno::INVAL);
    EXPECT_TRUE(p.A().set_option(s, SocketOption::KeepIdle, 30));
    EXPECT_EQ(p.A().get_option(s, SocketOption::KeepIdle).value(), 30);
    EXPECT_EQ(p.A().set_option(s, SocketOption::Ttl, 0).error().code, Errno::INVAL);
    EXPECT_TRUE(p.A().set_option(s, SocketOption::Ttl, 5));
    EXPECT_EQ(p.A().get_option(s, SocketOption::Ttl).value(), 5);
    EXPECT_EQ(p.A().get_option(s, SocketOption::MaxSegment).value(), 536);
    EXPECT_EQ(p.A().set_option(s, SocketOption::MaxSegment, 10).error().code, Errno::INVAL);
    EXPECT_EQ(p.A().set_option(s, SocketOption::Error, 1).error().code, Errno::NOPROTOOPT);
    p.A().close(s);
}

TEST(Tcp, TtlAndMaxSegApplyOnTheWire) {
    Pair p(11, LinkConditions{.delay_us = 100});
    std::vector<uint8_t> ttls;
    std::vector<size_t> sizes;
    p.sim.filter = [&](size_t from, std::vector<uint8_t>& f) {
        if (from == 0 && f.size() > 34 && f[23] == 6) {
            ttls.push_back(f[22]);
            sizes.push_back(f.size());
        }
        return true;
    };
    Socket* l = p.B().socket(SocketType::Tcp).value();
    ASSERT_TRUE(p.B().bind(l, Endpoint{{}, 91}));
    ASSERT_TRUE(p.B().listen(l, 4));
    Socket* c = p.A().socket(SocketType::Tcp).value();
    ASSERT_TRUE(p.A().set_option(c, SocketOption::Ttl, 9));
    ASSERT_TRUE(p.A().set_option(c, SocketOption::MaxSegment, 500));
    (void)p.A().connect(c, Endpoint{kIpB, 91});
    p.sim.run_for(10'000);
    auto data = pattern(5000, 1);
    ASSERT_EQ(p.A().send(c, std::span<const uint8_t>(data)).value(), 5000u);
    p.sim.run_for(100'000);
    ASSERT_FALSE(ttls.empty());
    for (auto t : ttls) EXPECT_EQ(t, 9);
    for (auto sz : sizes) EXPECT_LE(sz, 14u + 20 + 32 + 500);
    p.A().close(c);
    p.B().close(l);
}

TEST(Tcp, NagleHoldsSmallSegmentsUnlessNoDelay) {
    for (bool nodelay : {false, true}) {
        Pair p(12, LinkConditions{.delay_us = 10'000});
        auto [c, s] = p.connect(92);
        ASSERT_TRUE(s);
        if (nodelay) {
            ASSERT_TRUE(p.A().set_option(c, SocketOption::NoDelay, 1));
        }
        size_t data_segments = 0;
        p.sim.filter = [&](size_t from, std::vector<uint8_t>& f) {
            ParsedFrame pf;
            if (from == 0 && parse_frame(f, pf) && pf.is_tcp && !pf.payload.empty()) data_segments++;
            return true;
        };
        // Ten small writes in a row within one RTT.
        for (int i = 0; i < 10; i++)
            ASSERT_TRUE(p.A().send(c, std::span<const uint8_t>((const uint8_t*)"abcd", 4)));
        p.sim.run_for(1'000);
        if (nodelay)
            EXPECT_EQ(data_segments, 10u);
        else
            EXPECT_EQ(data_segments, 1u); // the rest wait for the ACK of the first
        std::vector<uint8_t> got;
        p.sim.run_until([&] { pump_receive(p.B(), s, got); return got.size() == 40; }, 2'000'000);
        EXPECT_EQ(got.size(), 40u);
        if (!nodelay) {
            EXPECT_EQ(data_segments, 2u);
        }
        p.A().close(c);
        p.B().close(s);
    }
}

TEST(Tcp, DelayedAckAcksEverySecondSegmentOrAfterTimeout) {
    Pair p(13, LinkConditions{.delay_us = 1000});
    auto [c, s] = p.connect(93);
    ASSERT_TRUE(s);
    auto* ts = static_cast<TcpSocket*>(s);
    ts->m_quickack = 0;
    size_t acks = 0;
    p.sim.filter = [&](size_t from, std::vector<uint8_t>& f) {
        ParsedFrame pf;
        if (from == 1 && parse_frame(f, pf) && pf.is_tcp && pf.payload.empty()) acks++;
        return true;
    };
    ASSERT_TRUE(p.A().set_option(c, SocketOption::NoDelay, 1));
    ASSERT_TRUE(p.A().send(c, std::span<const uint8_t>((const uint8_t*)"a", 1)));
    p.sim.run_for(20'000);
    EXPECT_EQ(acks, 0u); // delayed
    p.sim.run_for(30'000);
    EXPECT_EQ(acks, 1u); // after the 40 ms delayed-ACK timer
    auto data = pattern(2 * 1448, 1);
    ASSERT_TRUE(p.A().send(c, std::span<const uint8_t>(data)));
    p.sim.run_for(5'000);
    EXPECT_EQ(acks, 2u); // two full segments: acknowledged at once
    p.A().close(c);
    std::vector<uint8_t> got;
    pump_receive(p.B(), s, got);
    p.B().close(s);
}

TEST(Tcp, ZeroWindowPersistAndReopen) {
    StackConfig cfg = Simulation::default_config();
    cfg.tcp.receive_buffer = 8192;
    Pair p(14, LinkConditions{.delay_us = 1000}, cfg);
    auto [c, s] = p.connect(94);
    ASSERT_TRUE(s);
    auto data = pattern(100000, 4);
    size_t sent = 0;
    pump_send(p.A(), c, data, sent);
    // B does not read: its window closes and A probes.
    p.sim.run_for(30'000'000);
    auto* tc = static_cast<TcpSocket*>(c);
    EXPECT_EQ(tc->m_snd_wnd, 0u);
    EXPECT_EQ(tc->m_rtx_mode, TcpTimerMode::Persist);
    EXPECT_EQ(tc->state(), TcpState::Established);
    size_t before = static_cast<TcpSocket*>(s)->readable_bytes();
    EXPECT_GE(before, 8000u);
    EXPECT_LE(before, 8192u + 1448);
    // Reading reopens the window; everything arrives intact.
    std::vector<uint8_t> got;
    bool ok = p.sim.run_until([&] {
        pump_send(p.A(), c, data, sent);
        pump_receive(p.B(), s, got);
        return got.size() == data.size();
    }, 60'000'000);
    ASSERT_TRUE(ok);
    EXPECT_EQ(got, data);
    p.A().close(c);
    p.B().close(s);
}

TEST(Tcp, KeepaliveDetectsDeadPeer) {
    Pair p(15, LinkConditions{.delay_us = 1000});
    auto [c, s] = p.connect(95);
    ASSERT_TRUE(s);
    ASSERT_TRUE(p.A().set_option(c, SocketOption::KeepIdle, 10));
    ASSERT_TRUE(p.A().set_option(c, SocketOption::KeepInterval, 2));
    ASSERT_TRUE(p.A().set_option(c, SocketOption::KeepCount, 3));
    ASSERT_TRUE(p.A().set_option(c, SocketOption::KeepAlive, 1));
    size_t probes = 0;
    p.sim.filter = [&](size_t from, std::vector<uint8_t>& f) {
        ParsedFrame pf;
        if (from == 0 && parse_frame(f, pf) && pf.is_tcp && pf.payload.empty()) probes++;
        return true;
    };
    // A live peer answers the probes: the connection stays up.
    p.sim.run_for(60'000'000);
    EXPECT_GE(probes, 5u);
    EXPECT_EQ(static_cast<TcpSocket*>(c)->state(), TcpState::Established);
    // The peer vanishes (link drops everything from B): ETIMEDOUT after 3 probes.
    p.sim.filter = [&](size_t from, std::vector<uint8_t>&) { return from == 0; };
    p.sim.run_for(30'000'000);
    EXPECT_EQ(static_cast<TcpSocket*>(c)->state(), TcpState::Closed);
    uint8_t buf[4];
    EXPECT_EQ(p.A().receive(c, std::span<uint8_t>(buf)).error().code, Errno::TIMEDOUT);
    p.A().close(c);
    p.B().close(s);
}

TEST(Tcp, RetransmissionGivesUpWithEtimedout) {
    StackConfig cfg = Simulation::default_config();
    cfg.tcp.retries = 5;
    Pair p(16, LinkConditions{.delay_us = 1000}, cfg);
    auto [c, s] = p.connect(96);
    ASSERT_TRUE(s);
    p.sim.filter = [](size_t, std::vector<uint8_t>&) { return false; };
    ASSERT_TRUE(p.A().send(c, std::span<const uint8_t>((const uint8_t*)"lost", 4)));
    p.sim.run_for(600'000'000);
    EXPECT_EQ(static_cast<TcpSocket*>(c)->state(), TcpState::Closed);
    EXPECT_EQ(p.A().get_option(c, SocketOption::Error).value(), int(Errno::TIMEDOUT));
    // The backoff doubled each time: 5 retries.
    EXPECT_EQ(p.A().tcp().stats().timeouts, 6u);
    p.A().close(c);
    p.B().close(s);
}

TEST(Tcp, SynRetriesThenTimeout) {
    StackConfig cfg = Simulation::default_config();
    cfg.tcp.syn_retries = 2;
    Pair p(17, LinkConditions{.delay_us = 1000}, cfg);
    p.sim.filter = [](size_t, std::vector<uint8_t>&) { return false; };
    Socket* c = p.A().socket(SocketType::Tcp).value();
    (void)p.A().connect(c, Endpoint{kIpB, 97});
    p.sim.run_for(2'500'000);
    EXPECT_EQ(static_cast<TcpSocket*>(c)->state(), TcpState::SynSent);
    p.sim.run_for(10'000'000);
    EXPECT_EQ(static_cast<TcpSocket*>(c)->state(), TcpState::Closed);
    EXPECT_EQ(p.A().connect(c, Endpoint{kIpB, 97}).error().code, Errno::TIMEDOUT);
    p.A().close(c);
}

TEST(Tcp, ReadinessCallbacks) {
    Pair p(18, LinkConditions{.delay_us = 100});
    auto [c, s] = p.connect(98);
    ASSERT_TRUE(s);
    std::vector<uint32_t> events;
    s->set_callback([](void* ctx, Socket&, uint32_t ev) {
        static_cast<std::vector<uint32_t>*>(ctx)->push_back(ev);
    }, &events);
    ASSERT_TRUE(p.A().send(c, std::span<const uint8_t>((const uint8_t*)"hi", 2)));
    p.sim.run_for(10'000);
    ASSERT_FALSE(events.empty());
    EXPECT_TRUE(events.back() & kPollIn);
    events.clear();
    p.A().close(c);
    p.sim.run_for(10'000);
    ASSERT_FALSE(events.empty());
    EXPECT_TRUE(events.back() & kPollRdHup);
    p.B().close(s);
}

TEST(Tcp, LoopbackToOwnAddress) {
    Pair p(19, LinkConditions{});
    Socket* l = p.A().socket(SocketType::Tcp).value();
    ASSERT_TRUE(p.A().bind(l, Endpoint{{}, 7}));
    ASSERT_TRUE(p.A().listen(l, 4));
    for (Ipv4Address dst : {kIpA, Ipv4Address::from_octets(127, 0, 0, 1)}) {
        Socket* c = p.A().socket(SocketType::Tcp).value();
        EXPECT_EQ(p.A().connect(c, Endpoint{dst, 7}).error().code, Errno::INPROGRESS);
        auto acc = p.A().accept(l, nullptr);
        ASSERT_TRUE(acc);
        ASSERT_TRUE(p.A().send(c, std::span<const uint8_t>((const uint8_t*)"loop", 4)));
        uint8_t buf[8];
        auto n = p.A().receive(acc.value(), std::span<uint8_t>(buf));
        ASSERT_TRUE(n);
        EXPECT_EQ(n.value(), 4u);
        p.A().close(c);
        p.A().close(acc.value());
    }
    p.A().close(l);
    p.sim.run_for(70'000'000);
    EXPECT_EQ(p.A().socket_count(), 0u);
}

TEST(Tcp, ReusePortSpreadsConnectionsOverListeners) {
    Pair p(20, LinkConditions{.delay_us = 100});
    p.A().arp().add_permanent(kIpB, p.b->mac);
    p.B().arp().add_permanent(kIpA, p.a->mac);
    Socket* l1 = p.B().socket(SocketType::Tcp).value();
    Socket* l2 = p.B().socket(SocketType::Tcp).value();
    Socket* l3 = p.B().socket(SocketType::Tcp).value();
    for (Socket* l : {l1, l2}) {
        ASSERT_TRUE(p.B().set_option(l, SocketOption::ReusePort, 1));
        ASSERT_TRUE(p.B().bind(l, Endpoint{{}, 8080}));
        ASSERT_TRUE(p.B().listen(l, 64));
    }
    // Without SO_REUSEPORT the port stays taken.
    EXPECT_EQ(p.B().bind(l3, Endpoint{{}, 8080}).error().code, Errno::ADDRINUSE);
    p.B().close(l3);
    std::vector<Socket*> clients;
    for (int i = 0; i < 40; i++) {
        Socket* c = p.A().socket(SocketType::Tcp).value();
        (void)p.A().connect(c, Endpoint{kIpB, 8080});
        clients.push_back(c);
    }
    p.sim.run_for(100'000);
    int n1 = 0, n2 = 0;
    std::vector<Socket*> accepted;
    while (auto x = p.B().accept(l1, nullptr)) { accepted.push_back(x.value()); n1++; }
    while (auto x = p.B().accept(l2, nullptr)) { accepted.push_back(x.value()); n2++; }
    EXPECT_EQ(n1 + n2, 40);
    EXPECT_GT(n1, 5);
    EXPECT_GT(n2, 5);
    for (auto c : clients) p.A().close(c);
    for (auto s : accepted) p.B().close(s);
    p.B().close(l1);
    p.B().close(l2);
}
