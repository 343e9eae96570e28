// SPDX-License-Identifier: MIT
// POSIX timers (timer_create family) with SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_NONE and the C
// library's SIGEV_THREAD; overruns while the signal is blocked; sigtimedwait/sigwaitinfo and
// the siginfo a timer signal carries. Timing checks compare with the time that really passed.
#include "fs_check.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#ifndef sigev_notify_thread_id // glibc before 2.35
#define sigev_notify_thread_id _sigev_un._tid
#endif

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static struct itimerspec spec_ms(long value_ms, long interval_ms) {
    struct itimerspec s = {{interval_ms / 1000, (interval_ms % 1000) * 1000000L},
                           {value_ms / 1000, (value_ms % 1000) * 1000000L}};
    return s;
}

static volatile sig_atomic_t g_hits, g_last_code, g_last_value, g_last_tid_ok, g_first_overrun;
static pid_t g_expected_tid;

static void on_timer(int sig, siginfo_t* info, void* context) {
    (void)sig;
    (void)context;
    if (g_hits++ == 0) g_first_overrun = info->si_overrun;
    g_last_code = info->si_code;
    g_last_value = info->si_value.sival_int;
    g_last_tid_ok = gettid() == g_expected_tid;
}

// Waits (up to 5 s) until the handler has run for `sig`: the signal is blocked while g_hits is
// checked and unblocked only inside sigsuspend, so it cannot slip in between (pause() could).
static void wait_for_hit(int sig) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, sig);
    sigprocmask(SIG_BLOCK, &block, &old);
    uint64_t start = now_ns();
    while (g_hits == 0 && now_ns() - start < 5000000000ull) {
        sigset_t during = old;
        sigdelset(&during, sig);
        sigsuspend(&during);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static volatile int g_thread_notified;
static void notify(union sigval v) { g_thread_notified = v.sival_int; }

static volatile pid_t g_worker_tid;
static volatile int g_worker_go;
static void* worker(void* arg) {
    (void)arg;
    g_worker_tid = gettid();
    while (!g_worker_go)
        sched_yield();
    // Sleep until the timer signal (aimed at this thread) has been handled here.
    for (int i = 0; i < 500 && g_hits < 3; i++)
        sleep_ms(2);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGRTMIN + 1, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    // Errors.
    timer_t t;
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    T("create on clock 99", timer_create(99, &ev, &t));
    ev.sigev_signo = 0;
    T("create with signal 0", timer_create(CLOCK_MONOTONIC, &ev, &t));
    ev.sigev_signo = 65;
    T("create with signal 65", timer_create(CLOCK_MONOTONIC, &ev, &t));
    ev.sigev_signo = SIGUSR1;
    ev.sigev_notify = 7;
    T("create with notify 7", timer_create(CLOCK_MONOTONIC, &ev, &t));
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_notify_thread_id = 99999;
    T("create for a thread that does not exist", timer_create(CLOCK_MONOTONIC, &ev, &t));
    T("create with a bad sigevent", SYS(SYS_timer_create, CLOCK_MONOTONIC, WILD_POINTER, &t));
    int raw_id;
    T("settime of a timer that does not exist", SYS(SYS_timer_settime, 1234, 0, NULL, NULL));
    T("gettime of a timer that does not exist", SYS(SYS_timer_gettime, 1234, &raw_id));
    T("getoverrun of a timer that does not exist", SYS(SYS_timer_getoverrun, 1234));
    T("delete of a timer that does not exist", SYS(SYS_timer_delete, 1234));

    // SIGEV_SIGNAL, one-shot, with a value.
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 77;
    g_expected_tid = gettid();
    T("create (SIGEV_SIGNAL)", timer_create(CLOCK_MONOTONIC, &ev, &t));
    struct itimerspec cur;
    timer_gettime(t, &cur);
    printf("gettime disarmed: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    T("settime tv_nsec 1e9", timer_settime(t, 0, &bad, NULL));
    int kernel_id;
    SYS(SYS_timer_create, CLOCK_MONOTONIC, &ev, &kernel_id);
    T("settime NULL", SYS(SYS_timer_settime, kernel_id, 0, NULL, NULL));
    T("raw delete", SYS(SYS_timer_delete, kernel_id));
    T("raw delete again", SYS(SYS_timer_delete, kernel_id));
    // Long enough that gettime comes first on a loaded machine.
    struct itimerspec one = spec_ms(300, 0);
    uint64_t start = now_ns();
    T("settime 300 ms", timer_settime(t, 0, &one, NULL));
    timer_gettime(t, &cur);
    printf("gettime armed: 0 < left <= 300 ms: %d\n",
           cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 300000000);
    wait_for_hit(SIGUSR1);
    printf("handler ran: %d, after >= 299 ms: %d, si_code SI_TIMER: %d, si_value %d\n", (int)g_hits,
           now_ns() - start >= 299000000ull, g_last_code == SI_TIMER, (int)g_last_value);
    T("getoverrun", timer_getoverrun(t));

    // Periodic while the signal is blocked: one signal, the rest are overruns.
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    g_hits = 0;
    struct itimerspec periodic = spec_ms(10, 10);
    start = now_ns();
    timer_settime(t, 0, &periodic, NULL);
    sleep_ms(60);
    uint64_t periods = (now_ns() - start) / 10000000ull;
    sigprocmask(SIG_UNBLOCK, &usr1, NULL); // the signal is delivered here
    // The delivered signal's si_overrun (timer_getoverrun() would race with the next period).
    int overrun = g_first_overrun;
    struct itimerspec off = spec_ms(0, 0), old;
    timer_settime(t, 0, &off, &old);
    printf("blocked periodic timer: signals %d, overrun matches the periods that passed: %d\n",
           g_hits >= 1, overrun >= 1 && (uint64_t)overrun <= periods &&
                            (uint64_t)overrun + 3 >= periods);
    if (!(overrun >= 1 && (uint64_t)overrun <= periods && (uint64_t)overrun + 3 >= periods))
        printf("  (overrun %d in %llu periods)\n", overrun, (unsigned long long)periods);
    T("getoverrun after settime", timer_getoverrun(t));
    printf("old interval: %ld.%09ld\n", (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
    T("delete", timer_delete(t));

    // Absolute CLOCK_REALTIME, waited for with sigwaitinfo.
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    ev.sigev_value.sival_int = 5;
    timer_create(CLOCK_REALTIME, &ev, &t);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    rt.tv_nsec += 20000000;
    if (rt.tv_nsec >= 1000000000) {
        rt.tv_sec++;
        rt.tv_nsec -= 1000000000;
    }
    struct itimerspec abs_spec = {{0, 0}, rt};
    T("settime absolute realtime", timer_settime(t, TIMER_ABSTIME, &abs_spec, NULL));
    siginfo_t info;
    int got = sigwaitinfo(&usr1, &info);
    struct timespec after;
    clock_gettime(CLOCK_REALTIME, &after);
    printf("sigwaitinfo: %s, code SI_TIMER %d, value %d, overrun %d, on time %d\n",
           got == SIGUSR1 ? "SIGUSR1" : "other", info.si_code == SI_TIMER, info.si_value.sival_int,
           info.si_overrun,
           after.tv_sec > rt.tv_sec || (after.tv_sec == rt.tv_sec && after.tv_nsec >= rt.tv_nsec - 1000000));
    timer_delete(t);

    // sigtimedwait: timeouts, polls, errors, and a signal already pending.
    struct timespec ten_ms = {0, 10000000}, zero = {0, 0}, bad_ts = {0, 1000000000};
    T("sigtimedwait 10 ms", sigtimedwait(&usr1, &info, &ten_ms));
    T("sigtimedwait poll", sigtimedwait(&usr1, &info, &zero));
    T("sigtimedwait bad timeout", sigtimedwait(&usr1, &info, &bad_ts));
    T("rt_sigtimedwait bad size", SYS(SYS_rt_sigtimedwait, &usr1, &info, &zero, 4));
    kill(getpid(), SIGUSR1);
    got = sigtimedwait(&usr1, &info, &zero);
    printf("pending SIGUSR1 taken: %d, si_code SI_USER %d, si_pid is us %d\n", got == SIGUSR1,
           info.si_code == SI_USER, info.si_pid == getpid());
    T("then none", sigtimedwait(&usr1, &info, &zero));
    // A handled signal outside the set interrupts the wait.
    struct sigaction alarm_action = {0};
    alarm_action.sa_sigaction = on_timer;
    alarm_action.sa_flags = SA_SIGINFO;
    sigaction(SIGALRM, &alarm_action, NULL);
    // The alarm must come while the thread waits: a host that stalls this CPU for longer than
    // the delay makes it come before, and the wait then times out. So EAGAIN with the handler
    // run is retried with a longer delay; a kernel that never interrupts the wait fails every
    // time. The raw call: musl's sigtimedwait() retries after EINTR.
    struct timespec two_s = {2, 0};
    long interrupted = 0;
    for (useconds_t delay = 20000; delay <= 500000; delay *= 5) {
        g_hits = 0;
        ualarm(delay, 0);
        interrupted = SYS(SYS_rt_sigtimedwait, &usr1, &info, &two_s, 8);
        if (!(interrupted == -1 && errno == EAGAIN && g_hits == 1)) break;
    }
    show("sigtimedwait interrupted by SIGALRM", interrupted);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);

    // SIGEV_THREAD_ID: the signal goes to the named thread.
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    while (!g_worker_tid)
        sched_yield();
    struct sigevent tev = {0};
    tev.sigev_notify = SIGEV_THREAD_ID;
    tev.sigev_signo = SIGRTMIN + 1;
    tev.sigev_notify_thread_id = g_worker_tid;
    g_expected_tid = g_worker_tid;
    g_hits = 0;
    g_last_tid_ok = 1;
    T("create (SIGEV_THREAD_ID)", timer_create(CLOCK_MONOTONIC, &tev, &t));
    struct itimerspec every10 = spec_ms(10, 10);
    timer_settime(t, 0, &every10, NULL);
    g_worker_go = 1;
    pthread_join(th, NULL);
    timer_delete(t);
    printf("thread-directed: at least 3 signals %d, all in that thread %d\n", g_hits >= 3,
           (int)g_last_tid_ok);

    // SIGEV_NONE: nothing is sent, gettime still counts down.
    struct sigevent none = {0};
    none.sigev_notify = SIGEV_NONE;
    T("create (SIGEV_NONE)", timer_create(CLOCK_MONOTONIC, &none, &t));
    struct itimerspec second = spec_ms(1000, 0);
    timer_settime(t, 0, &second, NULL);
    sleep_ms(20);
    timer_gettime(t, &cur);
    printf("SIGEV_NONE gettime counts down: %d\n",
           cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec < 990000000 && cur.it_value.tv_nsec > 0);
    timer_delete(t);

    // The C library's SIGEV_THREAD: a function called in a new thread.
    struct sigevent thread_ev = {0};
    thread_ev.sigev_notify = SIGEV_THREAD;
    thread_ev.sigev_notify_function = notify;
    thread_ev.sigev_value.sival_int = 99;
    T("create (SIGEV_THREAD)", timer_create(CLOCK_MONOTONIC, &thread_ev, &t));
    struct itimerspec ten = spec_ms(10, 0);
    timer_settime(t, 0, &ten, NULL);
    for (int i = 0; i < 500 && !g_thread_notified; i++)
        sleep_ms(2);
    printf("SIGEV_THREAD function ran with %d\n", g_thread_notified);
    timer_delete(t);

    // A NULL sigevent: SIGALRM with the timer id as value.
    T("create with NULL sigevent", timer_create(CLOCK_MONOTONIC, NULL, &t));
    g_hits = 0;
    g_expected_tid = gettid();
    timer_settime(t, 0, &ten, NULL);
    start = now_ns();
    wait_for_hit(SIGALRM);
    printf("default SIGALRM arrived: %d, code SI_TIMER %d\n", (int)g_hits, g_last_code == SI_TIMER);
    timer_delete(t);
    return 0;
}
