// SPDX-License-Identifier: MIT
// Core types: wire integers, bounds-checked views, checksums, sequence numbers, SipHash,
// timers, packet buffers, the TCP send buffer and SACK scoreboard, TCP options, cube root.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "net/checksum.h"
#include "net/host/host.h"
#include "net/packet.h"
#include "net/seq.h"
#include "net/siphash.h"
#include "net/tcp.h"
#include "net/tcp_congestion.h"
#include "net/tcp_wire.h"
#include "net/timer.h"
#include "net/wire.h"

using namespace wisp::net;

TEST(Wire, BigEndianFields) {
    be16 a;
    a.set(0x1234);
    EXPECT_EQ(a.bytes[0], 0x12);
    EXPECT_EQ(a.bytes[1], 0x34);
    EXPECT_EQ(a.value(), 0x1234);
    be32 b;
    b.set(0xdeadbeef);
    EXPECT_EQ(b.bytes[0], 0xde);
    EXPECT_EQ(b.bytes[3], 0xef);
    EXPECT_EQ(b.value(), 0xdeadbeefu);
}

TEST(Wire, ByteViewRejectsOutOfBounds) {
    uint8_t data[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    ByteView v(data, sizeof(data));
    struct Eight {
        uint8_t b[8];
    };
    EXPECT_NE(v.header_at<Eight>(0), nullptr);
    EXPECT_NE(v.header_at<Eight>(2), nullptr);
    EXPECT_EQ(v.header_at<Eight>(3), nullptr);
    EXPECT_EQ(v.header_at<Eight>(100), nullptr);
    uint16_t x;
    EXPECT_TRUE(v.read_be16(8, x));
    EXPECT_EQ(x, 0x090a);
    EXPECT_FALSE(v.read_be16(9, x));
    uint32_t y;
    EXPECT_FALSE(v.read_be32(7, y));
    ByteView s;
    EXPECT_FALSE(v.slice(5, 6, s));
    EXPECT_TRUE(v.slice(5, 5, s));
    EXPECT_EQ(v.from(20).size(), 0u);
}

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (checksum = ~ddf2 = 220d).
    uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(internet_checksum(d, sizeof(d)), 0x220d);
}

TEST(Checksum, SplitAnywhereMatchesWhole) {
    std::mt19937 rng(7);
    for (int round = 0; round < 200; round++) {
        std::vector<uint8_t> data(rng() % 300 + 1);
        for (auto& b : data) b = uint8_t(rng());
        uint16_t whole = internet_checksum(data.data(), data.size());
        Checksum c;
        size_t pos = 0;
        while (pos < data.size()) {
            size_t n = std::min<size_t>(data.size() - pos, rng() % 7 + 1);
            c.add(data.data() + pos, n);
            pos += n;
        }
        EXPECT_EQ(c.finish(), whole);
    }
}

TEST(Checksum, VerifiesWithEmbeddedChecksum) {
    std::vector<uint8_t> data = {0x45, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    uint16_t c = internet_checksum(data.data(), data.size());
    data[10] = uint8_t(c >> 8);
    data[11] = uint8_t(c);
    Checksum v;
    v.add(data.data(), data.size());
    EXPECT_TRUE(v.verifies());
}

TEST(Seq, WraparoundComparisons) {
    Seq a(0xfffffff0u);
    Seq b = a + 0x20; // wrapped past 2^32
    EXPECT_EQ(b.raw(), 0x10u);
    EXPECT_TRUE(a < b);
    EXPECT_TRUE(b > a);
    EXPECT_FALSE(b < a);
    EXPECT_EQ(b - a, 0x20);
    EXPECT_EQ(a - b, -0x20);
    EXPECT_TRUE(seq_in_range(Seq(5), a, b));
    EXPECT_FALSE(seq_in_range(b, a, b));
    EXPECT_EQ(seq_max(a, b), b);
    EXPECT_EQ(seq_distance(a, b), 0x20u);
    EXPECT_TRUE(Seq(0x7fffffff) > Seq(0));
    EXPECT_TRUE(Seq(0x80000001) < Seq(0));
}

TEST(SipHash, ReferenceVector) {
    // The SipHash paper, appendix A: key 00..0f, message 00..0e.
    SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    uint8_t msg[15];
    for (int i = 0; i < 15; i++) msg[i] = uint8_t(i);
    EXPECT_EQ(siphash24(key, msg, sizeof(msg)), 0xa129ca6149be45e5ull);
}

TEST(SipHash, EmptyMessageVector) {
    // First entry of the reference implementation's vectors (64-bit output, empty input).
    SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    EXPECT_EQ(siphash24(key, nullptr, 0), 0x726fdb47dd0e0e31ull);
}

namespace {
struct FiredLog {
    std::vector<int> fired;
};
struct TestTimer {
    Timer timer;
    int id = 0;
    FiredLog* log = nullptr;
};
void record(void* owner, uint64_t) {
    auto* t = static_cast<TestTimer*>(owner);
    t->log->fired.push_back(t->id);
}
} // namespace

TEST(TimerQueue, FiresInOrderAndSupportsCancelRearm) {
    std::mt19937_64 rng(3);
    TimerQueue q;
    FiredLog log;
    std::vector<TestTimer> timers(500);
    std::map<int, uint64_t> expected; // id -> expiry, for armed timers
    for (size_t i = 0; i < timers.size(); i++) {
        timers[i].id = int(i);
        timers[i].log = &log;
        timers[i].timer.callback = record;
        timers[i].timer.owner = &timers[i];
    }
    for (int op = 0; op < 5000; op++) {
        size_t i = rng() % timers.size();
        if (rng() % 3 == 0) {
            q.cancel(timers[i].timer);
            expected.erase(int(i));
        } else {
            uint64_t when = 1000 + rng() % 100000;
            q.arm(timers[i].timer, when);
            expected[int(i)] = when;
        }
    }
    EXPECT_EQ(q.size(), expected.size());
    uint64_t min = UINT64_MAX;
    for (auto& [id, when] : expected) min = std::min(min, when);
    EXPECT_EQ(q.next_deadline(), min);
    q.run(50000);
    std::set<int> fired(log.fired.begin(), log.fired.end());
    uint64_t last = 0;
    for (int id : log.fired) {
        EXPECT_LE(expected[id], 50000u);
        EXPECT_GE(expected[id], last);
        last = expected[id];
    }
    for (auto& [id, when] : expected) EXPECT_EQ(fired.count(id) == 1, when <= 50000) << id;
    q.run(UINT64_MAX - 1);
    EXPECT_EQ(log.fired.size(), expected.size());
    EXPECT_EQ(q.size(), 0u);
    EXPECT_EQ(q.next_deadline(), UINT64_MAX);
}

TEST(Packet, HeadroomChainAndTrim) {
    host::HeapMemory memory;
    {
        PacketPool pool(memory, 64 * 1024);
        Packet p = pool.allocate(100);
        ASSERT_TRUE(p);
        EXPECT_EQ(p.headroom(), 100u);
        memcpy(p.put(5), "hello", 5);
        memcpy(p.push(3), "abc", 3);
        EXPECT_EQ(p.length(), 8u);
        EXPECT_EQ(memcmp(p.data(), "abchello", 8), 0);
        Packet q = pool.allocate(0);
        memcpy(q.put(6), " world", 6);
        p.append_chain(std::move(q));
        EXPECT_EQ(p.total_length(), 14u);
        char out[20] = {};
        EXPECT_EQ(p.copy_out(2, reinterpret_cast<uint8_t*>(out), 12), 12u);
        EXPECT_STREQ(out, "chello world");
        p.trim_front(9); // crosses into the second buffer, freeing the first
        EXPECT_EQ(pool.in_use(), 1u);
        EXPECT_EQ(p.total_length(), 5u);
        EXPECT_EQ(memcmp(p.data(), "world", 5), 0);
        p.truncate(3);
        EXPECT_EQ(p.total_length(), 3u);
    }
    EXPECT_EQ(memory.outstanding(), 0u);
}

TEST(Packet, PoolBudgetIsHard) {
    host::HeapMemory memory;
    PacketPool pool(memory, 10 * kPacketBlockSize);
    std::vector<Packet> held;
    for (int i = 0; i < 20; i++) {
        Packet p = pool.allocate(0);
        if (!p) break;
        held.push_back(std::move(p));
    }
    EXPECT_EQ(held.size(), 10u);
    EXPECT_EQ(pool.allocation_failures(), 1u);
    held.pop_back();
    EXPECT_TRUE(pool.allocate(0));
}

TEST(SendBuffer, AppendCopyConsume) {
    host::HeapMemory memory;
    PacketPool pool(memory, 1024 * 1024);
    SendBuffer sb;
    std::vector<uint8_t> data(10000);
    for (size_t i = 0; i < data.size(); i++) data[i] = uint8_t(i * 7);
    EXPECT_EQ(sb.append(pool, data.data(), 3000), 3000u);
    EXPECT_EQ(sb.append(pool, data.data() + 3000, 7000), 7000u);
    std::mt19937 rng(1);
    size_t consumed = 0;
    while (sb.size() > 0) {
        size_t off = rng() % sb.size();
        size_t n = std::min<size_t>(sb.size() - off, rng() % 3000 + 1);
        std::vector<uint8_t> out(n);
        sb.copy_out(off, out.data(), n);
        ASSERT_EQ(memcmp(out.data(), data.data() + consumed + off, n), 0);
        size_t c = std::min<size_t>(sb.size(), rng() % 1500);
        sb.consume(c);
        consumed += c;
    }
    EXPECT_EQ(pool.in_use(), 0u);
}

TEST(SackScoreboard, MergesAndCountsHoles) {
    SackScoreboard sb;
    Seq una(1000), max(20000);
    sb.add(Seq(3000), Seq(4000), una, max);
    sb.add(Seq(5000), Seq(6000), una, max);
    sb.add(Seq(4000), Seq(5000), una, max); // bridges the two
    EXPECT_EQ(sb.count(), 1u);
    EXPECT_EQ(sb.sacked_bytes(), 3000u);
    sb.add(Seq(8000), Seq(9000), una, max);
    EXPECT_EQ(sb.count(), 2u);
    EXPECT_EQ(sb.holes_between(una, max), 19000u - 4000u);
    EXPECT_EQ(sb.sacked_above(Seq(5500)), 500u + 1000u);
    Seq end;
    EXPECT_TRUE(sb.sacked(Seq(3500), end));
    EXPECT_EQ(end, Seq(6000));
    EXPECT_FALSE(sb.sacked(Seq(7000), end));
    sb.advance(Seq(5000));
    EXPECT_EQ(sb.sacked_bytes(), 2000u);
    sb.add(Seq(100), Seq(200), Seq(5000), max); // below SND.UNA: ignored
    EXPECT_EQ(sb.count(), 2u);
}

TEST(SackScoreboard, WorksAcrossWrap) {
    SackScoreboard sb;
    Seq una(0xffffff00u);
    Seq max = una + 0x1000;
    sb.add(una + 0x80, una + 0x200, una, max);
    EXPECT_EQ(sb.sacked_bytes(), 0x180u);
    EXPECT_EQ(sb.holes_between(una, max), 0x1000u - 0x180u);
}

TEST(TcpOptions, RoundTrip) {
    TcpOptionsOut o;
    o.mss = 1460;
    o.window_scale = 7;
    o.sack_permitted = true;
    o.timestamp = true;
    o.ts_value = 0x11223344;
    o.ts_echo = 0x55667788;
    uint8_t buf[40];
    size_t n = write_tcp_options(buf, o);
    EXPECT_EQ(n, tcp_options_length(o));
    EXPECT_EQ(n % 4, 0u);
    TcpOptions in;
    EXPECT_TRUE(parse_tcp_options(ByteView(buf, n), in));
    EXPECT_TRUE(in.has_mss && in.has_window_scale && in.sack_permitted && in.has_timestamp);
    EXPECT_EQ(in.mss, 1460);
    EXPECT_EQ(in.window_scale, 7);
    EXPECT_EQ(in.ts_value, 0x11223344u);
    EXPECT_EQ(in.ts_echo, 0x55667788u);

    TcpOptionsOut s;
    s.timestamp = true;
    s.sack_count = 3;
    for (int i = 0; i < 3; i++) s.sack[i] = SackBlock{Seq(uint32_t(100 * i)), Seq(uint32_t(100 * i + 50))};
    n = write_tcp_options(buf, s);
    EXPECT_LE(n, 40u);
    TcpOptions sin;
    EXPECT_TRUE(parse_tcp_options(ByteView(buf, n), sin));
    EXPECT_EQ(sin.sack_count, 3);
    EXPECT_EQ(sin.sack[2].end, Seq(250));
}

TEST(TcpOptions, MalformedStopsSafely) {
    uint8_t bad1[] = {kTcpOptMss, 10, 1, 2}; // length past the end
    TcpOptions o;
    EXPECT_FALSE(parse_tcp_options(ByteView(bad1, sizeof(bad1)), o));
    EXPECT_FALSE(o.has_mss);
    uint8_t bad2[] = {kTcpOptNop, kTcpOptWindowScale, 4, 1, 0}; // wrong fixed length
    TcpOptions o2;
    EXPECT_FALSE(parse_tcp_options(ByteView(bad2, sizeof(bad2)), o2));
    uint8_t bad3[] = {kTcpOptTimestamp, 1}; // length < 2
    TcpOptions o3;
    EXPECT_FALSE(parse_tcp_options(ByteView(bad3, sizeof(bad3)), o3));
    uint8_t big_ws[] = {kTcpOptWindowScale, 3, 30};
    TcpOptions o4;
    EXPECT_TRUE(parse_tcp_options(ByteView(big_ws, sizeof(big_ws)), o4));
    EXPECT_EQ(o4.window_scale, kTcpMaxWindowScale); // RFC 7323 §2.3
}

TEST(Cubic, IntegerCubeRoot) {
    EXPECT_EQ(integer_cube_root(0), 0u);
    EXPECT_EQ(integer_cube_root(1), 1u);
    EXPECT_EQ(integer_cube_root(7), 1u);
    EXPECT_EQ(integer_cube_root(8), 2u);
    EXPECT_EQ(integer_cube_root(1'000'000'000'000ull), 10000u);
    EXPECT_EQ(integer_cube_root(999'999'999'999ull), 9999u);
    EXPECT_EQ(integer_cube_root(UINT64_MAX), 2642245u);
}

TEST(Cubic, WindowFollowsCubicCurve) {
    // After a loss at W_max, cwnd drops to 0.7 W_max and climbs back to W_max at about
    // t = K = cbrt(W_max * 0.3 / 0.4) seconds (RFC 9438 §4.2).
    const uint32_t mss = 1000;
    CongestionControl cc;
    cc.init(CongestionAlgorithm::Cubic, mss);
    cc.set_cwnd(100 * mss);
    cc.set_ssthresh(50 * mss);
    uint64_t now = 1'000'000;
    cc.on_loss(100 * mss, mss, now);
    EXPECT_EQ(cc.cwnd(), 70 * mss);
    EXPECT_EQ(cc.ssthresh(), 70 * mss);
    // K = cbrt(100 * 0.3 / 0.4) = cbrt(75) = 4.217 s.
    const uint64_t rtt = 100'000;
    uint64_t t_reach = 0;
    for (uint64_t t = 0; t < 20'000'000; t += rtt) {
        // One window of ACKs per RTT.
        uint32_t w = cc.cwnd();
        for (uint32_t acked = 0; acked < w; acked += mss) cc.on_ack(mss, mss, now + t, rtt);
        if (t_reach == 0 && cc.cwnd() >= 100 * mss) t_reach = t;
    }
    EXPECT_EQ(cc.cubic_k_ms(), 4217u);
    EXPECT_GT(t_reach, 3'000'000u);
    EXPECT_LT(t_reach, 5'000'000u);
    EXPECT_GT(cc.cwnd(), 100 * mss); // convex growth beyond W_max afterwards
}

TEST(NewReno, HalvesOnLossAndGrowsLinearly) {
    const uint32_t mss = 1000;
    CongestionControl cc;
    cc.init(CongestionAlgorithm::NewReno, mss);
    EXPECT_EQ(cc.cwnd(), 10 * mss);
    for (int i = 0; i < 10; i++) cc.on_ack(mss, mss, 0, 0);
    EXPECT_EQ(cc.cwnd(), 20 * mss); // slow start doubles per window
    cc.on_loss(20 * mss, mss, 0);
    EXPECT_EQ(cc.ssthresh(), 10 * mss);
    EXPECT_EQ(cc.cwnd(), 10 * mss);
    for (int i = 0; i < 10; i++) cc.on_ack(mss, mss, 0, 0);
    EXPECT_EQ(cc.cwnd(), 11 * mss); // +1 MSS per window in congestion avoidance
    cc.on_timeout(11 * mss, mss, 0);
    EXPECT_EQ(cc.cwnd(), mss);
}

TEST(Checksum, CarryOutOfTheCarrySum) {
    // All-ones data makes the 64-bit accumulator wrap exactly when the carries are added
    // back (a regression found by fuzz_parsers): split and whole sums must agree.
    std::vector<uint8_t> data(63, 0xff);
    data[3] = data[4] = data[5] = data[6] = data[7] = data[8] = data[9] = data[10] = data[11] = 0;
    data[62] = 0x01;
    uint16_t whole = internet_checksum(data.data(), data.size());
    for (size_t cut = 0; cut <= data.size(); cut++) {
        Checksum c;
        c.add(data.data(), cut);
        c.add(data.data() + cut, data.size() - cut);
        EXPECT_EQ(c.finish(), whole) << cut;
    }
    // And against a byte-at-a-time reference.
    uint32_t ref = 0;
    for (size_t i = 0; i + 1 < data.size(); i += 2) ref += uint32_t(data[i]) << 8 | data[i + 1];
    ref += uint32_t(data.back()) << 8;
    while (ref >> 16) ref = (ref & 0xffff) + (ref >> 16);
    EXPECT_EQ(whole, uint16_t(~ref));
}

TEST(Checksum, MatchesReferenceOnRandomData) {
    std::mt19937 rng(11);
    for (int round = 0; round < 2000; round++) {
        std::vector<uint8_t> data(rng() % 200);
        int mode = round % 3;
        for (auto& b : data) b = mode == 0 ? uint8_t(rng()) : mode == 1 ? 0xff : uint8_t(rng() % 2 ? 0xff : 0);
        uint32_t ref = 0;
        for (size_t i = 0; i < data.size(); i += 2)
            ref += uint32_t(data[i]) << 8 | (i + 1 < data.size() ? data[i + 1] : 0);
        while (ref >> 16) ref = (ref & 0xffff) + (ref >> 16);
        ASSERT_EQ(internet_checksum(data.data(), data.size()), uint16_t(~ref)) << round;
    }
}
