// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "lib/result.h"
#include "net/ipv4.h"
#include "net/packet.h"
#include "net/socket.h"
#include "net/wire.h"

// UDP (RFC 768, RFC 1122 §4.1): datagram sockets with per-socket receive queues bounded by
// SO_RCVBUF, connected and unconnected use, broadcast, and ICMP port-unreachable reporting.
namespace wisp::net {

struct UdpHeader {
    be16 source_port;
    be16 destination_port;
    be16 length;
    be16 checksum;
};
static_assert(sizeof(UdpHeader) == 8);

class UdpSocket : public Socket {
public:
    UdpSocket() : Socket(SocketType::Udp) {}
    bool m_connected = false;
    PacketQueue m_queue; // datagrams; meta.peer = source, meta.value = payload length
    size_t m_queued_bytes = 0;
    uint64_t m_drops = 0;
};

struct UdpStats {
    uint64_t received = 0;
    uint64_t delivered = 0;
    uint64_t bad_checksum = 0;
    uint64_t bad_length = 0;
    uint64_t no_port = 0;
    uint64_t queue_full = 0;
    uint64_t sent = 0;
};

class Stack;

// A handler that takes datagrams for one local port before sockets do (the DHCP client,
// which must receive before the interface has an address).
using UdpPortHandler = void (*)(void* context, const Ipv4Info& ip, uint16_t source_port,
                                Packet&& payload);

class Udp {
public:
    explicit Udp(Stack& stack) : m_stack(stack) {}

    void input(const Ipv4Info& ip, Packet&& datagram);
    void icmp_error(const Ipv4Info& quoted_ip, ByteView quoted_transport, Errno error);
    // Sends one datagram from `from`. A zero source address means "the interface address";
    // the DHCP client sends from 0.0.0.0 explicitly with `allow_unspecified_source`.
    Result<size_t> send(Endpoint from, Endpoint to, std::span<const uint8_t> data, uint8_t ttl,
                        bool allow_unspecified_source = false);

    // Socket API (called through Stack).
    Result<void> connect(UdpSocket& s, Endpoint remote);
    Result<size_t> send_to(UdpSocket& s, std::span<const uint8_t> data, const Endpoint* to);
    Result<size_t> receive_from(UdpSocket& s, std::span<uint8_t> buffer, int flags,
                                Endpoint* from);
    uint32_t poll(const UdpSocket& s) const;

    void set_port_handler(uint16_t port, UdpPortHandler handler, void* context) {
        m_handler_port = port;
        m_handler = handler;
        m_handler_context = context;
    }
    const UdpStats& stats() const { return m_stats; }

private:
    Stack& m_stack;
    UdpStats m_stats;
    uint16_t m_handler_port = 0;
    UdpPortHandler m_handler = nullptr;
    void* m_handler_context = nullptr;
};

} // namespace wisp::net
