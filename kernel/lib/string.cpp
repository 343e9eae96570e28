// SPDX-License-Identifier: MIT
// The C string functions the compiler may call. Copies use `rep movsq`: on the CPL0 emulator
// each iteration costs about as much as one instruction, so 8 bytes per step matter.
#include <stddef.h>
#include <stdint.h>

extern "C" {

void* memcpy(void* dest, const void* src, size_t n) {
    void* d = dest;
    size_t quads = n / 8;
    size_t rest = n % 8;
    asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(quads) : : "memory");
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(rest) : : "memory");
    return dest;
}

void* memmove(void* dest, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dest);
    auto* s = static_cast<const unsigned char*>(src);
    if (d <= s || d >= s + n) return memcpy(dest, src, n);
    // Overlapping with dest above src (inserting into an array): copy backwards, the odd tail
    // bytes first, then 8 bytes per step with the direction flag set (the kernel runs with
    // interrupts off, so nothing else sees DF=1).
    while (n % 8 != 0) {
        n--;
        d[n] = s[n];
    }
    size_t quads = n / 8;
    if (quads != 0) {
        const unsigned char* from = s + n - 8;
        unsigned char* to = d + n - 8;
        asm volatile("std\n\trep movsq\n\tcld" : "+D"(to), "+S"(from), "+c"(quads) : : "memory", "cc");
    }
    return dest;
}

void* memset(void* dest, int c, size_t n) {
    void* d = dest;
    if ((n % 8) == 0 && c == 0) {
        size_t quads = n / 8;
        asm volatile("rep stosq" : "+D"(d), "+c"(quads) : "a"(0ul) : "memory");
    } else {
        asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    }
    return dest;
}

int memcmp(const void* a, const void* b, size_t n) {
    auto* x = static_cast<const unsigned char*>(a);
    auto* y = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n] != '\0') n++;
    return n;
}

int strcmp(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

int strncmp(const char* a, const char* b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i] || a[i] == '\0')
            return static_cast<unsigned char>(a[i]) - static_cast<unsigned char>(b[i]);
    }
    return 0;
}

} // extern "C"

extern "C" char* strcpy(char* dest, const char* src) {
    char* d = dest;
    while ((*d++ = *src++) != '\0') {
    }
    return dest;
}

extern "C" void* memchr(const void* s, int c, size_t n) {
    auto* p = static_cast<const unsigned char*>(s);
    for (size_t i = 0; i < n; i++)
        if (p[i] == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(p + i);
    return nullptr;
}
