// SPDX-License-Identifier: MIT
// Memory system calls and behaviours a static program relies on: .data/.bss, brk, anonymous
// mmap/munmap/mprotect/madvise, MAP_FIXED(_NOREPLACE), and their errors. Prints only what is the
// same on every run (no addresses): compared with native Linux by the VM tests.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int initialized[1024] = {1, 2, 3};
static char zeroes[3 << 20]; // .bss larger than the fault-around window

static void report(const char* what, long result) {
    if (result == -1) printf("%s: -1 errno %d\n", what, errno);
    else printf("%s: %ld\n", what, result);
}

static unsigned long checksum(const unsigned char* p, size_t n) {
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i++) sum = sum * 31 + p[i];
    return sum;
}

int main(void) {
    // .data starts as the file says and is writable (a private copy of the image page).
    printf("data: %d %d %d %d\n", initialized[0], initialized[1], initialized[2], initialized[3]);
    initialized[1] = 20;
    initialized[1023] = 7;
    printf("data after write: %d %d\n", initialized[1], initialized[1023]);

    // .bss reads as zero everywhere and is writable.
    size_t nonzero = 0;
    for (size_t i = 0; i < sizeof(zeroes); i += 512) nonzero += zeroes[i] != 0;
    zeroes[0] = 1;
    zeroes[sizeof(zeroes) - 1] = 2;
    printf("bss: nonzero=%zu ends=%d,%d\n", nonzero, zeroes[0], zeroes[sizeof(zeroes) - 1]);

    // brk grows and shrinks (the raw system call: musl's brk() wrapper always fails).
    long b0 = syscall(SYS_brk, 0);
    long b1 = syscall(SYS_brk, b0 + 100000);
    printf("brk grow: %ld\n", b1 - b0);
    memset((char*)b0, 0x5a, 100000);
    printf("brk content: %lu\n", checksum((unsigned char*)b0, 100000));
    printf("brk shrink: %ld\n", syscall(SYS_brk, b0 + 4096) - b0);
    printf("brk below start: %ld\n", syscall(SYS_brk, 4096) - b0);
    printf("brk regrow zeroed: %d\n", syscall(SYS_brk, b0 + 3 * 4096) == b0 + 3 * 4096 &&
                                            ((char*)b0)[2 * 4096 + 5] == 0);

    // malloc big and small (mmap and brk paths of the libc).
    unsigned char* big = malloc(10 << 20);
    memset(big, 0xab, 10 << 20);
    printf("big malloc: %lu\n", checksum(big + (5 << 20), 4096));
    free(big);
    void* small[100];
    for (int i = 0; i < 100; i++) small[i] = malloc(16 + i * 24);
    for (int i = 0; i < 100; i++) memset(small[i], i, 16 + i * 24);
    int good = 0;
    for (int i = 0; i < 100; i++) good += ((unsigned char*)small[i])[15 + i * 24] == i;
    printf("small mallocs: %d\n", good);

    // Anonymous mmap is zeroed and private.
    size_t len = 1 << 20;
    unsigned char* m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap: %s aligned=%d\n", m == MAP_FAILED ? "failed" : "ok", ((uintptr_t)m & 4095) == 0);
    nonzero = 0;
    for (size_t i = 0; i < len; i += 4096) nonzero += m[i];
    memset(m, 7, len);
    printf("mmap zero=%d sum=%lu\n", nonzero == 0, checksum(m + 4096 * 17, 64));

    // madvise(DONTNEED) gives zero pages back.
    report("madvise dontneed", madvise(m, 8192, MADV_DONTNEED));
    printf("after dontneed: %d %d\n", m[0], m[8192]);

    // munmap of the middle; mprotect; PROT_NONE then writable.
    report("munmap middle", munmap(m + 4096, 4096));
    report("mprotect ro", mprotect(m, 4096, PROT_READ));
    report("mprotect over hole", mprotect(m, 3 * 4096, PROT_READ));
    unsigned char* none = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("mprotect none->rw", mprotect(none, 8192, PROT_READ | PROT_WRITE));
    none[8191] = 9;
    printf("none page now: %d\n", none[8191]);

    // MAP_FIXED over an existing mapping replaces it with zeroes; NOREPLACE refuses.
    unsigned char* fixed = mmap(m + 16 * 4096, 4096, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("fixed same address: %d value %d\n", fixed == m + 16 * 4096, fixed[0]);
    void* noreplace = mmap(m + 32 * 4096, 4096, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("noreplace: %s errno %d\n", noreplace == MAP_FAILED ? "failed" : "mapped", noreplace == MAP_FAILED ? errno : 0);

    // Errors.
    errno = 0;
    report("mmap len 0", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    report("mmap no type", (long)mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0));
    report("mmap bad fd", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 1000, 0));
    printf("mmap unknown prot bit: %s\n", mmap(NULL, 4096, 0x100, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? "failed" : "mapped");
    report("mmap unaligned offset", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 5));
    report("mmap fixed unaligned", (long)mmap((void*)0x10001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    report("munmap unaligned", munmap(m + 1, 4096));
    report("munmap len 0", munmap(m, 0));
    report("mprotect unaligned", mprotect(m + 1, 4096, PROT_READ));
    report("mprotect bad prot", mprotect(m, 4096, 0x100));
    report("mprotect unmapped", mprotect((void*)0x10000000000, 4096, PROT_READ));
    report("munmap unmapped", munmap((void*)0x10000000000, 4096));
    return 0;
}
