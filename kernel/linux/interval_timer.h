// SPDX-License-Identifier: MIT
#pragma once

// A timer with an optional period on a kernel timer (sched/timer.h): what timerfd and the
// POSIX timers (timer_create) share. Expirations are counted, not lost: a period that passed
// while nobody looked (a late interrupt, a busy CPU) still counts when the owner catches up.
#include <stdint.h>

#include "linux/abi_types.h"
#include "lib/result.h"
#include "sched/timer.h"

namespace wisp::linux {

inline constexpr uint64_t kNsPerSecond = 1'000'000'000;

struct Itimerspec {
    Timespec interval;
    Timespec value;
};

// A valid timespec (EINVAL otherwise) in ns, saturating far in the future.
Result<uint64_t> timespec_to_ns(const Timespec& t);
Timespec ns_to_timespec(uint64_t ns);

// The clocks timers take (clock_gettime numbering); EINVAL for others.
inline constexpr int kClockRealtime = 0, kClockMonotonic = 1, kClockBoottime = 7,
                     kClockRealtimeAlarm = 8, kClockBoottimeAlarm = 9, kClockTai = 11;
bool is_realtime_clock(int clock);

class IntervalTimer {
  public:
    // Called (from the timer interrupt, or a catch_up) with how many expirations happened.
    using Expired = void (*)(IntervalTimer&, uint64_t count);

    IntervalTimer(Expired expired, void* owner);
    ~IntervalTimer() { sched::stop_timer(m_timer); }
    IntervalTimer(const IntervalTimer&) = delete;
    IntervalTimer& operator=(const IntervalTimer&) = delete;

    // Arms: first expiry at monotonic `first` (0 disarms; a time in the past expires at the
    // next check), then every `interval` ns (0: once).
    void set(uint64_t first, uint64_t interval);
    // Arms from a user's itimerspec: relative, or absolute on `clock`.
    Result<void> set(const Itimerspec& spec, int clock, bool absolute);
    // What timer_gettime/timerfd_gettime report (after counting expirations up to now).
    Itimerspec get();
    // Counts the expirations up to now, calling `expired` if there were any.
    void catch_up();
    bool armed() const { return m_expiry != 0; }
    void* owner() const { return m_owner; }

  private:
    static void fire(sched::Timer& timer);
    void catch_up(uint64_t now);

    sched::Timer m_timer;
    uint64_t m_expiry = 0; // monotonic ns; 0 = disarmed
    uint64_t m_interval = 0;
    Expired m_expired;
    void* m_owner;
};

} // namespace wisp::linux
