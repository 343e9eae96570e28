// SPDX-License-Identifier: MIT
// File-backed memory: mmap of files (private and shared, with offsets, past the end of the file),
// of the program's own file (in wisp: an image file, mapped without copying), mprotect, MAP_FIXED
// and MAP_FIXED_NOREPLACE, mremap, madvise(MADV_DONTNEED), msync, mincore, and their errors.
// Prints only what is the same on every run (no addresses): compared with native Linux.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static const long kPage = 4096;

static void report(const char* what, long result) {
    if (result == -1) printf("%s: -1 errno %d\n", what, errno);
    else printf("%s: %ld\n", what, result);
}

static void report_map(const char* what, void* p) {
    if (p == MAP_FAILED) printf("%s: MAP_FAILED errno %d\n", what, errno);
    else printf("%s: ok\n", what);
}

static unsigned long checksum(const unsigned char* p, size_t n) {
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i++) sum = sum * 31 + p[i];
    return sum;
}

static sigjmp_buf fault_jump;
static void on_fault(int sig) { siglongjmp(fault_jump, sig); }

// Whether writing one byte at p faults (SIGSEGV or SIGBUS).
static const char* try_write(volatile char* p, char value) {
    int sig = sigsetjmp(fault_jump, 1);
    if (sig == 0) {
        *p = value;
        return "ok";
    }
    return sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : "other signal";
}

// Whether reading one byte at p faults.
static const char* try_read(volatile char* p) {
    int sig = sigsetjmp(fault_jump, 1);
    if (sig == 0) {
        (void)*p;
        return "ok";
    }
    return sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : "other signal";
}

// A file of 2.5 pages with a known pattern.
static int make_file(const char* path, size_t size) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror("open");
        exit(1);
    }
    char* data = malloc(size);
    for (size_t i = 0; i < size; i++) data[i] = (char)('a' + (i * 7 + i / 4096) % 26);
    if (write(fd, data, size) != (ssize_t)size) exit(2);
    free(data);
    return fd;
}

static void private_and_shared(void) {
    // Unique per process: the native runs of the test's variants share the host's /tmp.
    char path[64];
    snprintf(path, sizeof path, "/tmp/mm_file.%d.data", (int)getpid());
    const size_t size = 2 * 4096 + 2048;
    int fd = make_file(path, size);

    // Private, read-only, whole file: the same bytes as read(); past the end of the file, zeroes.
    unsigned char* p = mmap(NULL, 3 * kPage, PROT_READ, MAP_PRIVATE, fd, 0);
    report_map("private read", p);
    unsigned char buffer[3 * 4096];
    memset(buffer, 0, sizeof buffer);
    pread(fd, buffer, size, 0);
    printf("private read matches file: %d\n", memcmp(p, buffer, size) == 0);
    int tail_zero = 1;
    for (size_t i = size; i < 3 * 4096; i++) tail_zero &= p[i] == 0;
    printf("tail after end of file is zero: %d\n", tail_zero);
    printf("write to read-only mapping: %s\n", try_write((char*)p, 'x'));
    munmap(p, 3 * kPage);
    // Whole pages past the end of the file: SIGBUS (private and shared).
    p = mmap(NULL, 5 * kPage, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("private, page past the end: %s, last file page: %s\n", try_read((char*)p + 3 * 4096),
           try_read((char*)p + 2 * 4096 + 4000));
    munmap(p, 5 * kPage);
    p = mmap(NULL, 5 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("shared, page past the end: %s\n", try_write((char*)p + 4 * 4096, 'x'));
    munmap(p, 5 * kPage);

    // With an offset.
    p = mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, fd, kPage);
    report_map("offset map", p);
    printf("offset map matches: %d\n", memcmp(p, buffer + 4096, 4096) == 0);
    munmap(p, kPage);
    report_map("unaligned offset", mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, fd, 100));

    // Private writable: the writes stay in the mapping.
    p = mmap(NULL, 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    report_map("private write", p);
    p[0] = 'X';
    p[5000] = 'Y';
    char c0 = 0, c1 = 0;
    pread(fd, &c0, 1, 0);
    pread(fd, &c1, 1, 5000);
    printf("private write: map %c%c file %c%c\n", p[0], p[5000], c0, c1);
    // MADV_DONTNEED on a private file mapping: the file's bytes come back.
    report("madvise dontneed private file", madvise(p, 2 * kPage, MADV_DONTNEED));
    printf("after dontneed: %c%c\n", p[0], p[5000]);
    munmap(p, 2 * kPage);

    // Shared: writes reach the file, and the file's changes reach the mapping.
    p = mmap(NULL, 3 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    report_map("shared", p);
    p[10] = 'S';
    p[4096 + 10] = 'T';
    pread(fd, &c0, 1, 10);
    pread(fd, &c1, 1, 4096 + 10);
    printf("shared write seen by read: %c%c\n", c0, c1);
    pwrite(fd, "W", 1, 20);
    printf("write seen by shared map: %c\n", p[20]);
    report("msync", msync(p, 3 * kPage, MS_SYNC));
    report("msync async", msync(p, kPage, MS_ASYNC));
    report("msync both", msync(p, kPage, MS_SYNC | MS_ASYNC));
    report("msync bad flag", msync(p, kPage, 0x100));
    report("msync unaligned", msync(p + 1, kPage, MS_SYNC));
    report("madvise dontneed shared", madvise(p, kPage, MADV_DONTNEED));
    printf("shared after dontneed: %c\n", p[10]);
    munmap(p, 3 * kPage);
    struct stat st;
    fstat(fd, &st);
    printf("file size unchanged: %ld\n", (long)st.st_size);

    // Permission checks.
    int ro = open(path, O_RDONLY);
    report_map("shared writable of read-only fd",
               mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
    p = mmap(NULL, kPage, PROT_READ, MAP_SHARED, ro, 0);
    report_map("shared read-only of read-only fd", p);
    report("mprotect write on it", mprotect(p, kPage, PROT_READ | PROT_WRITE));
    munmap(p, kPage);
    p = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    report_map("private writable of read-only fd", p);
    printf("private write: %s\n", try_write((char*)p, 'q'));
    munmap(p, kPage);
    close(ro);
    int wo = open(path, O_WRONLY);
    report_map("map of write-only fd", mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, wo, 0));
    close(wo);
    report_map("map of bad fd", mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, 999, 0));
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    report_map("map of a directory", mmap(NULL, kPage, PROT_READ, MAP_PRIVATE, dir, 0));
    close(dir);

    // Truncating under a shared mapping: the pages past the new end fault with SIGBUS; the file
    // growing again brings zero pages back.
    char trunc_path[64];
    snprintf(trunc_path, sizeof trunc_path, "/tmp/mm_file.%d.trunc", (int)getpid());
    int tf = make_file(trunc_path, 3 * 4096);
    p = mmap(NULL, 3 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, tf, 0);
    p[2 * 4096] = 'q';
    ftruncate(tf, 4096 + 10);
    printf("after truncate: page 0 %c, page 2 %s, byte 4096+20 %d\n", p[0],
           try_read((char*)p + 2 * 4096), p[4096 + 20]);
    ftruncate(tf, 3 * 4096);
    printf("grown again: page 2 %d\n", p[2 * 4096]);
    munmap(p, 3 * kPage);
    close(tf);
    unlink(trunc_path);

    // The mapping keeps the file alive after close and unlink.
    p = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    unlink(path);
    p[1] = 'U';
    printf("after close and unlink: %c%c\n", p[0], p[1]);
    munmap(p, kPage);
}

// The program's own file: in wisp an image file, mapped straight from the image.
static void own_file(const char* self) {
    int fd = open(self, O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    size_t size = (size_t)st.st_size;
    unsigned char* copy = malloc(size);
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, copy + got, size - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    unsigned char* p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    report_map("own file", p);
    printf("own file: magic %.3s, matches read: %d\n", p + 1, memcmp(p, copy, size) == 0);
    size_t rounded = (size + 4095) & ~4095ul;
    int tail_zero = 1;
    for (size_t i = size; i < rounded; i++) tail_zero &= p[i] == 0;
    printf("own file tail zero: %d\n", tail_zero);
    munmap(p, size);
    p = mmap(NULL, rounded + 2 * kPage, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("own file, page past the end: %s\n", try_read((char*)p + rounded + 4096));
    munmap(p, rounded + 2 * kPage);

    // Private writable: a copy on write; the file stays as it was.
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    p[0] = 'Z';
    p[size - 1] ^= 0xff;
    unsigned char first;
    pread(fd, &first, 1, 0);
    printf("own file private write: map %c file %d, rest matches: %d\n", p[0], first,
           memcmp(p + 1, copy + 1, size - 2) == 0);
    report("madvise dontneed", madvise(p, size, MADV_DONTNEED));
    printf("own file after dontneed matches: %d\n", memcmp(p, copy, size) == 0);
    // mprotect to the W^X steps a dynamic linker takes.
    report("mprotect rx", mprotect(p, kPage, PROT_READ | PROT_EXEC));
    report("mprotect r", mprotect(p, kPage, PROT_READ));
    printf("write after mprotect r: %s\n", try_write((char*)p, 'x'));
    report("mprotect rw", mprotect(p, kPage, PROT_READ | PROT_WRITE));
    printf("write after mprotect rw: %s\n", try_write((char*)p, 'x'));
    munmap(p, size);

    // Shared read-only of a file opened read-only.
    p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    report_map("own file shared", p);
    printf("own file shared matches: %d\n", memcmp(p, copy, size) == 0);
    report("own file shared, mprotect write", mprotect(p, kPage, PROT_READ | PROT_WRITE));
    munmap(p, size);

    // A dynamic linker's layout: reserve the whole span, then map parts over it with MAP_FIXED.
    char* span = mmap(NULL, 4 * kPage, PROT_READ, MAP_PRIVATE, fd, 0);
    char* part = mmap(span + 2 * kPage, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
                      kPage);
    printf("fixed part at its place: %d, content matches: %d\n", part == span + 2 * kPage,
           memcmp(part, copy + 4096, 4096) == 0);
    char* anon = mmap(span + 3 * kPage, kPage, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("fixed anonymous: %d zero %d\n", anon == span + 3 * kPage, anon[0] == 0);
    report_map("fixed noreplace over it",
               mmap(span, kPage, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0));
    munmap(span, 4 * kPage);
    char* again = mmap(span, kPage, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
    printf("fixed noreplace on free space: %d\n", again == span);
    munmap(again, kPage);
    free(copy);
    close(fd);
}

static void remap_and_residency(void) {
    // mremap: grow (moving when needed), shrink, fixed; the contents follow.
    // Five pages: four to remap, the fifth replaced by a neighbour that blocks growth in place.
    char* p = mmap(NULL, 5 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 4 * 4096; i++) p[i] = (char)(i % 251);
    unsigned long sum = checksum((unsigned char*)p, 4 * 4096);
    char* neighbour = mmap(p + 4 * kPage, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                           -1, 0);
    (void)neighbour;
    void* r = mremap(p, 4 * kPage, 8 * kPage, 0);
    printf("mremap grow without maymove: %s errno %d\n", r == MAP_FAILED ? "failed" : "ok",
           r == MAP_FAILED ? errno : 0);
    char* q = mremap(p, 4 * kPage, 64 * kPage, MREMAP_MAYMOVE);
    printf("mremap grow maymove: moved %d, contents %d, new part zero %d\n", q != p,
           checksum((unsigned char*)q, 4 * 4096) == sum, q[60 * 4096] == 0);
    printf("old place unmapped: %s\n", msync(p, kPage, MS_ASYNC) == -1 ? "yes" : "no");
    q[63 * 4096] = 1;
    char* s = mremap(q, 64 * kPage, 2 * kPage, 0);
    printf("mremap shrink: same %d contents %d\n", s == q,
           checksum((unsigned char*)s, 2 * 4096) ==
               checksum((unsigned char*)q, 2 * 4096));
    unsigned char vec[4];
    report("mincore beyond shrink", mincore(s + 2 * kPage, kPage, vec));
    char* target = mmap(NULL, 4 * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char* f = mremap(s, 2 * kPage, 2 * kPage, MREMAP_MAYMOVE | MREMAP_FIXED, target + kPage);
    printf("mremap fixed: at target %d contents %d\n", f == target + kPage, f[1] == 1 && f[4096] == (char)(4096 % 251));
    report("mremap fixed without maymove",
           (long)mremap(f, kPage, kPage, MREMAP_FIXED, target) == -1 ? -1 : 0);
    report("mremap bad flags", (long)mremap(f, kPage, kPage, 0x80) == -1 ? -1 : 0);
    report("mremap unmapped", (long)mremap((void*)0x10000, kPage, 2 * kPage, MREMAP_MAYMOVE) == -1 ? -1 : 0);
    report("mremap zero length", (long)mremap(f, kPage, 0, MREMAP_MAYMOVE) == -1 ? -1 : 0);
    munmap(target, 4 * kPage);
    munmap(p + 4 * kPage, kPage);

    // /dev/zero: anonymous memory, private or shared.
    int zero = open("/dev/zero", O_RDWR);
    char* z = mmap(NULL, 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero, 0);
    report_map("/dev/zero private", z);
    printf("/dev/zero reads zero %d\n", z[0] == 0 && z[4097] == 0);
    z[1] = 5;
    printf("/dev/zero written %d\n", z[1]);
    munmap(z, 2 * kPage);
    z = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0);
    report_map("/dev/zero shared", z);
    z[0] = 9;
    printf("/dev/zero shared written %d\n", z[0]);
    munmap(z, kPage);
    close(zero);

    // mincore: touched anonymous pages are resident, untouched ones not.
    char* m = mmap(NULL, 64 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    m[0] = 1;
    m[40 * 4096] = 1;
    unsigned char v[64];
    report("mincore", mincore(m, 64 * kPage, v));
    printf("resident: page0 %d page40 %d page63 %d\n", v[0] & 1, v[40] & 1, v[63] & 1);
    // MADV_DONTNEED zeroes private anonymous memory.
    report("madvise dontneed anon", madvise(m, 64 * kPage, MADV_DONTNEED));
    printf("after dontneed: %d %d\n", m[0], m[40 * 4096]);
    report("mincore unaligned", mincore(m + 1, kPage, v));
    munmap(m, 64 * kPage);
    report("mincore unmapped", mincore(m, kPage, v));
}

int main(int argc, char** argv) {
    (void)argc;
    setvbuf(stdout, NULL, _IOLBF, 0); // ordered with the program's other output
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    private_and_shared();
    own_file(argv[0]);
    remap_and_residency();
    return 0;
}
