// SPDX-License-Identifier: MIT
#pragma once

// Threads and the scheduler: a run queue per CPU, round robin, preemption by each CPU's timer
// interrupt when another thread waits. A thread that becomes runnable waits on an idle CPU if
// there is one (which is kicked), else on the CPU it last ran on; a CPU whose queue is empty
// takes a waiting thread from another's, when it would idle and at the end of each time slice,
// so every CPU shares the waiting threads. Affinity masks (sched_setaffinity) bound all of it.
// Kernel code runs under the big kernel lock (platform.h) with interrupts off, so the shared
// state here needs no lock of its own; what is per CPU (the running thread, its queue, its time
// slice, the timer) is kept by platform::cpu_index(). A thread blocks with an optional deadline;
// wake() makes it runnable again.
#include <stdint.h>

#include "platform/platform.h"

namespace wisp::linux {
struct QueuedSignal;
}

namespace wisp::sched {

enum class State : uint8_t { Runnable, Blocked, Dead };

// The Linux personality's per-thread state (linux/ owns its meaning).
struct LinuxThread {
    uint64_t clear_child_tid = 0;  // set_tid_address / CLONE_CHILD_CLEARTID
    uint64_t robust_list = 0, robust_list_len = 0;
    uint64_t blocked_signals = 0;  // the signal mask
    uint64_t pending_signals = 0;  // signals sent to this thread (tgkill, faults)
    linux::QueuedSignal* signal_queue = nullptr; // their queued siginfo, in arrival order
    uint64_t altstack_sp = 0, altstack_size = 0;
    bool altstack_disabled = true;
    uint64_t suspended_mask = 0;   // rt_sigsuspend: restored after the handler
    bool restore_suspended_mask = false;
    TrapFrame* frame = nullptr;    // the user context of the system call in progress
    // futex wait (linux/futex.cpp keeps the waiters in a FIFO list through futex_next)
    uint64_t futex_address = 0;
    uint32_t futex_bitset = 0;
    struct Thread* futex_next = nullptr;
    bool interruptible = false;    // a blocked wait that a signal ends (EINTR)
    // A system call that returned a restart code (Errno::RESTART*): its number, until signal
    // delivery on the way out decides between EINTR and running it again; -1 otherwise.
    int32_t restart_number = -1;
    // restart_syscall(2): how an interrupted timed wait goes on (ERESTART_RESTARTBLOCK).
    long (*restart_fn)(const uint64_t* args) = nullptr;
    uint64_t restart_args[4] = {};
    // sched_setscheduler: recorded and reported; the scheduler treats every thread alike.
    int32_t sched_policy = 0;      // SCHED_OTHER, with SCHED_RESET_ON_FORK if set
    int32_t sched_priority = 0;
};

struct Thread {
    int tid = 0;
    State state = State::Runnable;
    Thread* next = nullptr;        // the ring of all live threads, in creation order
    Thread* run_next = nullptr;    // its CPU's run queue (runnable threads other than the running ones)
    int8_t queue_cpu = -1;         // the CPU whose run queue it is in, -1 when in none
    uint8_t last_cpu = 0;          // the CPU it ran on last
    uint64_t affinity = ~0ull;     // the CPUs it may run on (sched_setaffinity), bit i: CPU i
    uint64_t wake_deadline = 0;    // monotonic ns for a timed block, 0 = none
    bool timed_out = false;        // the last block ended by its deadline
    void* kernel_stack = nullptr;  // freed when the thread is reaped (0 for the boot thread)
    uint64_t cpu_ns = 0;           // time on the CPU up to its last switch away
    // The part of it spent in system calls (system time; the rest is user time), in TSC cycles:
    // a system call runs from enter_system_call() to leave_system_call(), and its clock stops
    // while the thread is switched away.
    uint64_t system_cycles = 0;
    uint64_t system_since = 0;     // cycles when it entered the call or was switched back in
    bool in_system_call = false;
    int on_cpu = -1;               // the CPU running it, -1 when none
    LinuxThread linux;
    platform::ThreadContext context;
};

// The running thread (on an idle CPU: that CPU's idle thread, which is in no list).
inline Thread* current() { return static_cast<Thread*>(platform::running_context()->owner); }
// Starts the other CPUs (platform::discover_cpus); each runs threads from its run queue.
// Call once, after init_first_thread.
void start_secondary_cpus(uint64_t rsdp_hint);
// If `thread` is running on another CPU, interrupts that CPU so it looks at its signals.
void kick(Thread* thread);
// A live thread to start walking the ring of all threads from: the running one if it is in it.
Thread* ring_start();
// Makes the boot path the first thread (tid 1).
Thread* init_first_thread();
// Creates a runnable thread that returns to user mode with `user`. nullptr on out of memory.
Thread* create_thread(int tid, const TrapFrame& user);
size_t live_threads();
// The live thread with this id, or nullptr.
Thread* find_thread(int tid);
// sched_setaffinity: `thread` runs only on the CPUs of `cpus` (bit i: CPU i; at least one that
// runs). If it runs on another one it moves: at once if it is the caller, else at the next
// interrupt of the CPU it runs on (which is kicked).
void set_affinity(Thread* thread, uint64_t cpus);

// Gives the CPU to the next runnable thread, if any.
void yield();
// Blocks the running thread until wake() (or the deadline, monotonic ns, if not 0). Returns
// false when the deadline ended the wait.
bool block(uint64_t deadline_ns);
void wake(Thread* thread);
// The running thread ends (after its own cleanup). Never returns.
[[noreturn]] void exit_current();

// For the timer: runs expired kernel timers and wakes threads whose deadline passed; the earliest pending deadline (0 = none);
// whether the running thread's time slice is over and another thread could run.
void wake_expired(uint64_t now_ns);
uint64_t next_deadline();
bool should_preempt(uint64_t now_ns);
// Halts until `deadline` (monotonic ns, 0 = none) or any interrupt; wakes expired sleepers.
void wait_for_event(uint64_t deadline);
// CPU time (ns) of one thread, and of the whole process (live threads and those that ended).
// Time the CPU spends halted is nobody's.
uint64_t thread_cpu_ns(const Thread* thread);
uint64_t process_cpu_ns();
// The system-call part of those (system time). Two cycle-counter reads per system call: the
// clock is not read on that path. Time in interrupts and page faults counts as user time.
// `t`: the running thread.
inline void enter_system_call(Thread* t) {
    t->in_system_call = true;
    t->system_since = platform::cycles();
}
inline void leave_system_call(Thread* t) {
    t->system_cycles += platform::cycles() - t->system_since;
    t->in_system_call = false;
}
uint64_t thread_system_ns(const Thread* thread);
uint64_t process_system_ns();
// Reprograms the timer interrupt for the earliest deadline: sleepers, kernel timers
// (sched/timer.h) and the end of the time slice.
void arm_timer();
// The timer interrupt came: whatever was programmed has fired.
void timer_interrupt_taken();

template<typename Fn>
void for_each_thread(Fn&& fn) {
    Thread* start = ring_start();
    Thread* t = start;
    do {
        if (t->state != State::Dead) fn(t);
        t = t->next;
    } while (t != start);
}

} // namespace wisp::sched
