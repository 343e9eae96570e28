// SPDX-License-Identifier: MIT
// CPU-time clocks while the host gives the program only part of a CPU. Run pinned to one host
// CPU beside a busy loop pinned there too (tests/vm/with_hog.sh): the thread spins for 600 ms
// of wall time and runs about half of it. Natively its CPU clocks grow by what it ran; in a VM
// the other half is its vCPU waiting for the host CPU — steal time — which the guest kernel
// must not charge to the thread (Linux: CONFIG_PARAVIRT_TIME_ACCOUNTING; wisp:
// kernel/time/run_clock.h). stdout has the verdicts, stderr the numbers.
// With "steal" (inside a VM only: natively the busy loop's time is nobody's steal): the steal
// time /proc/stat reports makes up the difference.
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static double clock_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double rusage_s(int who) {
    struct rusage ru;
    getrusage(who, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double times_s(void) {
    struct tms t;
    times(&t);
    return (double)(t.tms_utime + t.tms_stime) / (double)sysconf(_SC_CLK_TCK);
}

// The steal field (the 8th) of /proc/stat's "cpu" line, in seconds; -1 when unreadable.
static double steal_s(void) {
    FILE* f = fopen("/proc/stat", "r");
    if (!f) return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    return n == 8 ? (double)v[7] / (double)sysconf(_SC_CLK_TCK) : -1;
}

enum { kThread, kProcess, kRusageSelf, kRusageThread, kTimes, kClocks };
static const char* const kNames[kClocks] = {"CLOCK_THREAD_CPUTIME_ID", "CLOCK_PROCESS_CPUTIME_ID",
                                            "getrusage(RUSAGE_SELF)", "getrusage(RUSAGE_THREAD)",
                                            "times"};

static void read_clocks(double* out) {
    out[kThread] = clock_s(CLOCK_THREAD_CPUTIME_ID);
    out[kProcess] = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    out[kRusageSelf] = rusage_s(RUSAGE_SELF);
    out[kRusageThread] = rusage_s(RUSAGE_THREAD);
    out[kTimes] = times_s();
}

int main(int argc, char** argv) {
    int steal_mode = argc == 2 && strcmp(argv[1], "steal") == 0;
    double before[kClocks], after[kClocks];
    double steal0 = steal_mode ? steal_s() : 0;
    read_clocks(before);
    double wall0 = clock_s(CLOCK_MONOTONIC), wall = 0;
    while (wall < 0.6)
        wall = clock_s(CLOCK_MONOTONIC) - wall0;
    read_clocks(after);
    wall = clock_s(CLOCK_MONOTONIC) - wall0;
    double steal = steal_mode ? steal_s() - steal0 : 0;

    // Shares of the wall clock: about 0.5 beside the busy loop. Generous bounds: a loaded host
    // only lowers it, and "below 80%" is what fails when waiting for the CPU counts as running.
    for (int i = 0; i < kClocks; i++) {
        double share = (after[i] - before[i]) / wall;
        fprintf(stderr, "%s: %.3f s of %.3f s wall = %.2f\n", kNames[i], after[i] - before[i], wall,
                share);
        printf("%s below 80%% of the wall clock: %s, above 5%%: %s\n", kNames[i],
               share < 0.8 ? "yes" : "no", share > 0.05 ? "yes" : "no");
    }
    if (steal_mode) {
        double ran = after[kThread] - before[kThread];
        fprintf(stderr, "steal %.2f s, thread clock + steal = %.2f of the wall clock\n", steal,
                (ran + steal) / wall);
        // /proc/stat counts in 10 ms ticks: the sum is within a few percent of the wall clock.
        int covers = steal > 0.2 * wall && ran + steal > 0.8 * wall && ran + steal < 1.2 * wall;
        printf("steal time makes up the difference: %s\n", covers ? "yes" : "no");
    }
    return 0;
}
