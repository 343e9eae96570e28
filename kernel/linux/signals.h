// SPDX-License-Identifier: MIT
#pragma once

// Signals for the one process: dispositions, the blocked and pending sets with their queued
// siginfo, the alternate stack, delivery on the way back to user mode (with system call
// restarting), and default actions.
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
    bool from_timer = false; // sent by POSIX timer `timer_id` (not a user's SI_TIMER)
    uint64_t timer_sequence = 0; // which arming of the timer sent it
};

inline constexpr int kSiUser = 0, kSiKernel = 0x80, kSiQueue = -1, kSiTimer = -2, kSiTkill = -6;
inline constexpr int kSigRtMin = 32; // the kernel's SIGRTMIN (the C libraries keep 32..34)

// A queued instance of a pending signal (Linux's struct sigqueue): standard signals have at most
// one per pending set, real-time signals one per sending.
struct QueuedSignal {
    SignalInfo info;
    QueuedSignal* next = nullptr;
    bool counted = false; // against RLIMIT_SIGPENDING (a timer's own signal is not)
};

// System call restarting (signal(7), "Interruption of system calls and library functions by
// signal handlers"): a blocking call that a signal interrupts returns one of the kernel-internal
// codes (Errno::RESTARTSYS, ...); on the way back to user mode the signal delivery turns it
// into EINTR or runs the call again.
constexpr bool is_restart_code(long result) { return result <= -512 && result >= -516; }
// Whether a wait's error means "a signal interrupted it" (EINTR or a restart code).
inline bool is_interruption(Errno e) {
    return e == Errno::INTR || e == Errno::RESTARTSYS || e == Errno::RESTARTNOINTR ||
           e == Errno::RESTARTNOHAND || e == Errno::RESTART_RESTARTBLOCK;
}
// ERESTART_RESTARTBLOCK: records how restart_syscall(2) goes on (`fn` with `args`, e.g. the
// absolute deadline of an interrupted sleep) and returns the code.
// The dispatcher: system call `number` returned a restart code.
void note_syscall_restart(uint64_t number);
Errno restart_with(long (*fn)(const uint64_t* args), uint64_t a0, uint64_t a1 = 0,
                   uint64_t a2 = 0, uint64_t a3 = 0);

} // namespace wisp::linux
namespace wisp::sched {
struct Thread;
}
namespace wisp::linux {

// Makes `info.signal` pending for the process (kill): the main thread takes it unless it blocks
// it, else the first thread that does not. False when it was discarded (ignored).
bool send_signal(const SignalInfo& info);
// Makes `info.signal` pending for one thread (tgkill, tkill, faults).
bool send_thread_signal(sched::Thread* target, const SignalInfo& info);
// A thread ends: the signals sent to it go with it.
void release_thread_signals(sched::Thread* thread);
// What /proc/self/status reports as SigQ: queued signals counted against the limit.
uint64_t queued_signal_count();
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

// A pending signal that is not blocked (a blocking call returns EINTR for it).
bool has_deliverable_signal();

} // namespace wisp::linux
