// SPDX-License-Identifier: MIT
// Ethernet, ARP, IPv4 (checksum, TTL, options, fragments and reassembly limits), ICMP and
// UDP against a scripted peer.
#include <gtest/gtest.h>

#include "harness.h"
#include "net/checksum.h"
#include "net/icmp.h"

using namespace nettest;

TEST(Ethernet, DropsFramesForOtherHostsAndShortFrames) {
    Harness h;
    MacAddress other{{0x02, 9, 9, 9, 9, 9}};
    auto f = build_udp_frame(kPeerMac, other, kPeerIp, kStackIp, 1000, 2000, bytes("x"));
    h.inject(f);
    EXPECT_EQ(h.stack->frames_dropped, 1u);
    h.inject(std::vector<uint8_t>(10, 0));
    EXPECT_EQ(h.stack->frames_dropped, 2u);
    EXPECT_TRUE(h.take().empty());
}

TEST(Arp, RepliesToRequestsForOurAddressOnly) {
    Harness h(small_config(), false);
    auto req = build_arp_frame(kPeerMac, MacAddress::broadcast(), kArpRequest, kPeerMac, kPeerIp,
                               MacAddress{}, kStackIp);
    h.inject(req);
    auto out = h.take();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].is_arp);
    EXPECT_EQ(out[0].arp.operation.value(), kArpReply);
    EXPECT_EQ(out[0].arp.sender_mac, kStackMac);
    EXPECT_EQ(out[0].arp.sender_ip.value(), kStackIp.value);
    EXPECT_EQ(out[0].arp.target_mac, kPeerMac);
    EXPECT_EQ(out[0].eth.destination, kPeerMac);
    // The requester was learned (RFC 826: the request was for us).
    MacAddress m;
    EXPECT_TRUE(h.stack->arp().lookup(kPeerIp, m));
    EXPECT_EQ(m, kPeerMac);

    // Not for us: no reply and nothing learned.
    auto other = build_arp_frame(kPeerMac, MacAddress::broadcast(), kArpRequest, kPeerMac,
                                 Ipv4Address::from_octets(10, 0, 0, 7), MacAddress{},
                                 Ipv4Address::from_octets(10, 0, 0, 9));
    h.inject(other);
    EXPECT_TRUE(h.take().empty());
    EXPECT_FALSE(h.stack->arp().lookup(Ipv4Address::from_octets(10, 0, 0, 7), m));
}

TEST(Arp, ResolvesHoldsPacketsAndRetries) {
    Harness h(small_config(), false);
    auto s = h.stack->socket(SocketType::Udp).value();
    Endpoint to{kPeerIp, 9999};
    ASSERT_EQ(h.stack->send_to(s, std::span<const uint8_t>((const uint8_t*)"ab", 2), 0, &to).value(), 2u);
    auto out = h.take();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].is_arp);
    EXPECT_EQ(out[0].arp.operation.value(), kArpRequest);
    EXPECT_TRUE(out[0].eth.destination.is_broadcast());
    // Unanswered: retransmitted after a second.
    h.advance(1'000'000);
    out = h.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].is_arp);
    // The reply releases the held datagram.
    h.inject(build_arp_frame(kPeerMac, kStackMac, kArpReply, kPeerMac, kPeerIp, kStackMac, kStackIp));
    out = h.take();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].is_udp);
    EXPECT_EQ(out[0].eth.destination, kPeerMac);
    EXPECT_EQ(out[0].payload, bytes("ab"));
    h.stack->close(s);
}

TEST(Arp, GivesUpAfterMaxRequestsAndExpiresEntries) {
    Harness h(small_config(), false);
    auto s = h.stack->socket(SocketType::Udp).value();
    Endpoint to{Ipv4Address::from_octets(10, 0, 0, 77), 9999};
    ASSERT_TRUE(h.stack->send_to(s, std::span<const uint8_t>((const uint8_t*)"a", 1), 0, &to));
    for (int i = 0; i < 5; i++) h.advance(1'000'000);
    auto out = h.take();
    EXPECT_EQ(out.size(), 3u); // max_requests
    MacAddress m;
    EXPECT_FALSE(h.stack->arp().lookup(to.address, m));
    // A learned entry goes stale after reachable time, is revalidated on use, and
    // disappears when unanswered.
    h.inject(build_arp_frame(kPeerMac, kStackMac, kArpRequest, kPeerMac, kPeerIp, MacAddress{}, kStackIp));
    h.take();
    EXPECT_TRUE(h.stack->arp().lookup(kPeerIp, m));
    h.advance(61'000'000);
    Endpoint peer{kPeerIp, 1};
    ASSERT_TRUE(h.stack->send_to(s, std::span<const uint8_t>((const uint8_t*)"a", 1), 0, &peer));
    out = h.take();
    ASSERT_EQ(out.size(), 2u); // a unicast probe and the datagram (stale entries still work)
    EXPECT_TRUE(out[0].is_arp);
    EXPECT_EQ(out[0].eth.destination, kPeerMac);
    EXPECT_TRUE(out[1].is_udp);
    for (int i = 0; i < 5; i++) h.advance(1'000'000);
    EXPECT_FALSE(h.stack->arp().lookup(kPeerIp, m));
    h.stack->close(s);
}

TEST(Arp, GratuitousAnnouncementOnConfigure) {
    Harness h;
    h.stack->configure(InterfaceConfig{Ipv4Address::from_octets(10, 0, 0, 3), 24, {}});
    auto out = h.take();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].is_arp);
    EXPECT_EQ(out[0].arp.sender_ip.value(), out[0].arp.target_ip.value());
}

static std::vector<uint8_t> echo_request(uint16_t id, uint16_t seq, size_t size) {
    std::vector<uint8_t> body(size);
    for (size_t i = 0; i < size; i++) body[i] = uint8_t(i);
    return build_icmp(kIcmpEchoRequest, 0, uint32_t(id) << 16 | seq, body);
}

TEST(Icmp, AnswersEcho) {
    Harness h;
    auto req = echo_request(7, 1, 56);
    h.inject(build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp, req));
    auto out = h.take();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].is_icmp);
    EXPECT_TRUE(out[0].ip_checksum_ok);
    EXPECT_TRUE(out[0].transport_checksum_ok);
    EXPECT_EQ(out[0].payload[0], kIcmpEchoReply);
    EXPECT_EQ(out[0].ip.destination.value(), kPeerIp.value);
    EXPECT_EQ(std::vector<uint8_t>(out[0].payload.begin() + 4, out[0].payload.end()),
              std::vector<uint8_t>(req.begin() + 4, req.end()));
}

TEST(Icmp, IgnoresBadChecksumAndBroadcastEcho) {
    Harness h;
    auto req = echo_request(7, 1, 16);
    req[2] ^= 0xff;
    h.inject(build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp, req));
    EXPECT_TRUE(h.take().empty());
    auto ok = echo_request(7, 2, 16);
    h.inject(build_ipv4_frame(kPeerMac, MacAddress::broadcast(), kPeerIp,
                              Ipv4Address::from_octets(10, 0, 0, 255), kIpProtoIcmp, ok));
    EXPECT_TRUE(h.take().empty());
}

TEST(Ipv4, RejectsBadHeaders) {
    Harness h;
    auto f = build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp, echo_request(1, 1, 8));
    auto bad_checksum = f;
    bad_checksum[14 + 10] ^= 1;
    h.inject(bad_checksum);
    auto bad_version = f;
    bad_version[14] = 0x65;
    h.inject(bad_version);
    auto bad_ihl = f;
    bad_ihl[14] = 0x44;
    h.inject(bad_ihl);
    auto too_long = f;
    too_long[14 + 2] = 0x10; // total length > frame
    h.inject(too_long);
    auto not_ours = build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, Ipv4Address::from_octets(10, 0, 0, 99), kIpProtoIcmp, echo_request(1, 1, 8));
    h.inject(not_ours);
    EXPECT_TRUE(h.take().empty());
    const auto& st = h.stack->ipv4().stats();
    EXPECT_EQ(st.bad_checksum, 1u);
    EXPECT_GE(st.bad_header, 3u);
    EXPECT_EQ(st.not_for_us, 1u);
}

TEST(Ipv4, SkipsOptionsAndTrailingPadding) {
    Harness h;
    auto req = echo_request(3, 3, 8);
    // Build a header with 8 bytes of options (NOPs + EOL) by hand.
    std::vector<uint8_t> ip(28 + req.size());
    ip[0] = 0x47;
    ip[2] = uint8_t(ip.size() >> 8);
    ip[3] = uint8_t(ip.size());
    ip[8] = 64;
    ip[9] = kIpProtoIcmp;
    store_be32(&ip[12], kPeerIp.value);
    store_be32(&ip[16], kStackIp.value);
    for (int i = 20; i < 27; i++) ip[i] = 1;
    ip[27] = 0;
    uint16_t c = internet_checksum(ip.data(), 28);
    ip[10] = uint8_t(c >> 8);
    ip[11] = uint8_t(c);
    memcpy(&ip[28], req.data(), req.size());
    std::vector<uint8_t> frame(14);
    memcpy(frame.data(), kStackMac.bytes, 6);
    memcpy(frame.data() + 6, kPeerMac.bytes, 6);
    frame[12] = 0x08;
    frame.insert(frame.end(), ip.begin(), ip.end());
    frame.resize(frame.size() + 10, 0xee); // Ethernet padding after the datagram
    h.inject(frame);
    auto out = h.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].is_icmp);
    EXPECT_EQ(out[0].payload[0], kIcmpEchoReply);
}

// Splits an IP payload into fragments of `chunk` bytes (a multiple of 8).
static std::vector<std::vector<uint8_t>> fragments(const std::vector<uint8_t>& payload,
                                                   size_t chunk, uint16_t id, uint8_t proto) {
    std::vector<std::vector<uint8_t>> out;
    for (size_t off = 0; off < payload.size(); off += chunk) {
        size_t n = std::min(chunk, payload.size() - off);
        std::vector<uint8_t> part(payload.begin() + long(off), payload.begin() + long(off + n));
        uint16_t ff = uint16_t(off / 8) | (off + n < payload.size() ? kIpFlagMoreFragments : 0);
        out.push_back(build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, proto, part, id, ff));
    }
    return out;
}

TEST(Ipv4, ReassemblesOutOfOrderFragments) {
    Harness h;
    auto req = echo_request(9, 9, 3000);
    auto frags = fragments(req, 1024, 77, kIpProtoIcmp);
    ASSERT_EQ(frags.size(), 3u);
    h.inject(frags[2]);
    h.inject(frags[0]);
    h.inject(frags[0]); // exact duplicate: ignored
    EXPECT_TRUE(h.take().empty());
    h.inject(frags[1]);
    auto out = h.take();
    // The 3008-byte reply leaves fragmented too.
    ASSERT_EQ(out.size(), 3u);
    std::vector<uint8_t> reply;
    for (auto& f : out) reply.insert(reply.end(), f.ip_payload.begin(), f.ip_payload.end());
    ASSERT_EQ(reply.size(), req.size());
    EXPECT_EQ(reply[0], kIcmpEchoReply);
    EXPECT_TRUE(std::equal(reply.begin() + 4, reply.end(), req.begin() + 4));
    EXPECT_EQ(internet_checksum(reply.data(), reply.size()), 0);
    EXPECT_EQ(h.stack->ipv4().stats().reassembled, 1u);
    EXPECT_EQ(h.stack->ipv4().reassemblies_in_progress(), 0u);
}

TEST(Ipv4, OverlappingFragmentsDiscardTheDatagram) {
    Harness h;
    auto req = echo_request(9, 9, 2000);
    auto frags = fragments(req, 1024, 78, kIpProtoIcmp);
    // A second fragment starting at offset 512 overlaps the first.
    std::vector<uint8_t> overlap(req.begin() + 512, req.begin() + 1024);
    h.inject(frags[0]);
    h.inject(build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp, overlap, 78,
                              uint16_t(512 / 8) | kIpFlagMoreFragments));
    h.inject(frags[1]);
    EXPECT_TRUE(h.take().empty());
    EXPECT_EQ(h.stack->ipv4().stats().reassembled, 0u);
}

TEST(Ipv4, ReassemblyLimitsAndTimeout) {
    Harness h;
    // Many incomplete datagrams: only max_datagrams are tracked; none pins memory forever.
    auto req = echo_request(1, 1, 2000);
    for (uint16_t id = 0; id < 40; id++) h.inject(fragments(req, 1024, id, kIpProtoIcmp)[0]);
    EXPECT_EQ(h.stack->ipv4().reassemblies_in_progress(), 8u);
    size_t before = h.stack->pool().in_use();
    EXPECT_GE(before, 8u);
    h.advance(31'000'000);
    EXPECT_EQ(h.stack->ipv4().reassemblies_in_progress(), 0u);
    EXPECT_EQ(h.stack->pool().in_use(), 0u);
    // Fragment beyond 64 KiB, non-multiple-of-8 middle fragments: rejected.
    h.inject(build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp,
                              std::vector<uint8_t>(100), 5, uint16_t(8189)));
    h.inject(build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp,
                              std::vector<uint8_t>(100), 6, kIpFlagMoreFragments));
    EXPECT_EQ(h.stack->ipv4().reassemblies_in_progress(), 0u);
}

TEST(Udp, DeliversToBoundSocketAndRepliesUnreachableOtherwise) {
    Harness h;
    auto s = h.stack->socket(SocketType::Udp).value();
    ASSERT_TRUE(h.stack->bind(s, Endpoint{Ipv4Address{}, 5000}));
    h.inject(build_udp_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, 1234, 5000, bytes("hello")));
    EXPECT_TRUE(h.stack->poll_events(s) & kPollIn);
    uint8_t buf[100];
    Endpoint from;
    auto n = h.stack->receive_from(s, std::span<uint8_t>(buf), 0, &from);
    ASSERT_TRUE(n);
    EXPECT_EQ(n.value(), 5u);
    EXPECT_EQ(from.address, kPeerIp);
    EXPECT_EQ(from.port, 1234);
    EXPECT_EQ(h.stack->receive(s, std::span<uint8_t>(buf)).error().code, wisp::Errno::AGAIN);

    // Reply goes back with a valid checksum.
    ASSERT_TRUE(h.stack->send_to(s, std::span<const uint8_t>(buf, 5), 0, &from));
    auto out = h.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].is_udp);
    EXPECT_TRUE(out[0].transport_checksum_ok);
    EXPECT_EQ(out[0].udp.source_port.value(), 5000);

    // Closed port: ICMP port unreachable quoting the datagram.
    h.inject(build_udp_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, 1234, 5001, bytes("x")));
    out = h.take();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].is_icmp);
    EXPECT_EQ(out[0].payload[0], kIcmpDestinationUnreachable);
    EXPECT_EQ(out[0].payload[1], kIcmpPortUnreachable);
    EXPECT_TRUE(out[0].transport_checksum_ok);
    // Bad checksum: dropped silently.
    auto bad = build_udp_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, 1234, 5000, bytes("y"));
    bad.back() ^= 0xff;
    h.inject(bad);
    EXPECT_FALSE(h.stack->poll_events(s) & kPollIn);
    EXPECT_EQ(h.stack->udp().stats().bad_checksum, 1u);
    h.stack->close(s);
}

TEST(Udp, PeekTruncAndLargeDatagramsFragment) {
    Harness h;
    auto s = h.stack->socket(SocketType::Udp).value();
    ASSERT_TRUE(h.stack->bind(s, Endpoint{Ipv4Address{}, 5000}));
    h.inject(build_udp_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 5000, bytes("abcdef")));
    uint8_t buf[4];
    EXPECT_EQ(h.stack->receive(s, std::span<uint8_t>(buf), kMsgPeek).value(), 4u);
    EXPECT_EQ(h.stack->receive(s, std::span<uint8_t>(buf), kMsgTrunc).value(), 6u);
    EXPECT_EQ(h.stack->receive(s, std::span<uint8_t>(buf)).error().code, wisp::Errno::AGAIN);

    std::vector<uint8_t> big(8000);
    for (size_t i = 0; i < big.size(); i++) big[i] = uint8_t(i * 13);
    Endpoint to{kPeerIp, 7};
    ASSERT_EQ(h.stack->send_to(s, std::span<const uint8_t>(big), 0, &to).value(), big.size());
    auto out = h.take();
    EXPECT_EQ(out.size(), 6u); // 8008 bytes in 1480-byte fragments
    std::vector<uint8_t> whole;
    for (auto& f : out) whole.insert(whole.end(), f.ip_payload.begin(), f.ip_payload.end());
    ASSERT_EQ(whole.size(), big.size() + 8);
    EXPECT_TRUE(std::equal(big.begin(), big.end(), whole.begin() + 8));
    EXPECT_EQ(transport_checksum(kStackIp, kPeerIp, kIpProtoUdp, whole.data(), whole.size()), 0);
    // And a fragmented datagram in: reassembled and delivered whole.
    std::vector<uint8_t> udp(8 + 3000);
    store_be16(&udp[0], 7);
    store_be16(&udp[2], 5000);
    store_be16(&udp[4], uint16_t(udp.size()));
    for (size_t i = 8; i < udp.size(); i++) udp[i] = uint8_t(i);
    uint16_t c = transport_checksum(kPeerIp, kStackIp, kIpProtoUdp, udp.data(), udp.size());
    store_be16(&udp[6], c);
    for (auto& f : fragments(udp, 1480, 99, kIpProtoUdp)) h.inject(f);
    std::vector<uint8_t> got(5000);
    auto n = h.stack->receive(s, std::span<uint8_t>(got));
    ASSERT_TRUE(n);
    EXPECT_EQ(n.value(), 3000u);
    EXPECT_TRUE(std::equal(got.begin(), got.begin() + 3000, udp.begin() + 8));
    h.stack->close(s);
}

TEST(Udp, ConnectedSocketGetsIcmpErrors) {
    Harness h;
    auto s = h.stack->socket(SocketType::Udp).value();
    ASSERT_TRUE(h.stack->connect(s, Endpoint{kPeerIp, 53}));
    ASSERT_TRUE(h.stack->send(s, std::span<const uint8_t>((const uint8_t*)"q", 1)));
    auto out = h.take();
    ASSERT_EQ(out.size(), 1u);
    // The peer answers "port unreachable", quoting our datagram.
    std::vector<uint8_t> quoted(out[0].ip_payload.size() + 20);
    memcpy(quoted.data(), reinterpret_cast<uint8_t*>(&out[0].ip), 20);
    memcpy(quoted.data() + 20, out[0].ip_payload.data(), out[0].ip_payload.size());
    auto icmp = build_icmp(kIcmpDestinationUnreachable, kIcmpPortUnreachable, 0, quoted);
    h.inject(build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp, icmp));
    EXPECT_TRUE(h.stack->poll_events(s) & kPollErr);
    uint8_t buf[4];
    EXPECT_EQ(h.stack->receive(s, std::span<uint8_t>(buf)).error().code, wisp::Errno::CONNREFUSED);
    EXPECT_EQ(h.stack->receive(s, std::span<uint8_t>(buf)).error().code, wisp::Errno::AGAIN);
    h.stack->close(s);
}

TEST(Udp, BindConflictsAndReuse) {
    Harness h;
    auto a = h.stack->socket(SocketType::Udp).value();
    auto b = h.stack->socket(SocketType::Udp).value();
    ASSERT_TRUE(h.stack->bind(a, Endpoint{Ipv4Address{}, 6000}));
    EXPECT_EQ(h.stack->bind(b, Endpoint{Ipv4Address{}, 6000}).error().code, wisp::Errno::ADDRINUSE);
    EXPECT_EQ(h.stack->bind(b, Endpoint{Ipv4Address::from_octets(1, 2, 3, 4), 6001}).error().code,
              wisp::Errno::ADDRNOTAVAIL);
    h.stack->close(a);
    EXPECT_TRUE(h.stack->bind(b, Endpoint{Ipv4Address{}, 6000}));
    auto c = h.stack->socket(SocketType::Udp).value();
    ASSERT_TRUE(h.stack->set_option(c, SocketOption::ReuseAddress, 1));
    ASSERT_TRUE(h.stack->set_option(b, SocketOption::ReuseAddress, 1));
    EXPECT_TRUE(h.stack->bind(c, Endpoint{Ipv4Address{}, 6000}));
    auto d = h.stack->socket(SocketType::Udp).value();
    EXPECT_TRUE(h.stack->bind(d, Endpoint{Ipv4Address{}, 0}));
    auto local = h.stack->local_endpoint(d).value();
    EXPECT_GE(local.port, 32768);
    h.stack->close(b);
    h.stack->close(c);
    h.stack->close(d);
}

TEST(Udp, ReadinessShutdownAndBroadcastPermission) {
    Harness h;
    auto s = h.stack->socket(SocketType::Udp).value();
    ASSERT_TRUE(h.stack->bind(s, Endpoint{Ipv4Address{}, 7000}));
    EXPECT_EQ(h.stack->poll_events(s) & (kPollIn | kPollOut), uint32_t(kPollOut));
    // Broadcast needs SO_BROADCAST (Linux: EACCES).
    Endpoint bcast{Ipv4Address::broadcast(), 9};
    uint8_t b = 1;
    EXPECT_EQ(h.stack->send_to(s, std::span<const uint8_t>(&b, 1), 0, &bcast).error().code,
              wisp::Errno::ACCES);
    ASSERT_TRUE(h.stack->set_option(s, SocketOption::Broadcast, 1));
    EXPECT_TRUE(h.stack->send_to(s, std::span<const uint8_t>(&b, 1), 0, &bcast));
    auto out = h.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].eth.destination.is_broadcast());
    // Unconnected: send without an address is EDESTADDRREQ; shutdown is ENOTCONN.
    EXPECT_EQ(h.stack->send(s, std::span<const uint8_t>(&b, 1)).error().code, wisp::Errno::DESTADDRREQ);
    EXPECT_EQ(h.stack->shutdown(s, ShutdownHow::Both).error().code, wisp::Errno::NOTCONN);
    h.inject(build_udp_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 7000, bytes("x")));
    EXPECT_TRUE(h.stack->poll_events(s) & kPollIn);
    // Connected: shutdown(SHUT_RD) makes recv return 0 and poll report RDHUP.
    ASSERT_TRUE(h.stack->connect(s, Endpoint{kPeerIp, 1}));
    ASSERT_TRUE(h.stack->shutdown(s, ShutdownHow::Read));
    uint8_t buf[8];
    EXPECT_EQ(h.stack->receive(s, std::span<uint8_t>(buf)).value(), 1u); // queued data first
    EXPECT_EQ(h.stack->receive(s, std::span<uint8_t>(buf)).value(), 0u);
    EXPECT_TRUE(h.stack->poll_events(s) & kPollRdHup);
    ASSERT_TRUE(h.stack->shutdown(s, ShutdownHow::Write));
    EXPECT_EQ(h.stack->send(s, std::span<const uint8_t>(&b, 1)).error().code, wisp::Errno::PIPE);
    EXPECT_TRUE(h.stack->poll_events(s) & kPollHup);
    h.stack->close(s);
}

TEST(Udp, ReceiveBufferLimitDropsExcessDatagrams) {
    Harness h;
    auto s = h.stack->socket(SocketType::Udp).value();
    ASSERT_TRUE(h.stack->bind(s, Endpoint{Ipv4Address{}, 7001}));
    ASSERT_TRUE(h.stack->set_option(s, SocketOption::ReceiveBuffer, 5000)); // 10000 stored
    for (int i = 0; i < 20; i++)
        h.inject(build_udp_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, 1, 7001, std::vector<uint8_t>(1000, 'u')));
    int got = 0;
    uint8_t buf[2000];
    while (h.stack->receive(s, std::span<uint8_t>(buf))) got++;
    EXPECT_GE(got, 7);
    EXPECT_LE(got, 9);
    EXPECT_EQ(h.stack->udp().stats().queue_full, uint64_t(20 - got));
    h.stack->close(s);
}
