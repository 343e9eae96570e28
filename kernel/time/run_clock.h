// SPDX-License-Identifier: MIT
#pragma once

// A CPU's run clock: the monotonic clock minus the time the host stole from that vCPU
// (platform::stolen_ns: it wanted to run, the host ran something else). The scheduler measures
// CPU time on it, so a thread is charged for what it ran, not for how long it sat on a vCPU
// the host had taken away. Linux does the same with its run queue's clock_task
// (kernel/sched/core.c, update_rq_clock_task, CONFIG_PARAVIRT_TIME_ACCOUNTING).
#include <stdint.h>

namespace wisp::time {

class RunClock {
  public:
    // Whether advance() would move the clock, i.e. whether the steal total is worth reading.
    bool behind(uint64_t now_ns) const { return now_ns > m_wall; }
    uint64_t value() const { return m_run; }

    // Moves the clock to monotonic time `now_ns`, given the CPU's steal total at that time, and
    // returns it. Never goes backwards: a CPU's steal is published only when the host runs that
    // vCPU again, so another CPU may first count a stall as time passed; steal larger than the
    // time since the last call is kept and taken from later time (as Linux's
    // prev_steal_time_rq). A `now_ns` before the last one changes nothing.
    uint64_t advance(uint64_t now_ns, uint64_t steal_ns) {
        if (now_ns <= m_wall) return m_run;
        uint64_t passed = now_ns - m_wall;
        uint64_t stolen = steal_ns > m_steal ? steal_ns - m_steal : 0;
        if (stolen > passed) stolen = passed;
        m_wall = now_ns;
        m_steal += stolen;
        m_run += passed - stolen;
        return m_run;
    }

  private:
    uint64_t m_wall = 0;  // monotonic time of the last advance
    uint64_t m_steal = 0; // steal taken off so far
    uint64_t m_run = 0;
};

// Kernel only (run_clock.cpp): each CPU's run clock, by index, touched only under the big
// kernel lock; and the step that reads the steal time.
extern RunClock g_run_clocks[];
uint64_t advance_run_clock(unsigned cpu, uint64_t now_ns);

// The run clock of CPU `cpu` at monotonic time `now_ns`; callers hold the big kernel lock. Inline
// because a switch asks twice at the same time, and the second answer is the stored value (every
// CPL0 instruction counts on the development machines: DESIGN.md §8).
inline uint64_t cpu_run_ns(unsigned cpu, uint64_t now_ns) {
    RunClock& clock = g_run_clocks[cpu];
    if (!clock.behind(now_ns)) return clock.value();
    return advance_run_clock(cpu, now_ns);
}

} // namespace wisp::time
