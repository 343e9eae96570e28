// SPDX-License-Identifier: MIT
// poll, ppoll, select, pselect6 over open files: readiness from each file (fs::FileOps::
// poll_events), waiting on the files' wait queues with an optional deadline.
#include "linux/abi_types.h"
#include "linux/files.h"
#include "linux/signals.h"
#include "linux/syscalls.h"
#include "platform/platform.h"
#include "sched/thread.h"
#include "sched/timer.h"

namespace wisp::linux {

namespace {

using fs::OpenFile;

constexpr uint32_t kPollIn = 0x1, kPollPri = 0x2, kPollOut = 0x4, kPollErr = 0x8, kPollHup = 0x10,
                   kPollNval = 0x20, kPollRdNorm = 0x40, kPollRdBand = 0x80, kPollWrNorm = 0x100,
                   kPollWrBand = 0x200;
constexpr uint64_t kNoDeadline = 0;

struct PollFd {
    int fd;
    int16_t events;
    int16_t revents;
};
static_assert(sizeof(PollFd) == 8);

// What `fd` reports among `wanted` (errors and hang-ups always count).
uint32_t readiness(int fd, uint32_t wanted) {
    OpenFile* file = files().fds.get(fd);
    if (!file || file->is_path_only()) return kPollNval;
    return file->ops().poll_events(*file) & (wanted | kPollErr | kPollHup);
}

// The wait queues of the files being polled, each with a waiter of this thread.
class PollWait {
  public:
    PollWait() = default;
    PollWait(const PollWait&) = delete;
    PollWait& operator=(const PollWait&) = delete;
    ~PollWait() { clear(); }

    void watch(int fd) {
        OpenFile* file = files().fds.get(fd);
        if (!file) return;
        add(file->ops().read_queue(), file);
        add(file->ops().write_queue(), file);
    }
    bool woken() const {
        for (int i = 0; i < m_count; i++)
            if (m_waiters[i].woken) return true;
        return false;
    }
    bool empty() const { return m_count == 0; }
    void clear() {
        for (int i = 0; i < m_count; i++) {
            if (m_waiters[i].queued) m_queues[i]->remove(m_waiters[i]);
            m_files[i] = nullptr;
        }
        m_count = 0;
        m_external = false;
    }
    // A watched queue is woken from outside the VM (the console's input).
    bool external() const { return m_external; }

  private:
    static constexpr int kMax = 64; // FIXME: more than 32 waiting pipes in one poll
    void add(fs::WaitQueue* queue, OpenFile* file) {
        if (!queue || m_count == kMax) return;
        fs::Waiter& w = m_waiters[m_count];
        w = {};
        w.context = sched::current();
        w.wake = [](fs::Waiter& w) { sched::wake(static_cast<sched::Thread*>(w.context)); };
        queue->add(w);
        if (queue->external()) m_external = true;
        m_queues[m_count] = queue;
        m_files[m_count] = file; // the queue lives as long as the file: hold it
        m_count++;
    }
    bool m_external = false;
    fs::Waiter m_waiters[kMax];
    fs::WaitQueue* m_queues[kMax] = {};
    fs::RefPtr<OpenFile> m_files[kMax];
    int m_count = 0;
};

// Blocks until a watched queue wakes us, the deadline passes (false) or a signal comes
// (RESTARTNOHAND: EINTR if a handler runs, else the call goes on — Linux do_poll() and
// do_select(), never restarted after a handler). With one thread, no deadline and nothing that could wake us, the wait would never
// end: reported as a deadlock.
Result<bool> wait(PollWait& w, uint64_t deadline, const char* what) {
    if (has_deliverable_signal()) return Errno::RESTARTNOHAND;
    if (deadline == kNoDeadline && sched::live_threads() <= 1 && !sched::timers_pending() &&
        !w.external())
        die_of_deadlock(what);
    if (deadline != kNoDeadline && platform::monotonic_ns() >= deadline) return false;
    sched::Thread* self = sched::current();
    self->linux.interruptible = true;
    bool in_time = sched::block(deadline);
    self->linux.interruptible = false;
    bool woken = w.woken();
    w.clear();
    if (!in_time) return false;
    if (!woken && has_deliverable_signal()) return Errno::RESTARTNOHAND;
    return true;
}

uint64_t deadline_after_ns(uint64_t ns) {
    uint64_t now = platform::monotonic_ns();
    return ns > ~0ull - now ? ~0ull - 1 : now + ns;
}

uint64_t remaining_until(uint64_t deadline) {
    uint64_t now = platform::monotonic_ns();
    return deadline > now ? deadline - now : 0;
}

// ppoll and pselect6 report the time left in their timespec as select does (the C libraries
// pass a copy); errors writing it are ignored (Linux poll_select_finish()).
void write_remaining(UserPtr<Timespec> timeout, uint64_t deadline) {
    uint64_t left = remaining_until(deadline);
    (void)timeout.write(Timespec{static_cast<int64_t>(left / 1'000'000'000),
                                 static_cast<int64_t>(left % 1'000'000'000)});
}

// The relative timeout of a timespec (ppoll, pselect6); EINVAL for a malformed one.
Result<int64_t> timeout_of(UserPtr<const Timespec> timeout) {
    if (timeout.is_null()) return -1;
    Timespec ts = TRY(timeout.read());
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) return Errno::INVAL;
    if (ts.tv_sec > 0x7fff'ffff'ffffll / 1'000'000'000) return 0x7fff'ffff'ffff'ffffll;
    return ts.tv_sec * 1'000'000'000 + ts.tv_nsec;
}

// timeout_ns < 0: forever.
Result<long> do_poll(UserPtr<PollFd> user_fds, uint64_t count, int64_t timeout_ns) {
    if (count > static_cast<uint64_t>(FdTable::kLimit)) return Errno::INVAL;
    PollFd inline_fds[16];
    PollFd* fds = count <= 16 ? inline_fds : new (std::nothrow) PollFd[count];
    if (!fds) return Errno::NOMEM;
    auto r = [&]() -> Result<long> {
        if (count) TRY(copy_from_user(fds, user_fds.address(), count * sizeof(PollFd)));
        uint64_t deadline = timeout_ns < 0 ? kNoDeadline : deadline_after_ns(timeout_ns);
        long ready;
        for (;;) {
            ready = 0;
            PollWait waiting;
            for (uint64_t i = 0; i < count; i++) {
                fds[i].revents = 0;
                if (fds[i].fd < 0) continue;
                uint32_t wanted = static_cast<uint16_t>(fds[i].events);
                fds[i].revents = static_cast<int16_t>(readiness(fds[i].fd, wanted));
                if (fds[i].revents)
                    ready++;
                else if (timeout_ns != 0)
                    waiting.watch(fds[i].fd);
            }
            if (ready || timeout_ns == 0) break;
            if (!TRY(wait(waiting, deadline, "poll with nothing that could become ready"))) break;
        }
        if (count) TRY(copy_to_user(user_fds.address(), fds, count * sizeof(PollFd)));
        return ready;
    }();
    if (fds != inline_fds) delete[] fds;
    return r;
}

struct FdSets {
    uint64_t* sets[3]; // read, write, except (null when not given)
};

Result<long> do_select(int count, UserPtr<uint64_t> sets_user[3], int64_t timeout_ns) {
    if (count < 0) return Errno::INVAL;
    if (count > files().fds.max_fds()) count = files().fds.max_fds(); // Linux core_sys_select()
    constexpr int kWords = FdTable::kLimit / 64;
    uint64_t in[3][kWords] = {}, out[3][kWords] = {};
    size_t bytes = static_cast<size_t>((count + 63) / 64) * 8;
    for (int s = 0; s < 3; s++)
        if (!sets_user[s].is_null() && bytes)
            TRY(copy_from_user(in[s], sets_user[s].address(), bytes));
    // Every descriptor named must be open.
    for (int fd = 0; fd < count; fd++) {
        uint64_t bit = 1ull << (fd % 64);
        if (((in[0][fd / 64] | in[1][fd / 64] | in[2][fd / 64]) & bit) && !files().fds.get(fd))
            return Errno::BADF;
    }
    uint64_t deadline = timeout_ns < 0 ? kNoDeadline : deadline_after_ns(timeout_ns);
    long ready;
    for (;;) {
        ready = 0;
        PollWait waiting;
        for (int fd = 0; fd < count; fd++) {
            uint64_t bit = 1ull << (fd % 64);
            int w = fd / 64;
            if (!((in[0][w] | in[1][w] | in[2][w]) & bit)) continue;
            uint32_t events =
                readiness(fd, kPollIn | kPollRdNorm | kPollOut | kPollWrNorm | kPollPri);
            bool any = false;
            if ((in[0][w] & bit) && (events & (kPollIn | kPollRdNorm | kPollHup | kPollErr))) {
                out[0][w] |= bit;
                any = true, ready++;
            }
            if ((in[1][w] & bit) && (events & (kPollOut | kPollWrNorm | kPollErr))) {
                out[1][w] |= bit;
                any = true, ready++;
            }
            if ((in[2][w] & bit) && (events & (kPollPri | kPollRdBand | kPollWrBand))) {
                out[2][w] |= bit;
                any = true, ready++;
            }
            if (!any && timeout_ns != 0) waiting.watch(fd);
        }
        if (ready || timeout_ns == 0) break;
        if (!TRY(wait(waiting, deadline, "select with nothing that could become ready"))) break;
    }
    for (int s = 0; s < 3; s++)
        if (!sets_user[s].is_null() && bytes)
            TRY(copy_to_user(sets_user[s].address(), out[s], bytes));
    return ready;
}

} // namespace

namespace {
// restart_syscall after an interrupted poll with a timeout: what is left of it (Linux
// do_restart_poll()). args: fds, count, monotonic deadline.
long restart_poll(const uint64_t* args) {
    uint64_t now = platform::monotonic_ns();
    int64_t left = args[2] > now ? static_cast<int64_t>(args[2] - now) : 0;
    auto r = do_poll(UserPtr<PollFd>(args[0]), args[1], left);
    if (r.is_error() && r.error().code == Errno::RESTARTNOHAND)
        return Error(restart_with(restart_poll, args[0], args[1], args[2])).negated();
    return r.is_error() ? r.error().negated() : r.value();
}
} // namespace

Result<long> sys_poll(UserPtr<char> fds, uint64_t count, int timeout_ms) {
    int64_t ns = timeout_ms < 0 ? -1 : static_cast<int64_t>(timeout_ms) * 1'000'000;
    uint64_t deadline = ns > 0 ? deadline_after_ns(static_cast<uint64_t>(ns)) : 0;
    auto r = do_poll(UserPtr<PollFd>(fds.address()), count, ns);
    // A timed poll interrupted without a handler goes on with the time that is left.
    if (ns > 0 && r.is_error() && r.error().code == Errno::RESTARTNOHAND)
        return restart_with(restart_poll, fds.address(), count, deadline);
    return r;
}

Result<long> sys_ppoll(UserPtr<char> fds, uint64_t count, UserPtr<const Timespec> timeout,
                       UserPtr<const uint64_t> mask, uint64_t mask_size) {
    int64_t ns = TRY(timeout_of(timeout));
    TemporarySignalMask temporary;
    TRY(temporary.set(mask, mask_size));
    uint64_t deadline = ns > 0 ? deadline_after_ns(static_cast<uint64_t>(ns)) : 0;
    auto r = do_poll(UserPtr<PollFd>(fds.address()), count, ns);
    temporary.finish(r.is_error() && is_interruption(r.error().code));
    if (deadline != 0) write_remaining(UserPtr<Timespec>(timeout.address()), deadline);
    return r;
}

Result<long> sys_select(int count, UserPtr<uint64_t> read_set, UserPtr<uint64_t> write_set,
                        UserPtr<uint64_t> except_set, UserPtr<Timeval> timeout) {
    int64_t ns = -1;
    if (!timeout.is_null()) {
        Timeval tv = TRY(timeout.read());
        if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1'000'000) return Errno::INVAL;
        ns = tv.tv_sec > 0x7fff'ffff'ffffll / 1'000'000'000
                 ? 0x7fff'ffff'ffff'ffffll
                 : tv.tv_sec * 1'000'000'000 + tv.tv_usec * 1000;
    }
    UserPtr<uint64_t> sets[3] = {read_set, write_set, except_set};
    uint64_t deadline = ns > 0 ? deadline_after_ns(static_cast<uint64_t>(ns)) : 0;
    auto r = do_select(count, sets, ns);
    if (deadline != 0) {
        // Linux poll_select_finish(): select reports the time left (so a restart after a
        // signal without a handler waits only for that); errors writing it are ignored.
        uint64_t left = remaining_until(deadline);
        (void)timeout.write(Timeval{static_cast<int64_t>(left / 1'000'000'000),
                                    static_cast<int64_t>(left % 1'000'000'000 / 1000)});
    }
    return r;
}

Result<long> sys_pselect6(int count, UserPtr<uint64_t> read_set, UserPtr<uint64_t> write_set,
                          UserPtr<uint64_t> except_set, UserPtr<const Timespec> timeout,
                          UserPtr<const uint64_t> mask_argument) {
    int64_t ns = TRY(timeout_of(timeout));
    TemporarySignalMask temporary;
    if (!mask_argument.is_null()) {
        // The sixth argument points at { const sigset_t* ss; size_t ss_len; }.
        uint64_t pair[2];
        TRY(copy_from_user(pair, mask_argument.address(), sizeof(pair)));
        TRY(temporary.set(UserPtr<const uint64_t>(pair[0]), pair[1]));
    }
    UserPtr<uint64_t> sets[3] = {read_set, write_set, except_set};
    uint64_t deadline = ns > 0 ? deadline_after_ns(static_cast<uint64_t>(ns)) : 0;
    auto r = do_select(count, sets, ns);
    temporary.finish(r.is_error() && is_interruption(r.error().code));
    if (deadline != 0) write_remaining(UserPtr<Timespec>(timeout.address()), deadline);
    return r;
}

} // namespace wisp::linux
