// SPDX-License-Identifier: MIT
#include "net/icmp.h"

#include <string.h>

#include "net/checksum.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"

namespace wisp::net {

static Errno unreachable_errno(uint8_t code) {
    // Linux's icmp_err_convert table.
    switch (code) {
    case kIcmpNetUnreachable:
        return Errno::NETUNREACH;
    case kIcmpProtocolUnreachable:
        return Errno::NOPROTOOPT;
    case kIcmpPortUnreachable:
        return Errno::CONNREFUSED;
    case kIcmpFragmentationNeeded:
        return Errno::MSGSIZE;
    default:
        return Errno::HOSTUNREACH;
    }
}

void Icmp::input(const Ipv4Info& ip, Packet&& message) {
    size_t length = message.total_length();
    if (length < sizeof(IcmpHeader)) {
        m_stats.bad++;
        return;
    }
    // Verify the checksum over the whole (possibly reassembled) message.
    Checksum sum;
    for (PacketBuffer* b = message.buffer(); b; b = b->chain_next)
        sum.add(b->storage() + b->head, size_t(b->tail - b->head));
    if (!sum.verifies()) {
        m_stats.bad++;
        return;
    }
    const auto* h = message.view().header_at<IcmpHeader>();
    if (!h) {
        m_stats.bad++;
        return;
    }
    switch (h->type) {
    case kIcmpEchoRequest: {
        // RFC 1122 §3.2.2.6: answer echo requests (not those sent to a broadcast address,
        // which Linux ignores by default too).
        if (ip.link_broadcast || m_stack.is_broadcast_address(ip.destination)) return;
        m_stats.echo_requests++;
        size_t need = m_stack.nic().tx_headroom() + 14 + sizeof(Ipv4Header);
        Packet reply;
        if (message.headroom() >= need) {
            reply = std::move(message); // answer in place: zero copy
        } else {
            reply = m_stack.allocate_tx(0);
            if (!reply) return;
            if (length <= reply.tailroom()) {
                message.copy_out(0, reply.put(length), length);
            } else {
                // A large (reassembled) echo: keep the chain, copying only the first buffer.
                size_t first = message.length();
                memcpy(reply.put(first), message.data(), first);
                message.trim_front(first);
                reply.append_chain(std::move(message));
            }
        }
        auto* out = reinterpret_cast<IcmpHeader*>(reply.data());
        out->type = kIcmpEchoReply;
        out->code = 0;
        out->checksum.set(0);
        Checksum c;
        for (PacketBuffer* b = reply.buffer(); b; b = b->chain_next)
            c.add(b->storage() + b->head, size_t(b->tail - b->head));
        out->checksum.set(c.finish());
        m_stack.ipv4().output(std::move(reply), ip.destination, ip.source, kIpProtoIcmp,
                              m_stack.config().default_ttl, false);
        return;
    }
    case kIcmpDestinationUnreachable:
    case kIcmpTimeExceeded: {
        m_stats.errors_received++;
        // The quoted datagram: its IP header and at least 8 bytes of transport header.
        ByteView quoted = message.view().from(sizeof(IcmpHeader));
        const auto* inner = quoted.header_at<Ipv4Header>();
        if (!inner || inner->version() != 4 || inner->header_length() < 20 ||
            quoted.size() < inner->header_length() + 8)
            return;
        Ipv4Info q;
        q.source = Ipv4Address{inner->source.value()};
        q.destination = Ipv4Address{inner->destination.value()};
        q.protocol = inner->protocol;
        // Only errors about datagrams we could have sent.
        if (!m_stack.is_local_address(q.source)) return;
        ByteView transport = quoted.from(inner->header_length());
        Errno error = h->type == kIcmpTimeExceeded ? Errno::HOSTUNREACH
                                                   : unreachable_errno(h->code);
        uint16_t mtu = h->type == kIcmpDestinationUnreachable &&
                               h->code == kIcmpFragmentationNeeded
                           ? uint16_t(h->rest.value() & 0xffff)
                           : 0;
        if (q.protocol == kIpProtoTcp)
            m_stack.tcp().icmp_error(q, transport, error, mtu);
        else if (q.protocol == kIpProtoUdp)
            m_stack.udp().icmp_error(q, transport, error);
        return;
    }
    default:
        return;
    }
}

bool Icmp::rate_limit_allows() {
    uint64_t now = m_stack.now_us();
    uint64_t elapsed = now - m_tokens_time_us;
    if (elapsed >= 10'000) {
        uint64_t add = elapsed / 10'000; // 100 tokens per second
        m_tokens = uint32_t(m_tokens + add > 50 ? 50 : m_tokens + add);
        m_tokens_time_us = now;
    }
    if (m_tokens == 0) {
        m_stats.rate_limited++;
        return false;
    }
    m_tokens--;
    return true;
}

void Icmp::send_unreachable(uint8_t code, const Ipv4Info& ip, const Packet& payload) {
    // RFC 1122 §3.2.2: never about ICMP errors, broadcasts, non-first fragments or
    // non-unicast sources.
    if (ip.link_broadcast || m_stack.is_broadcast_address(ip.destination) ||
        ip.destination.is_multicast() || ip.source.is_any() || !ip.header)
        return;
    const auto* orig = ByteView(ip.header, ip.header_length).header_at<Ipv4Header>();
    if (!orig || (orig->flags_fragment.value() & kIpFragmentOffsetMask) != 0) return;
    if (ip.protocol == kIpProtoIcmp) {
        const auto* inner = payload.view().header_at<IcmpHeader>();
        if (!inner || (inner->type != kIcmpEchoRequest && inner->type != kIcmpEchoReply)) return;
    }
    if (!rate_limit_allows()) return;
    Packet p = m_stack.allocate_tx(0);
    if (!p) return;
    // Quote the IP header and up to 64 bytes of what followed (RFC 792 asks for 8; more
    // helps the sender match the error, and RFC 1812 §4.3.2.3 allows up to 576 in total).
    size_t quoted = payload.total_length() < 64 ? payload.total_length() : 64;
    size_t total = sizeof(IcmpHeader) + ip.header_length + quoted;
    uint8_t* out = p.put(total);
    auto* h = reinterpret_cast<IcmpHeader*>(out);
    h->type = kIcmpDestinationUnreachable;
    h->code = code;
    h->checksum.set(0);
    h->rest.set(0);
    memcpy(out + sizeof(IcmpHeader), ip.header, ip.header_length);
    payload.copy_out(0, out + sizeof(IcmpHeader) + ip.header_length, quoted);
    h->checksum.set(internet_checksum(out, total));
    m_stats.errors_sent++;
    m_stack.ipv4().output(std::move(p), ip.destination, ip.source, kIpProtoIcmp,
                          m_stack.config().default_ttl, false);
}

} // namespace wisp::net
