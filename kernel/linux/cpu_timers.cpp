// SPDX-License-Identifier: MIT
#include "linux/cpu_timers.h"

#include "linux/files.h"
#include "linux/process.h"
#include "linux/signals.h"
#include "platform/platform.h"
#include "sched/thread.h"
#include "sched/timer.h"

namespace wisp::linux {
namespace {

constexpr int kClockProcessCputime = 2, kClockThreadCputime = 3;
// The low bits of a CPU clock id: PROF (0) and SCHED (2) read user + system time, VIRT user time.
constexpr int kCpuClockVirt = 1, kCpuClockPerThread = 4;
constexpr int kTimerAbstime = 1;

// The armed timers, and the kernel timer that checks them.
CpuTimer* g_armed = nullptr;
sched::Timer g_check;
uint64_t g_cpu_at_last_check = 0; // process CPU time when the check was last set

void fire_check(sched::Timer&);

// Monotonic time before a clock with `left` ns to go could get there. A thread's clock
// advances at most as fast as the monotonic clock; the process's as fast times the CPUs. For
// it the check comes that much sooner and then looks again (the remaining time shrinks
// geometrically when fewer threads run), but not more often than once a millisecond: Linux
// checks CPU timers at its tick, which is no finer.
uint64_t soonest_expiry(const CpuTimer& timer) {
    uint64_t left = timer.left();
    unsigned cpus = platform::cpu_count();
    if (timer.clock().tid != 0 || cpus == 1) return left;
    constexpr uint64_t kFinest = 1'000'000;
    uint64_t shared = left / cpus;
    return shared >= kFinest ? shared : (left < kFinest ? left : kFinest);
}

// Sets the check for the soonest moment an armed timer could expire.
void set_check() {
    uint64_t soonest = ~0ull;
    for (CpuTimer* t = g_armed; t != nullptr; t = t->next_armed()) {
        uint64_t left = soonest_expiry(*t);
        if (left < soonest) soonest = left;
    }
    g_cpu_timer_checks_stopped = false;
    if (soonest == ~0ull) {
        sched::stop_timer(g_check);
        return;
    }
    g_cpu_at_last_check = sched::process_cpu_ns();
    g_check.fire = fire_check;
    sched::start_timer(g_check, platform::monotonic_ns() + soonest);
}

void catch_up_all() {
    for (CpuTimer* t = g_armed; t != nullptr;) {
        CpuTimer* following = t->next_armed(); // `expired` may disarm t
        t->catch_up();
        t = following;
    }
}

void fire_check(sched::Timer&) {
    bool moved = sched::process_cpu_ns() != g_cpu_at_last_check;
    catch_up_all();
    // Every thread was blocked since the last check: no clock moved, and none will before a
    // thread runs again (resume_cpu_timers) — stop rather than wake an idle CPU for nothing.
    if (!moved) {
        g_cpu_timer_checks_stopped = g_armed != nullptr;
        return;
    }
    set_check();
}

} // namespace

bool is_cpu_clock(int clock_id) {
    return clock_id == kClockProcessCputime || clock_id == kClockThreadCputime || clock_id < 0;
}

Result<CpuClock> cpu_clock_of(int clock_id) {
    if (clock_id == kClockProcessCputime) return CpuClock{0, false};
    if (clock_id == kClockThreadCputime) return CpuClock{sched::current()->tid, false};
    if (clock_id >= 0) return Errno::INVAL;
    int type = clock_id & 3;
    if (type == 3) return Errno::INVAL; // CLOCKFD: dynamic (device) clocks
    int pid = ~(clock_id >> 3);
    bool user_only = type == kCpuClockVirt;
    if (clock_id & kCpuClockPerThread) {
        if (pid == 0) return CpuClock{sched::current()->tid, user_only};
        if (!sched::find_thread(pid)) return Errno::INVAL;
        return CpuClock{pid, user_only};
    }
    if (pid != 0 && pid != Process::kPid) return Errno::INVAL;
    return CpuClock{0, user_only};
}

Result<uint64_t> cpu_clock_now(const CpuClock& clock) {
    if (clock.tid == 0) {
        uint64_t total = sched::process_cpu_ns();
        return clock.user_only ? total - sched::process_system_ns() : total;
    }
    const sched::Thread* t = sched::find_thread(clock.tid);
    if (!t) return Errno::INVAL;
    uint64_t total = sched::thread_cpu_ns(t);
    return clock.user_only ? total - sched::thread_system_ns(t) : total;
}


void CpuTimer::unlink() {
    for (CpuTimer** link = &g_armed; *link != nullptr; link = &(*link)->m_next) {
        if (*link == this) {
            *link = m_next;
            m_next = nullptr;
            return;
        }
    }
}

uint64_t CpuTimer::left() const {
    auto now = cpu_clock_now(m_clock);
    if (now.is_error() || m_expiry == 0) return ~0ull;
    return m_expiry > now.value() ? m_expiry - now.value() : 0;
}

void CpuTimer::set(uint64_t first, uint64_t interval) {
    unlink();
    m_expiry = first;
    m_interval = first == 0 ? 0 : interval;
    if (first != 0) {
        m_next = g_armed;
        g_armed = this;
    }
    set_check();
}

Result<void> CpuTimer::set(const Itimerspec& spec, bool absolute) {
    uint64_t value = TRY(timespec_to_ns(spec.value));
    uint64_t interval = TRY(timespec_to_ns(spec.interval));
    if (value == 0) {
        set(0, 0);
        return {};
    }
    uint64_t now = TRY(cpu_clock_now(m_clock));
    set(absolute ? (value == 0 ? 1 : value) : now + value, interval);
    return {};
}

Itimerspec CpuTimer::get() {
    catch_up();
    uint64_t left = m_expiry == 0 ? 0 : this->left();
    if (left == ~0ull) left = 0;
    return {ns_to_timespec(m_interval), ns_to_timespec(left)};
}

void CpuTimer::catch_up() {
    auto now = cpu_clock_now(m_clock);
    if (now.is_error()) {
        // The thread whose clock this is has ended: the timer never fires again (Linux).
        if (m_expiry != 0) set(0, 0);
        return;
    }
    catch_up(now.value());
}

void CpuTimer::catch_up(uint64_t now) {
    if (m_expiry == 0 || now < m_expiry) return;
    uint64_t count = 1;
    if (m_interval != 0) {
        count = (now - m_expiry) / m_interval + 1;
        m_expiry += count * m_interval;
    } else {
        m_expiry = 0;
        unlink();
    }
    m_expired(*this, count);
}

void check_cpu_timers() {
    catch_up_all();
    set_check();
}

void restart_cpu_timer_checks() { set_check(); }

namespace {

struct CpuSleep {
    sched::Thread* thread;
    bool done = false;
};

void sleep_expired(CpuTimer& timer, uint64_t) {
    auto* sleep = static_cast<CpuSleep*>(timer.owner());
    sleep->done = true;
    sched::wake(sleep->thread);
}

// Blocks until `clock` reads `target`: false when a signal came first.
bool sleep_on(const CpuClock& clock, uint64_t target) {
    CpuSleep sleep{sched::current()};
    CpuTimer timer(clock, sleep_expired, &sleep);
    timer.set(target, 0);
    timer.catch_up();
    sched::LinuxThread& self = sched::current()->linux;
    while (!sleep.done && !has_deliverable_signal()) {
        if (clock.tid == 0 && sched::live_threads() <= 1 && !sched::timers_pending())
            die_of_deadlock("clock_nanosleep on the process's CPU clock");
        self.interruptible = true;
        sched::block(0);
        self.interruptible = false;
    }
    timer.set(0, 0);
    return sleep.done;
}

long restart_cpu_sleep(const uint64_t* args);

// args of the restart: clock (tid, user_only), target, the remaining-time pointer.
Result<long> relative_cpu_sleep(const CpuClock& clock, uint64_t target, UserPtr<Timespec> remaining) {
    if (sleep_on(clock, target)) return 0;
    if (!remaining.is_null()) {
        auto now = cpu_clock_now(clock);
        uint64_t left = !now.is_error() && target > now.value() ? target - now.value() : 0;
        TRY(remaining.write(ns_to_timespec(left)));
    }
    return restart_with(restart_cpu_sleep, static_cast<uint64_t>(clock.tid), clock.user_only, target,
                        remaining.address());
}

long restart_cpu_sleep(const uint64_t* args) {
    CpuClock clock{static_cast<int>(args[0]), args[1] != 0};
    auto r = relative_cpu_sleep(clock, args[2], UserPtr<Timespec>(args[3]));
    return r.is_error() ? r.error().negated() : r.value();
}

} // namespace

Result<long> cpu_clock_nanosleep(int clock_id, int flags, UserPtr<const Timespec> request,
                                 UserPtr<Timespec> remaining) {
    // Linux: CLOCK_THREAD_CPUTIME_ID has no nsleep at all; a thread's own clock is EINVAL.
    if (clock_id == kClockThreadCputime) return Errno::OPNOTSUPP;
    CpuClock clock = TRY(cpu_clock_of(clock_id));
    if (clock.tid == sched::current()->tid) return Errno::INVAL;
    uint64_t ns = TRY(timespec_to_ns(TRY(request.read())));
    uint64_t now = TRY(cpu_clock_now(clock));
    if (flags & kTimerAbstime) {
        if (ns <= now || sleep_on(clock, ns)) return 0;
        return Errno::RESTARTNOHAND;
    }
    if (ns == 0) return 0;
    return relative_cpu_sleep(clock, now + ns, remaining);
}

} // namespace wisp::linux
