// SPDX-License-Identifier: MIT
// epoll over pipes, eventfd, timerfd and other epoll instances: level- and edge-triggered
// reports, EPOLLONESHOT, hang-ups and errors, what happens to items of closed descriptors,
// nesting and loops, epoll_ctl/epoll_wait argument errors, signals interrupting a wait, and
// waits ended by other threads.
#include "fs_check.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int add(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event e = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event e = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

// Prints the events epoll_wait reports, in the order it reports them.
static int show_wait(const char* label, int ep, int max, int timeout) {
    struct epoll_event ev[16];
    errno = 0;
    int n = epoll_wait(ep, ev, max, timeout);
    if (n < 0) {
        printf("%s: %s\n", label, errno_name(errno));
        return n;
    }
    printf("%s: %d", label, n);
    for (int i = 0; i < n; i++)
        printf(" [%llu: 0x%x]", (unsigned long long)ev[i].data.u64, ev[i].events);
    printf("\n");
    return n;
}

static void drain(int fd) {
    char buf[256];
    while (read(fd, buf, sizeof buf) == sizeof buf) {
    }
}

static void post(int efd) {
    uint64_t one = 1;
    write(efd, &one, sizeof one);
}

static int g_pipe[2];
static int g_efd;

static void* delayed_pipe_writer(void* arg) {
    (void)arg;
    sleep_ms(20);
    write(g_pipe[1], "x", 1);
    return NULL;
}

static void* counter(void* arg) {
    (void)arg;
    for (int i = 0; i < 200; i++) {
        post(g_efd);
        if (i % 10 == 0) sched_yield();
    }
    return NULL;
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    enter_work_dir("epoll");

    T("epoll_create(0)", SYS(SYS_epoll_create, 0));
    T("epoll_create(-1)", SYS(SYS_epoll_create, -1));
    T("epoll_create1(bad flags)", epoll_create1(1));
    int ep = SYS(SYS_epoll_create, 1);
    printf("epoll_create(1) is fd %d, F_GETFD %d\n", ep, fcntl(ep, F_GETFD));
    int ep2 = epoll_create1(EPOLL_CLOEXEC);
    printf("epoll_create1(EPOLL_CLOEXEC) F_GETFD %d\n", fcntl(ep2, F_GETFD));
    struct stat st;
    fstat(ep, &st);
    printf("fstat: type 0%o perms 0%o\n", st.st_mode & S_IFMT, st.st_mode & 07777);
    char link[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", ep);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = '\0';
    printf("readlink: %s\n", link);

    // Level-triggered over a pipe.
    pipe(g_pipe);
    fcntl(g_pipe[0], F_SETFL, O_NONBLOCK); // drain() must not block
    T("add pipe read end (IN)", add(ep, g_pipe[0], EPOLLIN, 100));
    show_wait("empty pipe", ep, 8, 0);
    show_wait("empty pipe, 10 ms", ep, 8, 10);
    write(g_pipe[1], "ab", 2);
    show_wait("after a write", ep, 8, 0);
    show_wait("level-triggered: again", ep, 8, 0);
    drain(g_pipe[0]);
    show_wait("after draining", ep, 8, 0);
    T("add write end (OUT)", add(ep, g_pipe[1], EPOLLOUT, 101));
    show_wait("write end writable", ep, 8, 0);
    T("mod write end to IN", mod(ep, g_pipe[1], EPOLLIN, 102));
    show_wait("write end asked for IN", ep, 8, 0);

    // Errors of epoll_ctl.
    T("add twice", add(ep, g_pipe[0], EPOLLIN, 0));
    int spare[2];
    pipe(spare);
    T("mod not added", mod(ep, spare[0], EPOLLIN, 0));
    T("del not added", epoll_ctl(ep, EPOLL_CTL_DEL, spare[0], NULL));
    write_file("regular", "data");
    int file = open("regular", O_RDWR);
    T("add regular file", add(ep, file, EPOLLIN, 0));
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    T("add directory", add(ep, dir, EPOLLIN, 0));
    T("add /dev/null", add(ep, open("/dev/null", O_RDONLY), EPOLLIN, 0));
    T("add itself", add(ep, ep, EPOLLIN, 0));
    T("epfd not epoll", add(spare[0], spare[1], EPOLLIN, 0));
    T("bad fd", add(ep, 999, EPOLLIN, 0));
    T("bad epfd", add(999, spare[0], EPOLLIN, 0));
    struct epoll_event e = {.events = EPOLLIN};
    T("bad op", epoll_ctl(ep, 7, spare[0], &e));
    T("add with NULL event", epoll_ctl(ep, EPOLL_CTL_ADD, spare[0], NULL));
    T("add with a kernel pointer", epoll_ctl(ep, EPOLL_CTL_ADD, spare[0], KERNEL_POINTER));
    T("exclusive with oneshot", add(ep, spare[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0));
    T("exclusive of an epoll", add(ep, ep2, EPOLLIN | EPOLLEXCLUSIVE, 0));
    T("exclusive", add(ep, spare[0], EPOLLIN | EPOLLEXCLUSIVE, 200));
    T("mod an exclusive item", mod(ep, spare[0], EPOLLIN, 0));
    T("mod to exclusive", mod(ep, g_pipe[0], EPOLLIN | EPOLLEXCLUSIVE, 0));
    T("del exclusive", epoll_ctl(ep, EPOLL_CTL_DEL, spare[0], NULL));
    T("del write end", epoll_ctl(ep, EPOLL_CTL_DEL, g_pipe[1], NULL));

    // Errors of epoll_wait.
    struct epoll_event evs[4];
    T("wait maxevents 0", epoll_wait(ep, evs, 0, 0));
    T("wait maxevents -1", SYS(SYS_epoll_wait, ep, evs, -1, 0));
    T("wait NULL events", SYS(SYS_epoll_wait, ep, NULL, 4, 0));
    T("wait kernel pointer", SYS(SYS_epoll_wait, ep, KERNEL_POINTER, 4, 0));
    T("wait on a pipe", epoll_wait(spare[0], evs, 4, 0));
    T("wait bad fd", epoll_wait(999, evs, 4, 0));
    uint64_t mask = 0;
    T("pwait bad sigset size", SYS(SYS_epoll_pwait, ep, evs, 4, 0, &mask, 4));
    struct timespec ten_ms = {0, 10000000};
    T("pwait2 10 ms", SYS(SYS_epoll_pwait2, ep, evs, 4, &ten_ms, NULL, 8));
    struct timespec bad_ts = {0, 1000000000};
    T("pwait2 bad timespec", SYS(SYS_epoll_pwait2, ep, evs, 4, &bad_ts, NULL, 8));

    // Edge-triggered over an eventfd.
    int efd = eventfd(0, EFD_NONBLOCK);
    T("add eventfd (IN | ET)", add(ep, efd, EPOLLIN | EPOLLET, 300));
    show_wait("eventfd at 0", ep, 8, 0);
    post(efd);
    show_wait("after a post", ep, 8, 0);
    show_wait("edge-triggered: not again", ep, 8, 0);
    post(efd);
    show_wait("after another post", ep, 8, 0);
    uint64_t v;
    read(efd, &v, sizeof v);
    show_wait("after reading", ep, 8, 0);
    T("mod eventfd to OUT | ET", mod(ep, efd, EPOLLOUT | EPOLLET, 301));
    show_wait("writable once", ep, 8, 0);
    show_wait("not again", ep, 8, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL);

    // One-shot.
    T("mod pipe to IN | ONESHOT", mod(ep, g_pipe[0], EPOLLIN | EPOLLONESHOT, 400));
    write(g_pipe[1], "x", 1);
    show_wait("one-shot fires", ep, 8, 0);
    write(g_pipe[1], "y", 1);
    show_wait("then stays quiet", ep, 8, 0);
    T("mod re-enables it", mod(ep, g_pipe[0], EPOLLIN | EPOLLONESHOT, 401));
    show_wait("fires again", ep, 8, 0);
    drain(g_pipe[0]);
    mod(ep, g_pipe[0], EPOLLIN, 100);

    // Hang-ups and errors.
    int hup[2];
    pipe(hup);
    add(ep, hup[0], EPOLLIN, 500);
    close(hup[1]);
    show_wait("writer closed", ep, 8, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, hup[0], NULL);
    close(hup[0]);
    pipe(hup);
    add(ep, hup[1], EPOLLOUT, 501);
    close(hup[0]);
    show_wait("reader closed", ep, 8, 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, hup[1], NULL);
    close(hup[1]);

    // Closing a descriptor: the item goes with the description, not the number.
    int gone[2];
    pipe(gone);
    add(ep, gone[0], EPOLLIN, 600);
    int copy = dup(gone[0]);
    close(gone[0]);
    write(gone[1], "z", 1);
    show_wait("closed but dup'd: still reported", ep, 8, 0);
    T("del by the closed number", epoll_ctl(ep, EPOLL_CTL_DEL, gone[0], NULL));
    T("add the copy", add(ep, copy, EPOLLIN, 601));
    show_wait("both items", ep, 8, 0);
    close(copy);
    show_wait("after the last close", ep, 8, 0);
    close(gone[1]);

    // maxevents smaller than what is ready: level-triggered items take turns.
    int e1 = eventfd(1, 0), e2 = eventfd(1, 0), e3 = eventfd(1, 0);
    int turns = epoll_create1(0);
    add(turns, e1, EPOLLIN, 1);
    add(turns, e2, EPOLLIN, 2);
    add(turns, e3, EPOLLIN, 3);
    show_wait("max 2", turns, 2, 0);
    show_wait("max 2 again", turns, 2, 0);
    show_wait("max 8", turns, 8, 0);

    // Nesting: an epoll watching another; loops are refused.
    T("add epoll to epoll", add(ep2, turns, EPOLLIN, 700));
    show_wait("outer sees the inner ready", ep2, 8, 0);
    struct pollfd p = {ep2, POLLIN, 0};
    int polled = poll(&p, 1, 0);
    printf("poll on the outer: %d 0x%x\n", polled, p.revents);
    T("loop", add(turns, ep2, EPOLLIN, 0));
    read(e1, &v, sizeof v);
    read(e2, &v, sizeof v);
    read(e3, &v, sizeof v);
    show_wait("inner drained", ep2, 8, 0);
    p.revents = 0;
    polled = poll(&p, 1, 0);
    printf("poll on the outer: %d 0x%x\n", polled, p.revents);
    post(e2);
    show_wait("inner ready again", ep2, 8, 0);
    close(e1);
    close(e2);
    close(e3);
    close(turns);
    show_wait("inner closed", ep2, 8, 0);

    // A timerfd ends a wait with nothing else to wake it.
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec twenty = {{0, 0}, {0, 20000000}};
    timerfd_settime(tfd, 0, &twenty, NULL);
    int tep = epoll_create1(0);
    add(tep, tfd, EPOLLIN, 800);
    show_wait("timerfd wakes epoll_wait(-1)", tep, 8, -1);
    read(tfd, &v, sizeof v);
    show_wait("after reading the timerfd", tep, 8, 0);

    // A signal interrupts a wait (SIGALRM with a handler); epoll_pwait's mask blocks it.
    signal(SIGALRM, on_alarm);
    // Periodic, so that a signal that came before the wait began is followed by another.
    struct itimerval alarm_in = {{0, 20000}, {0, 20000}}, no_alarm = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &alarm_in, NULL);
    show_wait("signal interrupts epoll_wait(-1)", tep, 8, -1);
    setitimer(ITIMER_REAL, &no_alarm, NULL);
    sigset_t block_alarm;
    sigemptyset(&block_alarm);
    sigaddset(&block_alarm, SIGALRM);
    setitimer(ITIMER_REAL, &alarm_in, NULL);
    int waited = epoll_pwait(tep, evs, 4, 60, &block_alarm);
    printf("epoll_pwait with SIGALRM blocked: %d\n", waited);
    sigset_t pending;
    sigpending(&pending);
    printf("SIGALRM pending afterwards: %d\n", sigismember(&pending, SIGALRM));
    setitimer(ITIMER_REAL, &no_alarm, NULL);
    sleep_ms(1); // the handler runs now that the mask is back
    close(tep);
    close(tfd);

    // Threads: a write in another thread ends an epoll_wait.
    drain(g_pipe[0]);
    pthread_t t;
    pthread_create(&t, NULL, delayed_pipe_writer, NULL);
    show_wait("woken by another thread's write", ep, 8, 5000);
    pthread_join(t, NULL);
    drain(g_pipe[0]);

    // A counting thread posts 200 times; edge-triggered waits collect all of it.
    g_efd = eventfd(0, EFD_NONBLOCK);
    int cep = epoll_create1(0);
    add(cep, g_efd, EPOLLIN | EPOLLET, 900);
    pthread_create(&t, NULL, counter, NULL);
    uint64_t total = 0;
    while (total < 200) {
        struct epoll_event one;
        if (epoll_wait(cep, &one, 1, 5000) != 1) break;
        uint64_t got;
        while (read(g_efd, &got, sizeof got) == sizeof got)
            total += got;
    }
    pthread_join(t, NULL);
    printf("edge-triggered reader collected %llu\n", (unsigned long long)total);
    return 0;
}
