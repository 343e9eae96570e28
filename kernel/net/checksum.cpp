// SPDX-License-Identifier: MIT
#include "net/checksum.h"

#include <string.h>

namespace wisp::net {

namespace {

// Ones' complement sum of `data` read as little-endian 16-bit words (a trailing odd byte is
// the low byte of a last word), folded to 16 bits. RFC 1071 §2(B): the sum is byte-order
// independent up to a final byte swap, so loading 8 native bytes at a time is correct and
// about 4x cheaper than assembling big-endian words byte by byte.
uint16_t native_sum(const uint8_t* data, size_t length) {
    // 64-bit words with end-around carry: 2^64 = 1 modulo 2^16 - 1, so a ones' complement
    // sum of 64-bit words folds down to the 16-bit one. The carry counter compiles to adc.
    uint64_t sum = 0;
    uint64_t carries = 0;
    auto add64 = [&](uint64_t v) {
        sum += v;
        carries += sum < v;
    };
    while (length >= 32) {
        uint64_t a, b, c, d;
        memcpy(&a, data, 8);
        memcpy(&b, data + 8, 8);
        memcpy(&c, data + 16, 8);
        memcpy(&d, data + 24, 8);
        add64(a);
        add64(b);
        add64(c);
        add64(d);
        data += 32;
        length -= 32;
    }
    while (length >= 8) {
        uint64_t a;
        memcpy(&a, data, 8);
        add64(a);
        data += 8;
        length -= 8;
    }
    uint64_t tail = 0;
    if (length > 0) memcpy(&tail, data, length); // little-endian: bytes land low first
    add64(tail);
    // End-around carry: adding the carries can carry once more (found by fuzz_parsers).
    uint64_t total = sum + carries;
    if (total < carries) total += 1;
    sum = total;
    // Fold 64 -> 32 -> 16 bits with end-around carries.
    uint64_t folded = (sum & 0xffffffff) + (sum >> 32);
    folded = (folded & 0xffff) + (folded >> 16);
    folded = (folded & 0xffff) + (folded >> 16);
    folded = (folded & 0xffff) + (folded >> 16);
    return uint16_t(folded);
}

constexpr uint16_t swap16(uint16_t v) { return uint16_t(v << 8 | v >> 8); }

} // namespace

void Checksum::add(const uint8_t* data, size_t length) {
    if (length == 0) return;
    uint16_t s = native_sum(data, length);
    // Starting at an even offset, native words are byte-swapped network words; starting
    // at an odd offset (the previous range ended mid-word) the roles flip and no swap is
    // needed.
    m_sum += m_odd ? s : swap16(s);
    if (length & 1) m_odd = !m_odd;
}

uint16_t Checksum::finish() const {
    uint64_t sum = m_sum;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(~sum);
}

uint16_t internet_checksum(const uint8_t* data, size_t length) {
    Checksum c;
    c.add(data, length);
    return c.finish();
}

} // namespace wisp::net
