// SPDX-License-Identifier: MIT
#include "net/arp.h"

#include "net/ethernet.h"
#include "net/stack.h"

namespace wisp::net {

ArpCache::ArpCache(Stack& stack, const ArpConfig& config) : m_stack(stack), m_config(config) {
    for (Entry& e : m_entries) {
        e.cache = this;
        e.timer.callback = on_timer;
        e.timer.owner = &e;
    }
}

ArpCache::~ArpCache() {
    for (Entry& e : m_entries) m_stack.timers().cancel(e.timer);
}

ArpCache::Entry* ArpCache::find(Ipv4Address ip) {
    for (Entry& e : m_entries)
        if (e.state != State::Free && e.ip == ip) return &e;
    return nullptr;
}

const ArpCache::Entry* ArpCache::find(Ipv4Address ip) const {
    for (const Entry& e : m_entries)
        if (e.state != State::Free && e.ip == ip) return &e;
    return nullptr;
}

bool ArpCache::lookup(Ipv4Address ip, MacAddress& out) const {
    const Entry* e = find(ip);
    if (!e || e->state == State::Incomplete) return false;
    out = e->mac;
    return true;
}

// A free entry, else the least recently used non-permanent one.
ArpCache::Entry* ArpCache::allocate_entry(uint64_t now) {
    Entry* victim = nullptr;
    for (Entry& e : m_entries) {
        if (e.state == State::Free) return &e;
        if (e.state == State::Permanent) continue;
        if (!victim || e.last_used_us < victim->last_used_us) victim = &e;
    }
    (void)now;
    if (victim) release_entry(*victim);
    return victim;
}

void ArpCache::release_entry(Entry& e) {
    m_stack.timers().cancel(e.timer);
    e.pending.clear();
    e.state = State::Free;
    e.requests = 0;
}

void ArpCache::flush() {
    for (Entry& e : m_entries)
        if (e.state != State::Free && e.state != State::Permanent) release_entry(e);
}

bool ArpCache::add_permanent(Ipv4Address ip, MacAddress mac) {
    Entry* e = find(ip);
    if (!e) e = allocate_entry(m_stack.now_us());
    if (!e) return false;
    m_stack.timers().cancel(e->timer);
    e->ip = ip;
    e->mac = mac;
    e->state = State::Permanent;
    while (!e->pending.empty()) transmit_ipv4(e->pending.pop_front(), mac);
    return true;
}

void ArpCache::update(Entry& e, MacAddress mac, uint64_t now) {
    if (e.state == State::Permanent) return;
    e.mac = mac;
    e.state = State::Reachable;
    e.requests = 0;
    e.expires_us = now + m_config.reachable_us;
    m_stack.timers().arm(e.timer, e.expires_us);
    while (!e.pending.empty()) transmit_ipv4(e.pending.pop_front(), mac);
}

void ArpCache::input(Packet&& packet) {
    const auto* arp = packet.view().header_at<ArpPacket>();
    if (!arp || arp->hardware_type.value() != kArpHardwareEthernet ||
        arp->protocol_type.value() != kEtherTypeIpv4 || arp->hardware_length != 6 ||
        arp->protocol_length != 4)
        return;
    uint16_t op = arp->operation.value();
    Ipv4Address sender{arp->sender_ip.value()};
    Ipv4Address target{arp->target_ip.value()};
    MacAddress sender_mac = arp->sender_mac;
    if (sender_mac.is_multicast() || sender_mac.is_zero()) return;
    uint64_t now = m_stack.now_us();
    Ipv4Address ours = m_stack.interface_config().address;

    // RFC 826 "Packet reception": update an existing entry for the sender; add one only if
    // the packet is for us (so a broadcast storm cannot fill the cache).
    bool for_us = !ours.is_any() && target == ours;
    if (!sender.is_any() && sender != ours) {
        Entry* e = find(sender);
        if (e) {
            update(*e, sender_mac, now);
        } else if (for_us) {
            e = allocate_entry(now);
            if (e) {
                e->ip = sender;
                e->last_used_us = now;
                update(*e, sender_mac, now);
            }
        }
    }
    if (op == kArpRequest && for_us)
        send_arp(kArpReply, sender_mac, sender_mac, sender, ours);
}

void ArpCache::transmit_ipv4(Packet&& packet, MacAddress destination) {
    m_stack.send_frame(std::move(packet), destination, kEtherTypeIpv4);
}

void ArpCache::send_ipv4(Packet&& packet, Ipv4Address next_hop) {
    uint64_t now = m_stack.now_us();
    Entry* e = find(next_hop);
    if (e && e->state != State::Incomplete) {
        e->last_used_us = now;
        if (e->state == State::Stale && e->requests == 0) {
            // Keep using the old address while confirming it with a unicast request.
            e->requests = 1;
            send_request(next_hop, &e->mac);
            m_stack.timers().arm(e->timer, now + m_config.retransmit_us);
        }
        transmit_ipv4(std::move(packet), e->mac);
        return;
    }
    if (!e) {
        e = allocate_entry(now);
        if (!e) return;
        e->ip = next_hop;
        e->state = State::Incomplete;
        e->requests = 1;
        e->last_used_us = now;
        send_request(next_hop, nullptr);
        m_stack.timers().arm(e->timer, now + m_config.retransmit_us);
    }
    if (e->pending.count() >= m_config.max_pending_packets) e->pending.pop_front();
    e->pending.push_back(std::move(packet));
}

void ArpCache::on_timer(void* owner, uint64_t now) {
    auto& e = *static_cast<Entry*>(owner);
    ArpCache& cache = *e.cache;
    switch (e.state) {
    case State::Incomplete:
        if (e.requests >= cache.m_config.max_requests) {
            // FIXME: report EHOSTUNREACH to the sockets whose packets were pending.
            cache.release_entry(e);
            return;
        }
        e.requests++;
        cache.send_request(e.ip, nullptr);
        cache.m_stack.timers().arm(e.timer, now + cache.m_config.retransmit_us);
        return;
    case State::Reachable:
        // Unconfirmed for reachable_us: keep it but confirm on next use.
        e.state = State::Stale;
        e.requests = 0;
        // Entries nobody uses go away after another reachable period.
        cache.m_stack.timers().arm(e.timer, now + cache.m_config.reachable_us);
        return;
    case State::Stale:
        if (e.requests == 0 || e.requests >= cache.m_config.max_requests) {
            cache.release_entry(e);
            return;
        }
        e.requests++;
        cache.send_request(e.ip, &e.mac);
        cache.m_stack.timers().arm(e.timer, now + cache.m_config.retransmit_us);
        return;
    default:
        return;
    }
}

void ArpCache::send_request(Ipv4Address target, const MacAddress* unicast) {
    MacAddress dest = unicast ? *unicast : MacAddress::broadcast();
    send_arp(kArpRequest, dest, MacAddress{}, target, m_stack.interface_config().address);
}

void ArpCache::announce() {
    Ipv4Address ours = m_stack.interface_config().address;
    send_arp(kArpRequest, MacAddress::broadcast(), MacAddress{}, ours, ours);
}

void ArpCache::send_arp(uint16_t operation, MacAddress dest_mac, MacAddress target_mac,
                        Ipv4Address target_ip, Ipv4Address sender_ip) {
    Packet p = m_stack.allocate_tx(0);
    if (!p) return;
    auto* arp = reinterpret_cast<ArpPacket*>(p.put(sizeof(ArpPacket)));
    arp->hardware_type.set(kArpHardwareEthernet);
    arp->protocol_type.set(kEtherTypeIpv4);
    arp->hardware_length = 6;
    arp->protocol_length = 4;
    arp->operation.set(operation);
    arp->sender_mac = m_stack.mac_address();
    arp->sender_ip.set(sender_ip.value);
    arp->target_mac = target_mac;
    arp->target_ip.set(target_ip.value);
    m_stack.send_frame(std::move(p), dest_mac, kEtherTypeArp);
}

} // namespace wisp::net
