// SPDX-License-Identifier: MIT
#include "linux/signals.h"

#include <string.h>

#include "lib/print.h"
#include "linux/blocking.h"
#include "linux/interval_timer.h"
#include "linux/posix_timers.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mm/address_space.h"
#include "platform/platform.h"
#include "sched/thread.h"

namespace wisp::linux {
namespace {

constexpr uint64_t kSigDfl = 0, kSigIgn = 1;
constexpr uint64_t kSaNoCldStop = 1, kSaNoCldWait = 2, kSaSiginfo = 4, kSaOnStack = 0x08000000;
constexpr uint64_t kSaRestart = 0x10000000, kSaNoDefer = 0x40000000, kSaResetHand = 0x80000000;
constexpr uint64_t kSaRestorer = 0x04000000;
constexpr uint64_t kSaKnown = kSaNoCldStop | kSaNoCldWait | kSaSiginfo | kSaOnStack | kSaRestart |
                              kSaNoDefer | kSaResetHand | kSaRestorer;
constexpr int kSsOnStack = 1, kSsDisable = 2;
constexpr uint64_t kMinSigStackSize = 2048; // MINSIGSTKSZ
constexpr uint64_t kUnblockable = signal_bit(kSigKill) | signal_bit(kSigStop);

struct KernelSigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

// Process-wide: the dispositions and the signals sent to the process (kill). Per thread
// (sched::LinuxThread): the mask, thread-directed pending signals, the alternate stack.
struct SignalState {
    KernelSigaction actions[kSignalCount + 1];
    uint64_t pending; // process-directed
    SignalInfo info[kSignalCount + 1]; // the queued info of each pending signal
};
SignalState g_signals;

sched::LinuxThread& self() { return sched::current()->linux; }

enum class Default { Terminate, Ignore };

Default default_action(int signal) {
    switch (signal) {
    case 17: // SIGCHLD
    case 18: // SIGCONT
    case 23: // SIGURG
    case 28: // SIGWINCH
    // Stop signals: one process and no job control, so nothing can continue it; ignored.
    case 19: // SIGSTOP
    case 20: // SIGTSTP
    case 21: // SIGTTIN
    case 22: // SIGTTOU
        return Default::Ignore;
    default: return Default::Terminate;
    }
}

bool on_altstack(uint64_t sp) {
    const sched::LinuxThread& t = self();
    return !t.altstack_disabled && sp > t.altstack_sp && sp <= t.altstack_sp + t.altstack_size;
}

[[noreturn]] void terminate(const SignalInfo& info, const TrapFrame& frame) {
    char reason[112];
    switch (info.signal) {
    case 11:
        if (info.code == kSiKernel)
            format(reason, sizeof(reason), "at 0x%lx (general protection)", frame.rip);
        else
            format(reason, sizeof(reason), "at 0x%lx (invalid access to 0x%lx)", frame.rip, info.addr);
        break;
    case 4: format(reason, sizeof(reason), "at 0x%lx (invalid instruction)", frame.rip); break;
    case 8: format(reason, sizeof(reason), "at 0x%lx (arithmetic exception)", frame.rip); break;
    case 7: format(reason, sizeof(reason), "at 0x%lx (bus error at 0x%lx)", frame.rip, info.addr); break;
    case 5: format(reason, sizeof(reason), "at 0x%lx (trace/breakpoint trap)", frame.rip); break;
    default: reason[0] = '\0';
    }
    kill_process(info.signal, reason);
}

// The siginfo_t of `info`; a POSIX timer's overrun is taken now, at delivery, as Linux does.
void fill_siginfo(uint8_t out[128], const SignalInfo& info) {
    memset(out, 0, 128);
    int32_t head[4] = {info.signal, 0, info.code, 0};
    memcpy(out, head, sizeof(head));
    if (info.code == kSiTimer) {
        int32_t timer[2] = {info.timer_id, take_timer_overrun(info.timer_id)};
        memcpy(out + 16, timer, sizeof(timer));
        memcpy(out + 24, &info.value, sizeof(info.value));
    } else if (info.code == kSiUser || info.code == kSiTkill || info.code == kSiQueue) {
        int32_t sender[2] = {info.pid, info.uid};
        memcpy(out + 16, sender, sizeof(sender));
        if (info.code == kSiQueue) memcpy(out + 24, &info.value, sizeof(info.value));
    } else {
        memcpy(out + 16, &info.addr, sizeof(info.addr));
    }
}

// Runs the handler for one signal (or its default action). False when the frame could not be
// written (the process is then killed with SIGSEGV, as Linux does).
bool deliver(TrapFrame& frame, const SignalInfo& info) {
    sched::LinuxThread& s = self();
    KernelSigaction& action = g_signals.actions[info.signal];
    if (action.handler == kSigIgn) return true;
    if (action.handler == kSigDfl) {
        if (default_action(info.signal) == Default::Ignore) return true;
        terminate(info, frame);
    }
    bool use_altstack = (action.flags & kSaOnStack) && !s.altstack_disabled && !on_altstack(frame.rsp);
    uint8_t siginfo[128];
    fill_siginfo(siginfo, info);
    platform::SignalFrameSetup setup{};
    setup.signal = info.signal;
    setup.handler = action.handler;
    setup.restorer = action.restorer;
    setup.stack_top = use_altstack ? s.altstack_sp + s.altstack_size : frame.rsp;
    setup.on_altstack = use_altstack || on_altstack(frame.rsp);
    setup.siginfo = siginfo;
    setup.saved_mask = s.restore_suspended_mask ? s.suspended_mask : s.blocked_signals;
    s.restore_suspended_mask = false;
    setup.altstack_sp = s.altstack_sp;
    setup.altstack_size = s.altstack_size;
    setup.altstack_flags = s.altstack_disabled ? kSsDisable : (on_altstack(frame.rsp) ? kSsOnStack : 0);
    setup.trapno = info.trapno;
    setup.error_code = info.error_code;
    setup.fault_address = info.addr;
    if (platform::push_signal_frame(frame, setup).is_error()) return false;

    s.blocked_signals |= action.mask & ~kUnblockable;
    if (!(action.flags & kSaNoDefer)) s.blocked_signals |= signal_bit(info.signal) & ~kUnblockable;
    if (action.flags & kSaResetHand) action = KernelSigaction{};
    return true;
}

void kill_for_bad_frame(const TrapFrame& frame) {
    SignalInfo segv{11, kSiKernel, 0, 0, 0, 0, 0};
    terminate(segv, frame);
}

} // namespace

// Wakes a thread blocked in an interruptible wait so that it can take the signal.
void interrupt(sched::Thread* t) {
    if (t->state == sched::State::Blocked && t->linux.interruptible) sched::wake(t);
}

void send_signal(const SignalInfo& info) {
    SignalState& s = g_signals;
    if (s.actions[info.signal].handler == kSigIgn) return; // discarded on generation
    if (!(s.pending & signal_bit(info.signal))) s.info[info.signal] = info;
    s.pending |= signal_bit(info.signal);
    // The first thread that does not block it takes it (the caller first).
    sched::Thread* taker = nullptr;
    sched::for_each_thread([&](sched::Thread* t) {
        if (taker == nullptr && !(t->linux.blocked_signals & signal_bit(info.signal))) taker = t;
    });
    if (taker != nullptr) interrupt(taker);
}

void send_thread_signal(sched::Thread* target, const SignalInfo& info) {
    if (g_signals.actions[info.signal].handler == kSigIgn) return;
    sched::LinuxThread& t = target->linux;
    if (!(t.pending_signals & signal_bit(info.signal)) && !(g_signals.pending & signal_bit(info.signal)))
        g_signals.info[info.signal] = info;
    t.pending_signals |= signal_bit(info.signal);
    interrupt(target);
}

void force_fault_signal(TrapFrame& frame, const SignalInfo& info) {
    KernelSigaction& action = g_signals.actions[info.signal];
    sched::LinuxThread& t = self();
    if ((t.blocked_signals & signal_bit(info.signal)) || action.handler == kSigIgn)
        action.handler = kSigDfl;
    t.blocked_signals &= ~signal_bit(info.signal);
    if (!deliver(frame, info)) kill_for_bad_frame(frame);
}

bool signal_pending_for(const sched::Thread* thread, int signal) {
    uint64_t pending = g_signals.pending | (thread ? thread->linux.pending_signals : 0);
    return (pending & signal_bit(signal)) != 0;
}

bool has_deliverable_signal() {
    return ((g_signals.pending | self().pending_signals) & ~self().blocked_signals) != 0;
}

void deliver_pending_signals(TrapFrame& frame) {
    sched::LinuxThread& t = self();
    while (uint64_t ready = (g_signals.pending | t.pending_signals) & ~t.blocked_signals) {
        int signal = __builtin_ctzll(ready) + 1;
        if (t.pending_signals & signal_bit(signal)) t.pending_signals &= ~signal_bit(signal);
        else g_signals.pending &= ~signal_bit(signal);
        if (!deliver(frame, g_signals.info[signal])) kill_for_bad_frame(frame);
        // One handler frame at a time is enough: the rest are delivered when it returns
        // (rt_sigreturn comes back through here).
        if (g_signals.actions[signal].handler > kSigIgn) break;
    }
    if (t.restore_suspended_mask) { // nothing ran a handler: sigsuspend's mask ends here
        t.blocked_signals = t.suspended_mask;
        t.restore_suspended_mask = false;
    }
}

bool wait_interruptible(uint64_t deadline) {
    sched::LinuxThread& t = self();
    while (!has_deliverable_signal()) {
        t.interruptible = true;
        bool woken = sched::block(deadline);
        t.interruptible = false;
        if (!woken) return !has_deliverable_signal(); // the deadline came
    }
    return false;
}

Result<void> TemporarySignalMask::set(UserPtr<const uint64_t> mask, uint64_t size) {
    if (mask.is_null()) return {};
    if (size != 8) return Errno::INVAL;
    uint64_t m = TRY(mask.read());
    sched::LinuxThread& t = self();
    m_saved = t.blocked_signals;
    m_active = true;
    t.blocked_signals = m & ~kUnblockable;
    return {};
}

void TemporarySignalMask::finish(bool interrupted) {
    if (!m_active) return;
    sched::LinuxThread& t = self();
    if (interrupted) {
        t.suspended_mask = m_saved;
        t.restore_suspended_mask = true;
    } else {
        t.blocked_signals = m_saved;
    }
}

namespace {
// Takes the lowest pending signal in `wanted` (the thread's own first): 0 when none.
int take_pending(uint64_t wanted) {
    sched::LinuxThread& t = self();
    uint64_t ready = (t.pending_signals | g_signals.pending) & wanted;
    if (!ready) return 0;
    int signal = __builtin_ctzll(ready) + 1;
    if (t.pending_signals & signal_bit(signal)) t.pending_signals &= ~signal_bit(signal);
    else g_signals.pending &= ~signal_bit(signal);
    return signal;
}
} // namespace

Result<long> sys_rt_sigtimedwait(UserPtr<const uint64_t> set, UserPtr<char> info,
                                 UserPtr<const Timespec> timeout, uint64_t sigsetsize) {
    if (sigsetsize != 8) return Errno::INVAL;
    uint64_t wanted = TRY(set.read()) & ~kUnblockable;
    uint64_t timeout_ns = ~0ull;
    if (!timeout.is_null()) timeout_ns = TRY(timespec_to_ns(TRY(timeout.read())));
    int signal = take_pending(wanted);
    if (signal == 0 && timeout_ns != 0) {
        // The awaited signals wake the wait (Linux unblocks them for its length); they are
        // taken here, never delivered to a handler.
        sched::LinuxThread& t = self();
        uint64_t saved = t.blocked_signals;
        t.blocked_signals &= ~wanted;
        wait_interruptible(timeout_ns == ~0ull ? 0 : deadline_after(timeout_ns));
        t.blocked_signals = saved;
        signal = take_pending(wanted);
    }
    if (signal == 0) return has_deliverable_signal() ? Errno::INTR : Errno::AGAIN;
    if (!info.is_null()) {
        uint8_t siginfo[128];
        fill_siginfo(siginfo, g_signals.info[signal]);
        TRY(copy_to_user(info.address(), siginfo, sizeof(siginfo)));
    }
    return signal;
}

Result<long> sys_pause() {
    wait_interruptible(0);
    return Errno::INTR;
}

Result<long> sys_rt_sigsuspend(UserPtr<const uint64_t> mask, uint64_t sigsetsize) {
    if (sigsetsize != 8) return Errno::INVAL;
    uint64_t temporary = TRY(mask.read());
    sched::LinuxThread& t = self();
    t.suspended_mask = t.blocked_signals;
    t.restore_suspended_mask = true;
    t.blocked_signals = temporary & ~kUnblockable;
    wait_interruptible(0);
    return Errno::INTR;
}

// ---- system calls ----

Result<long> sys_rt_sigaction(int signal, UserPtr<const char> act, UserPtr<char> oldact,
                              uint64_t sigsetsize) {
    if (sigsetsize != 8) return Errno::INVAL;
    if (signal < 1 || signal > kSignalCount) return Errno::INVAL;
    KernelSigaction& current = g_signals.actions[signal];
    KernelSigaction replacement{};
    if (!act.is_null()) {
        if (signal == kSigKill || signal == kSigStop) return Errno::INVAL;
        TRY(copy_from_user(&replacement, act.address(), sizeof(replacement)));
    }
    if (!oldact.is_null()) TRY(copy_to_user(oldact.address(), &current, sizeof(current)));
    if (!act.is_null()) {
        replacement.flags &= kSaKnown | 0xffffffffull; // Linux keeps unknown low bits
        replacement.mask &= ~kUnblockable;
        current = replacement;
        // Setting SIG_IGN discards a pending instance (POSIX), as does a default that ignores.
        if (current.handler == kSigIgn ||
            (current.handler == kSigDfl && default_action(signal) == Default::Ignore))
            g_signals.pending &= ~signal_bit(signal);
    }
    return 0;
}

Result<long> sys_rt_sigprocmask(int how, UserPtr<const uint64_t> set, UserPtr<uint64_t> oldset,
                                uint64_t sigsetsize) {
    if (sigsetsize != 8) return Errno::INVAL;
    uint64_t& blocked = self().blocked_signals;
    uint64_t old = blocked;
    if (!set.is_null()) {
        uint64_t mask = TRY(set.read());
        switch (how) {
        case 0: blocked |= mask; break;   // SIG_BLOCK
        case 1: blocked &= ~mask; break;  // SIG_UNBLOCK
        case 2: blocked = mask; break;    // SIG_SETMASK
        default: return Errno::INVAL;
        }
        blocked &= ~kUnblockable;
    } else if (how < 0 || how > 2) {
        return Errno::INVAL;
    }
    if (!oldset.is_null()) TRY(oldset.write(old));
    return 0;
}

Result<long> sys_rt_sigpending(UserPtr<uint64_t> set, uint64_t sigsetsize) {
    if (sigsetsize > 8) return Errno::INVAL;
    uint64_t pending = (g_signals.pending | self().pending_signals) & self().blocked_signals;
    TRY(copy_to_user(set.address(), &pending, sigsetsize));
    return 0;
}

Result<long> sys_rt_sigreturn() {
    TrapFrame& frame = current_trap_frame();
    auto restored = platform::pop_signal_frame(frame);
    if (restored.is_error()) kill_for_bad_frame(frame);
    sched::LinuxThread& t = self();
    t.blocked_signals = restored->mask & ~kUnblockable;
    // sigaltstack state comes back too (restore_altstack), errors ignored as Linux does.
    if (!(restored->altstack_flags & kSsDisable) && restored->altstack_size >= kMinSigStackSize &&
        !on_altstack(frame.rsp)) {
        t.altstack_sp = restored->altstack_sp;
        t.altstack_size = restored->altstack_size;
        t.altstack_disabled = false;
    }
    return static_cast<long>(frame.rax); // the interrupted context's rax, untouched
}

Result<long> sys_sigaltstack(UserPtr<const char> ss, UserPtr<char> old_ss) {
    struct StackT {
        uint64_t sp;
        int32_t flags;
        int32_t pad;
        uint64_t size;
    };
    sched::LinuxThread& s = self();
    uint64_t sp = current_trap_frame().rsp;
    if (!old_ss.is_null()) {
        StackT old{s.altstack_sp, s.altstack_disabled ? kSsDisable : (on_altstack(sp) ? kSsOnStack : 0),
                   0, s.altstack_size};
        TRY(copy_to_user(old_ss.address(), &old, sizeof(old)));
    }
    if (!ss.is_null()) {
        StackT fresh;
        TRY(copy_from_user(&fresh, ss.address(), sizeof(fresh)));
        if (on_altstack(sp)) return Errno::PERM;
        int mode = static_cast<int>(static_cast<uint32_t>(fresh.flags) & 0x7fffffffu); // SS_AUTODISARM accepted
        if (mode != 0 && mode != kSsDisable && mode != kSsOnStack) return Errno::INVAL;
        if (mode == kSsDisable) {
            s.altstack_disabled = true;
            s.altstack_sp = 0;
            s.altstack_size = 0;
        } else {
            if (fresh.size < kMinSigStackSize) return Errno::NOMEM;
            s.altstack_disabled = false;
            s.altstack_sp = fresh.sp;
            s.altstack_size = fresh.size;
        }
    }
    return 0;
}

Result<long> sys_kill(int pid, int signal) {
    if (signal < 0 || signal > kSignalCount) return Errno::INVAL;
    // The only process: pid 1 (itself), 0 (its group) or -1 (every process it may signal).
    if (pid != Process::kPid && pid != 0 && pid != -1) return Errno::SRCH;
    if (signal == 0) return 0;
    send_signal(SignalInfo{signal, kSiUser, 0, Process::kPid, 0, 0, 0});
    return 0;
}

Result<long> sys_tgkill(int tgid, int tid, int signal) {
    if (tgid <= 0 || tid <= 0 || signal < 0 || signal > kSignalCount) return Errno::INVAL;
    sched::Thread* target = nullptr;
    if (tgid == Process::kPid) {
        sched::for_each_thread([&](sched::Thread* t) {
            if (t->tid == tid) target = t;
        });
    }
    if (target == nullptr) return Errno::SRCH;
    if (signal == 0) return 0;
    send_thread_signal(target, SignalInfo{signal, kSiTkill, 0, Process::kPid, 0, 0, 0});
    return 0;
}

Result<long> sys_tkill(int tid, int signal) { return sys_tgkill(Process::kPid, tid, signal); }

void reset_signals_for_exec() {
    for (int signal = 1; signal <= kSignalCount; signal++) {
        KernelSigaction& action = g_signals.actions[signal];
        if (action.handler != kSigIgn) action = KernelSigaction{};
    }
    sched::LinuxThread& t = self();
    t.altstack_sp = t.altstack_size = 0;
    t.altstack_disabled = true;
}

} // namespace wisp::linux
