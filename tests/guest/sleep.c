// SPDX-License-Identifier: MIT
// Sleeping and timers: nanosleep and clock_nanosleep (relative, absolute, errors), alarm and
// setitimer delivering SIGALRM to a busy loop and interrupting a sleep (EINTR with the time
// left). Times are checked against generous bounds and printed as verdicts only.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int alarms;

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

static long now_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void) {
    long t0 = now_ms(CLOCK_MONOTONIC);
    struct timespec d = {0, 30 * 1000000};
    int r = nanosleep(&d, NULL);
    long slept = now_ms(CLOCK_MONOTONIC) - t0;
    printf("nanosleep 30ms: %d in bounds %d\n", r, slept >= 30 && slept < 3000);

    struct timespec target;
    clock_gettime(CLOCK_MONOTONIC, &target);
    target.tv_nsec += 20 * 1000000;
    if (target.tv_nsec >= 1000000000) target.tv_sec++, target.tv_nsec -= 1000000000;
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, NULL);
    struct timespec after;
    clock_gettime(CLOCK_MONOTONIC, &after);
    int reached = after.tv_sec > target.tv_sec ||
                  (after.tv_sec == target.tv_sec && after.tv_nsec >= target.tv_nsec);
    printf("clock_nanosleep absolute: %d reached %d\n", r, reached);

    struct timespec past = {1, 0};
    t0 = now_ms(CLOCK_MONOTONIC);
    r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &past, NULL);
    printf("absolute in the past: %d immediate %d\n", r, now_ms(CLOCK_MONOTONIC) - t0 < 1000);

    struct timespec bad = {0, 1000000000};
    long l = syscall(SYS_nanosleep, &bad, NULL);
    printf("nanosleep bad nsec: %ld errno %d\n", l, errno);
    struct timespec negative = {-1, 0};
    l = syscall(SYS_nanosleep, &negative, NULL);
    printf("nanosleep negative: %ld errno %d\n", l, errno);
    l = syscall(SYS_nanosleep, NULL, NULL);
    printf("nanosleep NULL: %ld errno %d\n", l, errno);
    printf("clock_nanosleep bad clock: %d\n", clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &d, NULL));
    printf("clock_nanosleep bad flags: %d\n", clock_nanosleep(CLOCK_MONOTONIC, 2, &d, NULL));

    signal(SIGALRM, on_alarm);
    printf("alarm first: %u\n", alarm(5));
    printf("alarm replaced: %u\n", alarm(0));

    // SIGALRM interrupts a busy loop.
    alarm(1);
    t0 = now_ms(CLOCK_MONOTONIC);
    while (alarms == 0 && now_ms(CLOCK_MONOTONIC) - t0 < 5000) {
    }
    printf("alarm in busy loop: %d\n", alarms);

    // ... and a sleep, which returns EINTR with the time left.
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm; // no SA_RESTART
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec longsleep = {5, 0}, rem = {0, 0};
    errno = 0;
    r = nanosleep(&longsleep, &rem);
    printf("sleep interrupted: %d errno %d rem in bounds %d alarms %d\n", r, errno,
           rem.tv_sec >= 3 && rem.tv_sec <= 5, alarms);

    // An interval timer ticks repeatedly.
    int before = alarms;
    struct itimerval tick = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &tick, NULL);
    t0 = now_ms(CLOCK_MONOTONIC);
    while (alarms - before < 3 && now_ms(CLOCK_MONOTONIC) - t0 < 5000) {
    }
    struct itimerval current;
    getitimer(ITIMER_REAL, &current);
    printf("interval: ticks>=3 %d interval %ld us\n", alarms - before >= 3,
           (long)current.it_interval.tv_usec);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    getitimer(ITIMER_REAL, &current);
    printf("disarmed: %ld %ld\n", (long)current.it_value.tv_sec, (long)current.it_value.tv_usec);
    struct itimerval wrong = {{0, 0}, {0, 2000000}};
    r = setitimer(ITIMER_REAL, &wrong, NULL);
    printf("setitimer bad usec: %d errno %d\n", r, errno);

    // pause and sigsuspend end when a handled signal arrives.
    alarms = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    r = pause();
    printf("pause: %d errno %d alarms %d\n", r, errno, alarms);
    sigset_t block, old, during;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &old);
    setitimer(ITIMER_REAL, &it, NULL);
    sigemptyset(&during);
    r = sigsuspend(&during);
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("sigsuspend: %d errno %d alarms %d mask restored %d\n", r, errno, alarms,
           sigismember(&now, SIGALRM));
    return 0;
}
