// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "net/packet.h"
#include "net/timer.h"
#include "net/wire.h"

// ARP (RFC 826) for IPv4 over Ethernet: a small cache of neighbours with timeouts, requests
// retransmitted while a resolution is pending, a few packets held per pending entry (RFC 1122
// §2.3.2.2: SHOULD save at least one), and gratuitous announcements.
namespace wisp::net {

struct ArpPacket {
    be16 hardware_type;
    be16 protocol_type;
    uint8_t hardware_length;
    uint8_t protocol_length;
    be16 operation;
    MacAddress sender_mac;
    be32 sender_ip;
    MacAddress target_mac;
    be32 target_ip;
};
static_assert(sizeof(ArpPacket) == 28);

constexpr uint16_t kArpHardwareEthernet = 1;
constexpr uint16_t kArpRequest = 1;
constexpr uint16_t kArpReply = 2;

struct ArpConfig {
    uint64_t reachable_us = 60'000'000;    // an answered entry is trusted this long
    uint64_t retransmit_us = 1'000'000;    // between requests for a pending entry
    uint32_t max_requests = 3;             // then the pending packets are dropped
    uint32_t max_pending_packets = 3;      // per unresolved neighbour
};

class Stack;

class ArpCache {
public:
    static constexpr size_t kEntries = 64;

    ArpCache(Stack& stack, const ArpConfig& config);
    ~ArpCache();

    void input(Packet&& frame_payload);
    // Sends an IP packet (data starts at the IP header) to `next_hop`: now if the neighbour
    // is known, else after resolution (or never, if it does not answer).
    void send_ipv4(Packet&& packet, Ipv4Address next_hop);
    // A permanent entry (tests, static neighbours). False when the cache is full.
    bool add_permanent(Ipv4Address ip, MacAddress mac);
    // The cached address, if any (tests, diagnostics).
    bool lookup(Ipv4Address ip, MacAddress& out) const;
    void announce(); // gratuitous ARP request for our address (RFC 5227 §2.3)
    void flush();

private:
    enum class State : uint8_t { Free, Incomplete, Reachable, Stale, Permanent };
    struct Entry {
        Ipv4Address ip;
        MacAddress mac;
        State state = State::Free;
        uint8_t requests = 0; // sent since the last answer
        uint64_t expires_us = 0;
        uint64_t last_used_us = 0;
        PacketQueue pending;
        Timer timer;
        ArpCache* cache = nullptr;
    };

    Entry* find(Ipv4Address ip);
    const Entry* find(Ipv4Address ip) const;
    Entry* allocate_entry(uint64_t now);
    void release_entry(Entry& e);
    void update(Entry& e, MacAddress mac, uint64_t now);
    void send_request(Ipv4Address target, const MacAddress* unicast);
    void send_arp(uint16_t operation, MacAddress dest_mac, MacAddress target_mac,
                  Ipv4Address target_ip, Ipv4Address sender_ip);
    void transmit_ipv4(Packet&& packet, MacAddress destination);
    static void on_timer(void* owner, uint64_t now);

    Stack& m_stack;
    ArpConfig m_config;
    Entry m_entries[kEntries];
};

} // namespace wisp::net
