// SPDX-License-Identifier: MIT
// DHCP client (RFC 2131) against a scripted server: discover/offer/request/ack, renewal
// at T1, rebinding at T2, NAK and lease expiry, retransmission.
#include <gtest/gtest.h>

#include "harness.h"
#include "net/dhcp.h"

using namespace nettest;

namespace {

const Ipv4Address kServer = Ipv4Address::from_octets(10, 0, 0, 1);
const Ipv4Address kOffered = Ipv4Address::from_octets(10, 0, 0, 50);
const Ipv4Address kRouter = Ipv4Address::from_octets(10, 0, 0, 254);

struct Request {
    uint8_t type = 0;
    uint32_t xid = 0;
    Ipv4Address ciaddr;
    Ipv4Address requested;
    Ipv4Address server_id;
    Ipv4Address ip_destination;
    bool broadcast = false;
};

bool parse_request(const ParsedFrame& f, Request& r) {
    if (!f.is_udp || f.udp.destination_port.value() != 67) return false;
    ByteView v(f.payload.data(), f.payload.size());
    auto* m = v.header_at<DhcpMessage>();
    if (!m || m->op != 1 || m->magic.value() != kDhcpMagic) return false;
    r.xid = m->xid.value();
    r.ciaddr = Ipv4Address{m->ciaddr.value()};
    r.broadcast = (m->flags.value() & 0x8000) != 0;
    r.ip_destination = Ipv4Address{f.ip.destination.value()};
    ByteView o = v.from(sizeof(DhcpMessage));
    for (size_t i = 0; i + 1 < o.size();) {
        uint8_t code = o.data()[i];
        if (code == 0) { i++; continue; }
        if (code == 255) break;
        uint8_t len = o.data()[i + 1];
        const uint8_t* val = o.data() + i + 2;
        if (code == kDhcpOptMessageType) r.type = val[0];
        if (code == kDhcpOptRequestedIp) r.requested = Ipv4Address{load_be32(val)};
        if (code == kDhcpOptServerId) r.server_id = Ipv4Address{load_be32(val)};
        i += 2 + len;
    }
    return true;
}

std::vector<uint8_t> reply(uint8_t type, uint32_t xid, Ipv4Address yiaddr, uint32_t lease_s,
                           Ipv4Address dst = Ipv4Address::broadcast()) {
    std::vector<uint8_t> msg(sizeof(DhcpMessage));
    auto* m = reinterpret_cast<DhcpMessage*>(msg.data());
    m->op = 2;
    m->htype = 1;
    m->hlen = 6;
    m->xid.set(xid);
    m->yiaddr.set(yiaddr.value);
    memcpy(m->chaddr, kStackMac.bytes, 6);
    m->magic.set(kDhcpMagic);
    auto opt = [&](uint8_t code, std::vector<uint8_t> v) {
        msg.push_back(code);
        msg.push_back(uint8_t(v.size()));
        msg.insert(msg.end(), v.begin(), v.end());
    };
    auto ip = [](Ipv4Address a) {
        return std::vector<uint8_t>{uint8_t(a.value >> 24), uint8_t(a.value >> 16), uint8_t(a.value >> 8), uint8_t(a.value)};
    };
    opt(kDhcpOptMessageType, {type});
    opt(kDhcpOptServerId, ip(kServer));
    opt(kDhcpOptSubnetMask, ip(Ipv4Address::from_octets(255, 255, 255, 0)));
    opt(kDhcpOptRouter, ip(kRouter));
    opt(kDhcpOptLeaseTime, {uint8_t(lease_s >> 24), uint8_t(lease_s >> 16), uint8_t(lease_s >> 8), uint8_t(lease_s)});
    msg.push_back(255);
    MacAddress dmac = dst.is_broadcast() ? MacAddress::broadcast() : kStackMac;
    return build_udp_frame(kPeerMac, dmac, kServer, dst, 67, 68, msg);
}

std::vector<Request> requests(Harness& h) {
    std::vector<Request> out;
    for (auto& f : h.take()) {
        Request r;
        if (parse_request(f, r)) out.push_back(r);
    }
    return out;
}

} // namespace

TEST(Dhcp, AcquiresRenewsAndRebindsLease) {
    Harness h(small_config(), false);
    h.stack->configure(InterfaceConfig{});
    h.take();
    h.stack->start_dhcp();
    auto rq = requests(h);
    ASSERT_EQ(rq.size(), 1u);
    EXPECT_EQ(rq[0].type, kDhcpDiscover);
    EXPECT_TRUE(rq[0].broadcast);
    EXPECT_TRUE(rq[0].ip_destination.is_broadcast());
    // No offer: DISCOVER retransmitted after ~4 s.
    h.advance(5'100'000);
    rq = requests(h);
    ASSERT_EQ(rq.size(), 1u);
    EXPECT_EQ(rq[0].type, kDhcpDiscover);
    uint32_t xid = rq[0].xid;
    // A reply with the wrong xid is ignored.
    h.inject(reply(kDhcpOffer, xid + 1, kOffered, 600));
    EXPECT_TRUE(requests(h).empty());
    h.inject(reply(kDhcpOffer, xid, kOffered, 600));
    rq = requests(h);
    ASSERT_EQ(rq.size(), 1u);
    EXPECT_EQ(rq[0].type, kDhcpRequest);
    EXPECT_EQ(rq[0].requested, kOffered);
    EXPECT_EQ(rq[0].server_id, kServer);
    EXPECT_FALSE(h.stack->configured());
    h.inject(reply(kDhcpAck, xid, kOffered, 600));
    ASSERT_TRUE(h.stack->configured());
    EXPECT_EQ(h.stack->interface_config().address, kOffered);
    EXPECT_EQ(h.stack->interface_config().prefix_length, 24);
    EXPECT_EQ(h.stack->interface_config().gateway, kRouter);
    EXPECT_EQ(h.stack->dhcp()->state(), Dhcp::State::Bound);
    h.take(); // gratuitous ARP
    h.stack->arp().add_permanent(kServer, kPeerMac);
    // T1 = 300 s: unicast REQUEST to the server from our address.
    h.advance(301'000'000);
    rq = requests(h);
    ASSERT_EQ(rq.size(), 1u);
    EXPECT_EQ(rq[0].type, kDhcpRequest);
    EXPECT_EQ(rq[0].ciaddr, kOffered);
    EXPECT_EQ(rq[0].ip_destination, kServer);
    EXPECT_EQ(h.stack->dhcp()->state(), Dhcp::State::Renewing);
    // Server silent until T2 = 525 s: broadcast REQUEST (rebinding).
    for (int i = 0; i < 24; i++) h.advance(10'000'000);
    rq = requests(h);
    ASSERT_FALSE(rq.empty());
    EXPECT_TRUE(rq.back().ip_destination.is_broadcast());
    EXPECT_EQ(h.stack->dhcp()->state(), Dhcp::State::Rebinding);
    h.inject(reply(kDhcpAck, rq.back().xid, kOffered, 600, kOffered));
    EXPECT_EQ(h.stack->dhcp()->state(), Dhcp::State::Bound);
    EXPECT_TRUE(h.stack->configured());
}

TEST(Dhcp, NakAndLeaseExpiryDropTheAddress) {
    Harness h(small_config(), false);
    h.stack->configure(InterfaceConfig{});
    h.take();
    h.stack->start_dhcp();
    uint32_t xid = requests(h)[0].xid;
    h.inject(reply(kDhcpOffer, xid, kOffered, 100));
    h.take();
    h.inject(reply(kDhcpNak, xid, Ipv4Address{}, 0));
    EXPECT_FALSE(h.stack->configured());
    auto rq = requests(h);
    ASSERT_EQ(rq.size(), 1u);
    EXPECT_EQ(rq[0].type, kDhcpDiscover); // starts over
    xid = rq[0].xid;
    h.inject(reply(kDhcpOffer, xid, kOffered, 100));
    h.take();
    h.inject(reply(kDhcpAck, xid, kOffered, 100));
    EXPECT_TRUE(h.stack->configured());
    // Nobody answers renewals: the address goes at lease expiry.
    for (int i = 0; i < 12; i++) h.advance(10'000'000);
    EXPECT_FALSE(h.stack->configured());
    EXPECT_EQ(h.stack->dhcp()->state(), Dhcp::State::Selecting);
}

TEST(Dhcp, OptionParserRejectsTruncatedOptions) {
    uint8_t bad[] = {kDhcpOptMessageType, 5, 1};
    DhcpOptions o;
    EXPECT_FALSE(parse_dhcp_options(ByteView(bad, sizeof(bad)), o));
    uint8_t ok[] = {0, kDhcpOptMessageType, 1, kDhcpAck, kDhcpOptLeaseTime, 4, 0, 0, 1, 0, 255};
    DhcpOptions o2;
    EXPECT_TRUE(parse_dhcp_options(ByteView(ok, sizeof(ok)), o2));
    EXPECT_EQ(o2.message_type, kDhcpAck);
    EXPECT_EQ(o2.lease_s, 256u);
}
