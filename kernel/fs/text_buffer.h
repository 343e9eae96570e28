// SPDX-License-Identifier: MIT
#pragma once

// A growable text buffer on the heap, for generated file contents (procfs, sysfs).
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <string_view>

#include "lib/result.h"

namespace wisp::fs {

class TextBuffer {
  public:
    TextBuffer() = default;
    TextBuffer(const TextBuffer&) = delete;
    TextBuffer& operator=(const TextBuffer&) = delete;
    ~TextBuffer() { delete[] m_data; }

    const char* data() const { return m_data; }
    size_t size() const { return m_size; }
    std::string_view view() const { return {m_data, m_size}; }

    Result<void> append(std::string_view text);
    Result<void> append(const void* bytes, size_t length) {
        return append(std::string_view(static_cast<const char*>(bytes), length));
    }
    // printf-style (lib/print.h conversions).
    Result<void> appendf(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    Result<void> reserve(size_t capacity);

  private:
    char* m_data = nullptr;
    size_t m_size = 0;
    size_t m_capacity = 0;
};

} // namespace wisp::fs
