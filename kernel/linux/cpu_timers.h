// SPDX-License-Identifier: MIT
#pragma once

// CPU-time clocks and the timers that run on them: setitimer's ITIMER_VIRTUAL (user time) and
// ITIMER_PROF (user + system), timer_create and clock_nanosleep on CLOCK_PROCESS_CPUTIME_ID,
// CLOCK_THREAD_CPUTIME_ID and the clock_getcpuclockid/pthread_getcpuclockid clocks.
//
// A CPU clock only advances while its thread (or some thread of the process) runs, so an armed
// timer is checked by one kernel timer set for the soonest moment any of them could expire — the
// time left on its clock, from now — and re-set after each check. When a check finds the process
// has used no CPU since the last one (every thread blocked), it stops re-setting: the next
// return to user mode starts it again, so an idle process with an armed ITIMER_PROF takes no
// interrupts.
#include <stdint.h>

#include "lib/result.h"
#include "linux/interval_timer.h"
#include "linux/user_ptr.h"

namespace wisp::linux {

// Which CPU time a clock reads: the process's or one thread's, all of it or user time only.
struct CpuClock {
    int tid = 0; // 0: the whole process
    bool user_only = false;
};

// The CPU clock a clock id names (Linux include/linux/posix-timers.h: ~pid << 3, bit 2 for a
// thread, low bits PROF, VIRT, SCHED; 2 and 3 are this process and this thread): EINVAL for
// other ids, other processes and threads that are not ours.
Result<CpuClock> cpu_clock_of(int clock_id);
bool is_cpu_clock(int clock_id);
// The clock's time in ns; EINVAL when its thread has ended.
Result<uint64_t> cpu_clock_now(const CpuClock& clock);

class CpuTimer {
  public:
    // Called with how many expirations happened (from the checking kernel timer or catch_up).
    using Expired = void (*)(CpuTimer&, uint64_t count);

    constexpr CpuTimer(CpuClock clock, Expired expired, void* owner)
        : m_clock(clock), m_expired(expired), m_owner(owner) {}
    CpuTimer(const CpuTimer&) = delete;
    CpuTimer& operator=(const CpuTimer&) = delete;

    // Arms: first expiry when the clock reads `first` (0 disarms), then every `interval` ns of
    // the clock (0: once). Owners disarm (set(0, 0)) before the timer goes away.
    void set(uint64_t first, uint64_t interval);
    // From a user's itimerspec: relative to the clock's time now, or absolute on it.
    Result<void> set(const Itimerspec& spec, bool absolute);
    Itimerspec get();
    void catch_up();
    bool armed() const { return m_expiry != 0; }
    void* owner() const { return m_owner; }
    const CpuClock& clock() const { return m_clock; }
    // The clock time until the next expiry (~0: disarmed, or its thread has ended).
    uint64_t left() const;
    CpuTimer* next_armed() const { return m_next; }

  private:
    void unlink();
    // Counts expirations up to the clock's `now`, calling `expired` if there were any.
    void catch_up(uint64_t now);

    CpuClock m_clock;
    uint64_t m_expiry = 0; // clock ns; 0 = disarmed
    uint64_t m_interval = 0;
    Expired m_expired;
    void* m_owner;
    CpuTimer* m_next = nullptr; // the armed list
};

// Checks every armed CPU timer now and sets the checking kernel timer again.
void check_cpu_timers();
// Set while armed timers go unchecked because the process idled (owned by cpu_timers.cpp).
inline bool g_cpu_timer_checks_stopped = false;
void restart_cpu_timer_checks();
// On the way back to user mode: a thread is about to run, so stopped checking starts again.
inline void resume_cpu_timers() {
    if (g_cpu_timer_checks_stopped) [[unlikely]] restart_cpu_timer_checks();
}

// clock_nanosleep on a CPU clock (Linux posix_cpu_nsleep()).
Result<long> cpu_clock_nanosleep(int clock_id, int flags, UserPtr<const Timespec> request,
                                 UserPtr<Timespec> remaining);

} // namespace wisp::linux
