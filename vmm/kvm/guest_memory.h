// SPDX-License-Identifier: MIT
#pragma once

// Guest RAM as the host sees it: guest-physical [0, size) at host address base. Every access
// the monitor makes on behalf of the guest (or from a guest-supplied address) goes through the
// bounds checks here.
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace wisp::vmm {

class GuestMemory {
  public:
    GuestMemory() = default;
    GuestMemory(uint8_t* base, uint64_t size) : m_base(base), m_size(size) {}

    uint64_t size() const { return m_size; }

    // True when [gpa, gpa + length) lies inside RAM (overflow-safe).
    bool contains(uint64_t gpa, uint64_t length) const {
        return length <= m_size && gpa <= m_size - length;
    }

    // The bytes [gpa, gpa + length), or an empty span when any of them is outside RAM.
    std::span<uint8_t> bytes(uint64_t gpa, uint64_t length) const {
        if (!contains(gpa, length)) return {};
        return {m_base + gpa, static_cast<size_t>(length)};
    }

    bool read(uint64_t gpa, void* out, uint64_t length) const {
        if (!contains(gpa, length)) return false;
        if (length) std::memcpy(out, m_base + gpa, length);
        return true;
    }
    bool write(uint64_t gpa, const void* data, uint64_t length) const {
        if (!contains(gpa, length)) return false;
        if (length) std::memcpy(m_base + gpa, data, length);
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
};

} // namespace wisp::vmm
