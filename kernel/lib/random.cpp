// SPDX-License-Identifier: MIT
#include "lib/random.h"

#include <string.h>

namespace wisp {
namespace {

constexpr uint32_t rotl(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

// RFC 8439 §2.1, on named words rather than an array so that the state stays in registers.
[[gnu::always_inline]] inline void quarter_round(uint32_t& a, uint32_t& b, uint32_t& c,
                                                 uint32_t& d) {
    a += b, d = rotl(d ^ a, 16);
    c += d, b = rotl(b ^ c, 12);
    a += b, d = rotl(d ^ a, 8);
    c += d, b = rotl(b ^ c, 7);
}

// "expand 32-byte k" (RFC 8439 §2.3).
constexpr uint32_t kSigma0 = 0x61707865, kSigma1 = 0x3320646e, kSigma2 = 0x79622d32,
                   kSigma3 = 0x6b206574;

Csprng g_random;

// RFC 8439 §2.3 with a choice of rounds. The final addition takes the inputs from `key` and
// `nonce` again instead of from a saved state array; all of them are read before the first
// store to `out`.
void chacha_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                  uint32_t out[16], int double_rounds) {
    uint32_t x0 = kSigma0, x1 = kSigma1, x2 = kSigma2, x3 = kSigma3;
    uint32_t x4 = key[0], x5 = key[1], x6 = key[2], x7 = key[3];
    uint32_t x8 = key[4], x9 = key[5], x10 = key[6], x11 = key[7];
    uint32_t x12 = counter, x13 = nonce[0], x14 = nonce[1], x15 = nonce[2];
    for (int i = 0; i < double_rounds; i++) {
        quarter_round(x0, x4, x8, x12);
        quarter_round(x1, x5, x9, x13);
        quarter_round(x2, x6, x10, x14);
        quarter_round(x3, x7, x11, x15);
        quarter_round(x0, x5, x10, x15);
        quarter_round(x1, x6, x11, x12);
        quarter_round(x2, x7, x8, x13);
        quarter_round(x3, x4, x9, x14);
    }
    x0 += kSigma0, x1 += kSigma1, x2 += kSigma2, x3 += kSigma3;
    x4 += key[0], x5 += key[1], x6 += key[2], x7 += key[3];
    x8 += key[4], x9 += key[5], x10 += key[6], x11 += key[7];
    x12 += counter, x13 += nonce[0], x14 += nonce[1], x15 += nonce[2];
    out[0] = x0, out[1] = x1, out[2] = x2, out[3] = x3;
    out[4] = x4, out[5] = x5, out[6] = x6, out[7] = x7;
    out[8] = x8, out[9] = x9, out[10] = x10, out[11] = x11;
    out[12] = x12, out[13] = x13, out[14] = x14, out[15] = x15;
}

} // namespace

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                    uint32_t out[16]) {
    chacha_block(key, counter, nonce, out, 10);
}

void Csprng::seed(const uint8_t* material, size_t length) {
    // XOR the material into the key; the next refill stirs it (ChaCha is a PRF of the key).
    // Byte i goes to key byte i % 32: eight at a time while whole words are left.
    static_assert(sizeof(m_key) % 8 == 0);
    auto* key = reinterpret_cast<uint8_t*>(m_key);
    size_t i = 0;
    for (; i + 8 <= length; i += 8) {
        uint64_t word, mixed;
        __builtin_memcpy(&word, material + i, sizeof word);
        __builtin_memcpy(&mixed, key + i % sizeof(m_key), sizeof mixed);
        mixed ^= word;
        __builtin_memcpy(key + i % sizeof(m_key), &mixed, sizeof mixed);
    }
    for (; i < length; i++)
        key[i % sizeof(m_key)] ^= material[i];
    m_available = 0;
}

void Csprng::refill() {
    // Two ChaCha8 blocks: the first 32 bytes become the next key (fast key erasure), the other
    // 96 are output. Eight rounds, as Go's runtime generator: the kernel runs emulated here
    // (DESIGN.md §8), and each double round costs ~150 instructions.
    static const uint32_t nonce[3] = {0, 0, 0};
    uint32_t blocks[32];
    chacha_block(m_key, 0, nonce, blocks, 4);
    chacha_block(m_key, 1, nonce, blocks + 16, 4);
    memcpy(m_key, blocks, sizeof(m_key));
    memcpy(m_buffer, blocks + 8, sizeof(m_buffer));
    memset(blocks, 0, sizeof(blocks));
    m_available = sizeof(m_buffer);
}

void Csprng::fill(void* out, size_t length) {
    auto* bytes = static_cast<uint8_t*>(out);
    while (length > 0) {
        if (m_available == 0) refill();
        size_t n = length < m_available ? length : m_available;
        uint8_t* source = m_buffer + sizeof(m_buffer) - m_available;
        memcpy(bytes, source, n);
        memset(source, 0, n);
        m_available -= n;
        bytes += n;
        length -= n;
    }
}

uint64_t Csprng::next_u64() {
    uint64_t v;
    if (m_available < sizeof(v)) {
        fill(&v, sizeof(v));
        return v;
    }
    // fill() for one whole word, without its variable-length memcpy/memset calls.
    uint8_t* source = m_buffer + sizeof(m_buffer) - m_available;
    __builtin_memcpy(&v, source, sizeof(v));
    __builtin_memset(source, 0, sizeof(v));
    m_available -= sizeof(v);
    return v;
}

Csprng& random() { return g_random; }

} // namespace wisp
