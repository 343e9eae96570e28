// SPDX-License-Identifier: MIT
// CPU-time clocks and timers (setitimer(2) ITIMER_VIRTUAL/ITIMER_PROF, timer_create(2) and
// clock_nanosleep(2) on CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID and
// pthread_getcpuclockid clocks, getrusage/times). Prints facts with generous bounds ("fired
// while spinning", "did not fire while asleep"), never times.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t vtalrm, prof, usr1, usr1_code, usr1_value;

static void on_signal(int signal, siginfo_t* info, void* context) {
    (void)context;
    if (signal == SIGVTALRM) vtalrm++;
    if (signal == SIGPROF) prof++;
    if (signal == SIGUSR1) {
        usr1++;
        usr1_code = info->si_code;
        usr1_value = info->si_value.sival_int;
    }
}

static double wall(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t clock_ns(clockid_t clock) {
    struct timespec t;
    if (clock_gettime(clock, &t) != 0) return 0;
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

// Spins in user mode until *flag reaches `count` or `seconds` of wall time pass.
static int spin_until(volatile sig_atomic_t* flag, int count, double seconds) {
    double end = wall() + seconds;
    volatile uint64_t x = 0;
    while (*flag < count && wall() < end)
        for (int i = 0; i < 100000; i++) x++;
    return *flag >= count;
}

static volatile int stop_spinner;
static void* spinner(void* argument) {
    (void)argument;
    volatile uint64_t x = 0;
    while (!stop_spinner) x++;
    return NULL;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

static timer_t cpu_timer(clockid_t clock, long ms, int value) {
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = value;
    timer_t timer;
    if (timer_create(clock, &ev, &timer) != 0) {
        printf("timer_create(%d): errno %d\n", (int)clock, errno);
        return 0;
    }
    struct itimerspec its = {{0, 0}, {ms / 1000, (ms % 1000) * 1000000}};
    timer_settime(timer, 0, &its, NULL);
    return timer;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGVTALRM, &sa, NULL);
    sigaction(SIGPROF, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    printf("clocks:\n");
    clockid_t self_clock, process_clock;
    pthread_getcpuclockid(pthread_self(), &self_clock);
    clock_getcpuclockid(0, &process_clock);
    clockid_t virt = (clockid_t)((~0u << 3) | 1); // CPUCLOCK_VIRT of this process
    clockid_t prof_clock = (clockid_t)((~0u << 3) | 0);
    struct timespec ts;
    // (Linux samples user and system time at ticks: the VIRT and PROF clocks may still read 0.)
    printf("  process %d, thread %d, pthread clock %d, getcpuclockid %d, virt %d, prof %d\n",
           clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts),
           clock_gettime(self_clock, &ts), clock_gettime(process_clock, &ts), clock_gettime(virt, &ts),
           clock_gettime(prof_clock, &ts));
    printf("  process and thread clocks move: %s\n",
           clock_ns(CLOCK_PROCESS_CPUTIME_ID) > 0 && clock_ns(self_clock) > 0 ? "yes" : "no");
    spin_until(&usr1, 1, 0.05);
    printf("  user <= user+system: %s\n", clock_ns(virt) <= clock_ns(prof_clock) ? "yes" : "no");
    struct timespec res;
    printf("  getres: %d\n", clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res));

    printf("itimers:\n");
    struct itimerval every10ms = {{0, 10000}, {0, 10000}}, off = {{0, 0}, {0, 0}}, now;
    setitimer(ITIMER_PROF, &every10ms, NULL);
    getitimer(ITIMER_PROF, &now);
    printf("  ITIMER_PROF armed: interval %ld us, value %s\n", (long)now.it_interval.tv_usec,
           now.it_value.tv_sec == 0 && now.it_value.tv_usec > 0 && now.it_value.tv_usec <= 14000 ? "ok" : "?");
    printf("  SIGPROF while spinning: %s\n", spin_until(&prof, 3, 3) ? "yes" : "no");
    prof = 0;
    double end = wall() + 3;
    while (prof < 3 && wall() < end) getppid(); // system time counts for ITIMER_PROF
    printf("  SIGPROF while making system calls: %s\n", prof >= 3 ? "yes" : "no");
    setitimer(ITIMER_PROF, &off, &now);
    printf("  old value returned: %s\n", now.it_interval.tv_usec == 10000 ? "yes" : "no");
    getitimer(ITIMER_PROF, &now);
    printf("  disarmed: %s\n", now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0 ? "yes" : "no");

    setitimer(ITIMER_VIRTUAL, &every10ms, NULL);
    printf("  SIGVTALRM while spinning: %s\n", spin_until(&vtalrm, 3, 3) ? "yes" : "no");
    // (Generous sizes below: inside a VM, a stall of the vCPU that the host does not report as
    // steal time — a stopped monitor, the host's work on exits — counts as CPU time of the
    // thread it was running.)
    struct itimerval in200ms = {{0, 0}, {0, 200000}};
    setitimer(ITIMER_VIRTUAL, &in200ms, NULL);
    vtalrm = 0;
    sleep_ms(200); // asleep: no user time passes
    printf("  SIGVTALRM while asleep: %s\n", vtalrm ? "yes" : "no");
    printf("  then while spinning: %s\n", spin_until(&vtalrm, 1, 3) ? "yes" : "no");
    getitimer(ITIMER_VIRTUAL, &now);
    printf("  one-shot done: %s\n", now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0 ? "yes" : "no");

    printf("POSIX timers:\n");
    usr1 = 0;
    timer_t timer = cpu_timer(CLOCK_PROCESS_CPUTIME_ID, 200, 7);
    struct itimerspec left;
    timer_gettime(timer, &left);
    printf("  process clock, armed: %s\n", left.it_value.tv_sec == 0 && left.it_value.tv_nsec > 0 ? "yes" : "no");
    int fired = spin_until(&usr1, 1, 3);
    printf("  fired while spinning: %s, code SI_TIMER: %s, value %d\n", fired ? "yes" : "no",
           usr1_code == SI_TIMER ? "yes" : "no", (int)usr1_value);
    timer_delete(timer);

    // The main thread's own clock does not move while it sleeps and another thread spins.
    // (The spinner starts first: creating a thread costs the creator CPU time, inside wisp a lot.)
    pthread_t other;
    stop_spinner = 0;
    pthread_create(&other, NULL, spinner, NULL);
    usr1 = 0;
    timer = cpu_timer(CLOCK_THREAD_CPUTIME_ID, 200, 8);
    sleep_ms(200);
    printf("  thread clock, fired while its thread slept: %s\n", usr1 ? "yes" : "no");
    fired = spin_until(&usr1, 1, 3);
    printf("  then while it spins: %s, value %d\n", fired ? "yes" : "no", (int)usr1_value);
    timer_delete(timer);
    // The other thread's clock moves while it spins.
    clockid_t other_clock;
    pthread_getcpuclockid(other, &other_clock);
    usr1 = 0;
    timer = cpu_timer(other_clock, 20, 9);
    double until = wall() + 3;
    while (!usr1 && wall() < until) sleep_ms(5);
    printf("  other thread's clock: fired: %s, value %d\n", usr1 ? "yes" : "no", (int)usr1_value);
    timer_delete(timer);

    printf("clock_nanosleep:\n");
    uint64_t before = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    struct timespec ms50 = {0, 50000000};
    int r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ms50, NULL);
    printf("  process clock, relative: %d, clock advanced by it: %s\n", r,
           clock_ns(CLOCK_PROCESS_CPUTIME_ID) - before >= 50000000 ? "yes" : "no");
    struct timespec target;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &target);
    target.tv_nsec += 30000000;
    if (target.tv_nsec >= 1000000000) target.tv_sec++, target.tv_nsec -= 1000000000;
    r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &target, NULL);
    printf("  process clock, absolute: %d\n", r);
    before = clock_ns(other_clock);
    r = clock_nanosleep(other_clock, 0, &ms50, NULL);
    printf("  other thread's clock: %d, advanced: %s\n", r, clock_ns(other_clock) - before >= 50000000 ? "yes" : "no");
    printf("  CLOCK_THREAD_CPUTIME_ID (libc): %d\n", clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ms50, NULL));
    long raw = syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ms50, NULL);
    printf("  CLOCK_THREAD_CPUTIME_ID (system call): %ld errno %s\n", raw, errno == EOPNOTSUPP ? "EOPNOTSUPP" : "other");
    raw = syscall(SYS_clock_nanosleep, self_clock, 0, &ms50, NULL);
    printf("  own thread's clock: %ld errno %s\n", raw, errno == EINVAL ? "EINVAL" : "other");
    stop_spinner = 1;
    pthread_join(other, NULL);

    printf("resource use:\n");
    struct rusage a, b;
    getrusage(RUSAGE_SELF, &a);
    // 200 ms of this thread's CPU time (a loaded machine may give it far less wall time).
    uint64_t spin_end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + 200000000;
    double give_up = wall() + 10;
    volatile uint64_t x = 0;
    // (Reading a CPU clock is a system call, inside wisp a slow one: rarely, so that user time
    // dominates.)
    while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < spin_end && wall() < give_up)
        for (int i = 0; i < 10000000; i++) x++;
    getrusage(RUSAGE_SELF, &b);
    long user_us = (b.ru_utime.tv_sec - a.ru_utime.tv_sec) * 1000000 + (b.ru_utime.tv_usec - a.ru_utime.tv_usec);
    printf("  user time grew while spinning: %s\n", user_us > 50000 ? "yes" : "no");
    getrusage(RUSAGE_THREAD, &a);
    end = wall() + 0.3;
    while (wall() < end) getppid();
    getrusage(RUSAGE_THREAD, &b);
    long system_us = (b.ru_stime.tv_sec - a.ru_stime.tv_sec) * 1000000 + (b.ru_stime.tv_usec - a.ru_stime.tv_usec);
    printf("  system time grew while making system calls: %s\n", system_us > 0 ? "yes" : "no");
    struct tms tms;
    times(&tms);
    printf("  times(): user ticks > 0: %s\n", tms.tms_utime > 0 ? "yes" : "no");

    // A process timer while four threads spin: on several CPUs the process clock runs several
    // times as fast as the wall clock, and the timer must still fire when the clock reaches it
    // (3x its time allows for a loaded host; a check timed by the wall clock fires at 4x).
    printf("several threads:\n");
    pthread_t spinners[4];
    stop_spinner = 0;
    for (int i = 0; i < 4; i++) pthread_create(&spinners[i], NULL, spinner, NULL);
    usr1 = 0;
    uint64_t start = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    timer = cpu_timer(CLOCK_PROCESS_CPUTIME_ID, 200, 10);
    until = wall() + 5;
    while (!usr1 && wall() < until) sleep_ms(1);
    uint64_t at = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - start;
    printf("  process timer fired: %s, value %d, before 3x its time: %s\n", usr1 ? "yes" : "no",
           (int)usr1_value, at < 600000000 ? "yes" : "no");
    timer_delete(timer);
    stop_spinner = 1;
    for (int i = 0; i < 4; i++) pthread_join(spinners[i], NULL);
    return 0;
}
