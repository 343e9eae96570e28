// SPDX-License-Identifier: MIT
// Several CPUs. Without arguments: every way a program asks how many CPUs there are agrees
// (sysconf, get_nprocs, get_nprocs_conf, sched_getaffinity, /proc/cpuinfo, /proc/stat,
// /sys/devices/system/cpu/online) and says more than one. With "parallel N": N threads spin in
// user mode for 300 ms of wall time while the process CPU clock is read; it grows about N times
// as fast as the wall clock only if the N threads really run at the same time (on one CPU it
// grows as fast as the wall clock). The ratio goes to stderr, the verdict to stdout.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

static int count_lines_starting(const char* path, const char* prefix) {
    FILE* f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, prefix, strlen(prefix)) == 0) n++;
    fclose(f);
    return n;
}

// "0", "0-3", "0-1,4-5": the number of CPUs in a Linux CPU list.
static int count_cpu_list(const char* path) {
    FILE* f = fopen(path, "r");
    if (!f) return -1;
    char text[256] = {0};
    if (!fgets(text, sizeof text, f)) text[0] = 0;
    fclose(f);
    int n = 0;
    for (char* p = text; *p && *p != '\n';) {
        long first = strtol(p, &p, 10), last = first;
        if (*p == '-') last = strtol(p + 1, &p, 10);
        n += (int)(last - first + 1);
        if (*p == ',') p++;
    }
    return n;
}

static double now(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static atomic_int g_stop;
static atomic_int g_started;

static void* spin(void* arg) {
    (void)arg;
    atomic_fetch_add(&g_started, 1);
    volatile unsigned long x = 0;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) x++;
    return NULL;
}

static int parallel(int threads) {
    pthread_t t[64];
    if (threads < 1 || threads > 64) return 2;
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, spin, NULL);
    while (atomic_load(&g_started) < threads) sched_yield();
    double wall0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
    // The main thread sleeps: only the spinning threads use CPU time.
    struct timespec period = {0, 300 * 1000 * 1000};
    nanosleep(&period, NULL);
    double wall = now(CLOCK_MONOTONIC) - wall0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    atomic_store(&g_stop, 1);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double ratio = cpu / wall;
    fprintf(stderr, "%d threads: cpu %.3f s over wall %.3f s = %.2f\n", threads, cpu, wall, ratio);
    printf("parallel: %s\n", ratio >= 0.8 * threads ? "yes" : "no");
    return 0;
}

int main(int argc, char** argv) {
    if (argc == 3 && strcmp(argv[1], "parallel") == 0) return parallel(atoi(argv[2]));

    long online = sysconf(_SC_NPROCESSORS_ONLN), configured = sysconf(_SC_NPROCESSORS_CONF);
    cpu_set_t set;
    CPU_ZERO(&set);
    int affinity = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
    int cpuinfo = count_lines_starting("/proc/cpuinfo", "processor");
    // /proc/stat: the "cpu " total line, then one "cpuN" line per CPU.
    int stat = count_lines_starting("/proc/stat", "cpu") - 1;
    int sys_online = count_cpu_list("/sys/devices/system/cpu/online");
    int counts[] = {(int)online, (int)configured, get_nprocs(), get_nprocs_conf(), affinity,
                    cpuinfo, stat, sys_online};
    int agree = 1;
    for (size_t i = 1; i < sizeof counts / sizeof counts[0]; i++) agree &= counts[i] == counts[0];
    fprintf(stderr, "sysconf %ld/%ld, get_nprocs %d/%d, affinity %d, cpuinfo %d, stat %d, "
                    "online %d\n", online, configured, get_nprocs(), get_nprocs_conf(), affinity,
            cpuinfo, stat, sys_online);
    printf("cpu counts agree: %s\n", agree ? "yes" : "no");
    printf("more than one cpu: %s\n", online > 1 ? "yes" : "no");
    // sched_setaffinity to CPU 0 alone is accepted; to a CPU that does not exist, EINVAL.
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    printf("setaffinity {0}: %d\n", sched_setaffinity(0, sizeof set, &set));
    CPU_ZERO(&set);
    CPU_SET(63, &set);
    int r = sched_setaffinity(0, sizeof set, &set);
    printf("setaffinity {63}: %d%s\n", r, r && errno == EINVAL ? " EINVAL" : "");
    return 0;
}
