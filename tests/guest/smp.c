// SPDX-License-Identifier: MIT
// Several CPUs. Without arguments: every way a program asks how many CPUs there are agrees
// (sysconf, get_nprocs, get_nprocs_conf, sched_getaffinity, /proc/cpuinfo, /proc/stat,
// /sys/devices/system/cpu/online) and says more than one. With "parallel N": N threads spin in
// user mode for 300 ms of wall time while the process CPU clock is read; it grows about N times
// as fast as the wall clock only if the N threads really run at the same time (on one CPU it
// grows as fast as the wall clock). The ratio goes to stderr, the verdict to stdout. "fair N":
// see fair(). Also CPU affinity: pinning oneself and another thread to each CPU, getcpu,
// inheritance, errors. With "idle MS": the main thread and a second one sleep (MS and MS / 2
// ms), so every CPU is idle; the harness measures the host CPU the VM uses (tcg_diff.sh).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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

// The steal field (the 8th) of /proc/stat's "cpu" line, in seconds (0 when unreadable).
static double steal_s(void) {
    FILE* f = fopen("/proc/stat", "r");
    if (!f) return 0;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    return n == 8 ? (double)v[7] / (double)sysconf(_SC_CLK_TCK) : 0;
}

// The clocks at about one moment: reading /proc/stat takes a while inside a VM (the kernel code
// runs emulated, and waits for the big lock), so the wall and CPU clocks are read before and
// after it and averaged.
struct sample {
    double wall, cpu, steal;
};
static struct sample sample(void) {
    double wall0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
    double steal = steal_s();
    double cpu1 = now(CLOCK_PROCESS_CPUTIME_ID), wall1 = now(CLOCK_MONOTONIC);
    return (struct sample){(wall0 + wall1) / 2, (cpu0 + cpu1) / 2, steal};
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
    // Time a vCPU waited for a host CPU (steal time) is not CPU time: with more vCPUs than host
    // cores, or a loaded host, the threads run in turns on the host though they are spread over
    // the vCPUs. Time on a vCPU is CPU time plus steal.
    struct sample before = sample();
    // The main thread sleeps: only the spinning threads use CPU time.
    struct timespec period = {0, 300 * 1000 * 1000};
    nanosleep(&period, NULL);
    struct sample after = sample();
    double wall = after.wall - before.wall, cpu = after.cpu - before.cpu;
    double steal = after.steal - before.steal;
    atomic_store(&g_stop, 1);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double ratio = (cpu + steal) / wall;
    fprintf(stderr, "%d threads: cpu %.3f s + steal %.3f s over wall %.3f s = %.2f\n", threads, cpu,
            steal, wall, ratio);
    printf("parallel: %s\n", ratio >= 0.8 * threads ? "yes" : "no");
    return 0;
}

static void sleep_ms(long ms) {
    struct timespec period = {ms / 1000, ms % 1000 * 1000000};
    while (nanosleep(&period, &period) != 0 && errno == EINTR) {
    }
}

static void* nap(void* arg) {
    sleep_ms((long)arg);
    return NULL;
}

static int idle(long ms) {
    pthread_t t;
    if (ms < 0 || pthread_create(&t, NULL, nap, (void*)(ms / 2)) != 0) return 2;
    sleep_ms(ms);
    pthread_join(t, NULL);
    printf("idle: done\n");
    return 0;
}

// With "fair N": N threads spin for 1.5 s on fewer CPUs; each thread's CPU clock must end
// close to the others' (at least 0.6 of the largest): waiting threads take turns on every
// CPU, none keeps one to itself. The times go to stderr, the verdict to stdout.
static double g_thread_cpu[64];

static void* spin_and_report(void* arg) {
    spin(NULL);
    g_thread_cpu[(long)arg] = now(CLOCK_THREAD_CPUTIME_ID);
    return NULL;
}

static int fair(int threads) {
    pthread_t t[64];
    if (threads < 1 || threads > 64) return 2;
    for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, spin_and_report, (void*)i);
    struct timespec period = {1, 500 * 1000 * 1000};
    nanosleep(&period, NULL);
    atomic_store(&g_stop, 1);
    double least = 1e9, most = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        fprintf(stderr, "thread %d: %.3f s\n", i, g_thread_cpu[i]);
        if (g_thread_cpu[i] < least) least = g_thread_cpu[i];
        if (g_thread_cpu[i] > most) most = g_thread_cpu[i];
    }
    printf("fair: %s\n", least >= 0.6 * most ? "yes" : "no");
    return 0;
}

// Affinity: every allowed CPU in turn, by itself; getcpu (the C library's and the raw system
// call) must name it, even after a yield and a sleep.
static int pinned_to_each_cpu(const cpu_set_t* all) {
    int ok = 1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, all)) continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(c, &one);
        ok &= sched_setaffinity(0, sizeof one, &one) == 0;
        ok &= sched_getcpu() == c;
        sched_yield();
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        unsigned cpu = 99, node = 99;
        ok &= syscall(SYS_getcpu, &cpu, &node, NULL) == 0 && cpu == (unsigned)c && node == 0;
        cpu_set_t got;
        CPU_ZERO(&got);
        ok &= sched_getaffinity(0, sizeof got, &got) == 0 && CPU_EQUAL(&got, &one);
    }
    return ok;
}

static atomic_int g_target_cpu = -1;
static atomic_int g_spinner_tid;
static atomic_int g_spinner_moved;
static cpu_set_t g_inherited;

// Spins until it runs on g_target_cpu (which another thread's sched_setaffinity makes it do),
// giving up after 5 s.
static void* spin_until_moved(void* arg) {
    (void)arg;
    sched_getaffinity(0, sizeof g_inherited, &g_inherited);
    atomic_store(&g_spinner_tid, (int)syscall(SYS_gettid));
    while (atomic_load(&g_target_cpu) < 0) {}
    double start = now(CLOCK_MONOTONIC);
    while (now(CLOCK_MONOTONIC) - start < 5) {
        if (sched_getcpu() == atomic_load(&g_target_cpu)) {
            atomic_store(&g_spinner_moved, 1);
            break;
        }
    }
    return NULL;
}

// One thread pins another (by its thread id) to a CPU it is not on: it moves there while it
// spins, without a system call of its own that could move it.
static void move_other_thread(const cpu_set_t* all) {
    int first = -1, last = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, all)) last = c, first = first < 0 ? c : first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    sched_setaffinity(0, sizeof one, &one); // the new thread inherits this
    pthread_t t;
    pthread_create(&t, NULL, spin_until_moved, NULL);
    while (atomic_load(&g_spinner_tid) == 0) sched_yield();
    sched_setaffinity(0, sizeof *all, all);
    printf("new thread inherits the mask: %d\n", CPU_EQUAL(&g_inherited, &one));
    CPU_ZERO(&one);
    CPU_SET(last, &one);
    atomic_store(&g_target_cpu, last);
    printf("setaffinity of another thread: %d\n",
           sched_setaffinity(atomic_load(&g_spinner_tid), sizeof one, &one));
    pthread_join(t, NULL);
    printf("it moved while spinning: %d\n", atomic_load(&g_spinner_moved));
}

// "label: result" for success, "label: -1 errno N" for failure (numbers: both C libraries).
#define SHOW(label, expr)                                                                          \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long result_ = (long)(expr);                                                               \
        if (result_ < 0) printf("%s: %ld errno %d\n", label, result_, errno);                      \
        else printf("%s: %ld\n", label, result_);                                                  \
    } while (0)

static void affinity_errors(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    SHOW("setaffinity {}", sched_setaffinity(0, sizeof set, &set));
    CPU_SET(0, &set);
    SHOW("setaffinity length 0", syscall(SYS_sched_setaffinity, 0, 0, &set));
    SHOW("setaffinity bad pointer", syscall(SYS_sched_setaffinity, 0, 8, (void*)16));
    SHOW("setaffinity tid 999999", sched_setaffinity(999999, sizeof set, &set));
    SHOW("setaffinity pid -1", sched_setaffinity(-1, sizeof set, &set));
    SHOW("getaffinity pid -1", sched_getaffinity(-1, sizeof set, &set));
    SHOW("getaffinity length 4", syscall(SYS_sched_getaffinity, 0, 4, &set));
    SHOW("getaffinity bad pointer", syscall(SYS_sched_getaffinity, 0, 8, (void*)16));
    SHOW("getaffinity of own tid", syscall(SYS_sched_getaffinity, (int)syscall(SYS_gettid), 8, &set));
}

int main(int argc, char** argv) {
    if (argc == 3 && strcmp(argv[1], "parallel") == 0) return parallel(atoi(argv[2]));
    if (argc == 3 && strcmp(argv[1], "fair") == 0) return fair(atoi(argv[2]));
    if (argc == 3 && strcmp(argv[1], "idle") == 0) return idle(atol(argv[2]));

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
    cpu_set_t all;
    CPU_ZERO(&all);
    sched_getaffinity(0, sizeof all, &all);
    printf("pinned to each cpu in turn: %d\n", pinned_to_each_cpu(&all));
    sched_setaffinity(0, sizeof all, &all);
    move_other_thread(&all);
    affinity_errors();
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
