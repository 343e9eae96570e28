// SPDX-License-Identifier: MIT
// Threads: creation and join, mutex/condvar/barrier hammering by 64 threads, thread-local
// storage, per-thread ids, a condvar timeout, preemption of a spinning thread, pthread_kill to
// one thread, detached threads. Deterministic output only; compared with native Linux.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define THREADS 16
#define ROUNDS 500

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static long counter;
static __thread int tls_value;
static pthread_barrier_t barrier;
static int after_barrier;

static void* hammer(void* arg) {
    long id = (long)arg;
    tls_value = (int)id;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        if (i % 500 == 0) sched_yield();
    }
    pthread_barrier_wait(&barrier);
    pthread_mutex_lock(&lock);
    after_barrier++;
    pthread_mutex_unlock(&lock);
    return (void*)(long)(tls_value == (int)id);
}

// Producer/consumer over a condition variable.
static int queue[16], head, tail, produced_sum, consumed_sum;
static void* consumer(void* arg) {
    (void)arg;
    for (int n = 0; n < 1000; n++) {
        pthread_mutex_lock(&lock);
        while (head == tail) pthread_cond_wait(&changed, &lock);
        consumed_sum += queue[head++ % 16];
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static volatile int stop_spinning;
static void* spinner(void* arg) {
    (void)arg;
    while (!stop_spinning) {
    }
    return NULL;
}

static volatile pid_t handler_tid;
static void on_usr1(int sig) {
    (void)sig;
    handler_tid = (pid_t)syscall(SYS_gettid);
}
static volatile int target_ready;
static pid_t target_tid;
static void* signal_target(void* arg) {
    (void)arg;
    target_tid = (pid_t)syscall(SYS_gettid);
    target_ready = 1;
    struct timespec d = {0, 1000000};
    for (int i = 0; i < 2000 && handler_tid == 0; i++) nanosleep(&d, NULL);
    return NULL;
}

static int detached_done;
static void* detached(void* arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    detached_done = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    return NULL;
}

// The thread count procfs reports: /proc/self/status "Threads:" and field 20 of /proc/self/stat.
static void print_thread_counts(void) {
    char text[4096];
    FILE* f = fopen("/proc/self/status", "r");
    int status_threads = -1, stat_threads = -1;
    while (f && fgets(text, sizeof text, f))
        if (sscanf(text, "Threads: %d", &status_threads) == 1) break;
    if (f) fclose(f);
    f = fopen("/proc/self/stat", "r");
    if (f && fgets(text, sizeof text, f)) {
        char* p = strrchr(text, ')'); // comm may hold spaces; the fields after it do not
        for (int field = 2; p && field < 20; field++) p = strchr(p + 1, ' ');
        if (p) stat_threads = atoi(p + 1);
    }
    if (f) fclose(f);
    printf("procfs threads: status %d, stat %d\n", status_threads, stat_threads);
}

int main(void) {
    pthread_t threads[THREADS];
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (long i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, hammer, (void*)i);
    int tls_ok = 0;
    for (int i = 0; i < THREADS; i++) {
        void* result;
        pthread_join(threads[i], &result);
        tls_ok += (long)result;
    }
    printf("counter=%ld after_barrier=%d tls_ok=%d\n", counter, after_barrier, tls_ok);

    pthread_t c;
    pthread_create(&c, NULL, consumer, NULL);
    for (int n = 0; n < 1000; n++) {
        pthread_mutex_lock(&lock);
        while (tail - head == 16) pthread_cond_wait(&changed, &lock);
        queue[tail++ % 16] = n;
        produced_sum += n;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
    }
    pthread_join(c, NULL);
    printf("producer/consumer: %d %d\n", produced_sum, consumed_sum);

    pthread_mutex_lock(&lock);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 20000000;
    if (deadline.tv_nsec >= 1000000000) deadline.tv_sec++, deadline.tv_nsec -= 1000000000;
    int r = pthread_cond_timedwait(&changed, &lock, &deadline);
    pthread_mutex_unlock(&lock);
    printf("timedwait: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "other");

    // The main thread sleeps while another spins: the spinner must be preempted for main to
    // run again and stop it.
    pthread_t s;
    pthread_create(&s, NULL, spinner, NULL);
    struct timespec d = {0, 50000000};
    nanosleep(&d, NULL);
    print_thread_counts();
    stop_spinning = 1;
    pthread_join(s, NULL);
    printf("preemption: ok\n");

    signal(SIGUSR1, on_usr1);
    pthread_t t;
    pthread_create(&t, NULL, signal_target, NULL);
    while (!target_ready) sched_yield();
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("pthread_kill reached the target: %d, main tid is pid: %d\n", handler_tid == target_tid,
           (pid_t)syscall(SYS_gettid) == getpid());

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t dt;
    pthread_create(&dt, &attr, detached, NULL);
    pthread_mutex_lock(&lock);
    while (!detached_done) pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    printf("detached: %d\n", detached_done);
    return 0;
}
