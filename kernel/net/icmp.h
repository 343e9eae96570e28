// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

#include "net/ipv4.h"
#include "net/packet.h"
#include "net/wire.h"

// ICMP (RFC 792, RFC 1122 §3.2.2): echo replies, destination unreachable for closed UDP ports
// and unknown protocols (rate limited, RFC 1812 §4.3.2.8), and delivery of received errors to
// TCP and UDP.
namespace wisp::net {

struct IcmpHeader {
    uint8_t type;
    uint8_t code;
    be16 checksum;
    be32 rest; // identifier + sequence for echo; unused / next-hop MTU for errors
};
static_assert(sizeof(IcmpHeader) == 8);

constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpDestinationUnreachable = 3;
constexpr uint8_t kIcmpEchoRequest = 8;
constexpr uint8_t kIcmpTimeExceeded = 11;

constexpr uint8_t kIcmpNetUnreachable = 0;
constexpr uint8_t kIcmpHostUnreachable = 1;
constexpr uint8_t kIcmpProtocolUnreachable = 2;
constexpr uint8_t kIcmpPortUnreachable = 3;
constexpr uint8_t kIcmpFragmentationNeeded = 4;

struct IcmpStats {
    uint64_t echo_requests = 0;
    uint64_t errors_received = 0;
    uint64_t errors_sent = 0;
    uint64_t rate_limited = 0;
    uint64_t bad = 0;
};

class Stack;

class Icmp {
public:
    explicit Icmp(Stack& stack) : m_stack(stack) {}
    void input(const Ipv4Info& ip, Packet&& message);
    // Destination unreachable quoting the offending datagram (its IP header is at
    // ip.header; `payload` is what followed it).
    void send_unreachable(uint8_t code, const Ipv4Info& ip, const Packet& payload);
    const IcmpStats& stats() const { return m_stats; }

private:
    bool rate_limit_allows();

    Stack& m_stack;
    IcmpStats m_stats;
    // Token bucket: RFC 1812 §4.3.2.8. 100 errors a second, bursts of 50.
    uint64_t m_tokens_time_us = 0;
    uint32_t m_tokens = 50;
};

} // namespace wisp::net
