// SPDX-License-Identifier: MIT
// timerfd_create(2) and friends: an interval timer whose expirations are read as a count.
#include "linux/anon_inode.h"
#include "linux/blocking.h"
#include "linux/files.h"
#include "linux/interval_timer.h"
#include "linux/syscalls.h"

namespace wisp::linux {
namespace {

constexpr int kTfdCloexec = fs::kOpenCloexec, kTfdNonBlock = fs::kOpenNonBlock;
constexpr int kTfdTimerAbstime = 1, kTfdTimerCancelOnSet = 2;
constexpr uint32_t kPollIn = 0x1 | 0x40;

class TimerFd final : public AnonInode {
  public:
    static constexpr Kind kKind = Kind::TimerFd;
    explicit TimerFd(int clock) : AnonInode(kKind), m_clock(clock), m_timer(&expired, this) {}

    Result<size_t> read(fs::OpenFile& file, uint64_t, fs::IoBuffer& buffer) override {
        if (buffer.size() < sizeof(uint64_t)) return Errno::INVAL;
        m_timer.catch_up();
        while (m_ticks == 0) {
            if (file.non_blocking()) return Errno::AGAIN;
            TRY(wait_for(m_ticked, 0, "read from a timerfd that is not armed"));
        }
        uint64_t ticks = m_ticks;
        m_ticks = 0; // taken before the copy, as Linux does
        TRY(buffer.store(0, &ticks, sizeof(ticks)));
        return sizeof(ticks);
    }
    uint32_t poll_events(fs::OpenFile&) override {
        m_timer.catch_up();
        return m_ticks ? kPollIn : 0;
    }
    fs::WaitQueue* read_queue() override { return &m_ticked; }

    Result<void> settime(int flags, const Itimerspec& spec) {
        TRY(m_timer.set(spec, m_clock, flags & kTfdTimerAbstime));
        m_ticks = 0;
        return {};
    }
    Itimerspec gettime() { return m_timer.get(); }

  private:
    static void expired(IntervalTimer& timer, uint64_t count) {
        auto* self = static_cast<TimerFd*>(timer.owner());
        self->m_ticks += count;
        self->m_ticked.wake_all();
    }

    int m_clock;
    uint64_t m_ticks = 0; // expirations since the last read or settime
    IntervalTimer m_timer;
    fs::WaitQueue m_ticked;
};

Result<TimerFd*> timerfd_of(int fd, fs::RefPtr<fs::OpenFile>& holder) {
    holder = TRY(file_for(fd));
    TimerFd* timer = anon_inode_of<TimerFd>(*holder);
    if (!timer) return Errno::INVAL;
    return timer;
}

} // namespace

Result<long> sys_timerfd_create(int clock, int flags) {
    if (flags & ~(kTfdCloexec | kTfdNonBlock)) return Errno::INVAL;
    switch (clock) {
    case kClockRealtime:
    case kClockMonotonic:
    case kClockBoottime:
    case kClockRealtimeAlarm: // needs CAP_WAKE_ALARM, which the one (root) process has
    case kClockBoottimeAlarm: break;
    default: return Errno::INVAL;
    }
    fs::RefPtr<AnonInode> inode(new (std::nothrow) TimerFd(clock));
    if (!inode) return Errno::NOMEM;
    return install_anon_file(inode, "[timerfd]", fs::kOpenReadWrite | (flags & kTfdNonBlock),
                             flags & kTfdCloexec);
}

Result<long> sys_timerfd_settime(int fd, int flags, UserPtr<const Itimerspec> new_value,
                                 UserPtr<Itimerspec> old_value) {
    Itimerspec spec = TRY(new_value.read());
    if (flags & ~(kTfdTimerAbstime | kTfdTimerCancelOnSet)) return Errno::INVAL;
    TRY(timespec_to_ns(spec.value));
    TRY(timespec_to_ns(spec.interval));
    fs::RefPtr<fs::OpenFile> holder;
    TimerFd* timer = TRY(timerfd_of(fd, holder));
    Itimerspec old = timer->gettime();
    TRY(timer->settime(flags, spec));
    if (!old_value.is_null()) TRY(old_value.write(old));
    return 0;
}

Result<long> sys_timerfd_gettime(int fd, UserPtr<Itimerspec> value) {
    fs::RefPtr<fs::OpenFile> holder;
    TimerFd* timer = TRY(timerfd_of(fd, holder));
    TRY(value.write(timer->gettime()));
    return 0;
}

} // namespace wisp::linux
