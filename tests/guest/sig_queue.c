// SPDX-License-Identifier: MIT
// Real-time signal queueing (signal(7), "Real-time signals"; sigqueue(3), rt_sigqueueinfo(2)):
// every instance of a real-time signal is queued with its own siginfo and delivered lowest
// number first, instances of one signal in the order sent; standard signals coalesce; the
// thread's own pending signals come before the process's; RLIMIT_SIGPENDING bounds the queue
// (sigqueue gets EAGAIN, kill() does not); POSIX timers queue their own instance and count
// overruns.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char* name(int signal) {
    static char buffer[32];
    if (signal >= SIGRTMIN) snprintf(buffer, sizeof(buffer), "RTMIN+%d", signal - SIGRTMIN);
    else snprintf(buffer, sizeof(buffer), "%d", signal);
    return buffer;
}

static const char* code_name(int code) {
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TIMER: return "SI_TIMER";
    case SI_TKILL: return "SI_TKILL";
    default: return "other";
    }
}

static void block_all(sigset_t* old) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, old);
}

// Takes every pending signal of `set` without waiting and prints it.
static void drain(const sigset_t* set) {
    struct timespec zero = {0, 0};
    siginfo_t info;
    for (;;) {
        int signal = sigtimedwait(set, &info, &zero);
        if (signal < 0) {
            printf("  then %s\n", errno == EAGAIN ? "EAGAIN" : "error");
            return;
        }
        printf("  %s code=%s value=%d pid_ok=%d\n", name(signal), code_name(info.si_code),
               info.si_code == SI_QUEUE || info.si_code == SI_TIMER ? info.si_value.sival_int : -1,
               info.si_code == SI_USER || info.si_code == SI_QUEUE ? info.si_pid == getpid() : -1);
    }
}

static void queue(int signal, int value) {
    union sigval v = {.sival_int = value};
    if (sigqueue(getpid(), signal, v) != 0) printf("  sigqueue(%s): errno %d\n", name(signal), errno);
}

static int rt_tgsigqueueinfo(pid_t tid, int signal, int value) {
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    info.si_signo = signal;
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = getuid();
    info.si_value.sival_int = value;
    return (int)syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, signal, &info);
}

static int order[32], order_values[32], order_count;
static void record(int signal, siginfo_t* info, void* context) {
    (void)context;
    if (order_count < 32) {
        order[order_count] = signal;
        order_values[order_count] = info->si_value.sival_int;
        order_count++;
    }
}

// The SigQ line of /proc/self/status: signals queued for this user, and the limit.
static long queued_now(void) {
    FILE* f = fopen("/proc/self/status", "r");
    char line[256];
    long used = -1, limit;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "SigQ: %ld/%ld", &used, &limit) == 2) break;
    if (f) fclose(f);
    return used;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigset_t original, set;
    block_all(&original);
    sigfillset(&set);

    printf("queued and coalesced:\n");
    queue(SIGRTMIN + 1, 11);
    queue(SIGRTMIN, 21);
    queue(SIGRTMIN + 1, 12);
    queue(SIGRTMIN, 22);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    queue(SIGUSR1, 5); // already pending: dropped
    kill(getpid(), SIGRTMIN + 2);
    kill(getpid(), SIGRTMIN + 2); // real-time: both instances queue, even from kill()
    sigset_t pending;
    sigpending(&pending);
    printf("  pending: USR1=%d RTMIN=%d RTMIN+1=%d RTMIN+2=%d\n", sigismember(&pending, SIGUSR1),
           sigismember(&pending, SIGRTMIN), sigismember(&pending, SIGRTMIN + 1),
           sigismember(&pending, SIGRTMIN + 2));
    drain(&set);

    printf("thread's own before the process's:\n");
    pid_t tid = (pid_t)syscall(SYS_gettid);
    queue(SIGRTMIN, 1);
    printf("  rt_tgsigqueueinfo: %d\n", rt_tgsigqueueinfo(tid, SIGRTMIN + 3, 2));
    syscall(SYS_tgkill, getpid(), tid, SIGUSR2);
    kill(getpid(), SIGUSR1);
    drain(&set);

    printf("handlers, all unblocked at once:\n");
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = record;
    sa.sa_flags = SA_SIGINFO;
    for (int s = SIGRTMIN; s <= SIGRTMIN + 3; s++) sigaction(s, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    queue(SIGRTMIN + 3, 1);
    queue(SIGRTMIN, 2);
    queue(SIGRTMIN + 3, 3);
    queue(SIGRTMIN + 1, 4);
    queue(SIGRTMIN, 5);
    queue(SIGUSR1, 6);
    sigprocmask(SIG_SETMASK, &original, NULL);
    for (int i = 0; i < order_count; i++) printf("  ran %s value=%d\n", name(order[i]), order_values[i]);
    order_count = 0;
    // With each handler's sa_mask blocking the others, one handler runs at a time, in order.
    sigfillset(&sa.sa_mask);
    for (int s = SIGRTMIN; s <= SIGRTMIN + 3; s++) sigaction(s, &sa, NULL);
    block_all(NULL);
    queue(SIGRTMIN + 2, 1);
    queue(SIGRTMIN, 2);
    queue(SIGRTMIN + 2, 3);
    queue(SIGRTMIN, 4);
    sigprocmask(SIG_SETMASK, &original, NULL);
    for (int i = 0; i < order_count; i++) printf("  masked: ran %s value=%d\n", name(order[i]), order_values[i]);
    order_count = 0;
    // Unblocked: the handler runs as the call returns, with the sender's value.
    queue(SIGRTMIN + 1, 1234);
    printf("  immediate: %d ran, value=%d\n", order_count, order_count ? order_values[0] : -1);
    block_all(NULL);

    printf("RLIMIT_SIGPENDING:\n");
    struct rlimit old_limit, limit;
    getrlimit(RLIMIT_SIGPENDING, &old_limit);
    limit = old_limit;
    limit.rlim_cur = 8;
    setrlimit(RLIMIT_SIGPENDING, &limit);
    long before = queued_now();
    int sent = 0, error = 0;
    for (int i = 0; i < 40; i++) {
        union sigval v = {.sival_int = i};
        if (sigqueue(getpid(), SIGRTMIN, v) != 0) {
            error = errno;
            break;
        }
        sent++;
    }
    printf("  sigqueue until %s; queued up to the limit: %s\n", error == EAGAIN ? "EAGAIN" : "?",
           sent == 8 - before ? "yes" : "no");
    printf("  SigQ counts them: %s\n", queued_now() == before + sent ? "yes" : "no");
    printf("  kill() at the limit: %d\n", kill(getpid(), SIGRTMIN + 1));
    printf("  sigqueue(SIGUSR2) at the limit: %d\n", sigqueue(getpid(), SIGUSR2, (union sigval){.sival_int = 9}));
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    sigaddset(&set, SIGUSR2);
    drain(&set); // their siginfo is lost: SI_USER from pid 0
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    struct timespec zero = {0, 0};
    int taken = 0;
    while (sigtimedwait(&set, NULL, &zero) > 0) taken++;
    printf("  RTMIN taken: %s\n", taken == sent ? "all" : "not all");
    setrlimit(RLIMIT_SIGPENDING, &old_limit);

    printf("timers:\n");
    // Two timers on one real-time signal: one instance each, their own values.
    timer_t timers[2];
    for (int i = 0; i < 2; i++) {
        struct sigevent ev;
        memset(&ev, 0, sizeof(ev));
        ev.sigev_notify = SIGEV_SIGNAL;
        ev.sigev_signo = SIGRTMIN;
        ev.sigev_value.sival_int = 100 + i;
        timer_create(CLOCK_MONOTONIC, &ev, &timers[i]);
        struct itimerspec its = {{0, 0}, {0, 20000000 * (i + 1)}};
        timer_settime(timers[i], 0, &its, NULL);
    }
    struct timespec wait = {0, 150000000};
    nanosleep(&wait, NULL);
    drain(&set);
    // Two timers on SIGALRM: a timer's signal is queued even when the same standard signal
    // is pending.
    for (int i = 0; i < 2; i++) {
        timer_delete(timers[i]);
        struct sigevent ev;
        memset(&ev, 0, sizeof(ev));
        ev.sigev_notify = SIGEV_SIGNAL;
        ev.sigev_signo = SIGALRM;
        ev.sigev_value.sival_int = 200 + i;
        timer_create(CLOCK_MONOTONIC, &ev, &timers[i]);
        struct itimerspec its = {{0, 0}, {0, 20000000 * (i + 1)}};
        timer_settime(timers[i], 0, &its, NULL);
    }
    nanosleep(&wait, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    drain(&set);
    // A periodic timer whose signal stays queued counts overruns, reported at delivery.
    timer_delete(timers[1]);
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    ev.sigev_value.sival_int = 300;
    timer_delete(timers[0]);
    timer_create(CLOCK_MONOTONIC, &ev, &timers[0]);
    struct itimerspec its = {{0, 10000000}, {0, 10000000}};
    timer_settime(timers[0], 0, &its, NULL);
    struct timespec longer = {0, 200000000};
    nanosleep(&longer, NULL);
    siginfo_t info;
    int signal = sigtimedwait(&set, &info, &zero);
    int overrun = timer_getoverrun(timers[0]);
    printf("  periodic: %s value=%d overrun>=5: %s getoverrun matches: %s\n", name(signal),
           info.si_value.sival_int, info.si_overrun >= 5 ? "yes" : "no",
           overrun == info.si_overrun ? "yes" : "no");
    // Deleted, its signal is dropped even if one was queued since (Linux 6.13 and later), so
    // nothing is printed here: timing decides whether one was.
    timer_delete(timers[0]);
    while (sigtimedwait(&set, NULL, &zero) > 0) {
    }
    // A timer whose signal is pending when it is deleted or set again: the signal still shows
    // in sigpending, but it is dropped when taken.
    timer_create(CLOCK_MONOTONIC, &ev, &timers[0]);
    struct itimerspec once = {{0, 0}, {0, 1000000}};
    timer_settime(timers[0], 0, &once, NULL);
    nanosleep(&wait, NULL);
    timer_delete(timers[0]);
    sigpending(&pending);
    printf("  deleted with its signal pending: pending=%d\n", sigismember(&pending, SIGRTMIN));
    drain(&set);
    timer_create(CLOCK_MONOTONIC, &ev, &timers[0]);
    timer_settime(timers[0], 0, &once, NULL);
    nanosleep(&wait, NULL);
    struct itimerspec off = {{0, 0}, {0, 0}};
    timer_settime(timers[0], 0, &off, NULL);
    printf("  disarmed with its signal pending:\n");
    drain(&set);
    timer_delete(timers[0]);

    printf("ignored:\n");
    signal = SIGRTMIN + 4;
    sigaction(signal, &(struct sigaction){.sa_handler = SIG_IGN}, NULL);
    sigprocmask(SIG_SETMASK, &original, NULL);
    queue(signal, 1);
    sigpending(&pending);
    printf("  sigqueue to an ignored signal: pending=%d\n", sigismember(&pending, signal));
    return 0;
}
