// SPDX-License-Identifier: MIT
// Writes TOTAL bytes to stdout in write() calls of CHUNK bytes from memory (a repeating line),
// so the measurement is the console path alone.   console_write [TOTAL [CHUNK]]
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
    size_t total = argc > 1 ? strtoull(argv[1], NULL, 0) : 10000000;
    size_t chunk = argc > 2 ? strtoull(argv[2], NULL, 0) : 65536;
    char* buffer = malloc(chunk);
    if (!buffer) return 1;
    for (size_t i = 0; i < chunk; i++)
        buffer[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
    while (total > 0) {
        size_t n = total < chunk ? total : chunk;
        ssize_t w = write(1, buffer, n);
        if (w <= 0) return 1;
        total -= (size_t)w;
    }
    return 0;
}
