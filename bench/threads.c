// SPDX-License-Identifier: MIT
// Thread and time micro-benchmarks (bench/threads.sh): each prints "NAME ns-per-op" for
//   getpid          a system call round trip
//   clock_gettime   CLOCK_MONOTONIC (a syscall in wisp until the vDSO; the vDSO natively)
//   futex_pingpong  one round trip between two threads through two futexes (2 waits, 2 wakes,
//                   2 switches)
//   thread_create   pthread_create + pthread_join of a thread that returns at once
//   yield           sched_yield between two runnable threads (one switch each)
// Usage: threads [NAME] [ITERATIONS]
#define _GNU_SOURCE
// FUTEX_* (linux/futex.h is not in musl-gcc's include path)
enum { FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_PRIVATE_FLAG = 128 };
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long futex(atomic_int* address, int op, int value) {
    return syscall(SYS_futex, address, op | FUTEX_PRIVATE_FLAG, value, NULL, NULL, 0);
}

static atomic_int g_ping, g_pong;
static long g_rounds;

// The partner: waits for ping == i, answers pong = i.
static void* pong_thread(void* arg) {
    (void)arg;
    for (long i = 1; i <= g_rounds; i++) {
        while (atomic_load(&g_ping) != i)
            futex(&g_ping, FUTEX_WAIT, (int)(i - 1));
        atomic_store(&g_pong, (int)i);
        futex(&g_pong, FUTEX_WAKE, 1);
    }
    return NULL;
}

static void* nothing(void* arg) { return arg; }

static volatile int g_stop_yield;
static void* yielder(void* arg) {
    (void)arg;
    while (!g_stop_yield)
        sched_yield();
    return NULL;
}

static double run(const char* name, long n) {
    uint64_t start = now_ns();
    if (!strcmp(name, "getpid")) {
        for (long i = 0; i < n; i++)
            syscall(SYS_getpid);
    } else if (!strcmp(name, "clock_gettime")) {
        struct timespec ts;
        for (long i = 0; i < n; i++)
            clock_gettime(CLOCK_MONOTONIC, &ts);
    } else if (!strcmp(name, "futex_pingpong")) {
        g_rounds = n;
        atomic_store(&g_ping, 0);
        atomic_store(&g_pong, 0);
        pthread_t t;
        pthread_create(&t, NULL, pong_thread, NULL);
        start = now_ns();
        for (long i = 1; i <= n; i++) {
            atomic_store(&g_ping, (int)i);
            futex(&g_ping, FUTEX_WAKE, 1);
            while (atomic_load(&g_pong) != i)
                futex(&g_pong, FUTEX_WAIT, (int)(i - 1));
        }
        uint64_t end = now_ns();
        pthread_join(t, NULL);
        return (double)(end - start) / (double)n;
    } else if (!strcmp(name, "thread_create")) {
        for (long i = 0; i < n; i++) {
            pthread_t t;
            pthread_create(&t, NULL, nothing, NULL);
            pthread_join(t, NULL);
        }
    } else if (!strcmp(name, "yield")) {
        g_stop_yield = 0;
        pthread_t t;
        pthread_create(&t, NULL, yielder, NULL);
        start = now_ns();
        for (long i = 0; i < n; i++)
            sched_yield();
        uint64_t end = now_ns();
        g_stop_yield = 1;
        pthread_join(t, NULL);
        return (double)(end - start) / (double)n / 2; // two yields per round
    } else {
        fprintf(stderr, "unknown benchmark %s\n", name);
        exit(2);
    }
    return (double)(now_ns() - start) / (double)n;
}

int main(int argc, char** argv) {
    const char* names[] = {"getpid", "clock_gettime", "futex_pingpong", "yield", "thread_create"};
    long n = argc > 2 ? atol(argv[2]) : 2000;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (argc > 1 && strcmp(argv[1], "all") && strcmp(argv[1], names[i])) continue;
        printf("%s %.0f\n", names[i], run(names[i], n));
    }
    return 0;
}
