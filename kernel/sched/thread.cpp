// SPDX-License-Identifier: MIT
#include "sched/thread.h"

#include <new>

#include "lib/verify.h"
#include "mm/heap.h"
#include "platform/traps.h"
#include "sched/timer.h"
#include "time/run_clock.h"

namespace wisp::sched {
namespace {

constexpr uint64_t kKernelStackSize = 16 * 1024;
constexpr uint64_t kTimeSlice = 10'000'000; // 10 ms

// What each CPU keeps. Everything here, like the rest of this file, is touched only under the
// big kernel lock; a CPU's own entry is touched by other CPUs only to read the clock fields.
struct CpuState {
    Thread* reap = nullptr;     // a dead thread whose stack is freed once this CPU is off it
    uint64_t slice_end = 0;
    // CPU time: the running thread has run since run_start (on this CPU's run clock, which
    // leaves out steal time: time/run_clock.h) unless the CPU idles (`idle`): time spent halted
    // is nobody's.
    uint64_t run_start = 0;
    bool idle = false;
    uint64_t armed = 0;         // the deadline its timer interrupt is programmed for (0 = none)
    // Its run queue: runnable threads waiting for this CPU, FIFO (round robin). A running
    // thread is in none. A CPU with an empty queue takes (steals) from another CPU's.
    Thread* run_head = nullptr;
    Thread* run_tail = nullptr;
    // With several CPUs a CPU that has nothing to run switches to its idle thread (its own
    // stack: the thread that blocked may be woken and run elsewhere meanwhile). With one CPU
    // the blocked thread halts on its own stack, which saves two switches per sleep.
    Thread idle_thread;
};

constinit CpuState g_cpus[platform::kMaxCpus];
// Set once the other CPUs run: from then on a CPU without work switches to its idle thread.
bool g_several_cpus = false;
Thread g_first_thread;
Thread* g_ring = nullptr; // some live thread of the ring of all threads
size_t g_live = 0;
uint64_t g_reaped_cpu_ns = 0;        // CPU time of threads that are gone
uint64_t g_reaped_system_cycles = 0; // and the system-call part of it
uint64_t g_idle_cpus = 0;            // bit i: CPU i halts with nothing to run and has not been kicked

CpuState& this_cpu() { return *static_cast<CpuState*>(platform::cpu_local()); }

bool is_idle_thread(const Thread* t) { return t->tid == 0; }

uint64_t earliest(uint64_t a, uint64_t b) { return a == 0 ? b : (b == 0 || a < b ? a : b); }

void reap() {
    CpuState& cpu = this_cpu();
    if (cpu.reap == nullptr || cpu.reap == current()) return;
    Thread* dead = cpu.reap;
    cpu.reap = nullptr;
    // Unlink from the ring.
    Thread* p = dead;
    while (p->next != dead) p = p->next;
    p->next = dead->next;
    if (g_ring == dead) g_ring = dead->next;
    g_reaped_cpu_ns += dead->cpu_ns;
    g_reaped_system_cycles += dead->system_cycles;
    mm::kfree(dead->kernel_stack);
    dead->~Thread();
    // The boot thread (the program's main thread) is a static object, not a heap block: it
    // can exit (SYS_exit) while other threads live on.
    if (dead != &g_first_thread) mm::kfree(dead);
}

// Timed sleepers are counted so that the common case (none) scans nothing.
size_t g_timed_sleepers = 0;
size_t g_waiting = 0; // threads in all the run queues

uint64_t bit(unsigned cpu) { return 1ull << cpu; }
bool allowed_on(const Thread* t, unsigned cpu) { return (t->affinity >> cpu) & 1; }

// Where a thread that becomes runnable waits. An idle CPU runs it soonest: this one if it is
// idle (it is about to look), else the CPU the thread last ran on (its cache), else any; with
// every CPU busy, the one it last ran on. Always one its affinity allows.
unsigned choose_cpu(const Thread* t) {
    unsigned self = platform::cpu_index();
    uint64_t idle = g_idle_cpus & t->affinity;
    if (idle != 0) {
        if (idle & bit(self)) return self;
        if (idle & bit(t->last_cpu)) return t->last_cpu;
        return static_cast<unsigned>(__builtin_ctzll(idle));
    }
    if (allowed_on(t, t->last_cpu)) return t->last_cpu;
    if (allowed_on(t, self)) return self;
    return static_cast<unsigned>(__builtin_ctzll(t->affinity));
}

void enqueue(Thread* t) {
    if (t->queue_cpu >= 0) return;
    unsigned target = g_several_cpus ? choose_cpu(t) : 0;
    CpuState& cpu = g_cpus[target];
    t->run_next = nullptr;
    t->queue_cpu = static_cast<int8_t>(target);
    g_waiting++;
    bool was_empty = cpu.run_tail == nullptr;
    if (was_empty) cpu.run_head = t;
    else cpu.run_tail->run_next = t;
    cpu.run_tail = t;
    if (g_several_cpus && target != platform::cpu_index()) {
        // Another CPU: if it halts with nothing to run, wake it (once); a busy one keeps its
        // slice timer (arm_timer), so the thread waits at most one slice there.
        if (g_idle_cpus & bit(target)) {
            g_idle_cpus &= ~bit(target);
            platform::kick_cpu(target);
        }
    } else if (was_empty) {
        arm_timer(); // the running thread's slice must end on time
    }
}

// Takes `t` out of the queue it waits in; `previous` is the thread before it there (or none).
void unlink_queued(Thread* t, Thread* previous) {
    CpuState& cpu = g_cpus[t->queue_cpu];
    if (previous != nullptr) previous->run_next = t->run_next;
    else cpu.run_head = t->run_next;
    if (cpu.run_tail == t) cpu.run_tail = previous;
    t->run_next = nullptr;
    t->queue_cpu = -1;
    g_waiting--;
}

// A thread waiting in another CPU's queue that may run here, taken from it: the first one of
// the next CPU (in index order after this one) that has one.
[[gnu::noinline]] Thread* steal(unsigned self) {
    unsigned count = platform::cpu_count();
    for (unsigned step = 1; step < count; step++) {
        unsigned victim = (self + step) % count;
        Thread* previous = nullptr;
        for (Thread* t = g_cpus[victim].run_head; t != nullptr; previous = t, t = t->run_next) {
            if (allowed_on(t, self)) {
                unlink_queued(t, previous);
                return t;
            }
        }
    }
    return nullptr;
}

// The next thread for this CPU: the head of its own queue, else one stolen from another's.
Thread* dequeue() {
    CpuState& cpu = this_cpu();
    Thread* t = cpu.run_head;
    if (t != nullptr) {
        unlink_queued(t, nullptr);
        return t;
    }
    return g_several_cpus ? steal(platform::cpu_index()) : nullptr;
}

void make_runnable(Thread* t) {
    if (t->state == State::Blocked && t->wake_deadline != 0) g_timed_sleepers--;
    t->state = State::Runnable;
    if (t != current()) enqueue(t);
}

bool program_timer(uint64_t deadline) {
    bool available = platform::set_wakeup(deadline);
    this_cpu().armed = available ? deadline : 0;
    return available;
}

// Nothing to run on this CPU: halt until an interrupt (a deadline, a kick, a device), then wake
// expired sleepers.
void idle_wait() {
    unsigned index = platform::cpu_index();
    bool several = g_several_cpus;
    if (several) {
        g_idle_cpus |= 1ull << index;
        platform::set_cpu_idle(true);
    }
    wait_for_event(earliest(next_deadline(), next_timer_deadline()));
    if (several) {
        g_idle_cpus &= ~(1ull << index);
        platform::set_cpu_idle(false);
    }
}

// Switches to the next runnable thread (the running one goes to the back of the queue if it
// can still run); when none can run, halts until an interrupt (a deadline, a kick from another
// CPU, a signal from outside) makes one runnable.
void reschedule() {
    CpuState& cpu = this_cpu();
    Thread* previous = current();
    bool previous_idle = is_idle_thread(previous);
    uint64_t now = platform::monotonic_ns();
    if (!cpu.idle)
        previous->cpu_ns += time::cpu_run_ns(platform::cpu_index(), now) - cpu.run_start;
    if (previous->in_system_call) previous->system_cycles += platform::cycles() - previous->system_since;
    cpu.idle = true;
    for (;;) {
        Thread* next = dequeue();
        if (next == nullptr && previous->state == State::Runnable && !previous_idle &&
            allowed_on(previous, platform::cpu_index()))
            next = previous;
        if (next == nullptr && !previous_idle && g_several_cpus)
            next = &cpu.idle_thread;
        if (next != nullptr) {
            if (next != previous && previous->state == State::Runnable && !previous_idle)
                enqueue(previous);
            cpu.slice_end = now + kTimeSlice;
            cpu.run_start = time::cpu_run_ns(platform::cpu_index(), now);
            cpu.idle = is_idle_thread(next);
            if (next != previous) {
                previous->on_cpu = -1;
                next->on_cpu = static_cast<int>(platform::cpu_index());
                next->last_cpu = static_cast<uint8_t>(next->on_cpu);
                arm_timer();
                platform::switch_thread(previous->context, next->context);
                // Running again as `previous`, maybe on another CPU.
            } else {
                arm_timer();
            }
            if (Thread* self = current(); self->in_system_call) self->system_since = platform::cycles();
            reap();
            return;
        }
        // Nobody can run: halt. With no deadline at all, only a signal from outside or another
        // CPU could wake anyone — the program waits, as on Linux.
        idle_wait();
        now = platform::monotonic_ns();
    }
}

// A CPU's idle thread: look for work, halt when there is none.
[[noreturn]] void idle_loop() {
    for (;;) {
        reap();
        reschedule();
    }
}

} // namespace

// The idle wait: halt until the earliest deadline or any interrupt, then wake expired sleepers.
void wait_for_event(uint64_t deadline) {
    if (!program_timer(deadline)) {
        asm volatile("pause"); // FIXME: no local APIC timer: poll the clock
    } else {
        platform::wait_for_interrupt();
    }
    wake_expired(platform::monotonic_ns());
}

void arm_timer() {
    CpuState& cpu = this_cpu();
    uint64_t deadline = earliest(next_deadline(), next_timer_deadline());
    // Another thread waiting for the CPU: preempt at the end of the time slice. With several
    // CPUs every busy one keeps its slice timer, so a thread queued by another CPU waits at most
    // one slice.
    if (cpu.run_head != nullptr || (g_several_cpus && !cpu.idle))
        deadline = earliest(deadline, cpu.slice_end);
    // An interrupt already programmed no later than that comes first and re-arms: programming
    // the timer is a trapped MSR write, worth saving on every switch (the time slice's end moves
    // with each one) at the price of one early interrupt per slice at most.
    if (cpu.armed != 0 && (deadline == 0 || cpu.armed <= deadline)) return;
    program_timer(deadline);
}

void timer_interrupt_taken() { this_cpu().armed = 0; }


Thread* ring_start() {
    Thread* self = current();
    return is_idle_thread(self) ? g_ring : self;
}

Thread* init_first_thread() {
    platform::set_cpu_local(&g_cpus[0]);
    g_first_thread.tid = 1;
    g_first_thread.next = &g_first_thread;
    g_first_thread.on_cpu = 0;
    g_first_thread.context.owner = &g_first_thread;
    platform::adopt_boot_thread(g_first_thread.context);
    g_ring = &g_first_thread;
    g_live = 1;
    return &g_first_thread;
}

void start_secondary_cpus(uint64_t rsdp_hint) {
    unsigned count = platform::discover_cpus(rsdp_hint);
    if (count <= 1) return;
    // The boot CPU's idle thread: its own stack, entered at idle_loop.
    void* idle_stack = mm::kmalloc(kKernelStackSize);
    if (idle_stack == nullptr) return;
    g_cpus[0].idle_thread.context.owner = &g_cpus[0].idle_thread;
    platform::init_kernel_thread(g_cpus[0].idle_thread.context, reinterpret_cast<uint64_t>(idle_stack),
                                 kKernelStackSize, idle_loop);
    for (unsigned index = 1; index < count; index++) {
        void* stack = mm::kmalloc(kKernelStackSize);
        if (stack == nullptr || !platform::start_cpu(index, stack, kKernelStackSize)) {
            mm::kfree(stack);
            break;
        }
        g_several_cpus = true;
    }
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
    t->affinity = current()->affinity; // clone(2): the new thread inherits the mask
    t->last_cpu = static_cast<uint8_t>(platform::cpu_index());
    t->kernel_stack = stack;
    t->context.owner = t;
    platform::init_thread(t->context, reinterpret_cast<uint64_t>(stack), kKernelStackSize, user);
    // Insert after the creating thread in the ring, and queue it to run.
    Thread* after = ring_start();
    t->next = after->next;
    after->next = t;
    g_live++;
    enqueue(t);
    return t;
}

size_t live_threads() { return g_live; }

Thread* find_thread(int tid) {
    Thread* found = nullptr;
    for_each_thread([&](Thread* t) {
        if (t->tid == tid) found = t;
    });
    return found;
}

void set_affinity(Thread* t, uint64_t cpus) {
    t->affinity = cpus;
    unsigned self = platform::cpu_index();
    if (t == current()) {
        if (!allowed_on(t, self)) reschedule(); // it waits on an allowed CPU's queue
    } else if (t->queue_cpu >= 0 && !allowed_on(t, static_cast<unsigned>(t->queue_cpu))) {
        Thread* previous = nullptr;
        for (Thread* p = g_cpus[t->queue_cpu].run_head; p != t; p = p->run_next)
            previous = p;
        unlink_queued(t, previous);
        enqueue(t);
    } else if (t->on_cpu >= 0 && !allowed_on(t, static_cast<unsigned>(t->on_cpu))) {
        platform::kick_cpu(static_cast<unsigned>(t->on_cpu)); // should_preempt moves it
    }
}

void yield() { reschedule(); }

bool block(uint64_t deadline_ns) {
    Thread* self = current();
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

void kick(Thread* thread) {
    if (thread->on_cpu >= 0 && static_cast<unsigned>(thread->on_cpu) != platform::cpu_index())
        platform::kick_cpu(static_cast<unsigned>(thread->on_cpu));
}

void exit_current() {
    Thread* self = current();
    self->state = State::Dead;
    g_live--;
    reap();                  // a previously dead thread, if this CPU is not on its stack
    this_cpu().reap = self;  // freed once this CPU runs something else
    reschedule();
    VERIFY_NOT_REACHED();
}

void wake_expired(uint64_t now_ns) {
    run_expired_kernel_timers(now_ns);
    if (g_timed_sleepers == 0) return;
    Thread* t = g_ring;
    do {
        Thread* following = t->next;
        if (t->state == State::Blocked && t->wake_deadline != 0 && t->wake_deadline <= now_ns) {
            t->timed_out = true;
            make_runnable(t);
        }
        t = following;
    } while (t != g_ring);
}

uint64_t next_deadline() {
    if (g_timed_sleepers == 0) return 0;
    uint64_t first = 0;
    Thread* t = g_ring;
    do {
        if (t->state == State::Blocked && t->wake_deadline != 0 &&
            (first == 0 || t->wake_deadline < first))
            first = t->wake_deadline;
        t = t->next;
    } while (t != g_ring);
    return first;
}

uint64_t thread_cpu_ns(const Thread* thread) {
    uint64_t ns = thread->cpu_ns;
    if (thread->on_cpu >= 0) {
        const CpuState& cpu = g_cpus[thread->on_cpu];
        if (!cpu.idle) {
            unsigned index = static_cast<unsigned>(thread->on_cpu);
            ns += time::cpu_run_ns(index, platform::monotonic_ns()) - cpu.run_start;
        }
    }
    return ns;
}

namespace {
// The sum of `value` over every thread of the ring, those that ended but are not reaped yet
// included (for_each_thread leaves them out; their time is not in the reaped totals yet).
template<typename Fn>
uint64_t sum_over_ring(Fn&& value) {
    uint64_t sum = 0;
    Thread* t = g_ring;
    do {
        sum += value(t);
        t = t->next;
    } while (t != g_ring);
    return sum;
}
} // namespace

uint64_t process_cpu_ns() { return g_reaped_cpu_ns + sum_over_ring(thread_cpu_ns); }

namespace {
uint64_t running_system_cycles(const Thread* t) {
    uint64_t cycles = t->system_cycles;
    if (t->in_system_call && t->on_cpu >= 0 && !g_cpus[t->on_cpu].idle)
        cycles += platform::cycles() - t->system_since;
    return cycles;
}

// Never more than the thread's CPU time: the two clocks are read at different moments.
uint64_t bounded(uint64_t system_ns, uint64_t cpu_ns) { return system_ns < cpu_ns ? system_ns : cpu_ns; }
} // namespace

uint64_t thread_system_ns(const Thread* thread) {
    return bounded(platform::cycles_to_ns(running_system_cycles(thread)), thread_cpu_ns(thread));
}

uint64_t process_system_ns() {
    uint64_t cycles = g_reaped_system_cycles + sum_over_ring(running_system_cycles);
    return bounded(platform::cycles_to_ns(cycles), process_cpu_ns());
}

bool should_preempt(uint64_t now_ns) {
    CpuState& cpu = this_cpu();
    // sched_setaffinity took this CPU away from the running thread: it moves now.
    if (!allowed_on(current(), platform::cpu_index())) return true;
    if (now_ns < cpu.slice_end) return false;
    // A thread waits here, or on another CPU (which is busy too, or it would run there): the
    // slice is over, so this CPU takes a turn at the waiting ones — round robin over every CPU.
    if (cpu.run_head != nullptr || g_waiting != 0) return true;
    cpu.slice_end = now_ns + kTimeSlice; // nobody waits: a new slice
    return false;
}

} // namespace wisp::sched

namespace wisp {

void secondary_cpu_main() {
    using namespace sched;
    platform::set_cpu_local(&g_cpus[platform::cpu_index()]);
    CpuState& cpu = this_cpu();
    cpu.idle_thread.on_cpu = static_cast<int>(platform::cpu_index());
    cpu.idle_thread.context.owner = &cpu.idle_thread;
    cpu.idle = true;
    platform::adopt_boot_thread(cpu.idle_thread.context);
    idle_loop();
}

} // namespace wisp
