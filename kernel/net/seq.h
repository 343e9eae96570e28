// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

// TCP sequence numbers (RFC 9293 §3.4): 32-bit values compared modulo 2^32. `a < b` means
// "a is before b" when the two are less than 2^31 apart, which TCP's window rules guarantee.
// Plain integer comparison would break when the sequence space wraps past 2^32.
namespace wisp::net {

class Seq {
public:
    constexpr Seq() = default;
    constexpr explicit Seq(uint32_t raw) : m_raw(raw) {}
    constexpr uint32_t raw() const { return m_raw; }

    constexpr Seq operator+(uint32_t n) const { return Seq(m_raw + n); }
    constexpr Seq operator-(uint32_t n) const { return Seq(m_raw - n); }
    constexpr Seq& operator+=(uint32_t n) {
        m_raw += n;
        return *this;
    }
    // Distance b - a as a signed number (positive when *this is after `other`).
    constexpr int32_t operator-(Seq other) const { return int32_t(m_raw - other.m_raw); }

    constexpr bool operator==(const Seq&) const = default;
    constexpr bool operator<(Seq o) const { return int32_t(m_raw - o.m_raw) < 0; }
    constexpr bool operator<=(Seq o) const { return int32_t(m_raw - o.m_raw) <= 0; }
    constexpr bool operator>(Seq o) const { return int32_t(m_raw - o.m_raw) > 0; }
    constexpr bool operator>=(Seq o) const { return int32_t(m_raw - o.m_raw) >= 0; }

private:
    uint32_t m_raw = 0;
};

constexpr Seq seq_max(Seq a, Seq b) { return a < b ? b : a; }
constexpr Seq seq_min(Seq a, Seq b) { return a < b ? a : b; }
// a <= x < b, modulo 2^32.
constexpr bool seq_in_range(Seq x, Seq a, Seq b) { return a <= x && x < b; }
// Unsigned distance from `from` forward to `to` (to must not be before from).
constexpr uint32_t seq_distance(Seq from, Seq to) { return to.raw() - from.raw(); }

} // namespace wisp::net
