// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of
// 16-bit big-endian words. Checksum accumulates over several byte ranges (chained buffers,
// the TCP/UDP pseudo-header) and keeps track of odd lengths so the ranges may split anywhere.
namespace wisp::net {

class Checksum {
public:
    void add(const uint8_t* data, size_t length);
    void add_u16(uint16_t value) { add_word(value); }
    void add_u32(uint32_t value) {
        add_word(uint16_t(value >> 16));
        add_word(uint16_t(value));
    }
    // RFC 9293 §3.1 / RFC 768: source, destination, zero + protocol, upper-layer length.
    void add_pseudo_header(Ipv4Address source, Ipv4Address destination, uint8_t protocol,
                           uint16_t length) {
        add_u32(source.value);
        add_u32(destination.value);
        add_word(protocol);
        add_word(length);
    }
    // The value to store in a header field (complemented sum).
    uint16_t finish() const;
    // True when the data already included its checksum field and the total verifies.
    bool verifies() const { return finish() == 0; }

private:
    void add_word(uint16_t w) { m_sum += w; }
    uint64_t m_sum = 0;
    bool m_odd = false; // an odd number of bytes so far: the next byte is a low-order byte
};

// One-shot checksum of a contiguous range (IPv4 header, ICMP message).
uint16_t internet_checksum(const uint8_t* data, size_t length);

} // namespace wisp::net
