// SPDX-License-Identifier: MIT
#include "lib/random.h"

#include <string.h>

namespace wisp {
namespace {

constexpr uint32_t rotl(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

[[gnu::always_inline]] inline void quarter_round(uint32_t* x, int a, int b, int c, int d) {
    x[a] += x[b], x[d] = rotl(x[d] ^ x[a], 16);
    x[c] += x[d], x[b] = rotl(x[b] ^ x[c], 12);
    x[a] += x[b], x[d] = rotl(x[d] ^ x[a], 8);
    x[c] += x[d], x[b] = rotl(x[b] ^ x[c], 7);
}

Csprng g_random;

} // namespace

namespace {
void chacha_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                  uint32_t out[16], int double_rounds) {
    uint32_t state[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, key[0], key[1],
                          key[2],     key[3],     key[4],     key[5],     key[6], key[7],
                          counter,    nonce[0],   nonce[1],   nonce[2]};
    uint32_t x[16];
    memcpy(x, state, sizeof(x));
    for (int i = 0; i < double_rounds; i++) {
        quarter_round(x, 0, 4, 8, 12);
        quarter_round(x, 1, 5, 9, 13);
        quarter_round(x, 2, 6, 10, 14);
        quarter_round(x, 3, 7, 11, 15);
        quarter_round(x, 0, 5, 10, 15);
        quarter_round(x, 1, 6, 11, 12);
        quarter_round(x, 2, 7, 8, 13);
        quarter_round(x, 3, 4, 9, 14);
    }
    for (int i = 0; i < 16; i++) out[i] = x[i] + state[i];
}
} // namespace

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                    uint32_t out[16]) {
    chacha_block(key, counter, nonce, out, 10);
}

void Csprng::seed(const uint8_t* material, size_t length) {
    // XOR the material into the key; the next refill stirs it (ChaCha is a PRF of the key).
    auto* key = reinterpret_cast<uint8_t*>(m_key);
    for (size_t i = 0; i < length; i++) key[i % sizeof(m_key)] ^= material[i];
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
    fill(&v, sizeof(v));
    return v;
}

Csprng& random() { return g_random; }

} // namespace wisp
