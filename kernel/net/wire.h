// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <span>
#include <type_traits>

// Wire formats: every multi-byte field on the wire is big-endian ("network byte order",
// RFC 1700). Header structs are built only from these byte-array types, so they have
// alignment 1, no padding, and can be overlaid on any byte of a packet after a bounds check.
namespace wisp::net {

struct be16 {
    uint8_t bytes[2];
    constexpr uint16_t value() const { return uint16_t(uint16_t(bytes[0]) << 8 | bytes[1]); }
    constexpr void set(uint16_t v) {
        bytes[0] = uint8_t(v >> 8);
        bytes[1] = uint8_t(v);
    }
};

struct be32 {
    uint8_t bytes[4];
    constexpr uint32_t value() const {
        return uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 | uint32_t(bytes[2]) << 8 |
               bytes[3];
    }
    constexpr void set(uint32_t v) {
        bytes[0] = uint8_t(v >> 24);
        bytes[1] = uint8_t(v >> 16);
        bytes[2] = uint8_t(v >> 8);
        bytes[3] = uint8_t(v);
    }
};

static_assert(sizeof(be16) == 2 && alignof(be16) == 1);
static_assert(sizeof(be32) == 4 && alignof(be32) == 1);

inline uint16_t load_be16(const uint8_t* p) { return uint16_t(uint16_t(p[0]) << 8 | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline void store_be16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}

// A header type may be overlaid on packet bytes only if it is made of byte-sized fields.
template<typename T>
concept WireHeader = std::is_trivially_copyable_v<T> && alignof(T) == 1;

// A bounds-checked, read-only view over received bytes. Every accessor checks the length
// first and reports failure (nullptr / false) rather than reading past the end: parsers of
// outside input go through this and never index a raw buffer.
class ByteView {
public:
    constexpr ByteView() = default;
    constexpr ByteView(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}
    constexpr ByteView(std::span<const uint8_t> s) : m_data(s.data()), m_size(s.size()) {}

    constexpr const uint8_t* data() const { return m_data; }
    constexpr size_t size() const { return m_size; }
    constexpr bool empty() const { return m_size == 0; }

    // The header at `offset`, or nullptr if it does not fit.
    template<WireHeader T>
    const T* header_at(size_t offset = 0) const {
        if (offset > m_size || m_size - offset < sizeof(T)) return nullptr;
        return reinterpret_cast<const T*>(m_data + offset);
    }
    // Bytes [offset, offset + length), or an empty view with ok=false if out of range.
    bool slice(size_t offset, size_t length, ByteView& out) const {
        if (offset > m_size || m_size - offset < length) return false;
        out = ByteView(m_data + offset, length);
        return true;
    }
    ByteView from(size_t offset) const {
        if (offset >= m_size) return ByteView(m_data + m_size, 0);
        return ByteView(m_data + offset, m_size - offset);
    }
    ByteView prefix(size_t length) const {
        return ByteView(m_data, length < m_size ? length : m_size);
    }
    bool read_u8(size_t offset, uint8_t& out) const {
        if (offset >= m_size) return false;
        out = m_data[offset];
        return true;
    }
    bool read_be16(size_t offset, uint16_t& out) const {
        if (offset > m_size || m_size - offset < 2) return false;
        out = load_be16(m_data + offset);
        return true;
    }
    bool read_be32(size_t offset, uint32_t& out) const {
        if (offset > m_size || m_size - offset < 4) return false;
        out = load_be32(m_data + offset);
        return true;
    }

private:
    const uint8_t* m_data = nullptr;
    size_t m_size = 0;
};

} // namespace wisp::net
