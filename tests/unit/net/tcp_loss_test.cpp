// SPDX-License-Identifier: MIT
// TCP over a lossy, reordering, duplicating link: bulk transfers in both directions arrive
// byte-exact, connections open and close under loss, and many connections run at once.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "net/checksum.h"
#include "sim_helpers.h"

using namespace nettest;
using wisp::Errno;

namespace {

struct LossCase {
    const char* name;
    double loss;
    double reorder;
    double duplicate;
    bool sack;
    CongestionAlgorithm cc;
    bool timestamps = true;
};

void PrintTo(const LossCase& c, std::ostream* os) { *os << c.name; }

class BulkUnderLoss : public ::testing::TestWithParam<LossCase> {};

uint64_t fingerprint(const std::vector<uint8_t>& v) {
    // Order-sensitive: a position-weighted sum plus the Internet checksum.
    uint64_t h = 1469598103934665603ull;
    for (uint8_t b : v) h = (h ^ b) * 1099511628211ull;
    return h ^ internet_checksum(v.data(), v.size());
}

} // namespace

TEST_P(BulkUnderLoss, BothDirectionsArriveByteExact) {
    const LossCase& lc = GetParam();
    LinkConditions link;
    link.loss = lc.loss;
    link.reorder = lc.reorder;
    link.reorder_delay_us = 3000;
    link.duplicate = lc.duplicate;
    link.delay_us = 2000;
    link.jitter_us = 200;
    link.bandwidth_bps = 100'000'000;
    StackConfig cfg = Simulation::default_config();
    cfg.tcp.sack = lc.sack;
    cfg.tcp.timestamps = lc.timestamps;
    cfg.tcp.congestion = lc.cc;
    Pair p(1000 + uint64_t(lc.loss * 1000), link, cfg);
    auto [c, s] = p.connect(5001, 120'000'000);
    ASSERT_NE(s, nullptr) << "connection setup failed under loss";
    const size_t kUp = 1'000'000, kDown = 700'000;
    auto up = pattern(kUp, 11), down = pattern(kDown, 12);
    size_t up_sent = 0, down_sent = 0;
    std::vector<uint8_t> up_got, down_got;
    bool ok = p.sim.run_until([&] {
        pump_send(p.A(), c, up, up_sent);
        pump_send(p.B(), s, down, down_sent);
        pump_receive(p.B(), s, up_got);
        pump_receive(p.A(), c, down_got);
        return up_got.size() >= up.size() && down_got.size() >= down.size();
    }, 600'000'000);
    ASSERT_TRUE(ok) << "up " << up_got.size() << "/" << kUp << " down " << down_got.size()
                    << "/" << kDown << " at t=" << p.sim.now();
    EXPECT_EQ(up_got.size(), up.size());
    EXPECT_EQ(fingerprint(up_got), fingerprint(up));
    EXPECT_TRUE(up_got == up);
    EXPECT_TRUE(down_got == down);
    if (lc.loss > 0) {
        EXPECT_GT(p.A().tcp().stats().retransmitted_segments, 0u);
    }

    // Orderly teardown under the same loss.
    ASSERT_TRUE(p.A().shutdown(c, ShutdownHow::Write));
    ASSERT_TRUE(p.B().shutdown(s, ShutdownHow::Write));
    std::vector<uint8_t> tail_a, tail_b;
    bool closed = p.sim.run_until([&] {
        bool a_eof = !pump_receive(p.A(), c, tail_a);
        bool b_eof = !pump_receive(p.B(), s, tail_b);
        return a_eof && b_eof;
    }, 120'000'000);
    EXPECT_TRUE(closed);
    p.A().close(c);
    p.B().close(s);
    p.sim.run_for(200'000'000);
    EXPECT_EQ(p.A().socket_count(), 0u);
    EXPECT_EQ(p.B().socket_count(), 0u);
    EXPECT_EQ(p.A().pool().in_use(), 0u);
    EXPECT_EQ(p.B().pool().in_use(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Link, BulkUnderLoss,
    ::testing::Values(
        LossCase{"clean_cubic", 0, 0, 0, true, CongestionAlgorithm::Cubic},
        LossCase{"loss1_cubic_sack", 0.01, 0, 0, true, CongestionAlgorithm::Cubic},
        LossCase{"loss5_cubic_sack", 0.05, 0, 0, true, CongestionAlgorithm::Cubic},
        LossCase{"loss10_cubic_sack", 0.10, 0, 0, true, CongestionAlgorithm::Cubic},
        LossCase{"loss5_newreno_nosack", 0.05, 0, 0, false, CongestionAlgorithm::NewReno},
        LossCase{"loss10_newreno_nosack_nots", 0.10, 0, 0, false, CongestionAlgorithm::NewReno, false},
        LossCase{"reorder_dup_loss3", 0.03, 0.05, 0.03, true, CongestionAlgorithm::Cubic},
        LossCase{"reorder_dup_loss10_nosack", 0.10, 0.05, 0.05, false, CongestionAlgorithm::Cubic}),
    [](const ::testing::TestParamInfo<LossCase>& info) { return std::string(info.param.name); });

TEST(TcpLoss, SetupAndTeardownUnderHeavyLoss) {
    // 30% loss: SYN, SYN-ACK, FIN and their ACKs all get lost, sometimes repeatedly. Every
    // message still gets through and every connection closes. As with Linux, a server may
    // give up on a half-open connection whose handshake ACKs kept getting lost; the client
    // then sees a reset on its first data and (like a real client) reconnects.
    LinkConditions link{.loss = 0.3, .delay_us = 1000};
    Pair p(77, link);
    Socket* l = p.B().socket(SocketType::Tcp).value();
    ASSERT_TRUE(p.B().bind(l, Endpoint{{}, 7}));
    ASSERT_TRUE(p.B().listen(l, 64));
    const int kConns = 20;
    std::vector<Socket*> clients(kConns), servers;
    std::vector<bool> sent(kConns, false);
    auto start = [&](int i) {
        clients[i] = p.A().socket(SocketType::Tcp).value();
        EXPECT_EQ(p.A().connect(clients[i], Endpoint{kIpB, 7}).error().code, Errno::INPROGRESS);
        sent[i] = false;
    };
    for (int i = 0; i < kConns; i++) start(i);
    std::vector<std::vector<uint8_t>> got;
    std::vector<bool> eof;
    std::set<std::string> messages;
    int reconnects = 0;
    bool ok = p.sim.run_until([&] {
        while (auto x = p.B().accept(l, nullptr)) {
            servers.push_back(x.value());
            got.emplace_back();
            eof.push_back(false);
        }
        for (int i = 0; i < kConns; i++) {
            auto* tc = static_cast<TcpSocket*>(clients[i]);
            std::string msg = "conn" + std::to_string(i);
            if (tc->state() == TcpState::Established && !sent[i]) {
                auto r = p.A().send(clients[i], std::span<const uint8_t>((const uint8_t*)msg.data(), msg.size()));
                EXPECT_EQ(r.value(), msg.size());
                EXPECT_TRUE(p.A().shutdown(clients[i], ShutdownHow::Write));
                sent[i] = true;
            }
            if (tc->state() == TcpState::Closed && tc->m_has_error && !messages.count(msg)) {
                p.A().close(clients[i]);
                start(i);
                reconnects++;
            }
        }
        for (size_t j = 0; j < servers.size(); j++) {
            if (!eof[j] && !pump_receive(p.B(), servers[j], got[j])) {
                eof[j] = true;
                messages.insert(std::string(got[j].begin(), got[j].end()));
                p.B().close(servers[j]);
            }
        }
        return messages.size() == size_t(kConns);
    }, 600'000'000);
    ASSERT_TRUE(ok) << servers.size() << " accepted, " << messages.size() << " messages";
    EXPECT_TRUE(messages.count("conn0") && messages.count("conn19"));
    EXPECT_LE(reconnects, 5);
    for (auto c : clients) p.A().close(c);
    p.B().close(l);
    p.sim.run_for(900'000'000);
    EXPECT_EQ(p.A().socket_count(), 0u);
    EXPECT_EQ(p.B().socket_count(), 0u);
}

TEST(TcpLoss, TenThousandConcurrentConnections) {
    StackConfig cfg = Simulation::default_config();
    cfg.max_tcp_sockets = 12000;
    cfg.tcp_hash_buckets = 16384;
    cfg.packet_budget_bytes = 96 * 1024 * 1024;
    cfg.tcp.send_buffer = 16384;
    cfg.tcp.receive_buffer = 16384;
    Pair p(5, LinkConditions{.loss = 0.01, .delay_us = 500}, cfg);
    const int kConns = 10000;
    Socket* l = p.B().socket(SocketType::Tcp).value();
    ASSERT_TRUE(p.B().bind(l, Endpoint{{}, 7}));
    ASSERT_TRUE(p.B().listen(l, 16384));
    std::vector<Socket*> clients(kConns), servers;
    servers.reserve(kConns);
    for (int i = 0; i < kConns; i++) {
        clients[i] = p.A().socket(SocketType::Tcp).value();
        ASSERT_EQ(p.A().connect(clients[i], Endpoint{kIpB, 7}).error().code, Errno::INPROGRESS);
    }
    bool ok = p.sim.run_until([&] {
        while (auto x = p.B().accept(l, nullptr)) servers.push_back(x.value());
        return servers.size() == size_t(kConns);
    }, 120'000'000);
    ASSERT_TRUE(ok) << servers.size();
    EXPECT_EQ(p.A().tcp().connection_count(), size_t(kConns));
    EXPECT_EQ(p.B().tcp().connection_count(), size_t(kConns));
    // Every connection carries its own id; the server echoes it back.
    for (int i = 0; i < kConns; i++) {
        uint32_t id = uint32_t(i);
        ASSERT_EQ(p.A().send(clients[i], std::span<const uint8_t>((const uint8_t*)&id, 4)).value(), 4u);
    }
    std::vector<int> echoed(kConns, 0);
    int done = 0;
    ok = p.sim.run_until([&] {
        uint8_t buf[64];
        for (auto s : servers) {
            auto n = p.B().receive(s, std::span<uint8_t>(buf));
            if (n && n.value() > 0) (void)p.B().send(s, std::span<const uint8_t>(buf, n.value()));
        }
        for (int i = 0; i < kConns; i++) {
            if (echoed[i]) continue;
            auto n = p.A().receive(clients[i], std::span<uint8_t>(buf));
            if (n && n.value() == 4) {
                uint32_t id;
                memcpy(&id, buf, 4);
                EXPECT_EQ(id, uint32_t(i));
                echoed[i] = 1;
                done++;
            }
        }
        return done == kConns;
    }, 120'000'000);
    ASSERT_TRUE(ok) << done;
    for (auto c : clients) p.A().close(c);
    for (auto s : servers) p.B().close(s);
    p.B().close(l);
    p.sim.run_for(180'000'000);
    EXPECT_EQ(p.A().socket_count(), 0u);
    EXPECT_EQ(p.B().socket_count(), 0u);
}
