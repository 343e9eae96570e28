// SPDX-License-Identifier: MIT
#pragma once

// Signals for the one process (one thread for now): dispositions, the blocked and pending sets,
// the alternate stack, delivery on the way back to user mode, and default actions.
#include <stdint.h>

#include "arch/x86_64/trap_frame.h"
#include "lib/result.h"
#include "linux/user_ptr.h"

namespace wisp::linux {

inline constexpr int kSignalCount = 64; // 1..64
inline constexpr int kSigKill = 9, kSigStop = 19;

constexpr uint64_t signal_bit(int signal) { return 1ull << (signal - 1); }

struct SignalInfo {
    int signal = 0;
    int code = 0;       // si_code: SI_USER, SI_TKILL, SEGV_MAPERR, ...
    uint64_t addr = 0;  // si_addr for faults
    int pid = 0, uid = 0; // sender, for kill/tgkill
    // For faults: what sigcontext reports.
    uint64_t trapno = 0, error_code = 0;
    // SI_TIMER (POSIX timers) and SI_QUEUE: si_timerid, si_overrun (filled in at delivery),
    // si_value.
    int timer_id = 0, overrun = 0;
    uint64_t value = 0;
};

inline constexpr int kSiUser = 0, kSiKernel = 0x80, kSiQueue = -1, kSiTimer = -2, kSiTkill = -6;

} // namespace wisp::linux
namespace wisp::sched {
struct Thread;
}
namespace wisp::linux {

// Makes `info.signal` pending for the process (kill): the first thread not blocking it takes it.
void send_signal(const SignalInfo& info);
// Makes `info.signal` pending for one thread (tgkill, tkill).
void send_thread_signal(sched::Thread* target, const SignalInfo& info);
// Blocks the calling thread until a signal can be delivered to it, or until `deadline`
// (monotonic ns, 0 = none). Returns false when a signal ended the wait (EINTR).
bool wait_interruptible(uint64_t deadline);
// A synchronous fault (SIGSEGV, SIGILL, ...): delivered now even if blocked or ignored — a
// blocked or ignored fault signal terminates, as Linux's force_sig does.
void force_fault_signal(TrapFrame& frame, const SignalInfo& info);
// Delivers pending, unblocked signals before returning to user mode: builds a handler frame on
// the user stack, or carries out the default action.
void deliver_pending_signals(TrapFrame& frame);
// Replaces the calling thread's signal mask for the length of one call (ppoll, pselect6,
// epoll_pwait), as sigsuspend does: kept until a handler has run when the call was interrupted,
// restored right away otherwise.
class TemporarySignalMask {
  public:
    // `mask` may be null (no change); EINVAL unless `size` is 8.
    Result<void> set(UserPtr<const uint64_t> mask, uint64_t size);
    void finish(bool interrupted);

  private:
    uint64_t m_saved = 0;
    bool m_active = false;
};

// execve: handled signals go back to their default action (ignored ones stay ignored), and the
// calling thread's alternate stack is gone; the mask and pending signals are kept (signal(7)).
void reset_signals_for_exec();

// Whether `signal` is pending for `thread` (sent to it or to the process; null: the process).
bool signal_pending_for(const sched::Thread* thread, int signal);

// A pending signal that is not blocked (a blocking call returns EINTR for it).
bool has_deliverable_signal();

} // namespace wisp::linux
