// SPDX-License-Identifier: MIT
#pragma once

// SHA-256 (FIPS 180-4), for the image cache key: streaming, no dependencies. Uses the x86 SHA
// extensions when the CPU has them (a cache hit hashes the whole program: /usr/bin/python3 takes
// ~70 ms in portable code, a few ms with them).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wisp::cli {

class Sha256 {
  public:
    using Digest = std::array<uint8_t, 32>;
    enum class Engine { Best, Portable }; // Portable: for tests comparing the two

    explicit Sha256(Engine engine = Engine::Best);

    void update(const void* data, size_t size);
    void update(std::string_view text) { update(text.data(), text.size()); }
    // Pads and returns the digest; the object must not be updated afterwards.
    Digest finish();

    static Digest of(std::string_view text, Engine engine = Engine::Best);
    static bool has_hardware_support();
    static std::string hex(const Digest& digest);

  private:
    void compress(const uint8_t* block, size_t blocks);

    std::array<uint32_t, 8> m_state = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::array<uint8_t, 64> m_buffer{};
    size_t m_buffered = 0;
    uint64_t m_length = 0; // bytes hashed so far
    bool m_hardware = false;
};

} // namespace wisp::cli
