// SPDX-License-Identifier: MIT
// eventfd: counting and semaphore reads, non-blocking and overflow rules, flags, what fstat,
// fcntl and /proc/self/fd show, poll readiness, and readers and writers in other threads.
#include "fs_check.h"

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void show_read(const char* label, int fd) {
    uint64_t v = 0;
    errno = 0;
    ssize_t n = read(fd, &v, sizeof v);
    if (n < 0)
        printf("%s: %s\n", label, errno_name(errno));
    else
        printf("%s: %zd bytes, %llu\n", label, n, (unsigned long long)v);
}

static long write_value(int fd, uint64_t v) { return write(fd, &v, sizeof v); }

static void show_poll(const char* label, int fd) {
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    int r = poll(&p, 1, 0);
    printf("%s: %d 0x%x\n", label, r, p.revents);
}

static int g_fd;

static void* delayed_writer(void* arg) {
    sleep_ms(20);
    write_value(g_fd, (uint64_t)(uintptr_t)arg);
    return NULL;
}

static void* semaphore_reader(void* arg) {
    (void)arg;
    uint64_t v;
    read(g_fd, &v, sizeof v); // blocks until the main thread posts
    return (void*)(uintptr_t)v;
}

static void* adder(void* arg) {
    (void)arg;
    for (int i = 0; i < 1000; i++)
        write_value(g_fd, 1);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    enter_work_dir("eventfd");

    int fd = eventfd(3, 0);
    printf("eventfd(3, 0) is fd %d\n", fd);
    show_read("read initial", fd);
    T("write 5", write_value(fd, 5));
    T("write 2", write_value(fd, 2));
    show_read("read sum", fd);
    show_poll("poll empty", fd);
    T("write 1", write_value(fd, 1));
    show_poll("poll with count", fd);
    show_read("read 1", fd);

    uint32_t small = 0;
    T("read 4 bytes", read(fd, &small, sizeof small));
    T("write 4 bytes", write(fd, &small, sizeof small));
    T("write ULLONG_MAX", write_value(fd, UINT64_MAX));
    uint64_t big[2] = {4, 9};
    T("write 16 bytes", write(fd, big, sizeof big));
    T("write 4", write_value(fd, 4));
    T("read 16 bytes", read(fd, big, sizeof big));
    printf("read 16 bytes gave %llu\n", (unsigned long long)big[0]);
    T("write 6", write_value(fd, 6));
    T("read to a kernel address", SYS(SYS_read, fd, KERNEL_POINTER, 8));
    show_poll("poll after (count kept)", fd);
    T("read to an unmapped address", SYS(SYS_read, fd, WILD_POINTER, 8));
    show_poll("poll after (count consumed)", fd);
    T("write from a kernel address", SYS(SYS_write, fd, KERNEL_POINTER, 8));
    T("write from an unmapped address", SYS(SYS_write, fd, WILD_POINTER, 8));
    T("write 0", write_value(fd, 0));
    show_poll("poll after writing 0", fd);
    close(fd);

    // Flags.
    T("eventfd bad flags", eventfd(0, 0x8));
    T("eventfd2 raw bad flags", SYS(SYS_eventfd2, 0, O_APPEND));
    int nb = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    show_read("non-blocking read of 0", nb);
    printf("F_GETFL access|nonblock: 0x%x\n", fcntl(nb, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
    printf("F_GETFD: %d\n", fcntl(nb, F_GETFD));
    T("write ULLONG_MAX-1", write_value(nb, UINT64_MAX - 1));
    show_poll("poll at the maximum", nb);
    T("write 1 more (would overflow)", write_value(nb, 1));
    show_read("read the maximum", nb);
    struct stat st;
    fstat(nb, &st);
    printf("fstat: type 0%o perms 0%o nlink %lu size %lld blksize %ld\n", st.st_mode & S_IFMT,
           st.st_mode & 07777, (unsigned long)st.st_nlink, (long long)st.st_size,
           (long)st.st_blksize);
    char link[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", nb);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = '\0';
    printf("readlink: %s\n", link);
    T("lseek", lseek(nb, 0, SEEK_SET) < 0 ? -1 : 0);
    close(nb);
    int raw = SYS(SYS_eventfd, 7);
    show_read("eventfd (the old call) 7", raw);
    close(raw);

    // Semaphore mode.
    int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    show_read("semaphore read", sem);
    show_read("semaphore read", sem);
    show_read("semaphore read when 0", sem);
    close(sem);

    // Threads: a blocking read woken by another thread's write.
    g_fd = eventfd(0, 0);
    pthread_t t;
    pthread_create(&t, NULL, delayed_writer, (void*)(uintptr_t)42);
    show_read("blocking read woken by a thread", g_fd);
    pthread_join(t, NULL);
    // poll waiting for another thread.
    pthread_create(&t, NULL, delayed_writer, (void*)(uintptr_t)1);
    struct pollfd p = {g_fd, POLLIN, 0};
    int r = poll(&p, 1, 5000);
    printf("poll woken by a thread: %d 0x%x\n", r, p.revents);
    pthread_join(t, NULL);
    show_read("then read", g_fd);
    close(g_fd);

    // Four threads wait on a semaphore; posting 4 releases each with 1.
    g_fd = eventfd(0, EFD_SEMAPHORE);
    pthread_t readers[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&readers[i], NULL, semaphore_reader, NULL);
    sleep_ms(20);
    write_value(g_fd, 4);
    uintptr_t got = 0;
    for (int i = 0; i < 4; i++) {
        void* v;
        pthread_join(readers[i], &v);
        got += (uintptr_t)v;
    }
    printf("semaphore readers got %lu in total\n", (unsigned long)got);
    close(g_fd);

    // Four threads add 1000 times each.
    g_fd = eventfd(0, 0);
    pthread_t adders[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&adders[i], NULL, adder, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(adders[i], NULL);
    show_read("sum of 4 x 1000 writes", g_fd);
    close(g_fd);
    return 0;
}
