// SPDX-License-Identifier: MIT
#pragma once

// Hand-built frames for scripted-peer tests and fuzz seeds, and a parser for the frames a
// stack sends. Host-only; independent of the stack's own parsing code paths where possible
// (checksums are computed here from scratch).
#include <stdint.h>

#include <vector>

#include "net/addr.h"
#include "net/arp.h"
#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/tcp_wire.h"
#include "net/udp.h"

namespace wisp::net::host {

struct TcpSegmentSpec {
    MacAddress src_mac;
    MacAddress dst_mac;
    Ipv4Address src;
    Ipv4Address dst;
    uint16_t sport = 0;
    uint16_t dport = 0;
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint8_t flags = 0;
    uint16_t window = 65535;
    TcpOptionsOut options;
    std::vector<uint8_t> payload;
    uint8_t ttl = 64;
    bool corrupt_checksum = false;
};

std::vector<uint8_t> build_tcp_frame(const TcpSegmentSpec& spec);
std::vector<uint8_t> build_udp_frame(MacAddress src_mac, MacAddress dst_mac, Ipv4Address src,
                                     Ipv4Address dst, uint16_t sport, uint16_t dport,
                                     const std::vector<uint8_t>& payload);
// An IPv4 frame around an arbitrary payload; `flags_fragment` as in the header.
std::vector<uint8_t> build_ipv4_frame(MacAddress src_mac, MacAddress dst_mac, Ipv4Address src,
                                      Ipv4Address dst, uint8_t protocol,
                                      const std::vector<uint8_t>& payload, uint16_t id = 1,
                                      uint16_t flags_fragment = 0, uint8_t ttl = 64);
std::vector<uint8_t> build_arp_frame(MacAddress src_mac, MacAddress dst_mac, uint16_t op,
                                     MacAddress sender_mac, Ipv4Address sender_ip,
                                     MacAddress target_mac, Ipv4Address target_ip);
// An ICMP message's bytes with its checksum filled in.
std::vector<uint8_t> build_icmp(uint8_t type, uint8_t code, uint32_t rest,
                                const std::vector<uint8_t>& body);
// A transport checksum over a pseudo-header and bytes.
uint16_t transport_checksum(Ipv4Address src, Ipv4Address dst, uint8_t protocol,
                            const uint8_t* data, size_t length);

struct ParsedFrame {
    EthernetHeader eth{};
    bool is_arp = false;
    ArpPacket arp{};
    bool is_ipv4 = false;
    Ipv4Header ip{};
    bool ip_checksum_ok = false;
    std::vector<uint8_t> ip_payload;
    bool is_tcp = false;
    bool is_udp = false;
    bool is_icmp = false;
    bool transport_checksum_ok = false;
    TcpHeader tcp{};
    TcpOptions tcp_options;
    UdpHeader udp{};
    std::vector<uint8_t> payload; // TCP/UDP payload, or the ICMP message
    uint32_t seq() const { return tcp.seq.value(); }
    uint32_t ack() const { return tcp.ack.value(); }
    uint8_t flags() const { return tcp.flags; }
    uint16_t window() const { return tcp.window.value(); }
};

bool parse_frame(const std::vector<uint8_t>& frame, ParsedFrame& out);

} // namespace wisp::net::host
