// SPDX-License-Identifier: MIT
// Blocking system calls interrupted by a signal (signal(7), "Interruption of system calls and
// library functions by signal handlers"): with a handler installed with and without SA_RESTART,
// a helper thread sends SIGUSR1 (tgkill) to the thread blocked in the call, then ends the wait
// (writes the pipe, wakes the futex...). Printed: what the call returned, errno, whether the
// handler ran. Then calls interrupted by a signal that runs no handler (a default-ignored
// SIGWINCH that the main thread blocks, so it is not discarded when sent): they go on as if
// nothing happened — through restart_syscall for the timed ones — except those Linux never
// restarts (epoll_wait, sigtimedwait).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

// linux/futex.h (not in musl's headers)
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FUTEX_WAIT_BITSET_PRIVATE 137

static volatile sig_atomic_t handled, interrupted_call, restart_expected;

// Whether the handler interrupted a system call: the kernel then returns EINTR in rax, or
// rewinds rip to the syscall instruction to run it again. Otherwise the signal came before the
// call blocked (a loaded machine kept this thread from reaching it in time): the attempt is
// void and runs again. rip at a syscall instruction also means "preempted just before it", so
// it counts only where a restart is what the call does (SA_RESTART and a restartable call):
// there the call then runs as it would after a restart, to the same result.
static void on_usr1(int signal, siginfo_t* info, void* context) {
    (void)signal, (void)info;
    ucontext_t* uc = context;
    const unsigned char* rip = (const unsigned char*)uc->uc_mcontext.gregs[REG_RIP];
    if (uc->uc_mcontext.gregs[REG_RAX] == -EINTR ||
        (restart_expected && rip[0] == 0x0f && rip[1] == 0x05))
        interrupted_call = 1;
    handled++;
}

// Runs `body` until its signal interrupted the call (at most 6 times), the helper waiting
// longer each time (100 ms, then 200, 400, 800) before it signals: on a loaded machine this
// thread may take that long to reach the call. (The timed calls wait 2 s: the helper's signal
// and its action after another delay come before that.)
static long attempt_delay_ms = 100;
#define ATTEMPT(...)                                                                       \
    for (int attempt = 0; attempt < 6; attempt++) {                                       \
        interrupted_call = 0;                                                              \
        attempt_delay_ms = 100L << (attempt < 3 ? attempt : 3);                            \
        __VA_ARGS__;                                                                       \
        if (interrupted_call) break;                                                       \
    }

static pid_t main_tid;
static int pipe_fds[2];
static uint32_t futex_word;
static int event_fd;
// Named with the pid (main): the suite runs several builds of this test natively at once, and
// one's writer must not open another's FIFO.
static char fifo_path[64];

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char* errno_name(int e) {
    switch (e) {
    case 0: return "0";
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENXIO: return "ENXIO";
    default: {
        static char buffer[16];
        snprintf(buffer, sizeof(buffer), "%d", e);
        return buffer;
    }
    }
}

// What the helper does after the signal, to end a wait that was restarted.
enum After { kNothing, kWritePipe, kDrainPipe, kWriteEventfd, kWakeFutex, kOpenFifoWriter };

struct Plan {
    int signal;
    int to_process; // kill() instead of tgkill()
    long delay_ms;
    enum After after;
};

static void* helper(void* argument) {
    struct Plan* plan = argument;
    sleep_ms(plan->delay_ms);
    if (plan->to_process) kill(getpid(), plan->signal);
    else syscall(SYS_tgkill, getpid(), main_tid, plan->signal);
    sleep_ms(plan->delay_ms);
    switch (plan->after) {
    case kNothing: break;
    case kWritePipe: (void)!write(pipe_fds[1], "x", 1); break;
    case kDrainPipe: {
        static char sink[4096];
        (void)!read(pipe_fds[0], sink, sizeof(sink));
        break;
    }
    case kWriteEventfd: {
        uint64_t one = 1;
        (void)!write(event_fd, &one, sizeof(one));
        break;
    }
    case kWakeFutex:
        __atomic_store_n(&futex_word, 1, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        break;
    case kOpenFifoWriter: {
        int fd = open(fifo_path, O_WRONLY | O_NONBLOCK);
        if (fd >= 0) close(fd);
        break;
    }
    }
    return NULL;
}

static pthread_t helper_thread;
static struct Plan current_plan;

static void start(int signal, enum After after) {
    current_plan = (struct Plan){signal, 0, attempt_delay_ms, after};
    handled = 0;
    pthread_create(&helper_thread, NULL, helper, &current_plan);
}

static void finish(void) { pthread_join(helper_thread, NULL); }

static void report(const char* name, const char* mode, long result, int error) {
    printf("%-20s %-10s ret=%ld errno=%s handler=%s\n", name, mode, result,
           result < 0 ? errno_name(error) : "0", handled ? "ran" : "no");
}

static void drain_pipe(void) {
    char sink[4096];
    int flags = fcntl(pipe_fds[0], F_GETFL);
    fcntl(pipe_fds[0], F_SETFL, flags | O_NONBLOCK);
    while (read(pipe_fds[0], sink, sizeof(sink)) > 0) {
    }
    fcntl(pipe_fds[0], F_SETFL, flags);
}

static void fill_pipe(void) {
    static char block[4096];
    int flags = fcntl(pipe_fds[1], F_GETFL);
    fcntl(pipe_fds[1], F_SETFL, flags | O_NONBLOCK);
    while (write(pipe_fds[1], block, sizeof(block)) > 0) {
    }
    while (write(pipe_fds[1], block, 1) > 0) {
    }
    fcntl(pipe_fds[1], F_SETFL, flags);
}

static void with_handler(int flags) {
    const char* mode = flags ? "SA_RESTART" : "plain";
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = flags | SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    long r = 0;
    int e = 0;
    char buffer[16];
    restart_expected = flags != 0;

    ATTEMPT({
        start(SIGUSR1, kWritePipe);
        r = read(pipe_fds[0], buffer, sizeof(buffer));
        e = errno;
        finish();
        drain_pipe();
    });
    report("read pipe", mode, r, e);

    ATTEMPT({
        fill_pipe();
        start(SIGUSR1, kDrainPipe);
        r = write(pipe_fds[1], "y", 1);
        e = errno;
        finish();
        drain_pipe();
    });
    report("write full pipe", mode, r, e);

    // A write that moved some bytes before the signal returns their count in both cases.
    static char big[100000];
    start(SIGUSR1, kDrainPipe);
    r = write(pipe_fds[1], big, sizeof(big));
    e = errno;
    finish();
    report("write partial", mode, r, e);
    drain_pipe();

    struct iovec iov = {buffer, sizeof(buffer)};
    ATTEMPT({
        start(SIGUSR1, kWritePipe);
        r = readv(pipe_fds[0], &iov, 1);
        e = errno;
        finish();
        drain_pipe();
    });
    report("readv pipe", mode, r, e);

    uint64_t value;
    ATTEMPT({
        start(SIGUSR1, kWriteEventfd);
        r = read(event_fd, &value, sizeof(value));
        e = errno;
        finish();
        if (r < 0) (void)!read(event_fd, &value, sizeof(value));
    });
    report("read eventfd", mode, r, e);

    ATTEMPT({
        int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
        // It expires well after the helper's signal (400 ms after the first attempt's).
        struct itimerspec its = {{0, 0}, {attempt_delay_ms / 250, attempt_delay_ms % 250 * 4000000}};
        timerfd_settime(tfd, 0, &its, NULL);
        start(SIGUSR1, kNothing);
        r = read(tfd, &value, sizeof(value));
        e = errno;
        finish();
        close(tfd);
    });
    report("read timerfd", mode, r, e);

    ATTEMPT({
        futex_word = 0;
        start(SIGUSR1, kWakeFutex);
        r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        e = errno;
        finish();
    });
    report("futex wait", mode, r, e);

    // With a timeout Linux restarts it only when no handler runs (restart_syscall).
    struct timespec two_seconds = {2, 0};
    restart_expected = 0;
    ATTEMPT({
        futex_word = 0;
        start(SIGUSR1, kWakeFutex);
        r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &two_seconds, NULL, 0);
        e = errno;
        finish();
    });
    report("futex wait timeout", mode, r, e);
    restart_expected = flags != 0;

    ATTEMPT({
        futex_word = 0;
        start(SIGUSR1, kWakeFutex);
        r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, ~0u);
        e = errno;
        finish();
    });
    report("futex wait_bitset", mode, r, e);

    ATTEMPT({
        mkfifo(fifo_path, 0600);
        start(SIGUSR1, kOpenFifoWriter);
        r = open(fifo_path, O_RDONLY);
        e = errno;
        finish();
        if (r >= 0) close(r), r = 0;
        unlink(fifo_path);
    });
    report("open fifo", mode, r, e);

    // Never restarted after a handler.
    restart_expected = 0;
    struct timespec rem = {0, 0};
    ATTEMPT({
        start(SIGUSR1, kNothing);
        r = nanosleep(&two_seconds, &rem);
        e = errno;
        finish();
    });
    report("nanosleep", mode, r, e);
    printf("  remaining left: %s\n", rem.tv_sec > 0 || rem.tv_nsec > 0 ? "yes" : "no");

    ATTEMPT({
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 2;
        start(SIGUSR1, kNothing);
        int error = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
        r = error ? -1 : 0;
        e = error;
        finish();
    });
    report("clock_nanosleep abs", mode, r, e);

    struct pollfd pfd = {pipe_fds[0], POLLIN, 0};
    ATTEMPT({
        start(SIGUSR1, kWritePipe);
        r = poll(&pfd, 1, -1);
        e = errno;
        finish();
        drain_pipe();
    });
    report("poll", mode, r, e);

    ATTEMPT({
        start(SIGUSR1, kWritePipe);
        r = poll(&pfd, 1, 2000);
        e = errno;
        finish();
        drain_pipe();
    });
    report("poll timeout", mode, r, e);

    ATTEMPT({
        struct timespec ppoll_timeout = {2, 0};
        start(SIGUSR1, kWritePipe);
        r = ppoll(&pfd, 1, &ppoll_timeout, NULL);
        e = errno;
        finish();
        drain_pipe();
    });
    report("ppoll", mode, r, e);

    struct timeval tv;
    ATTEMPT({
        fd_set set;
        FD_ZERO(&set);
        FD_SET(pipe_fds[0], &set);
        tv = (struct timeval){2, 0};
        start(SIGUSR1, kWritePipe);
        r = select(pipe_fds[0] + 1, &set, NULL, NULL, &tv);
        e = errno;
        finish();
        drain_pipe();
    });
    report("select", mode, r, e);
    printf("  select time left: %s\n", tv.tv_sec == 1 || (tv.tv_sec == 0 && tv.tv_usec > 0) ? "yes" : "no");

    ATTEMPT({
        int ep = epoll_create1(0);
        struct epoll_event ev = {EPOLLIN, {0}};
        epoll_ctl(ep, EPOLL_CTL_ADD, pipe_fds[0], &ev);
        start(SIGUSR1, kWritePipe);
        r = epoll_wait(ep, &ev, 1, -1);
        e = errno;
        finish();
        close(ep);
        drain_pipe();
    });
    report("epoll_wait", mode, r, e);

    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    ATTEMPT({
        start(SIGUSR1, kNothing);
        r = sigtimedwait(&usr2, NULL, &two_seconds);
        e = errno;
        finish();
    });
    report("sigtimedwait", mode, r, e);
    sigprocmask(SIG_UNBLOCK, &usr2, NULL);

    ATTEMPT({
        start(SIGUSR1, kNothing);
        r = pause();
        e = errno;
        finish();
    });
    report("pause", mode, r, e);

    sigset_t none;
    sigemptyset(&none);
    ATTEMPT({
        start(SIGUSR1, kNothing);
        r = sigsuspend(&none);
        e = errno;
        finish();
    });
    report("sigsuspend", mode, r, e);

    // A blocked signal interrupts nothing; its handler runs once it is unblocked.
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    start(SIGUSR1, kWritePipe);
    r = read(pipe_fds[0], buffer, sizeof(buffer));
    e = errno;
    finish();
    report("read, blocked", mode, r, e);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    printf("  after unblocking: handler=%s\n", handled ? "ran" : "no");
}

// The waits below run in a second thread with SIGWINCH unblocked; the main thread blocks it and
// sends it to the process, so it reaches the waiting thread and runs no handler there.
struct NoHandlerCase {
    const char* name;
    enum After after;
    int timed;
    long result;
    int error;
    long elapsed_ms;
};

static void* no_handler_waiter(void* argument) {
    struct NoHandlerCase* c = argument;
    sigset_t winch;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    pthread_sigmask(SIG_UNBLOCK, &winch, NULL);
    long start_ms = now_ms();
    char buffer[16];
    struct timespec sleep_time = {1, 0};
    errno = 0;
    if (!strcmp(c->name, "read pipe")) {
        c->result = read(pipe_fds[0], buffer, sizeof(buffer));
    } else if (!strcmp(c->name, "nanosleep")) {
        c->result = nanosleep(&sleep_time, NULL);
    } else if (!strcmp(c->name, "clock_nanosleep abs")) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        int e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
        c->result = e ? -1 : 0;
        errno = e;
    } else if (!strcmp(c->name, "futex wait timeout")) {
        futex_word = 0;
        c->result = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &sleep_time, NULL, 0);
    } else if (!strcmp(c->name, "poll timeout")) {
        struct pollfd pfd = {pipe_fds[0], POLLIN, 0};
        c->result = poll(&pfd, 1, 1000);
    } else if (!strcmp(c->name, "select timeout")) {
        fd_set set;
        FD_ZERO(&set);
        FD_SET(pipe_fds[0], &set);
        struct timeval tv = {1, 0};
        c->result = select(pipe_fds[0] + 1, &set, NULL, NULL, &tv);
    } else if (!strcmp(c->name, "epoll_wait")) {
        int ep = epoll_create1(0);
        struct epoll_event ev = {EPOLLIN, {0}};
        epoll_ctl(ep, EPOLL_CTL_ADD, pipe_fds[0], &ev);
        c->result = epoll_wait(ep, &ev, 1, 1000);
        close(ep);
    } else if (!strcmp(c->name, "sigtimedwait")) {
        sigset_t usr2;
        sigemptyset(&usr2);
        sigaddset(&usr2, SIGUSR2);
        c->result = sigtimedwait(&usr2, NULL, &sleep_time);
    }
    c->error = errno;
    c->elapsed_ms = now_ms() - start_ms;
    return NULL;
}

static void without_handler(void) {
    sigset_t winch;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    sigprocmask(SIG_BLOCK, &winch, NULL);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL); // inherited by the waiter: sigtimedwait's set
    static const struct {
        const char* name;
        enum After after;
        int timed;
    } cases[] = {
        {"read pipe", kWritePipe, 0},          {"nanosleep", kNothing, 1},
        {"clock_nanosleep abs", kNothing, 1}, {"futex wait timeout", kNothing, 1},
        {"poll timeout", kNothing, 1},         {"select timeout", kNothing, 1},
        {"epoll_wait", kNothing, 0},           {"sigtimedwait", kNothing, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct NoHandlerCase c = {cases[i].name, cases[i].after, cases[i].timed, 0, 0, 0};
        pthread_t waiter;
        pthread_create(&waiter, NULL, no_handler_waiter, &c);
        sleep_ms(500);
        kill(getpid(), SIGWINCH);
        sleep_ms(100);
        if (c.after == kWritePipe) (void)!write(pipe_fds[1], "x", 1);
        pthread_join(waiter, NULL);
        // Timed waits of 1 s: restarted with the time left they end near 1 s, restarted from
        // scratch they would take 1.5 s; the bound between leaves 250 ms for a loaded machine
        // to wake the thread late. (musl's sigtimedwait retries EINTR itself.)
        printf("%-20s no handler ret=%ld errno=%s%s\n", c.name, c.result,
               c.result < 0 ? errno_name(c.error) : "0",
               !c.timed ? "" : c.elapsed_ms < 1250 ? " (in time)" : " (late)");
        drain_pipe();
    }
    sigprocmask(SIG_UNBLOCK, &winch, NULL);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    main_tid = (pid_t)syscall(SYS_gettid);
    snprintf(fifo_path, sizeof fifo_path, "/tmp/sig_restart.%d.fifo", (int)getpid());
    if (pipe(pipe_fds) != 0) return 1;
    event_fd = eventfd(0, 0);
    with_handler(0);
    with_handler(SA_RESTART);

    // An ignored signal and a default-ignored one are discarded when sent: nothing is
    // interrupted.
    signal(SIGUSR2, SIG_IGN);
    char buffer[16];
    start(SIGUSR2, kWritePipe);
    long r = read(pipe_fds[0], buffer, sizeof(buffer));
    int e = errno;
    finish();
    report("read, SIG_IGN", "-", r, e);
    start(SIGWINCH, kWritePipe);
    r = read(pipe_fds[0], buffer, sizeof(buffer));
    e = errno;
    finish();
    report("read, SIGWINCH dfl", "-", r, e);
    signal(SIGUSR2, SIG_DFL);

    without_handler();
    return 0;
}
