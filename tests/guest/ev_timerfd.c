// SPDX-License-Identifier: MIT
// timerfd: one-shot and periodic timers on CLOCK_MONOTONIC and CLOCK_REALTIME, relative and
// absolute, expiration counts read back, gettime and the old value, argument errors, blocking
// reads (alone and while another thread waits), poll readiness. Timing checks have generous
// bounds: they compare counts with the time that really passed.
#include "fs_check.h"

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>

static uint64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static struct itimerspec spec_ms(long value_ms, long interval_ms) {
    struct itimerspec s = {{interval_ms / 1000, (interval_ms % 1000) * 1000000L},
                           {value_ms / 1000, (value_ms % 1000) * 1000000L}};
    return s;
}

static long read_ticks(int fd, uint64_t* ticks) {
    *ticks = 0;
    return read(fd, ticks, sizeof *ticks);
}

static void show_read(const char* label, int fd) {
    uint64_t ticks;
    errno = 0;
    if (read_ticks(fd, &ticks) < 0)
        printf("%s: %s\n", label, errno_name(errno));
    else
        printf("%s: %llu\n", label, (unsigned long long)ticks);
}

static int g_fd;
static void* blocked_reader(void* arg) {
    (void)arg;
    uint64_t ticks;
    read_ticks(g_fd, &ticks);
    return (void*)(uintptr_t)ticks;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    enter_work_dir("timerfd");

    // Argument errors.
    T("create CLOCK_PROCESS_CPUTIME_ID", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
    T("create clock 99", timerfd_create(99, 0));
    T("create bad flags", timerfd_create(CLOCK_MONOTONIC, 0x1));
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    printf("timerfd_create is fd %d\n", fd);
    printf("F_GETFL access|nonblock: 0x%x, F_GETFD: %d\n",
           fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), fcntl(fd, F_GETFD));
    struct stat st;
    fstat(fd, &st);
    printf("fstat: type 0%o perms 0%o\n", st.st_mode & S_IFMT, st.st_mode & 07777);
    char link[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = '\0';
    printf("readlink: %s\n", link);

    struct itimerspec cur;
    timerfd_gettime(fd, &cur);
    printf("disarmed gettime: %ld.%09ld / %ld.%09ld\n", (long)cur.it_value.tv_sec,
           cur.it_value.tv_nsec, (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    show_read("read disarmed (non-blocking)", fd);
    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    T("settime tv_nsec 1e9", timerfd_settime(fd, 0, &bad, NULL));
    struct itimerspec neg = {{0, 0}, {-1, 0}};
    T("settime negative", timerfd_settime(fd, 0, &neg, NULL));
    struct itimerspec ok = spec_ms(1000, 0);
    T("settime bad flags", timerfd_settime(fd, 4, &ok, NULL));
    T("settime NULL", SYS(SYS_timerfd_settime, fd, 0, NULL, NULL));
    T("settime bad fd", timerfd_settime(99, 0, &ok, NULL));
    int efd = eventfd(0, 0);
    T("settime on an eventfd", timerfd_settime(efd, 0, &ok, NULL));
    T("gettime on an eventfd", timerfd_gettime(efd, &cur));
    T("gettime NULL", SYS(SYS_timerfd_gettime, fd, NULL));
    close(efd);
    uint32_t small;
    T("read 4 bytes", read(fd, &small, sizeof small));

    // One-shot, relative.
    // Long enough that the checks before it expires finish first on a loaded machine.
    struct itimerspec one = spec_ms(300, 0);
    T("settime 300 ms", timerfd_settime(fd, 0, &one, NULL));
    timerfd_gettime(fd, &cur);
    long left_ns = cur.it_value.tv_sec * 1000000000L + cur.it_value.tv_nsec;
    printf("gettime right after: 0 < left <= 300 ms: %d, interval 0: %d\n",
           left_ns > 0 && left_ns <= 300000000L,
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 0);
    show_read("read before expiry", fd);
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, 5000);
    printf("poll until it expires: %d 0x%x\n", r, p.revents);
    show_read("read after expiry", fd);
    show_read("read again", fd);
    timerfd_gettime(fd, &cur);
    printf("gettime after expiry: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

    // Periodic: the count matches the time that passed.
    struct itimerspec periodic = spec_ms(10, 10);
    uint64_t start = now_ns(CLOCK_MONOTONIC);
    timerfd_settime(fd, 0, &periodic, NULL);
    sleep_ms(65);
    uint64_t ticks;
    read_ticks(fd, &ticks);
    uint64_t elapsed_periods = (now_ns(CLOCK_MONOTONIC) - start) / 10000000ull;
    printf("periodic count matches the time passed: %d\n",
           ticks >= 1 && ticks <= elapsed_periods && ticks + 2 >= elapsed_periods);
    if (!(ticks >= 1 && ticks <= elapsed_periods && ticks + 2 >= elapsed_periods))
        printf("  (%llu ticks in %llu periods)\n", (unsigned long long)ticks,
               (unsigned long long)elapsed_periods);
    timerfd_gettime(fd, &cur);
    printf("periodic gettime interval: %ld.%09ld, value <= 10 ms: %d\n",
           (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec,
           cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 10000000L);
    struct itimerspec old;
    struct itimerspec off = spec_ms(0, 0);
    T("disarm with old value", timerfd_settime(fd, 0, &off, &old));
    printf("old interval: %ld.%09ld\n", (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
    show_read("read after disarm (ticks reset)", fd);
    close(fd);

    // Blocking reads, one thread: the timer ends the wait.
    fd = timerfd_create(CLOCK_MONOTONIC, 0);
    start = now_ns(CLOCK_MONOTONIC);
    struct itimerspec twenty = spec_ms(20, 0);
    timerfd_settime(fd, 0, &twenty, NULL);
    show_read("blocking read", fd);
    printf("blocking read took >= 19 ms: %d\n", now_ns(CLOCK_MONOTONIC) - start >= 19000000ull);
    // Periodic blocking reads.
    struct itimerspec every5 = spec_ms(5, 5);
    timerfd_settime(fd, 0, &every5, NULL);
    uint64_t total = 0;
    for (int i = 0; i < 4; i++) {
        read_ticks(fd, &ticks);
        total += ticks;
    }
    printf("4 blocking periodic reads got >= 4 ticks: %d\n", total >= 4);
    close(fd);

    // Absolute, CLOCK_REALTIME and CLOCK_MONOTONIC.
    fd = timerfd_create(CLOCK_REALTIME, 0);
    uint64_t target = now_ns(CLOCK_REALTIME) + 20000000ull;
    struct itimerspec abs_rt = {{0, 0}, {(time_t)(target / 1000000000ull), (long)(target % 1000000000ull)}};
    T("settime absolute realtime", timerfd_settime(fd, TFD_TIMER_ABSTIME, &abs_rt, NULL));
    show_read("blocking read (absolute realtime)", fd);
    printf("woke at or after the target: %d\n", now_ns(CLOCK_REALTIME) >= target - 1000000ull);
    struct itimerspec past = {{0, 0}, {1, 0}};
    T("settime absolute in the past", timerfd_settime(fd, TFD_TIMER_ABSTIME, &past, NULL));
    show_read("read (expired at once)", fd);
    T("settime cancel-on-set", timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &past, NULL));
    show_read("read", fd);
    close(fd);
    fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    target = now_ns(CLOCK_MONOTONIC) + 15000000ull;
    struct itimerspec abs_mono = {{0, 0}, {(time_t)(target / 1000000000ull), (long)(target % 1000000000ull)}};
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &abs_mono, NULL);
    p.fd = fd;
    r = poll(&p, 1, 5000);
    printf("poll absolute monotonic: %d 0x%x, on time: %d\n", r, p.revents,
           now_ns(CLOCK_MONOTONIC) >= target - 1000000ull);
    // settime resets the count.
    struct itimerspec soon = spec_ms(1, 0);
    timerfd_settime(fd, 0, &soon, NULL);
    sleep_ms(10);
    struct itimerspec later = spec_ms(10000, 0);
    timerfd_settime(fd, 0, &later, NULL);
    show_read("read after re-arming an expired timer", fd);
    close(fd);

    // A thread blocked in read is woken by the timer while the main thread sleeps.
    g_fd = timerfd_create(CLOCK_BOOTTIME, 0);
    pthread_t t;
    pthread_create(&t, NULL, blocked_reader, NULL);
    sleep_ms(10);
    timerfd_settime(g_fd, 0, &twenty, NULL);
    void* result;
    pthread_join(t, &result);
    printf("thread's blocking read: %lu\n", (unsigned long)(uintptr_t)result);
    close(g_fd);
    return 0;
}
