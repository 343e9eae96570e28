// SPDX-License-Identifier: MIT
// Scheduling calls a runtime makes at start-up: policies and priorities (SCHED_OTHER and
// friends; real-time policies only as argument checks, so the native run never turns
// real-time), CPU affinity, membarrier, and the CPU-time clocks: a busy thread's clock advances
// by what it ran, a sleeping one's does not.
#include "fs_check.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

#ifndef MEMBARRIER_CMD_QUERY
#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED 8
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16
#endif

static uint64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// Spins until `clock` advanced by `ms` (or 5 s of wall time passed: a loaded host). Returns
// whether it got there.
static int spin_until(clockid_t clock, uint64_t from, int ms) {
    uint64_t give_up = clock_ns(CLOCK_MONOTONIC) + 5000000000ull;
    while (clock_ns(clock) - from < (uint64_t)ms * 1000000ull)
        if (clock_ns(CLOCK_MONOTONIC) > give_up) return 0;
    return 1;
}

static volatile int g_stop;
static void* spinner(void* arg) {
    (void)arg;
    while (!g_stop) {
    }
    return NULL;
}

// The sleeper blocks in read() until main writes to the pipe; g_asleep says it got that far,
// so main can take the sleeper's clock from then on (its start-up time is not part of the check:
// on a loaded host a vCPU stalled for a while inside it is time on the CPU for the guest).
static int g_wake[2];
static volatile int g_asleep;
static void* sleeper(void* arg) {
    (void)arg;
    char byte;
    g_asleep = 1;
    if (read(g_wake[0], &byte, 1) != 1) return NULL;
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sched_param param = {0};

    // Policies and priorities.
    T("getscheduler(0)", SYS(SYS_sched_getscheduler, 0));
    T("getscheduler(gettid)", SYS(SYS_sched_getscheduler, gettid()));
    T("getscheduler(-1)", SYS(SYS_sched_getscheduler, -1));
    T("getscheduler(no such pid)", SYS(SYS_sched_getscheduler, 999999));
    T("getparam", SYS(SYS_sched_getparam, 0, &param));
    printf("priority %d\n", param.sched_priority);
    T("getparam NULL", SYS(SYS_sched_getparam, 0, NULL));
    T("setscheduler OTHER 0", SYS(SYS_sched_setscheduler, 0, SCHED_OTHER, &param));
    T("setscheduler BATCH 0", SYS(SYS_sched_setscheduler, 0, SCHED_BATCH, &param));
    T("getscheduler after BATCH", SYS(SYS_sched_getscheduler, 0));
    T("setscheduler IDLE 0", SYS(SYS_sched_setscheduler, 0, SCHED_IDLE, &param));
    T("getscheduler after IDLE", SYS(SYS_sched_getscheduler, 0));
    T("setscheduler OTHER|RESET_ON_FORK", SYS(SYS_sched_setscheduler, 0, SCHED_OTHER | 0x40000000, &param));
    T("getscheduler after RESET_ON_FORK", SYS(SYS_sched_getscheduler, 0));
    T("setscheduler OTHER", SYS(SYS_sched_setscheduler, 0, SCHED_OTHER, &param));
    param.sched_priority = 5;
    T("setscheduler OTHER 5", SYS(SYS_sched_setscheduler, 0, SCHED_OTHER, &param));
    T("setparam 5 under OTHER", SYS(SYS_sched_setparam, 0, &param));
    param.sched_priority = 100;
    T("setscheduler FIFO 100", SYS(SYS_sched_setscheduler, 0, SCHED_FIFO, &param));
    param.sched_priority = 0;
    T("setscheduler FIFO 0", SYS(SYS_sched_setscheduler, 0, SCHED_FIFO, &param));
    T("setscheduler policy 4", SYS(SYS_sched_setscheduler, 0, 4, &param));
    T("setscheduler policy -1", SYS(SYS_sched_setscheduler, 0, -1, &param));
    T("setscheduler NULL", SYS(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
    T("setscheduler no such pid", SYS(SYS_sched_setscheduler, 999999, SCHED_OTHER, &param));
    T("setparam 0", SYS(SYS_sched_setparam, 0, &param));
    int policies[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, 6, 4, 99};
    for (unsigned i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        errno = 0;
        int max = sched_get_priority_max(policies[i]);
        int e1 = errno;
        errno = 0;
        int min = sched_get_priority_min(policies[i]);
        printf("policy %d: max %d%s min %d%s\n", policies[i], max, max < 0 ? errno_name(e1) : "",
               min, min < 0 ? errno_name(errno) : "");
    }

    // Affinity: the CPU we run on is in the set (how many there are differs from the host).
    cpu_set_t set;
    CPU_ZERO(&set);
    long r = SYS(SYS_sched_getaffinity, 0, sizeof set, &set);
    printf("getaffinity: returned a multiple of 8 %d, CPU 0 in it %d\n", r > 0 && r % 8 == 0,
           CPU_ISSET(0, &set) != 0);
    T("getaffinity size 4", SYS(SYS_sched_getaffinity, 0, 4, &set));
    T("getaffinity no such pid", SYS(SYS_sched_getaffinity, 999999, sizeof set, &set));
    cpu_set_t only0;
    CPU_ZERO(&only0);
    CPU_SET(0, &only0);
    T("setaffinity CPU 0", sched_setaffinity(0, sizeof only0, &only0));
    T("setaffinity back", sched_setaffinity(0, sizeof set, &set));
    cpu_set_t none;
    CPU_ZERO(&none);
    T("setaffinity empty", sched_setaffinity(0, sizeof none, &none));

    // membarrier.
    long mask = SYS(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    printf("membarrier query: private expedited and its registration %d\n",
           mask > 0 && (mask & 24) == 24);
    T("membarrier query with flags", SYS(SYS_membarrier, MEMBARRIER_CMD_QUERY, 1, 0));
    T("private expedited before registering",
      SYS(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    T("register private expedited",
      SYS(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
    T("private expedited", SYS(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    T("membarrier command 3", SYS(SYS_membarrier, 3, 0, 0));

    // CPU-time clocks.
    struct timespec res;
    T("getres PROCESS_CPUTIME", clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res));
    printf("resolution %ld.%09ld\n", (long)res.tv_sec, res.tv_nsec);
    T("getres THREAD_CPUTIME", clock_getres(CLOCK_THREAD_CPUTIME_ID, &res));
    uint64_t m0 = clock_ns(CLOCK_MONOTONIC), p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    int reached = spin_until(CLOCK_THREAD_CPUTIME_ID, t0, 50);
    uint64_t t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID), p1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t m1 = clock_ns(CLOCK_MONOTONIC);
    printf("busy: thread clock +50 ms %d, process clock as much %d, wall clock as much %d\n",
           reached, p1 - p0 >= t1 - t0, m1 - m0 >= t1 - t0);
    // Asleep, the thread's clock stands still: it grows by less than the wall clock minus the
    // 50 ms asleep (1 ms slack for rounding). Not "by less than N ms": a vCPU stalled while the
    // thread ran counts as its CPU time unless the host reports it as steal time (it does not
    // for a stopped monitor, nor on hosts without steal time).
    struct timespec nap = {0, 50000000};
    uint64_t wall_before = clock_ns(CLOCK_MONOTONIC);
    uint64_t thread_before = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    nanosleep(&nap, NULL);
    uint64_t thread_after = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    uint64_t wall_after = clock_ns(CLOCK_MONOTONIC);
    printf("50 ms asleep: thread clock + 50 ms <= wall clock %d\n",
           thread_after - thread_before + 50000000ull <= wall_after - wall_before + 1000000ull);

    // Another thread's clock: a spinner's grows, a sleeper's barely.
    pthread_t spin, sleepy;
    if (pipe(g_wake) != 0) return 1;
    pthread_create(&spin, NULL, spinner, NULL);
    pthread_create(&sleepy, NULL, sleeper, NULL);
    clockid_t spin_clock, sleepy_clock, process_clock;
    T("pthread_getcpuclockid", pthread_getcpuclockid(spin, &spin_clock));
    pthread_getcpuclockid(sleepy, &sleepy_clock);
    T("clock_getcpuclockid(0)", clock_getcpuclockid(0, &process_clock));
    struct timespec tick = {0, 5000000};
    uint64_t give_up = clock_ns(CLOCK_MONOTONIC) + 5000000000ull;
    while (!g_asleep && clock_ns(CLOCK_MONOTONIC) < give_up) nanosleep(&tick, NULL);
    uint64_t spin_from = clock_ns(spin_clock), sleep_from = clock_ns(sleepy_clock);
    while (clock_ns(spin_clock) - spin_from < 20000000ull && clock_ns(CLOCK_MONOTONIC) < give_up)
        nanosleep(&tick, NULL);
    uint64_t spun = clock_ns(spin_clock), slept = clock_ns(sleepy_clock);
    printf("spinner's clock +>= 20 ms %d, blocked sleeper's +< 20 ms %d, process >= spinner %d\n",
           spun - spin_from >= 20000000ull, slept - sleep_from < 20000000ull,
           clock_ns(process_clock) >= spun);
    g_stop = 1;
    if (write(g_wake[1], "x", 1) != 1) return 1;
    pthread_join(spin, NULL);
    pthread_join(sleepy, NULL);
    struct timespec ts;
    // Not compared: the clock of a joined thread. pthread_join returns when the kernel clears
    // the thread's tid, before Linux reaps the thread, so natively the read races with the
    // reap (0 or EINVAL); wisp reaps at once (EINVAL).
    T("clock id with CPUCLOCK_MAX", clock_gettime((clockid_t)((~0u << 3) | 3), &ts));
    return 0;
}
