// SPDX-License-Identifier: MIT
// Sleeping and the interval timers: nanosleep, clock_nanosleep, alarm, setitimer and getitimer
// (ITIMER_REAL here; ITIMER_VIRTUAL and ITIMER_PROF on CPU-time clocks, linux/cpu_timers.h).
// The CPU halts while it
// waits (platform::wait_until), woken by the APIC deadline timer.
#include "linux/abi_types.h"
#include "linux/cpu_timers.h"
#include "linux/signals.h"
#include "linux/syscalls.h"
#include "platform/platform.h"
#include "platform/traps.h"
#include "sched/thread.h"
#include "sched/timer.h"

namespace wisp::linux {
namespace {

constexpr uint64_t kNsPerSec = 1'000'000'000;
constexpr int kSigAlrm = 14;
constexpr int kTimerAbstime = 1;
constexpr int kItimerReal = 0, kItimerVirtual = 1, kItimerProf = 2;

// ITIMER_REAL (and alarm): SIGALRM from a kernel timer, so it also interrupts a program that
// is busy in user mode (the interrupt's return path delivers it).
struct RealTimer {
    uint64_t expiry_ns = 0;   // monotonic; 0 = disarmed
    uint64_t interval_ns = 0;
    sched::Timer timer;
};
RealTimer g_real_timer;

void fire_real_timer(sched::Timer&) {
    RealTimer& t = g_real_timer;
    uint64_t now = platform::monotonic_ns();
    send_signal(SignalInfo{kSigAlrm, 0x80 /* SI_KERNEL */, 0, 0, 0, 0, 0});
    if (t.interval_ns != 0) {
        uint64_t missed = (now - t.expiry_ns) / t.interval_ns + 1;
        t.expiry_ns += missed * t.interval_ns;
        sched::start_timer(t.timer, t.expiry_ns);
    } else {
        t.expiry_ns = 0;
    }
}

void set_real_timer(uint64_t expiry_ns, uint64_t interval_ns) {
    RealTimer& t = g_real_timer;
    t.expiry_ns = expiry_ns;
    t.interval_ns = expiry_ns == 0 ? 0 : interval_ns;
    t.timer.fire = fire_real_timer;
    if (expiry_ns == 0) sched::stop_timer(t.timer);
    else sched::start_timer(t.timer, expiry_ns);
}

struct Itimerval {
    Timeval interval;
    Timeval value;
};

// ITIMER_VIRTUAL counts the process's user time and sends SIGVTALRM, ITIMER_PROF its user and
// system time and sends SIGPROF (Linux kernel/time/itimer.c), both to the process.
constexpr int kSigVtalrm = 26, kSigProf = 27;
void fire_cpu_itimer(CpuTimer& timer, uint64_t);
CpuTimer g_virtual_timer({0, true}, fire_cpu_itimer, nullptr);
CpuTimer g_prof_timer({0, false}, fire_cpu_itimer, nullptr);

void fire_cpu_itimer(CpuTimer& timer, uint64_t) {
    int signal = &timer == &g_virtual_timer ? kSigVtalrm : kSigProf;
    send_signal(SignalInfo{signal, kSiKernel, 0, 0, 0, 0, 0});
}

CpuTimer& cpu_itimer(int which) { return which == kItimerVirtual ? g_virtual_timer : g_prof_timer; }

Result<uint64_t> timespec_ns(UserPtr<const Timespec> ts) {
    Timespec t = TRY(ts.read());
    if (t.tv_sec < 0 || t.tv_nsec < 0 || t.tv_nsec >= static_cast<int64_t>(kNsPerSec))
        return Errno::INVAL;
    if (static_cast<uint64_t>(t.tv_sec) > (~0ull - kNsPerSec) / kNsPerSec) return ~0ull >> 1;
    return static_cast<uint64_t>(t.tv_sec) * kNsPerSec + static_cast<uint64_t>(t.tv_nsec);
}

Result<uint64_t> timeval_ns(const Timeval& t) {
    if (t.tv_sec < 0 || t.tv_usec < 0 || t.tv_usec >= 1'000'000) return Errno::INVAL;
    return static_cast<uint64_t>(t.tv_sec) * kNsPerSec + static_cast<uint64_t>(t.tv_usec) * 1000;
}

Timeval ns_timeval(uint64_t ns) {
    return {static_cast<int64_t>(ns / kNsPerSec), static_cast<int64_t>(ns % kNsPerSec / 1000)};
}

} // namespace

namespace {

// Sleeps until monotonic `target`; false when a signal became deliverable first. Other threads
// run meanwhile; the CPU halts when none can.
bool sleep_until(uint64_t target) {
    if (has_deliverable_signal()) return false;
    if (platform::monotonic_ns() >= target) return true;
    return wait_interruptible(target);
}

long restart_relative_sleep(const uint64_t* args);

// A relative sleep to monotonic `target` (Linux do_nanosleep()): interrupted, it reports what
// was left and ends with RESTART_RESTARTBLOCK — EINTR when a handler runs, else restart_syscall
// sleeps on to the same target.
Result<long> relative_sleep(uint64_t target, UserPtr<Timespec> remaining) {
    if (sleep_until(target)) return 0;
    if (!remaining.is_null()) {
        uint64_t after = platform::monotonic_ns();
        uint64_t left = target > after ? target - after : 0;
        TRY(remaining.write(Timespec{static_cast<int64_t>(left / kNsPerSec),
                                     static_cast<int64_t>(left % kNsPerSec)}));
    }
    return restart_with(restart_relative_sleep, target, remaining.address());
}

// args: monotonic target, the remaining-time pointer.
long restart_relative_sleep(const uint64_t* args) {
    auto r = relative_sleep(args[0], UserPtr<Timespec>(args[1]));
    return r.is_error() ? r.error().negated() : r.value();
}

Result<long> nanosleep_common(int clock, int flags, UserPtr<const Timespec> request,
                              UserPtr<Timespec> remaining) {
    uint64_t ns = TRY(timespec_ns(request));
    uint64_t now = platform::monotonic_ns();
    bool realtime = clock == 0 || clock == 11; // REALTIME, TAI
    if (flags & kTimerAbstime) {
        // Linux: an absolute sleep restarts as it is (RESTARTNOHAND) and reports no remainder.
        uint64_t offset = realtime ? platform::boot_epoch_ns() : 0;
        if (!sleep_until(ns > offset ? ns - offset : 0)) return Errno::RESTARTNOHAND;
        return 0;
    }
    return relative_sleep(ns > (~0ull >> 1) - now ? (~0ull >> 1) : now + ns, remaining);
}

} // namespace

Result<long> sys_nanosleep(UserPtr<const Timespec> request, UserPtr<Timespec> remaining) {
    return nanosleep_common(1, 0, request, remaining);
}

Result<long> sys_clock_nanosleep(int clock, int flags, UserPtr<const Timespec> request,
                                 UserPtr<Timespec> remaining) {
    switch (clock) {
    case 0:  // REALTIME
    case 1:  // MONOTONIC
    case 7:  // BOOTTIME
    case 11: // TAI
        break;
    default:
        if (is_cpu_clock(clock)) return cpu_clock_nanosleep(clock, flags & kTimerAbstime, request, remaining);
        return Errno::INVAL;
    }
    // Linux looks only at TIMER_ABSTIME and ignores the other flag bits.
    return nanosleep_common(clock, flags & kTimerAbstime, request, remaining);
}

Result<long> sys_getitimer(int which, UserPtr<char> value) {
    if (which != kItimerReal && which != kItimerVirtual && which != kItimerProf) return Errno::INVAL;
    Itimerval v{};
    if (which == kItimerReal && g_real_timer.expiry_ns != 0) {
        uint64_t now = platform::monotonic_ns();
        uint64_t left = g_real_timer.expiry_ns > now ? g_real_timer.expiry_ns - now : 1000;
        v = {ns_timeval(g_real_timer.interval_ns), ns_timeval(left)};
    } else if (which != kItimerReal && cpu_itimer(which).armed()) {
        Itimerspec s = cpu_itimer(which).get();
        uint64_t left = static_cast<uint64_t>(s.value.tv_sec) * kNsPerSec + static_cast<uint64_t>(s.value.tv_nsec);
        uint64_t interval = static_cast<uint64_t>(s.interval.tv_sec) * kNsPerSec + static_cast<uint64_t>(s.interval.tv_nsec);
        // Linux get_cpu_itimer(): one about to fire reports a tick (4 ms at HZ=250).
        v = {ns_timeval(interval), ns_timeval(left < 1000 ? 4'000'000 : left)};
    }
    TRY(copy_to_user(value.address(), &v, sizeof(v)));
    return 0;
}

Result<long> sys_setitimer(int which, UserPtr<const char> value, UserPtr<char> old_value) {
    if (which != kItimerReal && which != kItimerVirtual && which != kItimerProf) return Errno::INVAL;
    Itimerval fresh{};
    if (!value.is_null()) TRY(copy_from_user(&fresh, value.address(), sizeof(fresh)));
    uint64_t value_ns = TRY(timeval_ns(fresh.value));
    uint64_t interval_ns = TRY(timeval_ns(fresh.interval));
    if (!old_value.is_null()) TRY(sys_getitimer(which, old_value));
    if (which != kItimerReal) {
        CpuTimer& timer = cpu_itimer(which);
        if (value_ns == 0) timer.set(0, 0);
        else timer.set(TRY(cpu_clock_now(timer.clock())) + value_ns, interval_ns);
        return 0;
    }
    set_real_timer(value_ns == 0 ? 0 : platform::monotonic_ns() + value_ns, interval_ns);
    return 0;
}

Result<long> sys_alarm(unsigned seconds) {
    uint64_t now = platform::monotonic_ns();
    uint64_t left = g_real_timer.expiry_ns > now ? g_real_timer.expiry_ns - now : 0;
    long previous = g_real_timer.expiry_ns == 0 ? 0 : static_cast<long>((left + kNsPerSec / 2) / kNsPerSec);
    if (g_real_timer.expiry_ns != 0 && previous == 0) previous = 1; // Linux: never 0 if armed
    set_real_timer(seconds == 0 ? 0 : now + seconds * kNsPerSec, 0);
    return previous;
}

} // namespace wisp::linux

namespace wisp {
void handle_timer_interrupt(TrapFrame& frame) {
    sched::timer_interrupt_taken();
    uint64_t now = platform::monotonic_ns();
    sched::wake_expired(now);
    if (frame.from_user()) {
        // Preemption happens only at the boundary to user mode: the kernel itself is never
        // interrupted except while halted.
        if (sched::should_preempt(now)) sched::yield();
        linux::deliver_pending_signals(frame);
    }
    sched::arm_timer();
}

void handle_kick(TrapFrame& frame) {
    // From user mode: a signal for the thread that runs here, or a queued thread (its slice may
    // be over). From the idle loop's halt: it looks at the run queue itself.
    if (frame.from_user()) {
        if (sched::should_preempt(platform::monotonic_ns())) sched::yield();
        linux::deliver_pending_signals(frame);
    }
}
} // namespace wisp
