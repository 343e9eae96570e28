// SPDX-License-Identifier: MIT
// Stress with checked results: 64 threads hammering one mutex, a condition-variable queue with
// 32 producers and 32 consumers, 64 threads in barrier rounds, a producer and a consumer over a
// pipe (1 MiB in uneven chunks, verified byte by byte), and sleep accuracy (10 ms sleeps never
// end early; the median overshoot is small). Prints only counts and checks.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kThreads = 64 };

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void start_all(pthread_t* threads, int n, void* (*fn)(void*)) {
    for (long i = 0; i < n; i++)
        if (pthread_create(&threads[i], NULL, fn, (void*)i) != 0) {
            printf("pthread_create failed\n");
            exit(1);
        }
}

static void join_all(pthread_t* threads, int n) {
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
}

// Each part hammers for kPartNs of wall time: the same checks hold however much got done,
// natively and in wisp (where every futex call costs hundreds of emulated kernel instructions).
static const uint64_t kPartNs = 700000000ull;
static uint64_t g_deadline;
static int past_deadline(long i) { return i % 8 == 0 && now_ns() > g_deadline; }

// ---- 64 threads, one mutex ----
static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static uint64_t g_counter;
static uint64_t g_per_thread[kThreads];
static uint64_t g_owner_violations;
static volatile long g_owner = -1;

static void* mutex_hammer(void* arg) {
    long id = (long)arg;
    uint64_t mine = 0;
    for (long i = 1; !past_deadline(i); i++) {
        pthread_mutex_lock(&g_mutex);
        if (g_owner != -1) g_owner_violations++;
        g_owner = id;
        g_counter++;
        if (i % 200 == 0) sched_yield(); // hold the lock across a switch now and then
        g_owner = -1;
        pthread_mutex_unlock(&g_mutex);
        mine++;
    }
    g_per_thread[id] = mine;
    return NULL;
}

// ---- a bounded queue: 32 producers, 32 consumers ----
enum { kProducers = 32, kQueueSize = 16 };
static pthread_mutex_t g_queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_not_full = PTHREAD_COND_INITIALIZER;
static uint64_t g_queue[kQueueSize];
static int g_head, g_count, g_producers_left = kProducers;
static uint64_t g_produced_sum, g_produced_items, g_consumed_sum, g_consumed_items;

static void* producer(void* arg) {
    long id = (long)arg;
    uint64_t sum = 0, items = 0;
    for (long i = 1; !past_deadline(i); i++) {
        uint64_t item = (uint64_t)id * 1000003 + (uint64_t)i;
        pthread_mutex_lock(&g_queue_lock);
        while (g_count == kQueueSize)
            pthread_cond_wait(&g_not_full, &g_queue_lock);
        g_queue[(g_head + g_count) % kQueueSize] = item;
        g_count++;
        pthread_cond_signal(&g_not_empty);
        pthread_mutex_unlock(&g_queue_lock);
        sum += item;
        items++;
    }
    pthread_mutex_lock(&g_queue_lock);
    g_produced_sum += sum;
    g_produced_items += items;
    if (--g_producers_left == 0) pthread_cond_broadcast(&g_not_empty);
    pthread_mutex_unlock(&g_queue_lock);
    return NULL;
}

static void* consumer(void* arg) {
    (void)arg;
    uint64_t sum = 0, items = 0;
    for (;;) {
        pthread_mutex_lock(&g_queue_lock);
        while (g_count == 0 && g_producers_left > 0)
            pthread_cond_wait(&g_not_empty, &g_queue_lock);
        if (g_count == 0) {
            pthread_mutex_unlock(&g_queue_lock);
            break;
        }
        uint64_t item = g_queue[g_head];
        g_head = (g_head + 1) % kQueueSize;
        g_count--;
        pthread_cond_signal(&g_not_full);
        pthread_mutex_unlock(&g_queue_lock);
        sum += item;
        items++;
    }
    pthread_mutex_lock(&g_queue_lock);
    g_consumed_sum += sum;
    g_consumed_items += items;
    pthread_mutex_unlock(&g_queue_lock);
    return NULL;
}

// ---- barrier rounds ----
enum { kMinRounds = 3 };
static pthread_barrier_t g_barrier;
static volatile int g_slots[kThreads];
static volatile int g_stop_rounds;
static uint64_t g_barrier_mismatches;
static int g_rounds;
static pthread_mutex_t g_mismatch_lock = PTHREAD_MUTEX_INITIALIZER;

static void* barrier_rounds(void* arg) {
    long id = (long)arg;
    uint64_t mismatches = 0;
    int round = 0;
    for (;;) {
        round++;
        g_slots[id] = round;
        pthread_barrier_wait(&g_barrier);
        for (int i = 0; i < kThreads; i++)
            if (g_slots[i] != round) mismatches++;
        // At least kMinRounds, then until the deadline; read by all after the barrier.
        if (id == 0) g_stop_rounds = round >= kMinRounds && now_ns() > g_deadline;
        pthread_barrier_wait(&g_barrier); // nobody writes the next round before all checked
        if (g_stop_rounds) break;
    }
    pthread_mutex_lock(&g_mismatch_lock);
    g_barrier_mismatches += mismatches;
    if (id == 0) g_rounds = round;
    pthread_mutex_unlock(&g_mismatch_lock);
    return NULL;
}

// ---- a pipe between two threads ----
enum { kPipeBytes = 1 << 20 };
static int g_pipe[2];

static void* pipe_writer(void* arg) {
    (void)arg;
    static unsigned char chunk[9000];
    size_t sent = 0, step = 1;
    while (sent < kPipeBytes) {
        size_t n = step % sizeof chunk + 1;
        if (n > kPipeBytes - sent) n = kPipeBytes - sent;
        for (size_t i = 0; i < n; i++)
            chunk[i] = (unsigned char)((sent + i) % 251);
        if (write(g_pipe[1], chunk, n) != (ssize_t)n) {
            printf("short pipe write\n");
            break;
        }
        sent += n;
        step = step * 7 + 3;
    }
    close(g_pipe[1]);
    return NULL;
}

// How long each part took, on stderr (not compared: it differs between runs).
static uint64_t g_part_start;
static void part_done(const char* name) {
    uint64_t now = now_ns();
    fprintf(stderr, "%s: %llu ms\n", name, (unsigned long long)((now - g_part_start) / 1000000));
    g_part_start = now;
}

static int compare_u64(const void* a, const void* b) {
    uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
    return x < y ? -1 : x > y;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t threads[kThreads];
    g_part_start = now_ns();

    g_deadline = now_ns() + kPartNs;
    start_all(threads, kThreads, mutex_hammer);
    join_all(threads, kThreads);
    uint64_t sum = 0;
    int starved = 0;
    for (int i = 0; i < kThreads; i++) {
        sum += g_per_thread[i];
        if (g_per_thread[i] == 0) starved++;
    }
    printf("mutex: counter equals the threads' own counts %d, threads that never got it %d, "
           "owner violations %llu\n",
           g_counter == sum && sum > 0, starved, (unsigned long long)g_owner_violations);
    part_done("mutex");

    g_deadline = now_ns() + kPartNs;
    start_all(threads, kProducers, producer);
    start_all(threads + kProducers, kThreads - kProducers, consumer);
    join_all(threads, kThreads);
    printf("condvar queue: items consumed = produced %d, sums equal %d\n",
           g_consumed_items == g_produced_items && g_produced_items > 0,
           g_consumed_sum == g_produced_sum);
    part_done("condvar");

    g_deadline = now_ns() + kPartNs;
    pthread_barrier_init(&g_barrier, NULL, kThreads);
    start_all(threads, kThreads, barrier_rounds);
    join_all(threads, kThreads);
    pthread_barrier_destroy(&g_barrier);
    printf("barrier: %d threads, rounds >= %d %d, mismatches %llu\n", kThreads, kMinRounds,
           g_rounds >= kMinRounds,
           (unsigned long long)g_barrier_mismatches);
    fprintf(stderr, "barrier rounds: %d\n", g_rounds);
    part_done("barrier");

    pipe(g_pipe);
    pthread_t writer;
    pthread_create(&writer, NULL, pipe_writer, NULL);
    static unsigned char buffer[65536];
    size_t received = 0, bad = 0, reads = 0;
    for (;;) {
        size_t want = reads % 3 == 0 ? 100 : sizeof buffer; // uneven reads as well
        ssize_t n = read(g_pipe[0], buffer, want);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; i++)
            if (buffer[i] != (unsigned char)((received + (size_t)i) % 251)) bad++;
        received += (size_t)n;
        reads++;
    }
    pthread_join(writer, NULL);
    close(g_pipe[0]);
    printf("pipe: %zu bytes received, %zu wrong\n", received, bad);
    part_done("pipe");

    enum { kSleeps = 21 };
    uint64_t took[kSleeps];
    int early = 0;
    for (int i = 0; i < kSleeps; i++) {
        struct timespec ten_ms = {0, 10000000};
        uint64_t start = now_ns();
        nanosleep(&ten_ms, NULL);
        took[i] = now_ns() - start;
        if (took[i] < 10000000ull) early++;
    }
    qsort(took, kSleeps, sizeof took[0], compare_u64);
    printf("sleep 10 ms x %d: ended early %d, median under 30 ms %d\n", kSleeps, early,
           took[kSleeps / 2] < 30000000ull);
    part_done("sleep");
    // Absolute deadlines do not drift: 20 periods of 10 ms end after >= 200 ms and well before
    // 20 periods of 10 ms plus a late wake each would (< 1 s, generous for a loaded host).
    uint64_t begin = now_ns(); // before the first deadline's base: the periods end >= 200 ms later
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (int i = 0; i < 20; i++) {
        next.tv_nsec += 10000000;
        if (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    uint64_t total = now_ns() - begin;
    printf("20 absolute 10 ms periods: >= 200 ms %d, < 1 s %d\n", total >= 200000000ull,
           total < 1000000000ull);
    part_done("periods");
    return 0;
}
