// SPDX-License-Identifier: MIT
// fcntl record locks in one process: POSIX locks (the process's: they never conflict with each
// other) against open file description locks (F_OFD_*: each description its own owner), range
// arithmetic (l_whence, negative and zero lengths, splitting and merging as F_GETLK reports
// it), what a close drops, F_OFD_SETLKW waiting for another thread, and the errors.
#define _GNU_SOURCE
#include "fs_check.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

// What F_GETLK/F_OFD_GETLK says about a write (or read) lock over [start, start+len).
static void probe(const char* label, int fd, int command, short type, off_t start, off_t len) {
    struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    errno = 0;
    int r = fcntl(fd, command, &l);
    if (r != 0)
        printf("%s: %s\n", label, errno_name(errno));
    else if (l.l_type == F_UNLCK)
        printf("%s: free\n", label);
    else
        printf("%s: %s lock %lld len %lld pid %s\n", label, l.l_type == F_RDLCK ? "read" : "write",
               (long long)l.l_start, (long long)l.l_len, l.l_pid == -1 ? "-1" : l.l_pid == getpid() ? "self" : "other");
}

static int lock(int fd, int command, short type, short whence, off_t start, off_t len) {
    struct flock l = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
    return fcntl(fd, command, &l);
}

static volatile int g_state;
static int g_waiter_fd;

static void* wait_for_lock(void* arg) {
    (void)arg;
    g_state = 1;
    int r = lock(g_waiter_fd, F_OFD_SETLKW, F_WRLCK, SEEK_SET, 0, 10);
    g_state = r == 0 ? 2 : -1;
    return NULL;
}

int main(void) {
    enter_work_dir("record_locks");
    write_file("f", "0123456789abcdefghij");
    int a = open("f", O_RDWR), b = open("f", O_RDWR), r = open("f", O_RDONLY);

    // POSIX locks: never a conflict inside the process.
    T("posix write 0-9 via a", lock(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    T("posix write 5-14 via b", lock(b, F_SETLK, F_WRLCK, SEEK_SET, 5, 10));
    probe("posix getlk via b", b, F_GETLK, F_WRLCK, 0, 0);
    // An OFD lock conflicts with them.
    probe("ofd getlk via a", a, F_OFD_GETLK, F_RDLCK, 0, 0);
    T("ofd read 0-4 via a", lock(a, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 5));
    T("ofd read 20- via a", lock(a, F_OFD_SETLK, F_RDLCK, SEEK_SET, 20, 0));
    // Closing any descriptor of the file drops the process's POSIX locks (not the OFD ones).
    int extra = open("f", O_RDONLY);
    close(extra);
    probe("after a close: ofd getlk via b", b, F_OFD_GETLK, F_WRLCK, 0, 0);
    T("ofd read 0-4 via a now", lock(a, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 5));
    // A POSIX lock now conflicts with that OFD lock, and F_GETLK reports l_pid -1.
    T("posix write 0-9 via b", lock(b, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    probe("posix getlk via b", b, F_GETLK, F_WRLCK, 0, 10);
    T("posix read 0-9 via b", lock(b, F_SETLK, F_RDLCK, SEEK_SET, 0, 10));
    T("posix unlock", lock(b, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    T("ofd unlock via a", lock(a, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0));

    // Ranges: description b's write lock over 30-59, then a read lock in the middle, then
    // touching ranges; F_OFD_GETLK from another description sees the pieces.
    T("ofd write 30-59 via b", lock(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 30, 30));
    T("ofd read 40-44 via b", lock(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 40, 5));
    probe("piece 1", r, F_OFD_GETLK, F_RDLCK, 30, 100);
    probe("piece 2", r, F_OFD_GETLK, F_WRLCK, 40, 1);
    probe("piece 3", r, F_OFD_GETLK, F_RDLCK, 45, 100);
    T("ofd write 60-69 via b (touches)", lock(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 60, 10));
    probe("merged", r, F_OFD_GETLK, F_RDLCK, 50, 1);
    T("ofd unlock 0- via b", lock(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    probe("b holds nothing", r, F_OFD_GETLK, F_RDLCK, 30, 100);
    // l_whence and lengths: SEEK_CUR, SEEK_END, negative lengths.
    lseek(b, 8, SEEK_SET);
    T("ofd write cur+2, len -5 via b", lock(b, F_OFD_SETLK, F_WRLCK, SEEK_CUR, 2, -5));
    probe("seek_cur range", r, F_OFD_GETLK, F_RDLCK, 0, 0);
    T("ofd unlock via b", lock(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    T("ofd write end-4, len 2 via b", lock(b, F_OFD_SETLK, F_WRLCK, SEEK_END, -4, 2));
    probe("seek_end range", r, F_OFD_GETLK, F_RDLCK, 0, 0);
    T("ofd unlock via b", lock(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0));

    // F_OFD_SETLKW waits until the conflicting lock goes.
    T("ofd read 0-4 via a", lock(a, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 5));
    g_waiter_fd = b;
    pthread_t t;
    pthread_create(&t, NULL, wait_for_lock, NULL);
    while (g_state == 0) sleep_ms(1);
    sleep_ms(100);
    printf("waiter still waiting: %d\n", g_state == 1);
    T("ofd unlock 0- via a", lock(a, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    pthread_join(t, NULL);
    printf("waiter got it: %d\n", g_state == 2);
    probe("a sees b's lock", a, F_OFD_GETLK, F_RDLCK, 0, 1);
    // F_OFD_GETLK with F_UNLCK: the description's own lock (Linux 6.7); F_GETLK: EINVAL.
    probe("b's own lock, asked via b", b, F_OFD_GETLK, F_UNLCK, 0, 0);
    probe("b's own lock, asked via a", a, F_OFD_GETLK, F_UNLCK, 0, 0);
    probe("posix getlk F_UNLCK", b, F_GETLK, F_UNLCK, 0, 0);
    // The last close of a description drops its locks; a dup keeps it open.
    int b2 = dup(b);
    close(b);
    probe("after close of b (dup open)", a, F_OFD_GETLK, F_RDLCK, 0, 1);
    close(b2);
    probe("after the last close", a, F_OFD_GETLK, F_RDLCK, 0, 1);

    // Errors.
    T("ofd write on read-only", lock(r, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    T("posix write on read-only", lock(r, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    T("bad type", lock(a, F_OFD_SETLK, 7, SEEK_SET, 0, 1));
    T("bad whence", lock(a, F_OFD_SETLK, F_RDLCK, 5, 0, 1));
    T("negative start", lock(a, F_OFD_SETLK, F_RDLCK, SEEK_SET, -1, 1));
    T("length before 0", lock(a, F_OFD_SETLK, F_RDLCK, SEEK_SET, 2, -3));
    T("overflow", lock(a, F_OFD_SETLK, F_RDLCK, SEEK_SET, INT64_MAX, 2));
    struct flock with_pid = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_pid = 1};
    T("ofd with l_pid", fcntl(a, F_OFD_SETLK, &with_pid));
    T("posix with l_pid", fcntl(a, F_SETLK, &with_pid));
    return 0;
}
