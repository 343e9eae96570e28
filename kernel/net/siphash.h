// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed hash
// whose output an attacker cannot predict without the key. It is the F() of RFC 6528
// (initial sequence numbers) and of RFC 6056 (ephemeral port selection), and keys hash-table
// bucket selection so remote peers cannot aim at one bucket.
namespace wisp::net {

struct SipKey {
    uint64_t k0 = 0;
    uint64_t k1 = 0;
};

uint64_t siphash24(const SipKey& key, const void* data, size_t length);

// Convenience for the fixed-size inputs the stack hashes (addresses, ports, a counter).
class SipHasher {
public:
    explicit SipHasher(const SipKey& key) : m_key(key) {}
    SipHasher& add_u32(uint32_t v) {
        put(uint8_t(v));
        put(uint8_t(v >> 8));
        put(uint8_t(v >> 16));
        put(uint8_t(v >> 24));
        return *this;
    }
    SipHasher& add_u16(uint16_t v) {
        put(uint8_t(v));
        put(uint8_t(v >> 8));
        return *this;
    }
    uint64_t finish() const { return siphash24(m_key, m_buffer, m_length); }

private:
    void put(uint8_t b) {
        if (m_length < sizeof(m_buffer)) m_buffer[m_length++] = b;
    }
    SipKey m_key;
    uint8_t m_buffer[32]{};
    size_t m_length = 0;
};

} // namespace wisp::net
