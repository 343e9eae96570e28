// SPDX-License-Identifier: MIT
#pragma once

// The "known pattern" the TAP tool's HTTP server returns and the Linux client checks:
// byte i is "0123456789abcdefghijklmnopqrstuvwxyz"[i % 36] — printable, so a failure shows
// up readably in curl output, and position-dependent, so reordering or loss is detected.
#include <stddef.h>
#include <stdint.h>

namespace wisp::nettool {

inline uint8_t pattern_byte(uint64_t i) {
    static const char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    return uint8_t(kAlphabet[i % 36]);
}

inline void fill_pattern(uint8_t* out, size_t n, uint64_t offset) {
    for (size_t k = 0; k < n; k++) out[k] = pattern_byte(offset + k);
}

} // namespace wisp::nettool
