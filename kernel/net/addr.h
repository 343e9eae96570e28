// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

// Link and network addresses. Ipv4Address holds the address in host order (10.0.0.2 is
// 0x0a000002) and is converted to wire order only when written into a header.
namespace wisp::net {

struct MacAddress {
    uint8_t bytes[6]{};

    static constexpr MacAddress broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    constexpr bool is_broadcast() const {
        for (uint8_t b : bytes)
            if (b != 0xff) return false;
        return true;
    }
    // Group bit: the least significant bit of the first octet (IEEE 802.3).
    constexpr bool is_multicast() const { return (bytes[0] & 1) != 0; }
    constexpr bool is_zero() const {
        for (uint8_t b : bytes)
            if (b != 0) return false;
        return true;
    }
    constexpr bool operator==(const MacAddress&) const = default;
};
static_assert(sizeof(MacAddress) == 6);

struct Ipv4Address {
    uint32_t value = 0;

    static constexpr Ipv4Address any() { return {0}; }
    static constexpr Ipv4Address broadcast() { return {0xffffffffu}; }
    static constexpr Ipv4Address from_octets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
        return {uint32_t(a) << 24 | uint32_t(b) << 16 | uint32_t(c) << 8 | d};
    }
    constexpr bool is_any() const { return value == 0; }
    constexpr bool is_broadcast() const { return value == 0xffffffffu; }
    constexpr bool is_multicast() const { return (value >> 28) == 0xe; }
    constexpr bool is_loopback() const { return (value >> 24) == 127; }
    constexpr bool operator==(const Ipv4Address&) const = default;
};

// An IPv4 address and port (struct sockaddr_in without the family).
struct Endpoint {
    Ipv4Address address;
    uint16_t port = 0;
    constexpr bool operator==(const Endpoint&) const = default;
};

constexpr uint32_t prefix_mask(uint8_t prefix_length) {
    return prefix_length == 0 ? 0 : ~uint32_t(0) << (32 - prefix_length);
}

// Parses "a.b.c.d"; false on anything else. Used by tools and tests, and by the kernel
// command line later.
bool parse_ipv4(const char* text, Ipv4Address& out);
// Writes "a.b.c.d" into buffer (at least 16 bytes). Returns buffer.
const char* format_ipv4(Ipv4Address address, char* buffer);

} // namespace wisp::net
