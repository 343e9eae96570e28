// SPDX-License-Identifier: MIT
// flock(2) between open file descriptions of one process: two open()s of a file are two owners
// (their locks conflict), dup'ed descriptors are one; converting a lock drops the old one
// first; the last close drops the lock; LOCK_NB gives EWOULDBLOCK; a blocked flock waits
// for the unlock by another thread, is interrupted by a handler without SA_RESTART (EINTR) and
// goes on after one with it.
#include "fs_check.h"

#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

static volatile int g_waiting, g_got_lock;
static volatile sig_atomic_t g_alarms;

static void* lock_blocking(void* arg) {
    int fd = open("f", O_RDONLY);
    g_waiting = 1;
    int r = flock(fd, (int)(long)arg);
    g_got_lock = r == 0 ? 1 : -1;
    flock(fd, LOCK_UN);
    close(fd);
    return NULL;
}

static void on_alarm(int signal) {
    (void)signal;
    g_alarms++;
}

static void* unlock_later(void* arg) {
    sleep_ms(500);
    flock((int)(long)arg, LOCK_UN);
    return NULL;
}

// flock(fd, LOCK_EX) while `holder` holds the lock, with SIGALRM every 100 ms handled with or
// without SA_RESTART (periodic: a signal that came before the call blocked is followed by
// another). Without SA_RESTART nothing unlocks: EINTR is the only way out. With it, a thread
// unlocks `holder` after 500 ms.
static void interrupted(int fd, int holder, int restart) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    pthread_t t;
    if (restart) pthread_create(&t, NULL, unlock_later, (void*)(long)holder);
    g_alarms = 0;
    struct itimerval every = {{0, 100000}, {0, 100000}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &every, NULL);
    errno = 0;
    int r = flock(fd, LOCK_EX);
    int e = errno;
    setitimer(ITIMER_REAL, &off, NULL);
    printf("%s: flock %d errno %s, handler ran %d\n", restart ? "SA_RESTART" : "no SA_RESTART", r,
           r ? errno_name(e) : "-", g_alarms > 0);
    if (restart) pthread_join(t, NULL);
    flock(fd, LOCK_UN);
}

int main(void) {
    enter_work_dir("flock");
    write_file("f", "data");
    int a = open("f", O_RDWR), b = open("f", O_RDONLY);
    T("a: exclusive", flock(a, LOCK_EX));
    T("a: again", flock(a, LOCK_EX | LOCK_NB));
    T("b: exclusive, nonblocking", flock(b, LOCK_EX | LOCK_NB));
    T("b: shared, nonblocking", flock(b, LOCK_SH | LOCK_NB));
    int a2 = dup(a);
    T("dup of a: exclusive (same owner)", flock(a2, LOCK_EX | LOCK_NB));
    T("a: unlock", flock(a, LOCK_UN));
    T("b: shared", flock(b, LOCK_SH | LOCK_NB));
    T("a: shared too", flock(a, LOCK_SH | LOCK_NB));
    // a cannot become exclusive while b shares, and has lost its shared lock trying.
    T("a: to exclusive", flock(a, LOCK_EX | LOCK_NB));
    T("b: to exclusive (a holds nothing now)", flock(b, LOCK_EX | LOCK_NB));
    T("b: unlock", flock(b, LOCK_UN));
    T("b: unlock again", flock(b, LOCK_UN));

    // The lock lives as long as the description: closing one of two descriptors keeps it.
    int c = open("f", O_RDONLY);
    T("c: exclusive", flock(c, LOCK_EX));
    int c2 = dup(c);
    close(c);
    T("b while c's dup is open", flock(b, LOCK_SH | LOCK_NB));
    close(c2);
    T("b after the last close", flock(b, LOCK_SH | LOCK_NB));
    T("b: unlock", flock(b, LOCK_UN));
    // Another file is another lock.
    write_file("g", "other");
    int g = open("g", O_RDONLY);
    T("a: exclusive on f", flock(a, LOCK_EX));
    T("g: exclusive on g", flock(g, LOCK_EX | LOCK_NB));
    close(g);

    // A thread blocks in flock until a unlocks.
    pthread_t t;
    g_waiting = g_got_lock = 0;
    pthread_create(&t, NULL, lock_blocking, (void*)(long)LOCK_SH);
    while (!g_waiting) sleep_ms(1);
    sleep_ms(100);
    printf("thread still waiting after 100 ms: %d\n", g_got_lock == 0);
    T("a: unlock", flock(a, LOCK_UN));
    pthread_join(t, NULL);
    printf("thread got the lock after the unlock: %d\n", g_got_lock == 1);

    // Signals during a blocked flock.
    T("a: exclusive", flock(a, LOCK_EX));
    interrupted(b, a, 0);
    T("a: exclusive once more", flock(a, LOCK_EX | LOCK_NB));
    interrupted(b, a, 1);
    T("bad operation", flock(a, LOCK_SH | LOCK_EX));
    T("bad descriptor", flock(99, LOCK_SH));
    return 0;
}
