// SPDX-License-Identifier: MIT
#pragma once

// Checked access to application memory. A UserPtr is just an address the application passed; it
// is only ever dereferenced through copy_from_user/copy_to_user, which turn a bad address into
// EFAULT instead of a kernel fault.
#include <stddef.h>
#include <stdint.h>

#include <type_traits>

#include "lib/result.h"
#include "mm/address_space.h"
#include "platform/platform.h"

namespace wisp::linux {

inline bool user_range_ok(uint64_t address, size_t length) {
    return address < mm::kUserEnd && length <= mm::kUserEnd - address;
}

inline Result<void> copy_from_user(void* dest, uint64_t src, size_t length) {
    if (!user_range_ok(src, length)) return Errno::FAULT;
    if (!platform::copy_from_user(dest, src, length)) return Errno::FAULT;
    return {};
}

inline Result<void> copy_to_user(uint64_t dest, const void* src, size_t length) {
    if (!user_range_ok(dest, length)) return Errno::FAULT;
    if (!platform::copy_to_user(dest, src, length)) return Errno::FAULT;
    return {};
}

template<typename T>
class UserPtr {
public:
    constexpr UserPtr() = default;
    constexpr explicit UserPtr(uint64_t address) : m_address(address) {}
    uint64_t address() const { return m_address; }
    bool is_null() const { return m_address == 0; }
    UserPtr offset(size_t elements) const { return UserPtr(m_address + elements * sizeof(T)); }

    Result<std::remove_const_t<T>> read() const {
        std::remove_const_t<T> value;
        TRY(copy_from_user(&value, m_address, sizeof(T)));
        return value;
    }
    Result<void> write(const T& value) const { return copy_to_user(m_address, &value, sizeof(T)); }

private:
    uint64_t m_address = 0;
};

// Copies a NUL-terminated path or string; ENAMETOOLONG when it does not fit in `capacity`.
inline Result<size_t> copy_string_from_user(char* dest, uint64_t src, size_t capacity) {
    if (src >= mm::kUserEnd) return Errno::FAULT;
    size_t limit = capacity;
    if (limit > mm::kUserEnd - src) limit = mm::kUserEnd - src;
    long n = platform::copy_string_from_user(dest, src, limit);
    if (n == -1) return Errno::FAULT;
    if (n == -2) return limit < capacity ? Errno::FAULT : Errno::NAMETOOLONG;
    return static_cast<size_t>(n);
}

} // namespace wisp::linux
