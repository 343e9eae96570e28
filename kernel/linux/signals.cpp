// SPDX-License-Identifier: MIT
#include "linux/signals.h"

#include <string.h>

#include <new>

#include "lib/print.h"
#include "linux/blocking.h"
#include "linux/cpu_timers.h"
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
    uint64_t pending;      // process-directed
    QueuedSignal* queue;   // their queued siginfo, in arrival order
    uint64_t queued_count; // instances counted against RLIMIT_SIGPENDING (all sets)
};
SignalState g_signals;

sched::LinuxThread& self() { return sched::current()->linux; }

// A pending set: the signals (what sigpending reports, what delivery looks at) and their queued
// instances. A signal can be pending without an instance: its siginfo was lost to the limit.
struct PendingSet {
    uint64_t& mask;
    QueuedSignal*& queue;
};
PendingSet shared_set() { return {g_signals.pending, g_signals.queue}; }
PendingSet thread_set(sched::Thread* t) { return {t->linux.pending_signals, t->linux.signal_queue}; }

// The syscall instruction (0f 05): rewinding rip by it runs the call again.
constexpr uint64_t kSyscallInstructionLength = 2;
constexpr uint64_t kRestartSyscallNumber = 219;

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

// Linux sig_task_ignored(): discarded when generated — ignored, or default-ignored (SIGCHLD,
// SIGCONT, SIGURG, SIGWINCH; not the stop signals, which Linux acts on) — unless the target
// blocks it: the disposition may change before it is unblocked.
bool ignored_on_generation(int signal, const sched::Thread* target) {
    if (target->linux.blocked_signals & signal_bit(signal)) return false;
    const KernelSigaction& action = g_signals.actions[signal];
    if (action.handler == kSigIgn) return true;
    return action.handler == kSigDfl && (signal == 17 || signal == 18 || signal == 23 || signal == 28);
}

uint64_t sigpending_limit() { return process().sigpending_limit; }

// Linux __send_signal_locked(): a standard signal already pending in the set is not queued again
// (legacy signals coalesce); every real-time instance is, up to RLIMIT_SIGPENDING (standard
// signals from the kernel or kill() go past the limit). At the limit a real-time signal from
// sigqueue fails with EAGAIN; otherwise the signal is set without its siginfo.
Result<bool> add_pending(PendingSet set, const SignalInfo& info, bool user_queued) {
    int signal = info.signal;
    bool legacy = signal < kSigRtMin;
    if (legacy && (set.mask & signal_bit(signal)) && !info.from_timer) return false;
    bool timer = info.from_timer; // a POSIX timer's own (Linux: preallocated) instance
    bool override_limit = timer || (legacy && info.code >= 0);
    QueuedSignal* q = nullptr;
    if (override_limit || g_signals.queued_count < sigpending_limit())
        q = new (std::nothrow) QueuedSignal;
    if (q != nullptr) {
        q->info = info;
        q->counted = !timer;
        if (q->counted) g_signals.queued_count++;
        QueuedSignal** tail = &set.queue;
        while (*tail != nullptr) tail = &(*tail)->next;
        *tail = q;
    } else if (!legacy && user_queued && info.code != kSiUser) {
        return Errno::AGAIN;
    }
    set.mask |= signal_bit(signal);
    return true;
}

void free_queued(QueuedSignal* q) {
    if (q->counted) g_signals.queued_count--;
    if (q->info.from_timer) take_timer_signal(q->info.timer_id, q->info.timer_sequence); // it may send again
    delete q;
}

// Takes the first instance of `signal` from the set; the signal stays pending while another
// instance is queued (Linux collect_signal()). Without one the siginfo was lost: SI_USER.
SignalInfo dequeue(PendingSet set, int signal) {
    SignalInfo info{};
    info.signal = signal;
    info.code = kSiUser;
    bool found = false, more = false;
    for (QueuedSignal** link = &set.queue; *link != nullptr;) {
        QueuedSignal* q = *link;
        if (q->info.signal != signal) {
            link = &q->next;
            continue;
        }
        if (found) {
            more = true;
            break;
        }
        found = true;
        *link = q->next;
        if (q->counted) g_signals.queued_count--;
        info = q->info;
        // A timer's overrun is taken now, at delivery, as Linux does; a stale one is dropped.
        if (info.from_timer) {
            info.overrun = take_timer_signal(info.timer_id, info.timer_sequence);
            if (info.overrun < 0) info.signal = 0;
        }
        delete q;
    }
    if (!more) set.mask &= ~signal_bit(signal);
    return info;
}

// Drops every instance of the signals in `signals` from the set (SIG_IGN, thread exit).
void flush(PendingSet set, uint64_t signals) {
    set.mask &= ~signals;
    for (QueuedSignal** link = &set.queue; *link != nullptr;) {
        QueuedSignal* q = *link;
        if (!(signals & signal_bit(q->info.signal))) {
            link = &q->next;
            continue;
        }
        *link = q->next;
        free_queued(q);
    }
}

// Linux next_signal(): synchronous fault signals first, then the lowest number.
int next_signal(uint64_t pending, uint64_t blocked) {
    constexpr uint64_t kSynchronous = signal_bit(4) | signal_bit(5) | signal_bit(7) |
                                      signal_bit(8) | signal_bit(11) | signal_bit(31);
    uint64_t ready = pending & ~blocked;
    if (!ready) return 0;
    if (ready & kSynchronous) ready &= kSynchronous;
    return __builtin_ctzll(ready) + 1;
}

// Takes the next signal in `wanted` that is pending for the calling thread — its own first,
// then the process's (Linux dequeue_signal()). Returns its info (signal 0: none).
SignalInfo take_next(uint64_t wanted) {
    sched::Thread* t = sched::current();
    for (;;) {
        SignalInfo info;
        if (int signal = next_signal(t->linux.pending_signals, ~wanted))
            info = dequeue(thread_set(t), signal);
        else if ((signal = next_signal(g_signals.pending, ~wanted)))
            info = dequeue(shared_set(), signal);
        else
            return SignalInfo{};
        if (info.signal != 0) return info; // else a stale timer signal was dropped
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

// The siginfo_t of `info` (the layout its si_code selects).
void fill_siginfo(uint8_t out[128], const SignalInfo& info) {
    memset(out, 0, 128);
    int32_t head[4] = {info.signal, 0, info.code, 0};
    memcpy(out, head, sizeof(head));
    if (info.code == kSiTimer) {
        int32_t timer[2] = {info.timer_id, info.overrun};
        memcpy(out + 16, timer, sizeof(timer));
        memcpy(out + 24, &info.value, sizeof(info.value));
    } else if (info.code <= 0) { // SI_USER (kill), SI_QUEUE, SI_TKILL and the other user codes
        int32_t sender[2] = {info.pid, info.uid};
        memcpy(out + 16, sender, sizeof(sender));
        memcpy(out + 24, &info.value, sizeof(info.value));
    } else {
        memcpy(out + 16, &info.addr, sizeof(info.addr));
    }
}

// A system call interrupted with a restart code (Linux arch/x86/kernel/signal.c handle_signal()
// and arch_do_signal_or_restart()): with a handler about to run, RESTARTSYS runs the call again
// only for SA_RESTART and the others become EINTR; without one every code restarts, the timed
// waits through restart_syscall. Settled once per system call.
void settle_restart(TrapFrame& frame, bool handler, uint64_t flags) {
    sched::LinuxThread& t = self();
    if (t.restart_number < 0) return;
    auto code = static_cast<Errno>(-static_cast<long>(frame.rax));
    bool again = !handler || code == Errno::RESTARTNOINTR ||
                 (code == Errno::RESTARTSYS && (flags & kSaRestart));
    if (!again) {
        frame.rax = static_cast<uint64_t>(Error(Errno::INTR).negated());
    } else {
        frame.rax = code == Errno::RESTART_RESTARTBLOCK ? kRestartSyscallNumber
                                                        : static_cast<uint64_t>(t.restart_number);
        frame.rip -= kSyscallInstructionLength;
    }
    t.restart_number = -1;
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
    settle_restart(frame, true, action.flags);
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

// Wakes a thread blocked in an interruptible wait so that it can take the signal, or interrupts
// the CPU it runs on (it takes the signal on its way back to user mode).
void interrupt(sched::Thread* t) {
    if (t->state == sched::State::Blocked && t->linux.interruptible) sched::wake(t);
    else sched::kick(t);
}

sched::Thread* main_thread() {
    sched::Thread* main = nullptr;
    sched::for_each_thread([&](sched::Thread* t) {
        if (t->tid == Process::kPid) main = t;
    });
    return main ? main : sched::current();
}

// Linux complete_signal(): the main thread takes a process-directed signal unless it blocks
// it, else the first thread that does not; that one is woken from an interruptible wait.
Result<bool> generate_for_process(const SignalInfo& info, bool user_queued) {
    sched::Thread* main = main_thread();
    if (ignored_on_generation(info.signal, main)) return false;
    if (!TRY(add_pending(shared_set(), info, user_queued))) return false;
    sched::Thread* taker = nullptr;
    if (!(main->linux.blocked_signals & signal_bit(info.signal))) taker = main;
    sched::for_each_thread([&](sched::Thread* t) {
        if (taker == nullptr && !(t->linux.blocked_signals & signal_bit(info.signal))) taker = t;
    });
    if (taker != nullptr) interrupt(taker);
    return true;
}

Result<bool> generate_for_thread(sched::Thread* target, const SignalInfo& info, bool user_queued) {
    if (ignored_on_generation(info.signal, target)) return false;
    if (!TRY(add_pending(thread_set(target), info, user_queued))) return false;
    interrupt(target);
    return true;
}

} // namespace

Errno restart_with(long (*fn)(const uint64_t* args), uint64_t a0, uint64_t a1, uint64_t a2,
                   uint64_t a3) {
    sched::LinuxThread& t = self();
    t.restart_fn = fn;
    t.restart_args[0] = a0, t.restart_args[1] = a1, t.restart_args[2] = a2, t.restart_args[3] = a3;
    return Errno::RESTART_RESTARTBLOCK;
}

Result<long> sys_restart_syscall() {
    sched::LinuxThread& t = self();
    auto fn = t.restart_fn;
    t.restart_fn = nullptr;
    if (fn == nullptr) return Errno::INTR; // Linux do_no_restart_syscall()
    uint64_t args[4] = {t.restart_args[0], t.restart_args[1], t.restart_args[2], t.restart_args[3]};
    long result = fn(args);
    if (result < 0) return static_cast<Errno>(-result);
    return result;
}

void note_syscall_restart(uint64_t number) { self().restart_number = static_cast<int32_t>(number); }

bool send_signal(const SignalInfo& info) {
    auto r = generate_for_process(info, false);
    return !r.is_error() && r.value();
}

bool send_thread_signal(sched::Thread* target, const SignalInfo& info) {
    auto r = generate_for_thread(target, info, false);
    return !r.is_error() && r.value();
}

void release_thread_signals(sched::Thread* thread) { flush(thread_set(thread), ~0ull); }

uint64_t queued_signal_count() { return g_signals.queued_count; }

void force_fault_signal(TrapFrame& frame, const SignalInfo& info) {
    KernelSigaction& action = g_signals.actions[info.signal];
    sched::LinuxThread& t = self();
    if ((t.blocked_signals & signal_bit(info.signal)) || action.handler == kSigIgn)
        action.handler = kSigDfl;
    t.blocked_signals &= ~signal_bit(info.signal);
    if (!deliver(frame, info)) kill_for_bad_frame(frame);
}

bool has_deliverable_signal() {
    return ((g_signals.pending | self().pending_signals) & ~self().blocked_signals) != 0;
}

// Every pending, unblocked signal is delivered now, each handler frame on top of the previous
// one (Linux loops in exit_to_user_mode_loop()), so the last one delivered runs first; each
// handler's sa_mask applies to the ones after it.
void deliver_pending_signals(TrapFrame& frame) {
    sched::LinuxThread& t = self();
    resume_cpu_timers(); // a thread is about to run: CPU clocks move again
    while ((g_signals.pending | t.pending_signals) & ~t.blocked_signals) {
        SignalInfo info = take_next(~t.blocked_signals);
        if (info.signal == 0) break; // only stale timer signals
        if (!deliver(frame, info)) kill_for_bad_frame(frame);
    }
    if (t.restart_number >= 0) settle_restart(frame, false, 0); // no handler ran: the call goes on
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

Result<long> sys_rt_sigtimedwait(UserPtr<const uint64_t> set, UserPtr<char> info,
                                 UserPtr<const Timespec> timeout, uint64_t sigsetsize) {
    if (sigsetsize != 8) return Errno::INVAL;
    uint64_t wanted = TRY(set.read()) & ~kUnblockable;
    uint64_t timeout_ns = ~0ull;
    if (!timeout.is_null()) timeout_ns = TRY(timespec_to_ns(TRY(timeout.read())));
    SignalInfo taken = take_next(wanted);
    if (taken.signal == 0 && timeout_ns != 0) {
        // The awaited signals wake the wait (Linux unblocks them for its length); they are
        // taken here, never delivered to a handler.
        sched::LinuxThread& t = self();
        uint64_t saved = t.blocked_signals;
        t.blocked_signals &= ~wanted;
        wait_interruptible(timeout_ns == ~0ull ? 0 : deadline_after(timeout_ns));
        t.blocked_signals = saved;
        taken = take_next(wanted);
    }
    // Linux do_sigtimedwait(): EINTR for another signal, never restarted.
    if (taken.signal == 0) return has_deliverable_signal() ? Errno::INTR : Errno::AGAIN;
    if (!info.is_null()) {
        uint8_t siginfo[128];
        fill_siginfo(siginfo, taken);
        TRY(copy_to_user(info.address(), siginfo, sizeof(siginfo)));
    }
    return taken.signal;
}

Result<long> sys_pause() {
    wait_interruptible(0);
    return Errno::RESTARTNOHAND;
}

Result<long> sys_rt_sigsuspend(UserPtr<const uint64_t> mask, uint64_t sigsetsize) {
    if (sigsetsize != 8) return Errno::INVAL;
    uint64_t temporary = TRY(mask.read());
    sched::LinuxThread& t = self();
    t.suspended_mask = t.blocked_signals;
    t.restore_suspended_mask = true;
    t.blocked_signals = temporary & ~kUnblockable;
    wait_interruptible(0);
    return Errno::RESTARTNOHAND;
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
        // Setting SIG_IGN discards pending instances (POSIX), as does a default that ignores
        // (Linux: for every thread too).
        if (current.handler == kSigIgn ||
            (current.handler == kSigDfl && default_action(signal) == Default::Ignore)) {
            flush(shared_set(), signal_bit(signal));
            sched::for_each_thread([&](sched::Thread* t) { flush(thread_set(t), signal_bit(signal)); });
        }
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

namespace {
// rt_sigqueueinfo, rt_tgsigqueueinfo: the sender's siginfo as given (the kernel sets si_signo).
Result<SignalInfo> user_siginfo(int signal, UserPtr<const char> uinfo) {
    uint8_t raw[128];
    TRY(copy_from_user(raw, uinfo.address(), sizeof(raw)));
    int32_t head[4], fields[2];
    memcpy(head, raw, sizeof(head));
    memcpy(fields, raw + 16, sizeof(fields));
    SignalInfo info{};
    info.signal = signal;
    info.code = head[2];
    if (info.code == kSiTimer) info.timer_id = fields[0], info.overrun = fields[1];
    else info.pid = fields[0], info.uid = fields[1];
    memcpy(&info.value, raw + 24, sizeof(info.value));
    return info;
}

// Linux do_rt_sigqueueinfo(): nobody may pretend to be the kernel, kill() or tgkill() towards
// anyone but itself.
bool impersonates(const SignalInfo& info, bool to_self) {
    return (info.code >= 0 || info.code == kSiTkill) && !to_self;
}
} // namespace

Result<long> sys_tgkill(int tgid, int tid, int signal) {
    if (tgid <= 0 || tid <= 0 || signal < 0 || signal > kSignalCount) return Errno::INVAL;
    sched::Thread* target = tgid == Process::kPid ? sched::find_thread(tid) : nullptr;
    if (target == nullptr) return Errno::SRCH;
    if (signal == 0) return 0;
    TRY(generate_for_thread(target, SignalInfo{signal, kSiTkill, 0, Process::kPid, 0, 0, 0}, false));
    return 0;
}

Result<long> sys_tkill(int tid, int signal) { return sys_tgkill(Process::kPid, tid, signal); }

Result<long> sys_rt_sigqueueinfo(int pid, int signal, UserPtr<const char> uinfo) {
    SignalInfo info = TRY(user_siginfo(signal, uinfo));
    if (impersonates(info, pid == Process::kPid)) return Errno::PERM;
    if (pid != Process::kPid) return Errno::SRCH;
    if (signal < 0 || signal > kSignalCount) return Errno::INVAL;
    if (signal == 0) return 0;
    TRY(generate_for_process(info, true));
    return 0;
}

Result<long> sys_rt_tgsigqueueinfo(int tgid, int tid, int signal, UserPtr<const char> uinfo) {
    if (tgid <= 0 || tid <= 0) return Errno::INVAL;
    SignalInfo info = TRY(user_siginfo(signal, uinfo));
    if (impersonates(info, tid == sched::current()->tid)) return Errno::PERM;
    sched::Thread* target = tgid == Process::kPid ? sched::find_thread(tid) : nullptr;
    if (target == nullptr) return Errno::SRCH;
    if (signal < 0 || signal > kSignalCount) return Errno::INVAL;
    if (signal == 0) return 0;
    TRY(generate_for_thread(target, info, true));
    return 0;
}

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
