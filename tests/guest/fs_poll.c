// SPDX-License-Identifier: MIT
// poll, ppoll, select, pselect over files and pipes: readiness bits, timeouts, bad descriptors
// and pointers, and a poll that waits until another thread writes.
#include "fs_check.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>

static int g_pipe[2];

static void* writer(void* arg) {
    (void)arg;
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
    write(g_pipe[1], "x", 1);
    return NULL;
}

static void show_poll(const char* label, struct pollfd* fds, int n, int timeout) {
    errno = 0;
    int r = poll(fds, n, timeout);
    if (r < 0) {
        printf("%s: %s\n", label, errno_name(errno));
        return;
    }
    printf("%s: %d", label, r);
    for (int i = 0; i < n; i++)
        printf(" [%d: 0x%x]", i, fds[i].revents);
    printf("\n");
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    setrlimit(RLIMIT_NOFILE, &(struct rlimit){1024, 1024}); // wisp's limit, whatever the host's
    enter_work_dir("poll");
    write_file("file", "data");
    int file = open("file", O_RDWR);
    pipe(g_pipe);

    struct pollfd fds[4] = {{file, POLLIN | POLLOUT, 0},
                            {g_pipe[0], POLLIN, 0},
                            {g_pipe[1], POLLOUT, 0},
                            {-1, POLLIN, 0}};
    show_poll("file, empty pipe, write end, -1", fds, 4, 0);
    write(g_pipe[1], "abc", 3);
    show_poll("pipe with data", fds, 4, 0);
    struct pollfd bad[2] = {{1000, POLLIN, 0}, {file, 0, 0}};
    show_poll("bad fd and no events", bad, 2, 0);
    struct pollfd wait_one = {g_pipe[0], POLLIN, 0};
    char buf[8];
    read(g_pipe[0], buf, sizeof buf);
    show_poll("timeout 10ms", &wait_one, 1, 10);
    close(g_pipe[1]);
    show_poll("writer closed", &wait_one, 1, 0);
    pipe(g_pipe);
    close(g_pipe[0]);
    struct pollfd write_end = {g_pipe[1], POLLOUT, 0};
    show_poll("reader closed", &write_end, 1, 0);
    close(g_pipe[1]);
    T("poll too many", SYS(SYS_poll, fds, 5000, 0));
    T("poll NULL", SYS(SYS_poll, NULL, 1, 0));
    T("poll NULL zero", SYS(SYS_poll, NULL, 0, 0));
    T("poll kernel pointer", SYS(SYS_poll, KERNEL_POINTER, 1, 0));

    // A poll that waits for another thread's write.
    pipe(g_pipe);
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    struct pollfd waiting = {g_pipe[0], POLLIN, 0};
    show_poll("poll waits for the writer", &waiting, 1, 5000);
    pthread_join(t, NULL);

    struct timespec ts = {0, 1000000};
    struct pollfd p2 = {file, POLLIN, 0};
    T("ppoll", ppoll(&p2, 1, &ts, NULL));
    struct timespec bad_ts = {0, 2000000000};
    T("ppoll bad timeout", ppoll(&p2, 1, &bad_ts, NULL));
    sigset_t mask;
    sigemptyset(&mask);
    T("ppoll with mask", ppoll(&p2, 1, &ts, &mask));

    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(file, &r);
    FD_SET(g_pipe[0], &r);
    FD_SET(g_pipe[1], &w);
    struct timeval tv = {0, 0};
    T("select", select(g_pipe[1] + 1, &r, &w, NULL, &tv));
    printf("file readable %d, pipe readable %d, pipe writable %d\n", FD_ISSET(file, &r),
           FD_ISSET(g_pipe[0], &r), FD_ISSET(g_pipe[1], &w));
    read(g_pipe[0], buf, 1);
    FD_ZERO(&r);
    FD_SET(g_pipe[0], &r);
    tv.tv_usec = 10000;
    T("select timeout", select(g_pipe[0] + 1, &r, NULL, NULL, &tv));
    FD_ZERO(&r);
    FD_SET(900, &r);
    tv.tv_usec = 0;
    T("select bad fd", select(901, &r, NULL, NULL, &tv));
    T("select negative", select(-1, NULL, NULL, NULL, &tv));
    tv.tv_usec = 2000000;
    T("select bad timeout", select(1, NULL, NULL, NULL, &tv));
    FD_ZERO(&r);
    FD_SET(file, &r);
    T("pselect", pselect(file + 1, &r, NULL, NULL, &ts, &mask));
    return 0;
}
