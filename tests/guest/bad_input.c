// SPDX-License-Identifier: MIT
// Bad input to every system call the kernel implements that takes a pointer, a path or a
// descriptor (kernel/linux/syscalls.cpp): null and wild pointers (1, an unmapped user page, the
// kernel's half, the first non-canonical address, a string running into an unmapped page, a
// buffer whose second page is unmapped), a 10 000-byte path and a 256-byte name, descriptors -1
// and 1 000 000. Each line is the call and the errno (or result) it got, so the output compares
// with Linux's; the kernel must never panic. Raw system calls only: no C library checks first.
//
// Left out because Linux itself kills the process or because the result depends on state the
// two sides do not share: rt_sigreturn (restores a garbage frame), exit/exit_group,
// arch_prctl(ARCH_SET_FS) (breaks the C library's TLS), clone with bad tid pointers (Linux
// starts the thread and ignores the fault), pause and blocking waits with valid arguments. Successful results that differ between
// runs (times, addresses, thread ids) print as "ok".
#include "fs_check.h"
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/select.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>

// linux/futex.h is not in musl's headers.
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#endif

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

// The bad pointers; `unmapped` and the two page-edge ones are filled in by main().
enum { kNull, kOne, kUnmapped, kKernel, kNonCanonical, kPointerCount };
static const char* const kPointerNames[] = {"null", "1", "unmapped", "kernel", "noncanonical"};
static long g_pointers[kPointerCount] = {0, 1, 0, (long)0xffff800000000000ull,
                                         (long)0x0000800000000000ull};
static char* g_unterminated; // a string whose bytes run into an unmapped page
static char* g_straddle;     // 8 KiB whose second page is unmapped
static char* g_long_path;    // 10 000 bytes, components of 99
static char g_long_name[257];

static char g_buffer[65536];
static int g_file, g_file2, g_dir;
static struct timespec g_zero_ts;
static struct timeval g_zero_tv;
static struct itimerval g_zero_itv;

static void report(const char* call, const char* what, long result, int value_ok) {
    if (result == -1)
        printf("%s(%s): %s\n", call, what, errno_name(errno));
    else if (value_ok)
        printf("%s(%s): ok\n", call, what);
    else
        printf("%s(%s): %ld\n", call, what, result);
    fflush(stdout);
}

static long call(long nr, const long a[6]) {
    errno = 0;
    return syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

// Flags of a case: print success as "ok"; leave out the null pointer (where null means "wait
// forever").
enum { kValueOk = 1, kSkipNull = 2 };

// Argument `slot` of the call gets every bad pointer in turn.
static void pointers(const char* name, long nr, int slot, int flags, long a0, long a1, long a2,
                     long a3, long a4, long a5) {
    for (int i = (flags & kSkipNull) ? 1 : 0; i < kPointerCount; i++) {
        long a[6] = {a0, a1, a2, a3, a4, a5};
        a[slot] = g_pointers[i];
        char what[32];
        snprintf(what, sizeof what, "arg%d=%s", slot, kPointerNames[i]);
        report(name, what, call(nr, a), flags & kValueOk);
    }
}

// A path argument: the bad pointers, a string running into an unmapped page, a path longer
// than PATH_MAX and a component longer than NAME_MAX.
static void paths(const char* name, long nr, int slot, int flags, long a0, long a1, long a2,
                  long a3, long a4, long a5) {
    pointers(name, nr, slot, flags, a0, a1, a2, a3, a4, a5);
    const struct {
        const char* what;
        const char* path;
    } bad[] = {{"unterminated", g_unterminated}, {"path10000", g_long_path},
               {"name256", g_long_name}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long a[6] = {a0, a1, a2, a3, a4, a5};
        a[slot] = (long)bad[i].path;
        char what[32];
        snprintf(what, sizeof what, "arg%d=%s", slot, bad[i].what);
        report(name, what, call(nr, a), flags & kValueOk);
    }
}

// A descriptor argument: -1 and 1 000 000 (beyond RLIMIT_NOFILE).
static void fds(const char* name, long nr, int slot, long a0, long a1, long a2, long a3, long a4,
                long a5) {
    const long bad[] = {-1, 1000000};
    for (size_t i = 0; i < 2; i++) {
        long a[6] = {a0, a1, a2, a3, a4, a5};
        a[slot] = bad[i];
        char what[32];
        snprintf(what, sizeof what, "arg%d=fd%ld", slot, bad[i]);
        report(name, what, call(nr, a), 0);
    }
}

#define P(nr, slot, ...) pointers(#nr, SYS_##nr, slot, 0, __VA_ARGS__)
#define P_OK(nr, slot, ...) pointers(#nr, SYS_##nr, slot, kValueOk, __VA_ARGS__)
#define P_NOT_NULL(nr, slot, ...) pointers(#nr, SYS_##nr, slot, kSkipNull, __VA_ARGS__)
#define PATH(nr, slot, ...) paths(#nr, SYS_##nr, slot, 0, __VA_ARGS__)
#define FD(nr, slot, ...) fds(#nr, SYS_##nr, slot, __VA_ARGS__)
#define AT AT_FDCWD
#define S(x) ((long)(x))

static void path_calls(void) {
    long buf = S(g_buffer);
    PATH(open, 0, 0, O_RDONLY, 0, 0, 0, 0);
    PATH(open, 0, 0, O_WRONLY | O_CREAT, 0644, 0, 0, 0);
    PATH(openat, 1, AT, 0, O_RDONLY, 0, 0, 0);
    PATH(creat, 0, 0, 0644, 0, 0, 0, 0);
    PATH(mkdir, 0, 0, 0755, 0, 0, 0, 0);
    PATH(mkdirat, 1, AT, 0, 0755, 0, 0, 0);
    PATH(mknod, 0, 0, S_IFIFO | 0644, 0, 0, 0, 0);
    PATH(mknodat, 1, AT, 0, S_IFIFO | 0644, 0, 0, 0);
    PATH(unlink, 0, 0, 0, 0, 0, 0, 0);
    PATH(unlinkat, 1, AT, 0, 0, 0, 0, 0);
    PATH(unlinkat, 1, AT, 0, AT_REMOVEDIR, 0, 0, 0);
    PATH(rmdir, 0, 0, 0, 0, 0, 0, 0);
    PATH(rename, 0, 0, S("renamed"), 0, 0, 0, 0);
    PATH(rename, 1, S("file"), 0, 0, 0, 0, 0);
    PATH(renameat, 1, AT, 0, AT, S("renamed"), 0, 0);
    PATH(renameat, 3, AT, S("file"), AT, 0, 0, 0);
    PATH(renameat2, 1, AT, 0, AT, S("renamed"), 0, 0);
    PATH(renameat2, 3, AT, S("file"), AT, 0, 0, 0);
    PATH(link, 0, 0, S("linked"), 0, 0, 0, 0);
    PATH(link, 1, S("file"), 0, 0, 0, 0, 0);
    PATH(linkat, 1, AT, 0, AT, S("linked"), 0, 0);
    PATH(linkat, 3, AT, S("file"), AT, 0, 0, 0);
    PATH(symlink, 0, 0, S("symlinked"), 0, 0, 0, 0);
    PATH(symlink, 1, S("target"), 0, 0, 0, 0, 0);
    PATH(symlinkat, 0, 0, AT, S("symlinked"), 0, 0, 0);
    PATH(symlinkat, 2, S("target"), AT, 0, 0, 0, 0);
    PATH(truncate, 0, 0, 0, 0, 0, 0, 0);
    PATH(chmod, 0, 0, 0644, 0, 0, 0, 0);
    PATH(fchmodat, 1, AT, 0, 0644, 0, 0, 0);
    PATH(fchmodat2, 1, AT, 0, 0644, 0, 0, 0);
    PATH(chown, 0, 0, 0, 0, 0, 0, 0);
    PATH(lchown, 0, 0, 0, 0, 0, 0, 0);
    PATH(fchownat, 1, AT, 0, 0, 0, 0, 0);
    PATH(utimensat, 1, AT, 0, 0, 0, 0, 0);
    PATH(futimesat, 1, AT, 0, 0, 0, 0, 0);
    PATH(utimes, 0, 0, 0, 0, 0, 0, 0);
    PATH(utime, 0, 0, 0, 0, 0, 0, 0);
    PATH(chdir, 0, 0, 0, 0, 0, 0, 0);
    PATH(chroot, 0, 0, 0, 0, 0, 0, 0);
    PATH(stat, 0, 0, buf, 0, 0, 0, 0);
    PATH(lstat, 0, 0, buf, 0, 0, 0, 0);
    PATH(newfstatat, 1, AT, 0, buf, 0, 0, 0);
    PATH(statx, 1, AT, 0, 0, 0x7ff, buf, 0);
    PATH(statfs, 0, 0, buf, 0, 0, 0, 0);
    PATH(access, 0, 0, F_OK, 0, 0, 0, 0);
    PATH(faccessat, 1, AT, 0, F_OK, 0, 0, 0);
    PATH(faccessat2, 1, AT, 0, F_OK, 0, 0, 0);
    PATH(readlink, 0, 0, buf, 100, 0, 0, 0);
    PATH(readlinkat, 1, AT, 0, buf, 100, 0, 0);
}

static void pointer_calls(void) {
    long buf = S(g_buffer);
    long file = g_file, dir = g_dir;
    // File data: reads and writes at offset 0 of a 16 KiB file.
    P(read, 1, file, 0, 10, 0, 0, 0);
    P(write, 1, file, 0, 10, 0, 0, 0);
    P(pread64, 1, file, 0, 10, 0, 0, 0);
    P(pwrite64, 1, file, 0, 10, 0, 0, 0);
    P(readv, 1, file, 0, 1, 0, 0, 0);
    P(writev, 1, file, 0, 1, 0, 0, 0);
    P(preadv, 1, file, 0, 1, 0, 0, 0);
    P(pwritev, 1, file, 0, 1, 0, 0, 0);
    P(preadv2, 1, file, 0, 1, 0, 0, 0);
    P(pwritev2, 1, file, 0, 1, 0, 0, 0);
    // An iovec whose base is bad.
    for (int i = 0; i < kPointerCount; i++) {
        struct iovec bad = {(void*)g_pointers[i], 10};
        char what[40];
        snprintf(what, sizeof what, "iov_base=%s", kPointerNames[i]);
        errno = 0;
        report("preadv", what, syscall(SYS_preadv, g_file, &bad, 1, 0, 0), 0);
        errno = 0;
        report("pwritev", what, syscall(SYS_pwritev, g_file, &bad, 1, 0, 0), 0);
        struct iovec two[2] = {{g_buffer, 10}, {(void*)g_pointers[i], 10}};
        errno = 0;
        report("preadv good+bad", what, syscall(SYS_preadv, g_file, two, 2, 0, 0), 0);
        errno = 0;
        report("pwritev good+bad", what, syscall(SYS_pwritev, g_file, two, 2, 0, 0), 0);
    }
    // A buffer whose second page is unmapped: regular files copy what fits (a short count).
    errno = 0;
    report("pread64", "straddle 8192", syscall(SYS_pread64, g_file, g_straddle, 8192, 0), 0);
    errno = 0;
    report("pwrite64", "straddle 8192", syscall(SYS_pwrite64, g_file, g_straddle, 8192, 0), 0);
    errno = 0;
    report("pread64", "straddle at 4000", syscall(SYS_pread64, g_file, g_straddle + 4000, 8192, 0),
           0);
    errno = 0;
    report("read", "straddle at 4000", syscall(SYS_read, g_file, g_straddle + 4000, 8192), 0);
    errno = 0;
    report("lseek", "after", syscall(SYS_lseek, g_file, 0, SEEK_CUR), 0);
    // The same against a pipe (a stream: what it took or handed over is not taken back).
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_NONBLOCK) == 0) { // nothing blocks when it runs dry
        errno = 0;
        report("write pipe", "straddle at 4000",
               syscall(SYS_write, pipe_fds[1], g_straddle + 4000, 8192), 0);
        errno = 0;
        report("write pipe", "100 bytes", syscall(SYS_write, pipe_fds[1], g_buffer, 100), 0);
        errno = 0;
        report("read pipe", "straddle at 4000",
               syscall(SYS_read, pipe_fds[0], g_straddle + 4000, 8192), 0);
        errno = 0;
        report("read pipe", "rest", syscall(SYS_read, pipe_fds[0], g_buffer, 8192), 0);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
    }
    errno = 0;
    report("fstat", "straddle", syscall(SYS_fstat, g_file, g_straddle + 4096 - 16), 0);
    errno = 0;
    report("uname", "straddle", syscall(SYS_uname, g_straddle + 4096 - 64), 0);
    P(ioctl, 2, file, FIONREAD, 0, 0, 0, 0);
    P(ioctl, 2, file, TCGETS, 0, 0, 0, 0);
    P(sendfile, 2, g_file2, file, 0, 10, 0, 0);
    P(copy_file_range, 1, file, 0, g_file2, 0, 10, 0);
    P(copy_file_range, 3, file, 0, g_file2, 0, 10, 0);
    P(fcntl, 2, file, F_GETLK, 0, 0, 0, 0);
    P(fcntl, 2, file, F_SETLK, 0, 0, 0, 0);
    P(fcntl, 2, file, F_OFD_GETLK, 0, 0, 0, 0);
    P(pipe, 0, 0, 0, 0, 0, 0, 0);
    P(pipe2, 0, 0, O_CLOEXEC, 0, 0, 0, 0);
    // Waiting: zero timeouts, so nothing blocks.
    P(poll, 0, 0, 1, 0, 0, 0, 0);
    P(ppoll, 0, 0, 1, S(&g_zero_ts), 0, 8, 0);
    P_NOT_NULL(ppoll, 2, 0, 0, 0, 0, 8, 0);
    P(ppoll, 3, 0, 0, S(&g_zero_ts), 0, 8, 0);
    P(select, 1, 1, 0, 0, 0, S(&g_zero_tv), 0);
    P(select, 2, 1, 0, 0, 0, S(&g_zero_tv), 0);
    P(select, 3, 1, 0, 0, 0, S(&g_zero_tv), 0);
    P_NOT_NULL(select, 4, 1, 0, 0, 0, 0, 0);
    P_NOT_NULL(pselect6, 4, 1, 0, 0, 0, 0, 0);
    P(pselect6, 5, 1, 0, 0, 0, S(&g_zero_ts), 0);
    for (int i = 0; i < kPointerCount; i++) {
        struct {
            long mask, size;
        } sigmask = {g_pointers[i], 8};
        char what[40];
        snprintf(what, sizeof what, "sigmask=%s", kPointerNames[i]);
        errno = 0;
        report("pselect6", what, syscall(SYS_pselect6, 1, 0, 0, 0, &g_zero_ts, &sigmask), 0);
    }
    // Metadata.
    P(stat, 1, S("file"), 0, 0, 0, 0, 0);
    P(lstat, 1, S("file"), 0, 0, 0, 0, 0);
    P(fstat, 1, file, 0, 0, 0, 0, 0);
    P(newfstatat, 2, AT, S("file"), 0, 0, 0, 0);
    P(statx, 4, AT, S("file"), 0, 0x7ff, 0, 0);
    P(statfs, 1, S("file"), 0, 0, 0, 0, 0);
    P(fstatfs, 1, file, 0, 0, 0, 0, 0);
    P(readlink, 1, S("link"), 0, 100, 0, 0, 0);
    P(readlinkat, 2, AT, S("link"), 0, 100, 0, 0);
    P(getdents, 1, dir, 0, 4096, 0, 0, 0);
    P(getdents64, 1, dir, 0, 4096, 0, 0, 0);
    P(getcwd, 0, 0, 4096, 0, 0, 0, 0);
    P(utimensat, 2, AT, S("file"), 0, 0, 0, 0);
    P(futimesat, 2, AT, S("file"), 0, 0, 0, 0);
    P(utimes, 1, S("file"), 0, 0, 0, 0, 0);
    P(utime, 1, S("file"), 0, 0, 0, 0, 0);
    // Identity and resources.
    P(getgroups, 1, 16, 0, 0, 0, 0, 0);
    P(setgroups, 1, 1, 0, 0, 0, 0, 0);
    P(getresuid, 0, 0, buf, buf, 0, 0, 0);
    P(getresuid, 1, buf, 0, buf, 0, 0, 0);
    P(getresuid, 2, buf, buf, 0, 0, 0, 0);
    P(getresgid, 0, 0, buf, buf, 0, 0, 0);
    P(getresgid, 2, buf, buf, 0, 0, 0, 0);
    P(sysinfo, 0, 0, 0, 0, 0, 0, 0);
    P_OK(times, 0, 0, 0, 0, 0, 0, 0);
    P(getrusage, 1, RUSAGE_SELF, 0, 0, 0, 0, 0);
    P(sched_getaffinity, 2, 0, 128, 0, 0, 0, 0);
    P(sched_setaffinity, 2, 0, 128, 0, 0, 0, 0);
    P(prctl, 1, PR_GET_NAME, 0, 0, 0, 0, 0);
    P(prctl, 1, PR_SET_NAME, 0, 0, 0, 0, 0);
    P(uname, 0, 0, 0, 0, 0, 0, 0);
    P(prlimit64, 2, 0, RLIMIT_NOFILE, 0, 0, 0, 0);
    P(prlimit64, 3, 0, RLIMIT_NOFILE, 0, 0, 0, 0);
    P(getrlimit, 1, RLIMIT_NOFILE, 0, 0, 0, 0, 0);
    P(getrandom, 0, 0, 16, 0, 0, 0, 0);
    P(arch_prctl, 1, 0x1003 /* ARCH_GET_FS */, 0, 0, 0, 0, 0);
    P(clone3, 0, 0, 88, 0, 0, 0, 0);
    // Signals.
    P(rt_sigaction, 1, SIGUSR1, 0, 0, 8, 0, 0);
    P(rt_sigaction, 2, SIGUSR1, 0, 0, 8, 0, 0);
    P(rt_sigprocmask, 1, SIG_BLOCK, 0, 0, 8, 0, 0);
    P(rt_sigprocmask, 2, SIG_BLOCK, 0, 0, 8, 0, 0);
    P(rt_sigpending, 0, 0, 8, 0, 0, 0, 0);
    P(rt_sigsuspend, 0, 0, 8, 0, 0, 0, 0);
    P(sigaltstack, 0, 0, 0, 0, 0, 0, 0);
    P(sigaltstack, 1, 0, 0, 0, 0, 0, 0);
    // Time.
    P(nanosleep, 0, 0, 0, 0, 0, 0, 0);
    P(nanosleep, 1, S(&g_zero_ts), 0, 0, 0, 0, 0);
    P(clock_nanosleep, 2, CLOCK_MONOTONIC, 0, 0, 0, 0, 0);
    P(clock_nanosleep, 3, CLOCK_MONOTONIC, 0, S(&g_zero_ts), 0, 0, 0);
    P(getitimer, 1, ITIMER_REAL, 0, 0, 0, 0, 0);
    P(setitimer, 1, ITIMER_REAL, 0, 0, 0, 0, 0);
    P(setitimer, 2, ITIMER_REAL, S(&g_zero_itv), 0, 0, 0, 0);
    P(clock_gettime, 1, CLOCK_REALTIME, 0, 0, 0, 0, 0);
    P(clock_getres, 1, CLOCK_MONOTONIC, 0, 0, 0, 0, 0);
    P(gettimeofday, 0, 0, 0, 0, 0, 0, 0);
    P(gettimeofday, 1, buf, 0, 0, 0, 0, 0);
    P_OK(time, 0, 0, 0, 0, 0, 0, 0);
    // futex: WAIT reads the word; a private WAKE only checks the address.
    P(futex, 0, 0, FUTEX_WAIT_PRIVATE, 1, 0, 0, 0);
    P(futex, 0, 0, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
    P(futex, 3, S(g_buffer), FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
}

static void memory_calls(void) {
    // Addresses rather than pointers: user memory calls with the bad addresses.
    P(munmap, 0, 0, 4096, 0, 0, 0, 0);
    P(mprotect, 0, 0, 4096, PROT_READ, 0, 0, 0);
    P(madvise, 0, 0, 4096, MADV_DONTNEED, 0, 0, 0);
    P(mremap, 0, 0, 4096, 8192, 1 /* MREMAP_MAYMOVE */, 0, 0);
    P(msync, 0, 0, 4096, MS_SYNC, 0, 0, 0);
    P(mincore, 0, 0, 4096, S(g_buffer), 0, 0, 0);
    P(mincore, 2, S(g_straddle), 4096, 0, 0, 0, 0);
    // (Not at null: as root, Linux maps page 0 — CAP_SYS_RAWIO passes mmap_min_addr.)
    pointers("mmap", SYS_mmap, 0, kValueOk | kSkipNull, 0, 4096, PROT_READ,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    long current = syscall(SYS_brk, 0);
    for (int i = 0; i < kPointerCount; i++) {
        long r = syscall(SYS_brk, g_pointers[i]);
        printf("brk(%s): %s\n", kPointerNames[i], r == current ? "unchanged" : "moved");
    }
}

static void fd_calls(void) {
    long buf = S(g_buffer), file = g_file;
    struct iovec iov = {g_buffer, 10};
    long v = S(&iov);
    FD(read, 0, 0, buf, 10, 0, 0, 0);
    FD(write, 0, 0, buf, 10, 0, 0, 0);
    FD(pread64, 0, 0, buf, 10, 0, 0, 0);
    FD(pwrite64, 0, 0, buf, 10, 0, 0, 0);
    FD(readv, 0, 0, v, 1, 0, 0, 0);
    FD(writev, 0, 0, v, 1, 0, 0, 0);
    FD(preadv, 0, 0, v, 1, 0, 0, 0);
    FD(pwritev, 0, 0, v, 1, 0, 0, 0);
    FD(preadv2, 0, 0, v, 1, 0, 0, 0);
    FD(pwritev2, 0, 0, v, 1, 0, 0, 0);
    FD(lseek, 0, 0, 0, SEEK_SET, 0, 0, 0);
    FD(ioctl, 0, 0, FIONREAD, buf, 0, 0, 0);
    FD(sendfile, 0, 0, file, 0, 10, 0, 0);
    FD(sendfile, 1, g_file2, 0, 0, 10, 0, 0);
    FD(copy_file_range, 0, 0, 0, g_file2, 0, 10, 0);
    FD(copy_file_range, 2, file, 0, 0, 0, 10, 0);
    FD(fsync, 0, 0, 0, 0, 0, 0, 0);
    FD(fdatasync, 0, 0, 0, 0, 0, 0, 0);
    FD(syncfs, 0, 0, 0, 0, 0, 0, 0);
    FD(sync_file_range, 0, 0, 0, 0, 0, 0, 0);
    FD(fadvise64, 0, 0, 0, 0, 0, 0, 0);
    FD(ftruncate, 0, 0, 0, 0, 0, 0, 0);
    FD(fallocate, 0, 0, 0, 0, 10, 0, 0);
    FD(close, 0, 0, 0, 0, 0, 0, 0);
    FD(dup, 0, 0, 0, 0, 0, 0, 0);
    FD(dup2, 0, 0, 50, 0, 0, 0, 0);
    FD(dup2, 1, file, 0, 0, 0, 0, 0);
    FD(dup3, 0, 0, 50, 0, 0, 0, 0);
    FD(dup3, 1, file, 0, 0, 0, 0, 0);
    FD(fcntl, 0, 0, F_GETFD, 0, 0, 0, 0);
    FD(fcntl, 0, 0, F_GETFL, 0, 0, 0, 0);
    FD(flock, 0, 0, LOCK_SH, 0, 0, 0, 0);
    FD(fchmod, 0, 0, 0644, 0, 0, 0, 0);
    FD(fchown, 0, 0, 0, 0, 0, 0, 0);
    FD(fchdir, 0, 0, 0, 0, 0, 0, 0);
    FD(fstat, 0, 0, buf, 0, 0, 0, 0);
    FD(fstatfs, 0, 0, buf, 0, 0, 0, 0);
    FD(getdents, 0, 0, buf, 4096, 0, 0, 0);
    FD(getdents64, 0, 0, buf, 4096, 0, 0, 0);
    FD(mmap, 4, 0, 4096, PROT_READ, MAP_PRIVATE, 0, 0);
    FD(openat, 0, 0, S("file"), O_RDONLY, 0, 0, 0);
    FD(mkdirat, 0, 0, S("newdir"), 0755, 0, 0, 0);
    FD(mknodat, 0, 0, S("newfifo"), S_IFIFO | 0600, 0, 0, 0);
    FD(fchownat, 0, 0, S("file"), 0, 0, 0, 0);
    FD(futimesat, 0, 0, S("file"), 0, 0, 0, 0);
    FD(newfstatat, 0, 0, S("file"), buf, 0, 0, 0);
    FD(unlinkat, 0, 0, S("file"), 0, 0, 0, 0);
    FD(renameat, 0, 0, S("file"), AT, S("renamed"), 0, 0);
    FD(renameat, 2, AT, S("file"), 0, S("renamed"), 0, 0);
    FD(renameat2, 0, 0, S("file"), AT, S("renamed"), 0, 0);
    FD(renameat2, 2, AT, S("file"), 0, S("renamed"), 0, 0);
    FD(linkat, 0, 0, S("file"), AT, S("linked"), 0, 0);
    FD(linkat, 2, AT, S("file"), 0, S("linked"), 0, 0);
    FD(symlinkat, 1, S("target"), 0, S("symlinked"), 0, 0, 0);
    FD(readlinkat, 0, 0, S("link"), buf, 100, 0, 0);
    FD(fchmodat, 0, 0, S("file"), 0644, 0, 0, 0);
    FD(fchmodat2, 0, 0, S("file"), 0644, 0, 0, 0);
    FD(faccessat, 0, 0, S("file"), F_OK, 0, 0, 0);
    FD(faccessat2, 0, 0, S("file"), F_OK, 0, 0, 0);
    FD(utimensat, 0, 0, 0, 0, 0, 0, 0);
    FD(utimensat, 0, 0, S("file"), 0, 0, 0, 0);
    FD(statx, 0, 0, S("file"), 0, 0x7ff, buf, 0);
    // An absolute path ignores the directory descriptor.
    FD(newfstatat, 0, 0, S("/"), buf, 0, 0, 0);
    // poll reports a bad descriptor in revents (POLLNVAL); a negative one is skipped.
    const int bad[] = {-1, 1000000};
    for (int i = 0; i < 2; i++) {
        struct pollfd p = {bad[i], POLLIN, 0};
        errno = 0;
        long r = syscall(SYS_poll, &p, 1, 0);
        printf("poll(fd%d): %ld revents=%#x\n", bad[i], r, p.revents);
    }
    // select: a descriptor that is not open, below FD_SETSIZE.
    fd_set set;
    FD_ZERO(&set);
    FD_SET(1000, &set);
    errno = 0;
    report("select", "fd1000", syscall(SYS_select, 1001, &set, 0, 0, &g_zero_tv), 0);
    errno = 0;
    report("close_range", "1000000..", syscall(SYS_close_range, 1000000, 2000000, 0), 0);
}

// One call with bad sizes, flags, numbers or ids (valid pointers and descriptors).
#define ONE(label, ...) report(label, "", (errno = 0, syscall(__VA_ARGS__)), 0)

static void value_calls(void) {
    char* buf = g_buffer;
    struct iovec iov = {g_buffer, 10};
    struct timespec bad_nsec = {0, 1000000000}, negative = {-1, 0};
    ONE("read count -1", SYS_read, g_file, buf, -1L);
    ONE("write count -1", SYS_write, g_file, buf, -1L);
    ONE("pread64 offset -1", SYS_pread64, g_file, buf, 10, -1L);
    ONE("pwrite64 offset -1", SYS_pwrite64, g_file, buf, 10, -1L);
    ONE("readv count -1", SYS_readv, g_file, &iov, -1);
    ONE("readv count 1025", SYS_readv, g_file, &iov, 1025);
    ONE("lseek whence 7", SYS_lseek, g_file, 0, 7);
    ONE("lseek before start", SYS_lseek, g_file, -10, SEEK_SET);
    ONE("readlink bufsiz 0", SYS_readlink, "link", buf, 0);
    ONE("readlink bufsiz -1", SYS_readlink, "link", buf, -1);
    ONE("readlink not a link", SYS_readlink, "file", buf, 100);
    ONE("getcwd size 0", SYS_getcwd, buf, 0);
    ONE("getcwd size 1", SYS_getcwd, buf, 1);
    // A fresh descriptor: where a failed getdents leaves the offset depends on the file system.
    int dir = open("dir", O_RDONLY | O_DIRECTORY);
    ONE("getdents64 count 0", SYS_getdents64, dir, buf, 0);
    ONE("getdents64 count 1", SYS_getdents64, dir, buf, 1);
    close(dir);
    ONE("getdents64 on a file", SYS_getdents64, g_file, buf, 4096);
    ONE("poll nfds 1000000", SYS_poll, buf, 1000000, 0);
    ONE("select nfds -1", SYS_select, -1, 0, 0, 0, &g_zero_tv);
    ONE("dup3 same fd", SYS_dup3, g_file, g_file, 0);
    ONE("dup3 bad flags", SYS_dup3, g_file, 50, 1);
    ONE("fcntl command 9999", SYS_fcntl, g_file, 9999, 0);
    ONE("fcntl F_DUPFD 1000000", SYS_fcntl, g_file, F_DUPFD, 1000000);
    ONE("fcntl F_DUPFD -1", SYS_fcntl, g_file, F_DUPFD, -1);
    ONE("flock operation 0", SYS_flock, g_file, 0);
    ONE("flock operation 0 on fd -1", SYS_flock, -1, 0);
    ONE("flock LOCK_MAND", SYS_flock, g_file, 99);
    ONE("flock LOCK_MAND on fd -1", SYS_flock, -1, 32 | LOCK_SH);
    ONE("openat bad O_TMPFILE", SYS_openat, AT_FDCWD, ".", O_TMPFILE | O_RDONLY, 0600);
    ONE("open O_DIRECTORY on a file", SYS_open, "file", O_RDONLY | O_DIRECTORY);
    ONE("open O_CREAT|O_EXCL existing", SYS_open, "file", O_RDWR | O_CREAT | O_EXCL, 0644);
    ONE("ftruncate -1", SYS_ftruncate, g_file, -1L);
    ONE("truncate -1", SYS_truncate, "file", -1L);
    ONE("fallocate length 0", SYS_fallocate, g_file, 0, 0, 0);
    ONE("fallocate offset -1", SYS_fallocate, g_file, 0, -1L, 10);
    ONE("fadvise64 advice 99", SYS_fadvise64, g_file, 0, 0, 99);
    ONE("sync_file_range bad flags", SYS_sync_file_range, g_file, 0, 0, 99);
    ONE("utimensat bad flags", SYS_utimensat, AT_FDCWD, "file", 0, 0x8000);
    ONE("newfstatat bad flags", SYS_newfstatat, AT_FDCWD, "file", buf, 0x8000);
    ONE("statx bad flags", SYS_statx, AT_FDCWD, "file", 0x80000000, 0x7ff, buf);
    ONE("faccessat2 bad mode", SYS_faccessat2, AT_FDCWD, "file", 0x10, 0);
    ONE("faccessat2 bad flags", SYS_faccessat2, AT_FDCWD, "file", F_OK, 0x8000);
    ONE("unlinkat bad flags", SYS_unlinkat, AT_FDCWD, "nope", 0x8000);
    ONE("renameat2 bad flags", SYS_renameat2, AT_FDCWD, "nope", AT_FDCWD, "x", 0x80);
    ONE("renameat2 exchange+noreplace", SYS_renameat2, AT_FDCWD, "file", AT_FDCWD, "link", 3);
    ONE("linkat bad flags", SYS_linkat, AT_FDCWD, "file", AT_FDCWD, "x", 0x8000);
    ONE("mkdir existing", SYS_mkdir, "file", 0755);
    ONE("rmdir a file", SYS_rmdir, "file");
    ONE("rmdir .", SYS_rmdir, ".");
    ONE("unlink a dir", SYS_unlink, "dir");
    ONE("mmap length 0", SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ONE("mmap no type", SYS_mmap, 0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0);
    ONE("mmap offset unaligned", SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, g_file, 100);
    ONE("mmap a directory", SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, g_dir, 0);
    ONE("munmap length 0", SYS_munmap, g_buffer, 0);
    ONE("clock_gettime clock 100", SYS_clock_gettime, 100, buf);
    ONE("clock_getres clock -5", SYS_clock_getres, -5, buf);
    ONE("nanosleep nsec 1e9", SYS_nanosleep, &bad_nsec, 0);
    ONE("nanosleep negative", SYS_nanosleep, &negative, 0);
    ONE("clock_nanosleep clock 100", SYS_clock_nanosleep, 100, 0, &g_zero_ts, 0);
    ONE("clock_nanosleep bad flags", SYS_clock_nanosleep, CLOCK_MONOTONIC, 2, &bad_nsec, 0);
    ONE("rt_sigaction signal 0", SYS_rt_sigaction, 0, 0, buf, 8);
    ONE("rt_sigaction signal 65", SYS_rt_sigaction, 65, 0, buf, 8);
    ONE("rt_sigaction SIGKILL", SYS_rt_sigaction, SIGKILL, buf, 0, 8);
    ONE("rt_sigaction sigsetsize 4", SYS_rt_sigaction, SIGUSR1, 0, buf, 4);
    ONE("rt_sigprocmask how 9", SYS_rt_sigprocmask, 9, buf, 0, 8);
    ONE("rt_sigprocmask sigsetsize 4", SYS_rt_sigprocmask, SIG_BLOCK, 0, buf, 4);
    ONE("kill signal 65", SYS_kill, getpid(), 65);
    ONE("kill pid 99999", SYS_kill, 99999, 0);
    ONE("tgkill tid -1", SYS_tgkill, getpid(), -1, 0);
    ONE("getitimer which 9", SYS_getitimer, 9, buf);
    ONE("prctl option 9999", SYS_prctl, 9999, 0, 0, 0, 0);
    ONE("prlimit64 resource 99", SYS_prlimit64, 0, 99, 0, buf);
    ONE("prlimit64 pid 99999", SYS_prlimit64, 99999, RLIMIT_NOFILE, 0, buf);
    ONE("getrlimit resource -1", SYS_getrlimit, -1, buf);
    ONE("getrusage who 5", SYS_getrusage, 5, buf);
    ONE("getgroups size -1", SYS_getgroups, -1, buf);
    ONE("setgroups size -1", SYS_setgroups, -1, buf);
    ONE("setgroups size 65537", SYS_setgroups, 65537, buf);
    ONE("sched_getaffinity length 4", SYS_sched_getaffinity, 0, 4, buf);
    ONE("sched_getaffinity length 9", SYS_sched_getaffinity, 0, 9, buf);
    ONE("sched_getaffinity pid 99999", SYS_sched_getaffinity, 99999, 128, buf);
    ONE("getrandom bad flags", SYS_getrandom, buf, 16, 0x100);
    ONE("arch_prctl code 99", SYS_arch_prctl, 99, buf);
    ONE("futex op 99", SYS_futex, buf, 99, 0, 0, 0, 0);
    ONE("futex unaligned wait", SYS_futex, buf + 1, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
    ONE("pipe2 bad flags", SYS_pipe2, buf, 0x1);
    ONE("close_range first > last", SYS_close_range, 10, 5, 0);
    ONE("close_range bad flags", SYS_close_range, 1000, 1001, 0x80);
    ONE("sigaltstack bad flags", SYS_sigaltstack, &(stack_t){.ss_sp = buf, .ss_size = 65536,
                                                             .ss_flags = 99},
        0);
    ONE("sigaltstack too small", SYS_sigaltstack, &(stack_t){.ss_sp = buf, .ss_size = 100}, 0);
}

// Modes that end the process (one per line of bad_input.args): bad memory the kernel only
// touches later — a signal frame on a bad stack, the robust list and the tid word at exit.
static void on_signal(int signal) { (void)signal; }

static void *thread_main(void *arg) {
    (void)arg;
    struct timespec t = {0, 20 * 1000 * 1000};
    nanosleep(&t, NULL); // let the main thread exit first
    printf("thread: main exited, still here\n");
    fflush(stdout);
    syscall(SYS_exit_group, 0);
    return NULL;
}

static int run_mode(const char* mode) {
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    long unmapped = (long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                               -1, 0);
    munmap((void*)unmapped, 4096);
    if (!strcmp(mode, "altstack-kernel") || !strcmp(mode, "altstack-unmapped")) {
        // Linux takes any ss_sp; delivering onto it fails, and the process dies of SIGSEGV.
        stack_t ss = {.ss_sp = (void*)(mode[9] == 'k' ? 0xffff800000000000ull : unmapped),
                      .ss_size = 65536};
        printf("sigaltstack: %ld\n", syscall(SYS_sigaltstack, &ss, NULL));
        fflush(stdout);
        raise(SIGUSR1);
        printf("not reached\n");
    } else if (!strcmp(mode, "stack-bad")) {
        // A signal arrives while the user stack pointer is wild: no frame, SIGSEGV.
        sa.sa_flags = 0;
        sigaction(SIGUSR1, &sa, NULL);
        printf("signal with rsp=%s\n", "0x10");
        fflush(stdout);
        long pid = getpid();
        __asm__ volatile("mov %%rsp, %%r12\n\tmov $0x10, %%rsp\n\tsyscall\n\tmov %%r12, %%rsp"
                         : "+a"(*(long[]){SYS_kill})
                         : "D"(pid), "S"((long)SIGUSR1)
                         : "rcx", "r11", "r12", "memory");
        printf("not reached\n");
    } else if (!strcmp(mode, "robust-kernel")) {
        // Walked at exit; Linux ignores what it cannot read.
        printf("set_robust_list: %ld\n",
               syscall(SYS_set_robust_list, 0xffff800000000000ull, 24));
        fflush(stdout);
        return 0;
    } else if (!strcmp(mode, "tid-kernel")) {
        // The main thread's clear_child_tid word is written (and woken) when it exits while
        // another thread lives on; Linux ignores the fault.
        syscall(SYS_set_tid_address, 0xffff800000000000ull);
        pthread_t t;
        pthread_create(&t, NULL, thread_main, NULL);
        printf("main: exiting alone\n");
        fflush(stdout);
        syscall(SYS_exit, 0);
    }
    return 2;
}

// Readiness, timers and scheduling: epoll, eventfd, timerfd, POSIX timers, sigtimedwait.
static void event_calls(void) {
    long buf = S(g_buffer);
    int ep = (int)syscall(SYS_epoll_create1, 0);
    int efd = (int)syscall(SYS_eventfd2, 0, 0);
    int tfd = (int)syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
    int timer = -1;
    syscall(SYS_timer_create, CLOCK_MONOTONIC, 0, &timer);
    printf("event descriptors: %d %d %d, timer %d\n", ep, efd, tfd, timer);
    struct {
        uint32_t events;
        uint64_t data;
    } __attribute__((packed)) event = {1 /* EPOLLIN */, 7};
    static struct itimerspec zero_its;
    uint64_t usr2 = 1ull << (SIGUSR2 - 1);
    P(epoll_ctl, 3, ep, 1 /* EPOLL_CTL_ADD */, efd, 0, 0, 0);
    P(epoll_wait, 1, ep, 0, 8, 0, 0, 0);
    P(epoll_pwait, 1, ep, 0, 8, 0, 0, 8);
    P(epoll_pwait, 4, ep, buf, 8, 0, 0, 8);
    P_NOT_NULL(epoll_pwait2, 3, ep, buf, 8, 0, 0, 8);
    P(timerfd_settime, 2, tfd, 0, 0, 0, 0, 0);
    P(timerfd_settime, 3, tfd, 0, S(&zero_its), 0, 0, 0);
    P(timerfd_gettime, 1, tfd, 0, 0, 0, 0, 0);
    P(timer_settime, 2, timer, 0, 0, 0, 0, 0);
    P(timer_settime, 3, timer, 0, S(&zero_its), 0, 0, 0);
    P(timer_gettime, 1, timer, 0, 0, 0, 0, 0);
    P(timer_create, 1, CLOCK_MONOTONIC, 0, buf, 0, 0, 0);
    P(rt_sigtimedwait, 0, 0, 0, S(&g_zero_ts), 8, 0, 0);
    P_NOT_NULL(rt_sigtimedwait, 2, S(&usr2), 0, 0, 8, 0, 0);
    P(sched_getparam, 1, 0, 0, 0, 0, 0, 0);
    P(sched_setparam, 1, 0, 0, 0, 0, 0, 0);
    P(sched_setscheduler, 2, 0, SCHED_OTHER, 0, 0, 0, 0);
    FD(epoll_ctl, 0, 0, 1, efd, S(&event), 0, 0);
    FD(epoll_ctl, 2, ep, 1, 0, S(&event), 0, 0);
    FD(epoll_wait, 0, 0, buf, 8, 0, 0, 0);
    FD(epoll_pwait, 0, 0, buf, 8, 0, 0, 8);
    FD(timerfd_settime, 0, 0, 0, S(&zero_its), 0, 0, 0);
    FD(timerfd_gettime, 0, 0, buf, 0, 0, 0, 0);
    ONE("epoll_create size 0", SYS_epoll_create, 0);
    ONE("epoll_create1 bad flags", SYS_epoll_create1, 1);
    ONE("epoll_ctl regular file", SYS_epoll_ctl, ep, 1, g_file, &event);
    ONE("epoll_ctl itself", SYS_epoll_ctl, ep, 1, ep, &event);
    ONE("epoll_ctl op 9", SYS_epoll_ctl, ep, 9, efd, &event);
    ONE("epoll_ctl del not added", SYS_epoll_ctl, ep, 2, tfd, &event);
    ONE("epoll_ctl on a non-epoll fd", SYS_epoll_ctl, efd, 1, tfd, &event);
    ONE("epoll_wait maxevents 0", SYS_epoll_wait, ep, buf, 0, 0);
    ONE("epoll_wait maxevents -1", SYS_epoll_wait, ep, buf, -1, 0);
    ONE("epoll_wait on a non-epoll fd", SYS_epoll_wait, efd, buf, 8, 0);
    ONE("epoll_pwait sigsetsize 4", SYS_epoll_pwait, ep, buf, 8, 0, buf, 4);
    ONE("eventfd2 bad flags", SYS_eventfd2, 0, 1);
    ONE("eventfd read 4 bytes", SYS_read, efd, buf, 4);
    ONE("timerfd_create clock 100", SYS_timerfd_create, 100, 0);
    ONE("timerfd_create bad flags", SYS_timerfd_create, CLOCK_MONOTONIC, 1);
    ONE("timerfd_settime bad flags", SYS_timerfd_settime, tfd, 0x80, &zero_its, 0);
    ONE("timerfd_settime on an eventfd", SYS_timerfd_settime, efd, 0, &zero_its, 0);
    ONE("timer_create clock 100", SYS_timer_create, 100, 0, buf);
    ONE("timer_settime id 9999", SYS_timer_settime, 9999, 0, &zero_its, 0);
    ONE("timer_gettime id -1", SYS_timer_gettime, -1, buf);
    ONE("timer_getoverrun id 9999", SYS_timer_getoverrun, 9999);
    ONE("timer_delete id 9999", SYS_timer_delete, 9999);
    ONE("rt_sigtimedwait sigsetsize 4", SYS_rt_sigtimedwait, &usr2, 0, &g_zero_ts, 4);
    ONE("rt_sigtimedwait nothing pending", SYS_rt_sigtimedwait, &usr2, 0, &g_zero_ts, 8);
    ONE("sched_getscheduler pid 99999", SYS_sched_getscheduler, 99999);
    ONE("sched_getscheduler pid -1", SYS_sched_getscheduler, -1);
    ONE("sched_getparam pid 99999", SYS_sched_getparam, 99999, buf);
    ONE("sched_setscheduler policy 99", SYS_sched_setscheduler, 0, 99, buf);
    ONE("sched_get_priority_max 99", SYS_sched_get_priority_max, 99);
    ONE("sched_get_priority_min -1", SYS_sched_get_priority_min, -1);
    ONE("membarrier command 12345", SYS_membarrier, 12345, 0, 0);
    syscall(SYS_timer_delete, timer);
    close(ep);
    close(efd);
    close(tfd);
}

int main(int argc, char** argv) {
    (void)show;
    // "sample": a few calls of each kind of argument (what the --strace test decodes; the
    // whole sweep's trace takes long on the serial console).
    int sample = argc > 1 && !strcmp(argv[1], "sample");
    if (argc > 1 && !sample) return run_mode(argv[1]);
    enter_work_dir("bad-input");
    // The same descriptor limit on both sides (wisp's; a host may allow more).
    struct rlimit nofile = {1024, 1024};
    if (setrlimit(RLIMIT_NOFILE, &nofile) != 0) perror("setrlimit");

    for (size_t i = 0; i < sizeof g_buffer; i++)
        g_buffer[i] = (char)('a' + i % 26);
    int fd = open("file", O_RDWR | O_CREAT, 0644);
    if (fd < 0 || write(fd, g_buffer, 16384) != 16384) {
        perror("file");
        return 98;
    }
    close(fd);
    if (symlink("file", "link") != 0 || mkdir("dir", 0755) != 0) perror("setup");

    // Two pages, the second unmapped: a string and a buffer that run off the first.
    char* pages = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(pages + 4096, 4096);
    memset(pages, 'x', 4096);
    g_unterminated = pages + 4096 - 16;
    g_straddle = pages;
    g_pointers[kUnmapped] = (long)(pages + 4096);
    g_long_path = long_path(10000);
    memset(g_long_name, 'n', 256);

    g_file = open("file", O_RDWR);
    g_file2 = open("file2", O_RDWR | O_CREAT, 0644);
    g_dir = open("dir", O_RDONLY | O_DIRECTORY);
    printf("descriptors: %d %d %d\n", g_file, g_file2, g_dir);

    if (sample) {
        long buf = S(g_buffer);
        PATH(open, 0, 0, O_RDONLY, 0, 0, 0, 0);
        PATH(rename, 1, S("file"), 0, 0, 0, 0, 0);
        P(stat, 1, S("file"), 0, 0, 0, 0, 0);
        P(read, 1, g_file, 0, 10, 0, 0, 0);
        P(writev, 1, g_file, 0, 1, 0, 0, 0);
        P(poll, 0, 0, 1, 0, 0, 0, 0);
        P(rt_sigaction, 1, SIGUSR1, 0, 0, 8, 0, 0);
        P(statx, 4, AT, S("file"), 0, 0x7ff, 0, 0);
        P(readlinkat, 2, AT, S("link"), 0, 100, 0, 0);
        FD(fstat, 0, 0, buf, 0, 0, 0, 0);
        return 0;
    }
    path_calls();
    pointer_calls();
    fd_calls();
    value_calls();
    event_calls();
    memory_calls(); // last: it maps the unmapped page
    list_dir("work dir afterwards", ".");
    // Last, since they stay in effect until exit, where Linux writes the tid word (for a thread
    // that shares its memory only) and walks the robust list, ignoring faults.
    P_OK(set_tid_address, 0, 0, 0, 0, 0, 0, 0);
    P(set_robust_list, 0, 0, 24, 0, 0, 0, 0);
    P(set_robust_list, 0, 0, 1, 0, 0, 0, 0);
    return 0;
}
