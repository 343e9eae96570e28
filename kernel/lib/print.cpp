// SPDX-License-Identifier: MIT
#include "lib/print.h"

#include <stdint.h>

namespace wisp {
namespace {

struct Sink {
    char* out;
    size_t capacity;
    size_t length = 0;
    void put(char c) {
        if (length + 1 < capacity) out[length] = c;
        length++;
    }
};

void put_number(Sink& sink, uint64_t value, unsigned base, bool negative, int width, char pad) {
    char digits[24];
    int n = 0;
    do {
        unsigned d = value % base;
        digits[n++] = static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
        value /= base;
    } while (value != 0);
    if (negative) {
        if (pad == '0') {
            sink.put('-');
            width--;
        } else {
            digits[n++] = '-';
        }
    }
    for (int i = n; i < width; i++) sink.put(pad);
    while (n > 0) sink.put(digits[--n]);
}

} // namespace

size_t vformat(char* buffer, size_t capacity, const char* fmt, va_list args) {
    Sink sink{buffer, capacity};
    for (const char* p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            sink.put(*p);
            continue;
        }
        p++;
        char pad = ' ';
        if (*p == '0') {
            pad = '0';
            p++;
        }
        int width = 0;
        while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        int precision = -1;
        if (*p == '.') {
            p++;
            precision = 0;
            if (*p == '*') {
                precision = va_arg(args, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9') precision = precision * 10 + (*p++ - '0');
            }
        }
        int longs = 0;
        while (*p == 'l' || *p == 'z') {
            longs = 2;
            p++;
        }
        switch (*p) {
        case 's': {
            const char* s = va_arg(args, const char*);
            if (s == nullptr) s = "(null)";
            int len = 0;
            while ((precision < 0 || len < precision) && s[len] != '\0') len++;
            for (int i = len; i < width; i++) sink.put(' ');
            for (int i = 0; i < len; i++) sink.put(s[i]);
            break;
        }
        case 'c': sink.put(static_cast<char>(va_arg(args, int))); break;
        case 'd':
        case 'i': {
            int64_t v = longs ? va_arg(args, int64_t) : va_arg(args, int);
            uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
            put_number(sink, mag, 10, v < 0, width, pad);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = longs ? va_arg(args, uint64_t) : va_arg(args, unsigned);
            put_number(sink, v, *p == 'x' ? 16 : 10, false, width, pad);
            break;
        }
        case 'p':
            sink.put('0');
            sink.put('x');
            put_number(sink, reinterpret_cast<uintptr_t>(va_arg(args, void*)), 16, false, width,
                       pad);
            break;
        case '%': sink.put('%'); break;
        case '\0': p--; break;
        default:
            sink.put('%');
            sink.put(*p);
        }
    }
    if (capacity > 0) buffer[sink.length < capacity ? sink.length : capacity - 1] = '\0';
    return sink.length < capacity ? sink.length : (capacity > 0 ? capacity - 1 : 0);
}

size_t format(char* buffer, size_t capacity, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    size_t n = vformat(buffer, capacity, fmt, args);
    va_end(args);
    return n;
}

} // namespace wisp
