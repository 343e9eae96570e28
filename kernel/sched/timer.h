// SPDX-License-Identifier: MIT
#pragma once

// Kernel timers: a function called at a monotonic deadline. They run from the timer interrupt
// or the idle loop, with interrupts off, on whatever thread's kernel stack is current, so a
// timer function only records what happened and wakes threads or queues (it never blocks).
// The one hardware timer is programmed for the earliest of these, the sleepers' deadlines and
// the running thread's time slice (sched::arm_timer).
#include <stdint.h>

namespace wisp::sched {

struct Timer {
    uint64_t deadline = 0; // monotonic ns
    void (*fire)(Timer&) = nullptr;
    void* context = nullptr;
    Timer* next = nullptr; // the pending list, earliest first
    bool pending = false;
};

// Makes `timer` fire at `deadline` (replacing an earlier start). A deadline in the past fires
// at the next timer check (the next interrupt or idle wait), not inside this call.
void start_timer(Timer& timer, uint64_t deadline);
void stop_timer(Timer& timer);
// The earliest pending deadline (0 = none).
uint64_t next_timer_deadline();
// Runs (and unlinks) every timer whose deadline is at or before `now_ns`. A timer function
// may start its own timer again.
void run_expired_kernel_timers(uint64_t now_ns);
// Whether any timer is pending: something may still wake a thread that waits alone.
bool timers_pending();

} // namespace wisp::sched
