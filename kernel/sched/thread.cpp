// SPDX-License-Identifier: MIT
#include "sched/thread.h"

#include <new>

#include "lib/verify.h"
#include "mm/heap.h"
#include "sched/timer.h"

namespace wisp::sched {
namespace {

constexpr uint64_t kKernelStackSize = 16 * 1024;
constexpr uint64_t kTimeSlice = 10'000'000; // 10 ms

Thread g_first_thread;
Thread* g_current = nullptr;
Thread* g_reap = nullptr; // a dead thread whose stack is freed once we are off it
size_t g_live = 0;
uint64_t g_slice_end = 0;
// CPU time: the running thread has run since g_run_start (the monotonic clock's zero for the
// first thread) unless the CPU idles; threads that
// were reaped left their time in g_reaped_cpu_ns.
uint64_t g_run_start = 0;
bool g_idle = false;
uint64_t g_reaped_cpu_ns = 0;
uint64_t g_reaped_system_cycles = 0;

uint64_t earliest(uint64_t a, uint64_t b) { return a == 0 ? b : (b == 0 || a < b ? a : b); }

void reap() {
    if (g_reap == nullptr || g_reap == g_current) return;
    Thread* dead = g_reap;
    g_reap = nullptr;
    // Unlink from the ring.
    Thread* p = dead;
    while (p->next != dead) p = p->next;
    p->next = dead->next;
    g_reaped_cpu_ns += dead->cpu_ns;
    g_reaped_system_cycles += dead->system_cycles;
    mm::kfree(dead->kernel_stack);
    dead->~Thread();
    // The boot thread (the program's main thread) is a static object, not a heap block: it
    // can exit (SYS_exit) while other threads live on.
    if (dead != &g_first_thread) mm::kfree(dead);
}

// The run queue: runnable threads waiting for the CPU, FIFO (round robin). The running thread
// is never in it. Timed sleepers are counted so that the common case (none) scans nothing.
Thread* g_run_head = nullptr;
Thread* g_run_tail = nullptr;
size_t g_timed_sleepers = 0;

void enqueue(Thread* t) {
    if (t->queued) return;
    t->queued = true;
    t->run_next = nullptr;
    bool was_empty = g_run_head == nullptr;
    if (g_run_tail != nullptr) g_run_tail->run_next = t;
    else g_run_head = t;
    g_run_tail = t;
    // Someone now waits for the CPU: the running thread's slice must end on time.
    if (was_empty) arm_timer();
}

Thread* dequeue() {
    Thread* t = g_run_head;
    if (t == nullptr) return nullptr;
    g_run_head = t->run_next;
    if (g_run_head == nullptr) g_run_tail = nullptr;
    t->queued = false;
    return t;
}

void make_runnable(Thread* t) {
    if (t->state == State::Blocked && t->wake_deadline != 0) g_timed_sleepers--;
    t->state = State::Runnable;
    if (t != g_current) enqueue(t);
}

// Switches to the next runnable thread (the running one goes to the back of the queue if it
// can still run); when none can run, halts until an interrupt (a deadline, a signal from
// outside) makes one runnable.
void reschedule() {
    uint64_t now = platform::monotonic_ns();
    if (!g_idle) g_current->cpu_ns += now - g_run_start;
    if (g_current->in_system_call) g_current->system_cycles += platform::cycles() - g_current->system_since;
    g_idle = true;
    for (;;) {
        Thread* next = dequeue();
        if (next == nullptr && g_current->state == State::Runnable) next = g_current;
        if (next != nullptr) {
            if (next != g_current && g_current->state == State::Runnable) enqueue(g_current);
            g_slice_end = now + kTimeSlice;
            g_run_start = now;
            g_idle = false;
            if (next != g_current) {
                Thread* previous = g_current;
                g_current = next;
                arm_timer();
                platform::switch_thread(previous->context, next->context);
                // Running again (as `previous`).
            } else {
                arm_timer();
            }
            if (g_current->in_system_call) g_current->system_since = platform::cycles();
            reap();
            return;
        }
        // Everyone is blocked: halt until a deadline or another interrupt. With no deadline at
        // all, only a signal from outside could wake anyone — the program waits, as on Linux.
        wait_for_event(earliest(next_deadline(), next_timer_deadline()));
        now = platform::monotonic_ns();
    }
}

// The deadline the timer interrupt is programmed for (0 = none).
uint64_t g_armed = 0;

bool program_timer(uint64_t deadline) {
    bool available = platform::set_wakeup(deadline);
    g_armed = available ? deadline : 0;
    return available;
}

} // namespace

// The idle wait: halt until the earliest deadline or any interrupt, then wake expired sleepers.
void wait_for_event(uint64_t deadline) {
    if (!program_timer(deadline)) {
        asm volatile("pause"); // FIXME: no deadline timer: poll the clock
    } else {
        platform::wait_for_interrupt();
    }
    wake_expired(platform::monotonic_ns());
}

void arm_timer() {
    uint64_t deadline = earliest(next_deadline(), next_timer_deadline());
    // Another thread waiting for the CPU: preempt at the end of the time slice.
    if (g_run_head != nullptr) deadline = earliest(deadline, g_slice_end);
    // An interrupt already programmed no later than that comes first and re-arms: programming
    // the timer is a trapped MSR write, worth saving on every switch (the time slice's end moves
    // with each one) at the price of one early interrupt per slice at most.
    if (g_armed != 0 && (deadline == 0 || g_armed <= deadline)) return;
    program_timer(deadline);
}

void timer_interrupt_taken() { g_armed = 0; }

Thread* current() { return g_current; }

Thread* init_first_thread() {
    g_first_thread.tid = 1;
    g_first_thread.next = &g_first_thread;
    platform::adopt_boot_thread(g_first_thread.context);
    g_current = &g_first_thread;
    g_live = 1;
    return g_current;
}

Thread* create_thread(int tid, const TrapFrame& user) {
    void* memory = mm::kmalloc(sizeof(Thread));
    void* stack = mm::kmalloc(kKernelStackSize);
    if (memory == nullptr || stack == nullptr) {
        mm::kfree(memory);
        mm::kfree(stack);
        return nullptr;
    }
    auto* t = new (memory) Thread;
    t->tid = tid;
    t->kernel_stack = stack;
    platform::init_thread(t->context, reinterpret_cast<uint64_t>(stack), kKernelStackSize, user);
    // Insert after the current thread in the ring, and queue it to run.
    t->next = g_current->next;
    g_current->next = t;
    g_live++;
    enqueue(t);
    return t;
}

size_t live_threads() { return g_live; }

void yield() { reschedule(); }

bool block(uint64_t deadline_ns) {
    Thread* self = g_current;
    self->state = State::Blocked;
    self->wake_deadline = deadline_ns;
    self->timed_out = false;
    if (deadline_ns != 0) g_timed_sleepers++;
    reschedule();
    self->wake_deadline = 0;
    return !self->timed_out;
}

void wake(Thread* thread) {
    if (thread->state == State::Blocked) make_runnable(thread);
}

void exit_current() {
    Thread* self = g_current;
    self->state = State::Dead;
    g_live--;
    reap();         // a previously dead thread, if we are not on its stack
    g_reap = self;  // freed by whichever thread runs next
    reschedule();
    VERIFY_NOT_REACHED();
}

void wake_expired(uint64_t now_ns) {
    run_expired_kernel_timers(now_ns);
    if (g_timed_sleepers == 0) return;
    Thread* t = g_current;
    do {
        Thread* following = t->next;
        if (t->state == State::Blocked && t->wake_deadline != 0 && t->wake_deadline <= now_ns) {
            t->timed_out = true;
            make_runnable(t);
        }
        t = following;
    } while (t != g_current);
}

uint64_t next_deadline() {
    if (g_timed_sleepers == 0) return 0;
    uint64_t first = 0;
    Thread* t = g_current;
    do {
        if (t->state == State::Blocked && t->wake_deadline != 0 &&
            (first == 0 || t->wake_deadline < first))
            first = t->wake_deadline;
        t = t->next;
    } while (t != g_current);
    return first;
}

uint64_t thread_cpu_ns(const Thread* thread) {
    uint64_t ns = thread->cpu_ns;
    if (thread == g_current && !g_idle) ns += platform::monotonic_ns() - g_run_start;
    return ns;
}

uint64_t process_cpu_ns() {
    uint64_t ns = g_reaped_cpu_ns;
    Thread* t = g_current;
    do {
        ns += t->cpu_ns;
        t = t->next;
    } while (t != g_current);
    if (!g_idle) ns += platform::monotonic_ns() - g_run_start;
    return ns;
}

namespace {
uint64_t running_system_cycles(const Thread* t) {
    uint64_t cycles = t->system_cycles;
    if (t == g_current && t->in_system_call && !g_idle) cycles += platform::cycles() - t->system_since;
    return cycles;
}

// Never more than the thread's CPU time: the two clocks are read at different moments.
uint64_t bounded(uint64_t system_ns, uint64_t cpu_ns) { return system_ns < cpu_ns ? system_ns : cpu_ns; }
} // namespace

uint64_t thread_system_ns(const Thread* thread) {
    return bounded(platform::cycles_to_ns(running_system_cycles(thread)), thread_cpu_ns(thread));
}

uint64_t process_system_ns() {
    uint64_t cycles = g_reaped_system_cycles;
    Thread* t = g_current;
    do {
        cycles += running_system_cycles(t);
        t = t->next;
    } while (t != g_current);
    return bounded(platform::cycles_to_ns(cycles), process_cpu_ns());
}

bool should_preempt(uint64_t now_ns) { return g_run_head != nullptr && now_ns >= g_slice_end; }

} // namespace wisp::sched
