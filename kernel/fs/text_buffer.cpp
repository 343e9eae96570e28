// SPDX-License-Identifier: MIT
#include "fs/text_buffer.h"

#include <new>

#include "lib/print.h"

namespace wisp::fs {

Result<void> TextBuffer::reserve(size_t capacity) {
    if (capacity <= m_capacity) return {};
    size_t grown = m_capacity ? m_capacity * 2 : 256;
    while (grown < capacity)
        grown *= 2;
    char* data = new (std::nothrow) char[grown];
    if (!data) return Errno::NOMEM;
    if (m_size) memcpy(data, m_data, m_size);
    delete[] m_data;
    m_data = data;
    m_capacity = grown;
    return {};
}

Result<void> TextBuffer::append(std::string_view text) {
    TRY(reserve(m_size + text.size()));
    if (!text.empty()) memcpy(m_data + m_size, text.data(), text.size());
    m_size += text.size();
    return {};
}

Result<void> TextBuffer::appendf(const char* fmt, ...) {
    char line[512];
    va_list args;
    va_start(args, fmt);
    size_t n = vformat(line, sizeof(line), fmt, args);
    va_end(args);
    return append(std::string_view(line, n));
}

} // namespace wisp::fs
