// SPDX-License-Identifier: MIT
// Reads all of stdin and prints what it saw: byte and line counts, an FNV-1a hash, how reads
// of various sizes behave, readiness from select() and poll() before and after the end, and
// that reads after the end keep returning 0. Run with stdin from a file (tests/vm: --stdin).
//   stdin_read [chunk|select|poll|tiny]
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

static uint64_t g_hash = 1469598103934665603ull;
static unsigned long g_bytes, g_lines;

static void take(const char* data, size_t n) {
    for (size_t i = 0; i < n; i++) {
        g_hash = (g_hash ^ (unsigned char)data[i]) * 1099511628211ull;
        if (data[i] == '\n') g_lines++;
    }
    g_bytes += n;
}

static int select_readable(int timeout_s) {
    fd_set set;
    FD_ZERO(&set);
    FD_SET(0, &set);
    struct timeval tv = {timeout_s, 0};
    int r = select(1, &set, NULL, NULL, &tv);
    return r == 1 && FD_ISSET(0, &set);
}

static int poll_ready(int timeout_ms) {
    struct pollfd p = {0, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    // A regular file reports POLLIN at its end, a pipe POLLHUP: both mean read() won't block.
    return r == 1 && (p.revents & (POLLIN | POLLHUP));
}

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "chunk";
    static char buffer[65536];
    if (strcmp(mode, "select") == 0) printf("select before: %d\n", select_readable(10));
    if (strcmp(mode, "poll") == 0) printf("poll before: %d\n", poll_ready(10000));
    size_t sizes[] = {1, 7, 4096, 65536, 100};
    int round = 0;
    for (;;) {
        size_t want = strcmp(mode, "tiny") == 0 ? 3 : sizes[round++ % 5];
        ssize_t n = read(0, buffer, want);
        if (n < 0) {
            printf("read error: %s\n", strerror(errno));
            return 1;
        }
        if (n == 0) break;
        if ((size_t)n > want) {
            printf("read returned %zd > %zu\n", n, want);
            return 1;
        }
        take(buffer, (size_t)n);
    }
    printf("bytes %lu lines %lu hash %016llx\n", g_bytes, g_lines, (unsigned long long)g_hash);
    if (strcmp(mode, "select") == 0) printf("select at end: %d\n", select_readable(10));
    if (strcmp(mode, "poll") == 0) printf("poll at end: %d\n", poll_ready(10000));
    printf("read after end: %zd %zd\n", read(0, buffer, 10), read(0, buffer, 0));
    return 0;
}
