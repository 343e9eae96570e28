// SPDX-License-Identifier: MIT
#include "lib/random.h"

#include <string.h>

namespace wisp {
namespace {

constexpr uint32_t rotl(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

void quarter_round(uint32_t* x, int a, int b, int c, int d) {
    x[a] += x[b], x[d] = rotl(x[d] ^ x[a], 16);
    x[c] += x[d], x[b] = rotl(x[b] ^ x[c], 12);
    x[a] += x[b], x[d] = rotl(x[d] ^ x[a], 8);
    x[c] += x[d], x[b] = rotl(x[b] ^ x[c], 7);
}

Csprng g_random;

} // namespace

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                    uint32_t out[16]) {
    uint32_t state[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, key[0], key[1],
                          key[2],     key[3],     key[4],     key[5],     key[6], key[7],
                          counter,    nonce[0],   nonce[1],   nonce[2]};
    uint32_t x[16];
    memcpy(x, state, sizeof(x));
    for (int i = 0; i < 10; i++) {
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

void Csprng::seed(const uint8_t* material, size_t length) {
    // Absorb 32 bytes at a time into the key, stirring with one block after each.
    for (size_t offset = 0; offset < length; offset += 32) {
        uint8_t chunk[32] = {};
        memcpy(chunk, material + offset, length - offset < 32 ? length - offset : 32);
        uint32_t words[8];
        memcpy(words, chunk, sizeof(words));
        for (int i = 0; i < 8; i++) m_key[i] ^= words[i];
        refill();
    }
    m_available = 0;
}

void Csprng::refill() {
    static const uint32_t nonce[3] = {0, 0, 0};
    uint32_t block[16];
    chacha20_block(m_key, 0, nonce, block);
    uint32_t block2[16];
    chacha20_block(m_key, 1, nonce, block2);
    memcpy(m_key, block, sizeof(m_key));                  // rekey: fast key erasure
    memcpy(m_buffer, block + 8, 32);                      // output: the rest
    memcpy(m_buffer + 32, block2, 32);
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
