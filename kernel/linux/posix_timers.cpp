// SPDX-License-Identifier: MIT
// timer_create(2), timer_settime, timer_gettime, timer_getoverrun, timer_delete: interval
// timers that notify by a signal to the process (SIGEV_SIGNAL; glibc's and musl's SIGEV_THREAD
// arrive as that or as SIGEV_THREAD_ID), to one thread (SIGEV_THREAD_ID), or not at all
// (SIGEV_NONE, read with timer_gettime).
#include "linux/posix_timers.h"

#include <new>

#include "linux/cpu_timers.h"
#include "linux/interval_timer.h"
#include "linux/process.h"
#include "linux/signals.h"
#include "linux/syscalls.h"
#include "sched/thread.h"

namespace wisp::linux {
namespace {

constexpr int kSigevSignal = 0, kSigevNone = 1, kSigevThread = 2, kSigevThreadId = 4;
constexpr int kTimerAbstime = 1;
constexpr int kSigAlrm = 14;
constexpr int kMaxTimers = 256; // FIXME: Linux allows RLIMIT_SIGPENDING of them
constexpr int kOverrunMax = 0x7fffffff; // DELAYTIMER_MAX

struct Sigevent {
    uint64_t value;
    int32_t signo;
    int32_t notify;
    int32_t thread_id;
    uint8_t pad[44];
};
static_assert(sizeof(Sigevent) == 64);

uint64_t g_sequence = 0; // numbers every arming of every timer: a reused id is a new timer

class PosixTimer {
  public:
    // `cpu`: the CPU-time clock it runs on, if `on_cpu_clock` (linux/cpu_timers.h).
    PosixTimer(int id, int clock, const Sigevent& event, bool on_cpu_clock, CpuClock cpu)
        : m_id(id), m_clock(clock), m_event(event), m_sequence(++g_sequence),
          m_on_cpu_clock(on_cpu_clock), m_timer(&expired, this), m_cpu_timer(cpu, &cpu_expired, this) {}
    ~PosixTimer() { m_cpu_timer.set(0, 0); }

    Result<void> set(int flags, const Itimerspec& spec) {
        if (m_on_cpu_clock) TRY(m_cpu_timer.set(spec, flags & kTimerAbstime));
        else TRY(m_timer.set(spec, m_clock, flags & kTimerAbstime));
        m_overrun = m_pending_overrun = 0;
        // A signal still queued from the previous arming is stale now (dropped at delivery).
        m_sequence = ++g_sequence;
        m_queued = false;
        return {};
    }
    uint64_t sequence() const { return m_sequence; }
    Itimerspec get() { return m_on_cpu_clock ? m_cpu_timer.get() : m_timer.get(); }
    int overrun() const { return m_overrun; }
    int take_overrun() {
        m_queued = false;
        // Expirations up to now belong to the signal being delivered (Linux forwards the timer
        // at delivery), not to a new one.
        m_delivering = true;
        if (m_on_cpu_clock) m_cpu_timer.catch_up();
        else m_timer.catch_up();
        m_delivering = false;
        m_overrun = m_pending_overrun;
        m_pending_overrun = 0;
        return m_overrun;
    }

  private:
    static int clamp(uint64_t n) { return n > kOverrunMax ? kOverrunMax : static_cast<int>(n); }

    // Sends the signal unless its last one is still queued: then the expirations add to the overrun
    // the pending signal reports when it is delivered.
    static void cpu_expired(CpuTimer& timer, uint64_t count) {
        notify(static_cast<PosixTimer*>(timer.owner()), count);
    }
    static void expired(IntervalTimer& timer, uint64_t count) {
        notify(static_cast<PosixTimer*>(timer.owner()), count);
    }
    static void notify(PosixTimer* self, uint64_t count) {
        const Sigevent& e = self->m_event;
        if (e.notify == kSigevNone) return;
        sched::Thread* target = nullptr;
        if (e.notify & kSigevThreadId) {
            target = sched::find_thread(e.thread_id);
            if (target == nullptr) return; // the thread has ended
        }
        if (self->m_delivering || self->m_queued) {
            self->m_pending_overrun = clamp(self->m_pending_overrun + count);
            return;
        }
        self->m_pending_overrun = clamp(count - 1);
        SignalInfo info;
        info.signal = e.signo;
        info.code = kSiTimer;
        info.timer_id = self->m_id;
        info.value = e.value;
        info.from_timer = true;
        info.timer_sequence = self->m_sequence;
        self->m_queued = target ? send_thread_signal(target, info) : send_signal(info);
    }

    int m_id;
    int m_clock;
    Sigevent m_event;
    int m_overrun = 0;         // of the last delivered signal
    int m_pending_overrun = 0; // expirations since the pending signal was sent
    bool m_delivering = false;
    bool m_queued = false;
    uint64_t m_sequence;     // its signal is queued, not yet delivered (Linux: the preallocated sigqueue)
    bool m_on_cpu_clock;
    IntervalTimer m_timer;     // on a wall or monotonic clock
    CpuTimer m_cpu_timer;      // on a CPU-time clock
};

PosixTimer* g_timers[kMaxTimers];

Result<PosixTimer*> timer_of(int id) {
    if (id < 0 || id >= kMaxTimers || !g_timers[id]) return Errno::INVAL;
    return g_timers[id];
}

} // namespace

int take_timer_signal(int id, uint64_t sequence) {
    auto timer = timer_of(id);
    if (timer.is_error() || timer.value()->sequence() != sequence) return -1;
    return timer.value()->take_overrun();
}

Result<long> sys_timer_create(int clock, UserPtr<const char> event_user, UserPtr<int> id_out) {
    CpuClock cpu;
    bool on_cpu_clock = false;
    switch (clock) {
    case kClockRealtime:
    case kClockMonotonic:
    case kClockBoottime:
    case kClockRealtimeAlarm:
    case kClockBoottimeAlarm:
    case kClockTai: break;
    default:
        // CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID (the calling thread's) and the
        // clock_getcpuclockid ids; EINVAL for anything else.
        if (!is_cpu_clock(clock)) return Errno::INVAL;
        cpu = TRY(cpu_clock_of(clock));
        on_cpu_clock = true;
    }
    int id = 0;
    while (id < kMaxTimers && g_timers[id])
        id++;
    if (id == kMaxTimers) return Errno::AGAIN;
    Sigevent event{};
    if (event_user.is_null()) {
        event.notify = kSigevSignal;
        event.signo = kSigAlrm;
        event.value = static_cast<uint64_t>(id);
    } else {
        TRY(copy_from_user(&event, event_user.address(), sizeof(event)));
        // Linux good_sigevent(): SIGEV_THREAD is the C library's business and reaches the
        // kernel as a signal.
        switch (event.notify) {
        case kSigevSignal | kSigevThreadId: {
            if (sched::find_thread(event.thread_id) == nullptr) return Errno::INVAL;
            [[fallthrough]];
        }
        case kSigevSignal:
        case kSigevThread:
            if (event.signo <= 0 || event.signo > kSignalCount) return Errno::INVAL;
            break;
        case kSigevNone: break;
        default: return Errno::INVAL;
        }
    }
    auto* timer = new (std::nothrow) PosixTimer(id, clock, event, on_cpu_clock, cpu);
    if (!timer) return Errno::NOMEM;
    if (id_out.write(id).is_error()) {
        delete timer;
        return Errno::FAULT;
    }
    g_timers[id] = timer;
    return 0;
}

Result<long> sys_timer_settime(int id, int flags, UserPtr<const Itimerspec> new_value,
                               UserPtr<Itimerspec> old_value) {
    if (new_value.is_null()) return Errno::INVAL;
    Itimerspec spec = TRY(new_value.read());
    PosixTimer* timer = TRY(timer_of(id));
    TRY(timespec_to_ns(spec.value));
    TRY(timespec_to_ns(spec.interval));
    Itimerspec old = timer->get();
    TRY(timer->set(flags, spec));
    if (!old_value.is_null()) TRY(old_value.write(old));
    return 0;
}

Result<long> sys_timer_gettime(int id, UserPtr<Itimerspec> value) {
    PosixTimer* timer = TRY(timer_of(id));
    TRY(value.write(timer->get()));
    return 0;
}

Result<long> sys_timer_getoverrun(int id) {
    PosixTimer* timer = TRY(timer_of(id));
    return timer->overrun();
}

Result<long> sys_timer_delete(int id) {
    PosixTimer* timer = TRY(timer_of(id));
    g_timers[id] = nullptr;
    delete timer;
    return 0;
}

} // namespace wisp::linux
