// SPDX-License-Identifier: MIT
#include "net/checksum.h"

#include <string.h>

namespace wisp::net {

void Checksum::add(const uint8_t* data, size_t length) {
    if (length == 0) return;
    uint64_t sum = 0;
    if (m_odd) {
        // The previous range ended mid-word: this byte is the low half of that word.
        sum += data[0];
        data++;
        length--;
        m_odd = false;
    }
    // Sum 32-bit big-endian words into 64 bits: no carry can be lost for any packet size.
    while (length >= 4) {
        sum += uint32_t(data[0]) << 24 | uint32_t(data[1]) << 16 | uint32_t(data[2]) << 8 |
               data[3];
        data += 4;
        length -= 4;
    }
    if (length >= 2) {
        sum += uint32_t(data[0]) << 8 | data[1];
        data += 2;
        length -= 2;
    }
    if (length == 1) {
        sum += uint32_t(data[0]) << 8;
        m_odd = true;
    }
    // Fold 32-bit sums of 16-bit word pairs: (hi << 16 | lo) contributes hi + lo.
    m_sum += (sum >> 32) + ((sum >> 16) & 0xffff) + (sum & 0xffff);
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
