// SPDX-License-Identifier: MIT
#pragma once

// A range of guest-physical memory as the host sees it: [gpa_base, gpa_base + size) at host
// address base (guest RAM, gpa_base 0; or the read-only image slot). Every access the monitor
// makes on behalf of the guest (or from a guest-supplied address) goes through the bounds
// checks here.
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace wisp::vmm {

class GuestMemory {
  public:
    GuestMemory() = default;
    GuestMemory(uint8_t* base, uint64_t size, uint64_t gpa_base = 0)
        : m_base(base), m_size(size), m_gpa_base(gpa_base) {}

    uint64_t size() const { return m_size; }
    uint64_t gpa_base() const { return m_gpa_base; }

    // True when [gpa, gpa + length) lies inside this memory (overflow-safe).
    bool contains(uint64_t gpa, uint64_t length) const {
        return gpa >= m_gpa_base && length <= m_size && gpa - m_gpa_base <= m_size - length;
    }

    // The bytes [gpa, gpa + length), or an empty span when any of them is outside.
    std::span<uint8_t> bytes(uint64_t gpa, uint64_t length) const {
        if (!contains(gpa, length)) return {};
        return {m_base + (gpa - m_gpa_base), static_cast<size_t>(length)};
    }

    bool read(uint64_t gpa, void* out, uint64_t length) const {
        if (!contains(gpa, length)) return false;
        if (length) std::memcpy(out, m_base + (gpa - m_gpa_base), length);
        return true;
    }
    bool write(uint64_t gpa, const void* data, uint64_t length) const {
        if (!contains(gpa, length)) return false;
        if (length) std::memcpy(m_base + (gpa - m_gpa_base), data, length);
        return true;
    }

    template<class T>
    std::optional<T> read(uint64_t gpa) const {
        T value;
        if (!read(gpa, &value, sizeof(T))) return std::nullopt;
        return value;
    }

  private:
    uint8_t* m_base = nullptr;
    uint64_t m_size = 0;
    uint64_t m_gpa_base = 0;
};

} // namespace wisp::vmm
