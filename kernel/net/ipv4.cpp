// SPDX-License-Identifier: MIT
#include "net/ipv4.h"

#include <string.h>

#include "net/checksum.h"
#include "net/icmp.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"

namespace wisp::net {

Ipv4::Ipv4(Stack& stack, const ReassemblyConfig& config) : m_stack(stack), m_config(config) {
    if (m_config.max_datagrams > kMaxReassemblies) m_config.max_datagrams = kMaxReassemblies;
    for (Reassembly& r : m_reassembly) {
        r.owner = this;
        r.timer.callback = on_reassembly_timeout;
        r.timer.owner = &r;
    }
}

Ipv4::~Ipv4() {
    for (Reassembly& r : m_reassembly)
        if (r.in_use) drop_reassembly(r);
}

size_t Ipv4::reassemblies_in_progress() const {
    size_t n = 0;
    for (const Reassembly& r : m_reassembly) n += r.in_use;
    return n;
}

void Ipv4::input(Packet&& packet, bool link_broadcast) {
    m_stats.received++;
    ByteView v = packet.view();
    const auto* h = v.header_at<Ipv4Header>();
    if (!h || h->version() != 4 || h->header_length() < sizeof(Ipv4Header) ||
        h->header_length() > v.size()) {
        m_stats.bad_header++;
        return;
    }
    size_t ihl = h->header_length();
    size_t total = h->total_length.value();
    if (total < ihl || total > packet.total_length()) {
        m_stats.bad_header++;
        return;
    }
    if (internet_checksum(v.data(), ihl) != 0) {
        m_stats.bad_checksum++;
        return;
    }
    Ipv4Info info;
    info.source = Ipv4Address{h->source.value()};
    info.destination = Ipv4Address{h->destination.value()};
    info.protocol = h->protocol;
    info.ttl = h->ttl;
    info.tos = h->tos;
    info.link_broadcast = link_broadcast;
    info.header = v.data();
    info.header_length = ihl;

    // Martian sources are never answered (RFC 1122 §3.2.1.3).
    if (info.source.is_broadcast() || info.source.is_multicast()) {
        m_stats.bad_header++;
        return;
    }
    bool for_us = m_stack.is_local_address(info.destination) ||
                  m_stack.is_broadcast_address(info.destination) ||
                  // Before DHCP configures us, a server may unicast the offer to the address
                  // it is offering.
                  (!m_stack.configured() && info.protocol == kIpProtoUdp);
    if (!for_us) {
        m_stats.not_for_us++;
        return;
    }

    packet.truncate(total); // drop Ethernet padding
    packet.trim_front(ihl); // the header stays in the headroom, where info.header points

    uint16_t frag = h->flags_fragment.value();
    bool more = (frag & kIpFlagMoreFragments) != 0;
    uint32_t offset = uint32_t(frag & kIpFragmentOffsetMask) * 8;
    if (more || offset != 0) {
        m_stats.fragments_received++;
        packet.meta().peer.port = uint16_t(ihl); // lets the completed datagram find its header
        reassemble(info, h->identification.value(), offset, more, std::move(packet));
        return;
    }
    deliver(info, std::move(packet));
}

void Ipv4::deliver(const Ipv4Info& info, Packet&& payload) {
    m_stats.delivered++;
    switch (info.protocol) {
    case kIpProtoTcp:
        m_stack.tcp().input(info, std::move(payload));
        return;
    case kIpProtoUdp:
        m_stack.udp().input(info, std::move(payload));
        return;
    case kIpProtoIcmp:
        m_stack.icmp().input(info, std::move(payload));
        return;
    default:
        m_stats.unknown_protocol++;
        if (!info.link_broadcast && !m_stack.is_broadcast_address(info.destination))
            m_stack.icmp().send_unreachable(kIcmpProtocolUnreachable, info, payload);
        return;
    }
}

void Ipv4::drop_reassembly(Reassembly& r) {
    m_stack.timers().cancel(r.timer);
    while (r.list) {
        PacketBuffer* b = r.list;
        r.list = b->queue_next;
        b->queue_next = nullptr;
        Packet p(b); // freed here
    }
    m_reassembly_buffers -= r.fragments;
    r.in_use = false;
    r.fragments = 0;
    r.received_bytes = 0;
    r.total_length = -1;
}

void Ipv4::on_reassembly_timeout(void* owner, uint64_t) {
    auto& r = *static_cast<Reassembly*>(owner);
    r.owner->m_stats.reassembly_dropped++;
    r.owner->drop_reassembly(r);
}

void Ipv4::reassemble(const Ipv4Info& info, uint16_t id, uint32_t offset, bool more,
                      Packet&& payload) {
    Reassembly* r = nullptr;
    Reassembly* free_slot = nullptr;
    size_t active = 0;
    for (Reassembly& c : m_reassembly) {
        if (!c.in_use) {
            if (!free_slot) free_slot = &c;
            continue;
        }
        active++;
        if (c.id == id && c.source == info.source && c.destination == info.destination &&
            c.protocol == info.protocol)
            r = &c;
    }
    if (!r) {
        if (!free_slot || active >= m_config.max_datagrams) {
            m_stats.reassembly_dropped++;
            return;
        }
        r = free_slot;
        r->in_use = true;
        r->source = info.source;
        r->destination = info.destination;
        r->id = id;
        r->protocol = info.protocol;
        r->fragments = 0;
        r->received_bytes = 0;
        r->total_length = -1;
        r->list = nullptr;
        m_stack.timers().arm(r->timer, m_stack.now_us() + m_config.timeout_us);
    }

    size_t length = payload.total_length();
    uint32_t end = offset + uint32_t(length);
    bool bad = end > 65535 - 20 || (more && (length % 8 != 0 || length == 0));
    if (!more) {
        if (r->total_length >= 0 && uint32_t(r->total_length) != end) bad = true;
        r->total_length = int32_t(end);
    } else if (r->total_length >= 0 && end > uint32_t(r->total_length)) {
        bad = true;
    }
    if (r->fragments >= m_config.max_fragments ||
        m_reassembly_buffers >= m_config.max_total_buffers)
        bad = true;

    // Find the insertion point; any overlap with a different fragment poisons the datagram.
    PacketBuffer** link = &r->list;
    while (!bad && *link) {
        PacketBuffer* b = *link;
        uint32_t b_start = b->meta.seq;
        uint32_t b_end = b_start + b->meta.value;
        if (b_start == offset && b_end == end) return; // exact duplicate: ignore
        if (offset < b_end && b_start < end) bad = true;
        if (b_start >= end) break;
        link = &b->queue_next;
    }
    if (bad) {
        m_stats.reassembly_dropped++;
        drop_reassembly(*r);
        return;
    }
    if (r->total_length >= 0) {
        // A fragment already queued beyond the end is inconsistent.
        for (PacketBuffer* b = r->list; b; b = b->queue_next)
            if (b->meta.seq + b->meta.value > uint32_t(r->total_length)) {
                m_stats.reassembly_dropped++;
                drop_reassembly(*r);
                return;
            }
    }
    payload.meta().seq = offset;
    payload.meta().value = uint32_t(length);
    PacketBuffer* nb = payload.release();
    // A fragment is a single frame: count its buffers for the global limit.
    nb->queue_next = *link;
    *link = nb;
    r->fragments++;
    r->received_bytes += uint32_t(length);
    m_reassembly_buffers++;

    if (r->total_length < 0 || r->received_bytes != uint32_t(r->total_length)) return;
    // Complete (no overlaps, so the byte count proves coverage). Chain the payloads in order.
    m_stack.timers().cancel(r->timer);
    PacketBuffer* first = r->list;
    r->list = nullptr;
    Packet whole;
    while (first) {
        PacketBuffer* next = first->queue_next;
        first->queue_next = nullptr;
        whole.append_chain(Packet(first));
        first = next;
    }
    m_reassembly_buffers -= r->fragments;
    r->in_use = false;
    r->fragments = 0;
    r->received_bytes = 0;
    r->total_length = -1;
    m_stats.reassembled++;

    Ipv4Info complete = info;
    size_t ihl = whole.meta().peer.port;
    complete.header = whole.data() - ihl;
    complete.header_length = ihl;
    deliver(complete, std::move(whole));
}

void Ipv4::finish_and_send(Packet&& p, Ipv4Address source, Ipv4Address destination,
                           uint8_t protocol, uint8_t ttl, uint8_t tos, uint16_t flags_fragment,
                           uint16_t id) {
    size_t total = p.total_length() + sizeof(Ipv4Header);
    auto* h = reinterpret_cast<Ipv4Header*>(p.push(sizeof(Ipv4Header)));
    h->version_ihl = 0x45;
    h->tos = tos;
    h->total_length.set(uint16_t(total));
    h->identification.set(id);
    h->flags_fragment.set(flags_fragment);
    h->ttl = ttl;
    h->protocol = protocol;
    h->checksum.set(0);
    h->source.set(source.value);
    h->destination.set(destination.value);
    h->checksum.set(internet_checksum(reinterpret_cast<const uint8_t*>(h), sizeof(Ipv4Header)));
    m_stats.sent++;
    m_stack.route_and_send(std::move(p), destination);
}

bool Ipv4::output(Packet&& payload, Ipv4Address source, Ipv4Address destination,
                  uint8_t protocol, uint8_t ttl, bool dont_fragment, uint8_t tos) {
    size_t length = payload.total_length();
    uint16_t mtu = m_stack.mtu();
    uint16_t id = m_next_id++;
    if (length + sizeof(Ipv4Header) <= mtu) {
        if (payload.is_chained()) {
            // The NIC takes single-buffer frames: gather a chained payload.
            Packet flat = m_stack.allocate_tx(0);
            if (!flat) {
                m_stats.no_buffers++;
                return false;
            }
            payload.copy_out(0, flat.put(length), length);
            payload = std::move(flat);
        }
        finish_and_send(std::move(payload), source, destination, protocol, ttl, tos,
                        dont_fragment ? kIpFlagDontFragment : 0, id);
        return true;
    }
    if (dont_fragment) {
        m_stats.too_big++;
        return false;
    }
    // RFC 791 §3.2 fragmentation: every fragment but the last carries a multiple of 8 bytes.
    size_t per_fragment = size_t(mtu - sizeof(Ipv4Header)) & ~size_t(7);
    for (size_t offset = 0; offset < length; offset += per_fragment) {
        size_t n = length - offset < per_fragment ? length - offset : per_fragment;
        Packet f = m_stack.allocate_tx(0);
        if (!f) {
            m_stats.no_buffers++;
            return false;
        }
        payload.copy_out(offset, f.put(n), n);
        uint16_t flags = uint16_t(offset / 8);
        if (offset + n < length) flags |= kIpFlagMoreFragments;
        m_stats.fragments_sent++;
        finish_and_send(std::move(f), source, destination, protocol, ttl, tos, flags, id);
    }
    return true;
}

} // namespace wisp::net
