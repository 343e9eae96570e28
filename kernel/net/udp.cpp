// SPDX-License-Identifier: MIT
#include "net/udp.h"

#include <string.h>

#include "net/checksum.h"
#include "net/stack.h"

namespace wisp::net {

static bool verify_transport_checksum(const Ipv4Info& ip, const Packet& p, size_t length) {
    Checksum sum;
    sum.add_pseudo_header(ip.source, ip.destination, ip.protocol, uint16_t(length));
    size_t left = length;
    for (PacketBuffer* b = p.buffer(); b && left > 0; b = b->chain_next) {
        size_t n = size_t(b->tail - b->head);
        if (n > left) n = left;
        sum.add(b->storage() + b->head, n);
        left -= n;
    }
    return sum.verifies();
}

void Udp::input(const Ipv4Info& ip, Packet&& datagram) {
    m_stats.received++;
    const auto* h = datagram.view().header_at<UdpHeader>();
    size_t total = datagram.total_length();
    if (!h) {
        m_stats.bad_length++;
        return;
    }
    size_t length = h->length.value();
    if (length < sizeof(UdpHeader) || length > total) {
        m_stats.bad_length++;
        return;
    }
    // RFC 768: a zero checksum means the sender did not compute one.
    if (h->checksum.value() != 0 && !(datagram.meta().flags & kPacketChecksumVerified) &&
        !verify_transport_checksum(ip, datagram, length)) {
        m_stats.bad_checksum++;
        return;
    }
    uint16_t source_port = h->source_port.value();
    uint16_t dest_port = h->destination_port.value();
    datagram.truncate(length);
    if (m_handler && dest_port == m_handler_port) {
        datagram.trim_front(sizeof(UdpHeader));
        m_handler(m_handler_context, ip, source_port, std::move(datagram));
        return;
    }
    bool broadcast = ip.link_broadcast || m_stack.is_broadcast_address(ip.destination);
    UdpSocket* s = m_stack.find_udp_socket(ip.destination, dest_port, ip.source, source_port);
    if (!s) {
        m_stats.no_port++;
        if (!broadcast) m_stack.icmp().send_unreachable(kIcmpPortUnreachable, ip, datagram);
        return;
    }
    if (s->m_shutdown & kReceiveShutdown) return;
    size_t payload = length - sizeof(UdpHeader);
    // Charge the socket for its buffers (as Linux charges skb truesize), so many tiny
    // datagrams cannot pin the whole pool.
    size_t charge = payload + 256;
    if (s->m_queued_bytes + charge > s->m_receive_buffer) {
        m_stats.queue_full++;
        s->m_drops++;
        return;
    }
    datagram.trim_front(sizeof(UdpHeader));
    datagram.meta().peer = Endpoint{ip.source, source_port};
    datagram.meta().value = uint32_t(payload);
    s->m_queued_bytes += charge;
    s->m_queue.push_back(std::move(datagram));
    m_stats.delivered++;
    m_stack.tcp().notify(*s);
}

void Udp::icmp_error(const Ipv4Info& quoted_ip, ByteView quoted, Errno error) {
    const auto* h = quoted.header_at<UdpHeader>();
    if (!h) return;
    // Linux reports ICMP errors only on connected UDP sockets (unless IP_RECVERR).
    UdpSocket* s = m_stack.find_udp_socket(quoted_ip.source, h->source_port.value(),
                                           quoted_ip.destination, h->destination_port.value());
    if (!s || !s->m_connected || s->m_remote.port != h->destination_port.value()) return;
    s->set_error(error);
    m_stack.tcp().notify(*s);
}

Result<size_t> Udp::send(Endpoint from, Endpoint to, std::span<const uint8_t> data,
                         uint8_t ttl, bool allow_unspecified_source) {
    size_t length = sizeof(UdpHeader) + data.size();
    if (length > 65535 - 20) return Errno::MSGSIZE;
    if (from.address.is_any() && !allow_unspecified_source) {
        from.address = m_stack.source_address_for(to.address);
        if (from.address.is_any()) return Errno::NETUNREACH;
    }
    // First buffer: headers + as much payload as fits; then chained blocks.
    Packet p = m_stack.allocate_tx(0);
    if (!p) return Errno::NOBUFS;
    auto* h = reinterpret_cast<UdpHeader*>(p.put(sizeof(UdpHeader)));
    size_t copied = 0;
    size_t first = data.size() < p.tailroom() ? data.size() : p.tailroom();
    if (first > 0) memcpy(p.put(first), data.data(), first);
    copied = first;
    while (copied < data.size()) {
        Packet more = m_stack.pool().allocate(0);
        if (!more) return Errno::NOBUFS;
        size_t n = data.size() - copied < more.tailroom() ? data.size() - copied : more.tailroom();
        memcpy(more.put(n), data.data() + copied, n);
        copied += n;
        p.append_chain(std::move(more));
    }
    h->source_port.set(from.port);
    h->destination_port.set(to.port);
    h->length.set(uint16_t(length));
    h->checksum.set(0);
    Checksum sum;
    sum.add_pseudo_header(from.address, to.address, kIpProtoUdp, uint16_t(length));
    for (PacketBuffer* b = p.buffer(); b; b = b->chain_next)
        sum.add(b->storage() + b->head, size_t(b->tail - b->head));
    uint16_t c = sum.finish();
    h->checksum.set(c == 0 ? 0xffff : c); // RFC 768: a computed zero is sent as all ones
    m_stats.sent++;
    if (!m_stack.ipv4().output(std::move(p), from.address, to.address, kIpProtoUdp, ttl, false))
        return Errno::NOBUFS;
    return data.size();
}

Result<void> Udp::connect(UdpSocket& s, Endpoint remote) {
    if (remote.address.is_any() && remote.port == 0) {
        // connect() to AF_UNSPEC dissolves the association; the Linux layer maps that here.
        s.m_connected = false;
        s.m_remote = {};
        return {};
    }
    if (remote.port == 0) return Errno::INVAL;
    if (!s.m_bound) TRY(m_stack.bind_locked(&s, Endpoint{}));
    s.m_remote = remote;
    s.m_connected = true;
    return {};
}

Result<size_t> Udp::send_to(UdpSocket& s, std::span<const uint8_t> data, const Endpoint* to) {
    Errno pending;
    if (s.take_error(pending)) return pending;
    if (s.m_shutdown & kSendShutdown) return Errno::PIPE;
    Endpoint dest;
    if (to) {
        dest = *to;
    } else {
        if (!s.m_connected) return Errno::DESTADDRREQ;
        dest = s.m_remote;
    }
    if (dest.port == 0) return Errno::INVAL;
    if (m_stack.is_broadcast_address(dest.address) && !s.m_broadcast) return Errno::ACCES;
    if (!s.m_bound) TRY(m_stack.bind_locked(&s, Endpoint{}));
    if (data.size() > s.m_send_buffer) return Errno::MSGSIZE;
    Endpoint from = s.m_local;
    return send(from, dest, data, s.m_ttl);
}

Result<size_t> Udp::receive_from(UdpSocket& s, std::span<uint8_t> buffer, int flags,
                                 Endpoint* from) {
    if (s.m_queue.empty()) {
        Errno pending;
        if (s.take_error(pending)) return pending;
        if (s.m_shutdown & kReceiveShutdown) return size_t(0);
        return Errno::AGAIN;
    }
    Packet p = s.m_queue.pop_front();
    size_t length = p.meta().value;
    size_t n = length < buffer.size() ? length : buffer.size();
    p.copy_out(0, buffer.data(), n);
    if (from) *from = p.meta().peer;
    if (flags & kMsgPeek) {
        // Put it back at the front: rebuild the queue with it first.
        PacketQueue rest;
        while (!s.m_queue.empty()) rest.push_back(s.m_queue.pop_front());
        s.m_queue.push_back(std::move(p));
        while (!rest.empty()) s.m_queue.push_back(rest.pop_front());
    } else {
        s.m_queued_bytes -= length + 256;
    }
    // MSG_TRUNC: return the real length of the datagram (Linux).
    return (flags & kMsgTrunc) ? length : n;
}

uint32_t Udp::poll(const UdpSocket& s) const {
    uint32_t mask = 0;
    if (!s.m_queue.empty()) mask |= kPollIn | kPollRdNorm;
    if (s.m_has_error) mask |= kPollErr;
    if (s.m_shutdown & kReceiveShutdown) mask |= kPollIn | kPollRdNorm | kPollRdHup;
    if (s.m_shutdown == (kReceiveShutdown | kSendShutdown)) mask |= kPollHup;
    mask |= kPollOut | kPollWrNorm; // datagram sockets are writable while memory lasts
    return mask;
}

} // namespace wisp::net
