// SPDX-License-Identifier: MIT
#include "sched/timer.h"

#include "sched/thread.h"

namespace wisp::sched {
namespace {

Timer* g_pending = nullptr; // sorted by deadline; few timers, so a list

void unlink(Timer& timer) {
    for (Timer** link = &g_pending; *link; link = &(*link)->next) {
        if (*link == &timer) {
            *link = timer.next;
            break;
        }
    }
    timer.next = nullptr;
    timer.pending = false;
}

} // namespace

void start_timer(Timer& timer, uint64_t deadline) {
    if (timer.pending) unlink(timer);
    timer.deadline = deadline;
    Timer** link = &g_pending;
    while (*link && (*link)->deadline <= deadline)
        link = &(*link)->next;
    timer.next = *link;
    *link = &timer;
    timer.pending = true;
    if (g_pending == &timer) arm_timer();
}

void stop_timer(Timer& timer) {
    if (!timer.pending) return;
    bool first = g_pending == &timer;
    unlink(timer);
    if (first) arm_timer();
}

uint64_t next_timer_deadline() { return g_pending ? g_pending->deadline : 0; }

void run_expired_kernel_timers(uint64_t now_ns) {
    while (g_pending && g_pending->deadline <= now_ns) {
        Timer* t = g_pending;
        g_pending = t->next;
        t->next = nullptr;
        t->pending = false;
        t->fire(*t);
    }
}

bool timers_pending() { return g_pending != nullptr; }

} // namespace wisp::sched
