// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <string.h>

#include <type_traits>

#include "lib/result.h"

namespace wisp {

// A growable array of trivially copyable values with fallible growth (no exceptions, no
// hidden allocation failure). Storage comes from the Allocator policy.
template<typename T, typename Allocator>
class Vector {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    Vector() = default;
    Vector(const Vector&) = delete;
    Vector& operator=(const Vector&) = delete;
    ~Vector() { Allocator::free(m_data); }

    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    T& operator[](size_t i) {
        VERIFY(i < m_size);
        return m_data[i];
    }
    const T& operator[](size_t i) const {
        VERIFY(i < m_size);
        return m_data[i];
    }
    T* begin() { return m_data; }
    T* end() { return m_data + m_size; }
    const T* begin() const { return m_data; }
    const T* end() const { return m_data + m_size; }

    Result<void> try_insert(size_t index, const T& value) {
        VERIFY(index <= m_size);
        if (m_size == m_capacity) TRY(grow());
        memmove(static_cast<void*>(m_data + index + 1), m_data + index,
                (m_size - index) * sizeof(T));
        m_data[index] = value;
        m_size++;
        return {};
    }
    Result<void> try_append(const T& value) { return try_insert(m_size, value); }
    void remove(size_t index) {
        VERIFY(index < m_size);
        memmove(static_cast<void*>(m_data + index), m_data + index + 1,
                (m_size - index - 1) * sizeof(T));
        m_size--;
    }
    void clear() { m_size = 0; }

private:
    Result<void> grow() {
        size_t capacity = m_capacity == 0 ? 16 : m_capacity * 2;
        auto* data = static_cast<T*>(Allocator::allocate(capacity * sizeof(T)));
        if (data == nullptr) return Errno::NOMEM;
        if (m_size != 0) memcpy(static_cast<void*>(data), m_data, m_size * sizeof(T));
        Allocator::free(m_data);
        m_data = data;
        m_capacity = capacity;
        return {};
    }

    T* m_data = nullptr;
    size_t m_size = 0;
    size_t m_capacity = 0;
};

} // namespace wisp
