// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "net/packet.h"
#include "net/timer.h"
#include "net/wire.h"

// IPv4 (RFC 791, RFC 1122 §3.2): header validation and checksum, TTL, options skipped,
// fragmentation of large outgoing datagrams, and reassembly with hard limits (RFC 791 §3.2,
// with the overlap policy of RFC 5722 applied to IPv4: an overlapping fragment discards the
// whole datagram, which defeats overlap-based evasion).
namespace wisp::net {

struct Ipv4Header {
    uint8_t version_ihl;
    uint8_t tos;
    be16 total_length;
    be16 identification;
    be16 flags_fragment;
    uint8_t ttl;
    uint8_t protocol;
    be16 checksum;
    be32 source;
    be32 destination;

    uint8_t version() const { return version_ihl >> 4; }
    size_t header_length() const { return size_t(version_ihl & 0xf) * 4; }
};
static_assert(sizeof(Ipv4Header) == 20);

constexpr uint8_t kIpProtoIcmp = 1;
constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;
constexpr uint16_t kIpFlagDontFragment = 0x4000;
constexpr uint16_t kIpFlagMoreFragments = 0x2000;
constexpr uint16_t kIpFragmentOffsetMask = 0x1fff;

// What the upper layers learn about a received datagram. `header` points at the IP header
// in the first buffer's headroom (kept intact for ICMP error quoting).
struct Ipv4Info {
    Ipv4Address source;
    Ipv4Address destination;
    uint8_t protocol = 0;
    uint8_t ttl = 0;
    uint8_t tos = 0;
    bool link_broadcast = false;
    const uint8_t* header = nullptr;
    size_t header_length = 0;
};

struct ReassemblyConfig {
    uint32_t max_datagrams = 8;           // concurrent reassemblies
    uint32_t max_fragments = 64;          // per datagram
    uint32_t max_total_buffers = 256;     // packet buffers held by all reassemblies
    uint64_t timeout_us = 30'000'000;     // RFC 1122 §3.3.2: 60 s or less; Linux uses 30 s
};

struct Ipv4Stats {
    uint64_t received = 0;
    uint64_t delivered = 0;
    uint64_t bad_header = 0;
    uint64_t bad_checksum = 0;
    uint64_t not_for_us = 0;
    uint64_t unknown_protocol = 0;
    uint64_t fragments_received = 0;
    uint64_t reassembled = 0;
    uint64_t reassembly_dropped = 0;
    uint64_t sent = 0;
    uint64_t fragments_sent = 0;
    uint64_t no_buffers = 0;
    uint64_t too_big = 0; // DF datagrams larger than the MTU (a bug in the caller)
};

class Stack;

class Ipv4 {
public:
    static constexpr size_t kMaxReassemblies = 16;

    Ipv4(Stack& stack, const ReassemblyConfig& config);
    ~Ipv4();

    void input(Packet&& packet, bool link_broadcast);
    // Prepends an IP header to `payload` (its first buffer must have 20 bytes of headroom
    // plus the link headers) and sends it, fragmenting when it exceeds the MTU unless
    // `dont_fragment` is set (then it is dropped and false returned).
    bool output(Packet&& payload, Ipv4Address source, Ipv4Address destination, uint8_t protocol,
                uint8_t ttl, bool dont_fragment, uint8_t tos = 0);

    const Ipv4Stats& stats() const { return m_stats; }
    size_t reassemblies_in_progress() const;

private:
    struct Reassembly {
        bool in_use = false;
        Ipv4Address source;
        Ipv4Address destination;
        uint16_t id = 0;
        uint8_t protocol = 0;
        uint32_t fragments = 0;
        uint32_t received_bytes = 0;
        int32_t total_length = -1; // known once the last fragment arrived
        PacketBuffer* list = nullptr; // sorted by offset (meta.seq), linked via queue_next
        Timer timer;
        Ipv4* owner = nullptr;
    };

    void deliver(const Ipv4Info& info, Packet&& payload);
    void reassemble(const Ipv4Info& info, uint16_t id, uint32_t offset, bool more,
                    Packet&& payload);
    void drop_reassembly(Reassembly& r);
    bool send_fragments(Packet&& payload, Ipv4Address source, Ipv4Address destination,
                        uint8_t protocol, uint8_t ttl, uint8_t tos, uint16_t mtu);
    void finish_and_send(Packet&& packet, Ipv4Address source, Ipv4Address destination,
                         uint8_t protocol, uint8_t ttl, uint8_t tos, uint16_t flags_fragment,
                         uint16_t id);
    static void on_reassembly_timeout(void* owner, uint64_t now);

    Stack& m_stack;
    ReassemblyConfig m_config;
    Ipv4Stats m_stats;
    uint16_t m_next_id = 0;
    uint32_t m_reassembly_buffers = 0;
    Reassembly m_reassembly[kMaxReassemblies];
};

} // namespace wisp::net
