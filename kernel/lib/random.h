// SPDX-License-Identifier: MIT
#pragma once

// The kernel's one CSPRNG: ChaCha8 (the ChaCha20 block function of RFC 8439 with 8 rounds, as
// Go's runtime uses) with fast key erasure — every refill rekeys from the generator's own output,
// so past outputs cannot be recovered from the state. Seeded from RDRAND/RDSEED or virtio-rng; used for AT_RANDOM, getrandom, ASLR, ISNs.
#include <stddef.h>
#include <stdint.h>

namespace wisp {

// One ChaCha20 block (RFC 8439 §2.3): 16 words of key stream.
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                    uint32_t out[16]);

class Csprng {
public:
    void seed(const uint8_t* material, size_t length); // mixes into the key
    void fill(void* out, size_t length);
    uint64_t next_u64();

private:
    void refill();
    uint32_t m_key[8]{};
    uint8_t m_buffer[96]{};
    size_t m_available = 0;
};

// The kernel-wide generator (seeded at boot).
Csprng& random();

} // namespace wisp
