// SPDX-License-Identifier: MIT
#pragma once

#include <stdarg.h>
#include <stddef.h>

// printf-style formatting into a caller's buffer: %s %c %d %i %u %x %p with l/ll/z, width and
// zero padding. Returns the length written (truncated to capacity - 1, always NUL-terminated).
namespace wisp {
size_t vformat(char* buffer, size_t capacity, const char* fmt, va_list args);
size_t format(char* buffer, size_t capacity, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
} // namespace wisp
