// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

#include "net/addr.h"
#include "net/ipv4.h"
#include "net/packet.h"
#include "net/timer.h"
#include "net/wire.h"

// DHCP client (RFC 2131, options from RFC 2132): DISCOVER, OFFER, REQUEST, ACK/NAK, renewal
// at T1 (unicast to the server), rebinding at T2 (broadcast), and lease expiry. The stack is
// configured from the ACK (address, subnet mask, router).
namespace wisp::net {

struct DhcpMessage {
    uint8_t op;
    uint8_t htype;
    uint8_t hlen;
    uint8_t hops;
    be32 xid;
    be16 secs;
    be16 flags;
    be32 ciaddr;
    be32 yiaddr;
    be32 siaddr;
    be32 giaddr;
    uint8_t chaddr[16];
    uint8_t sname[64];
    uint8_t file[128];
    be32 magic;
};
static_assert(sizeof(DhcpMessage) == 240);

constexpr uint32_t kDhcpMagic = 0x63825363;
constexpr uint16_t kDhcpServerPort = 67;
constexpr uint16_t kDhcpClientPort = 68;

enum DhcpMessageType : uint8_t {
    kDhcpDiscover = 1,
    kDhcpOffer = 2,
    kDhcpRequest = 3,
    kDhcpDecline = 4,
    kDhcpAck = 5,
    kDhcpNak = 6,
    kDhcpRelease = 7,
};

enum DhcpOption : uint8_t {
    kDhcpOptPad = 0,
    kDhcpOptSubnetMask = 1,
    kDhcpOptRouter = 3,
    kDhcpOptDns = 6,
    kDhcpOptRequestedIp = 50,
    kDhcpOptLeaseTime = 51,
    kDhcpOptMessageType = 53,
    kDhcpOptServerId = 54,
    kDhcpOptParameterList = 55,
    kDhcpOptRenewalTime = 58,
    kDhcpOptRebindingTime = 59,
    kDhcpOptClientId = 61,
    kDhcpOptEnd = 255,
};

// The options of a received message that the client uses.
struct DhcpOptions {
    uint8_t message_type = 0;
    bool has_mask = false;
    Ipv4Address mask;
    Ipv4Address router;
    Ipv4Address dns;
    Ipv4Address server_id;
    uint32_t lease_s = 0;
    uint32_t renewal_s = 0;
    uint32_t rebinding_s = 0;
};
// Parses the options field after the magic cookie. False if malformed.
bool parse_dhcp_options(ByteView options, DhcpOptions& out);

class Stack;

class Dhcp {
public:
    enum class State : uint8_t { Stopped, Selecting, Requesting, Bound, Renewing, Rebinding };

    explicit Dhcp(Stack& stack);
    ~Dhcp();
    void start();
    State state() const { return m_state; }
    Ipv4Address server() const { return m_server; }
    Ipv4Address dns() const { return m_dns; }
    uint32_t lease_seconds() const { return m_lease_s; }

    void input(const Ipv4Info& ip, Packet&& payload);

private:
    static void on_timer(void* owner, uint64_t now);
    static void on_udp(void* context, const Ipv4Info& ip, uint16_t source_port, Packet&& payload);
    void send(uint8_t type, bool broadcast);
    void restart();
    void arm_retransmit(uint64_t now);
    uint64_t jitter();

    Stack& m_stack;
    State m_state = State::Stopped;
    uint32_t m_xid = 0;
    uint32_t m_attempts = 0;
    Ipv4Address m_offered;
    Ipv4Address m_server;
    Ipv4Address m_mask;
    Ipv4Address m_router;
    Ipv4Address m_dns;
    uint32_t m_lease_s = 0;
    uint64_t m_bound_at_us = 0;
    uint64_t m_t1_us = 0;
    uint64_t m_t2_us = 0;
    uint64_t m_expiry_us = 0;
    uint64_t m_started_us = 0;
    Timer m_timer;
};

} // namespace wisp::net
