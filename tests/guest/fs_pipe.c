// SPDX-License-Identifier: MIT
// Blocking pipes between threads: a reader waits for a writer that starts later, a writer
// blocks on a full pipe until the reader drains it, EOF when the writer closes, and a blocked
// read interrupted by a signal. With the argument "deadlock" it reads an empty pipe it writes
// itself, alone — Linux would wait forever; wisp reports the deadlock (tests/vm expect test).
#include "fs_check.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

static int g_pipe[2];

static void pause_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void* late_writer(void* arg) {
    (void)arg;
    pause_ms(20);
    write(g_pipe[1], "late", 4);
    return NULL;
}

static void* big_writer(void* arg) {
    long total = (long)arg, done = 0;
    static char chunk[30000];
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (char)(i % 251);
    while (done < total) {
        long n = total - done < (long)sizeof chunk ? total - done : (long)sizeof chunk;
        long w = write(g_pipe[1], chunk, n);
        if (w <= 0) break;
        done += w;
    }
    close(g_pipe[1]);
    return (void*)done;
}

static void on_alarm(int sig) {
    (void)sig;
}

static void* signaller(void* arg) {
    pthread_t target = *(pthread_t*)arg;
    pause_ms(20);
    pthread_kill(target, SIGUSR1);
    return NULL;
}

static void* fifo_writer(void* arg) {
    pause_ms(20);
    int fd = open((const char*)arg, O_WRONLY);
    write(fd, "via fifo", 8);
    close(fd); // may close before the reader even runs again
    return NULL;
}

int main(int argc, char** argv) {
    char buf[64] = {0};
    pthread_t t;
    if (argc > 1 && !strcmp(argv[1], "deadlock")) {
        pipe(g_pipe);
        return (int)read(g_pipe[0], buf, 1);
    }
    pipe(g_pipe);
    pthread_create(&t, NULL, late_writer, NULL);
    T("blocking read waits for the writer", read(g_pipe[0], buf, sizeof buf));
    printf("got: %s\n", buf);
    pthread_join(t, NULL);

    // 300 KB through a 64 KiB pipe: the writer blocks, the reader drains.
    void* written;
    pthread_create(&t, NULL, big_writer, (void*)300000L);
    static char in[8192];
    long total = 0, sum = 0, n;
    pause_ms(10);
    while ((n = read(g_pipe[0], in, sizeof in)) > 0) {
        for (long i = 0; i < n; i++)
            sum += (unsigned char)in[i];
        total += n;
    }
    pthread_join(t, &written);
    printf("read %ld of %ld bytes, checksum %ld, then %s\n", total, (long)written, sum,
           n == 0 ? "EOF" : errno_name(errno));
    close(g_pipe[0]);

    // A fifo: the reader's open waits for the writer's, even if the writer is gone again.
    char fifo[64];
    snprintf(fifo, sizeof fifo, "/tmp/wisp-fifo-%d", (int)getpid());
    mkfifo(fifo, 0600);
    pthread_create(&t, NULL, fifo_writer, fifo);
    int fd = open(fifo, O_RDONLY);
    T("fifo open waits for a writer", fd >= 0 ? 0 : -1);
    memset(buf, 0, sizeof buf);
    T("fifo read", read(fd, buf, sizeof buf - 1));
    printf("fifo data: %s\n", buf);
    pthread_join(t, NULL);
    close(fd);
    unlink(fifo);

    // A signal ends a blocked read with EINTR (no SA_RESTART).
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGUSR1, &sa, NULL);
    pipe(g_pipe);
    pthread_t self = pthread_self();
    pthread_create(&t, NULL, signaller, &self);
    T("read interrupted", read(g_pipe[0], buf, sizeof buf));
    pthread_join(t, NULL);
    return 0;
}
