// SPDX-License-Identifier: MIT
// futex(2): the operations glibc, musl and Go use — WAIT, WAKE, WAIT_BITSET, WAKE_BITSET,
// REQUEUE, CMP_REQUEUE, WAKE_OP — with timeouts on the right clock. One process: the private
// flag changes nothing, and a futex is just its user address. Waiters are the blocked threads
// whose futex_address matches; a waker clears it before waking them, which is how a waiter tells
// a wake from a timeout or a signal.
#include "linux/abi_types.h"
#include "linux/futex.h"
#include "linux/signals.h"
#include "linux/syscalls.h"
#include "platform/platform.h"
#include "sched/thread.h"

namespace wisp::linux {
namespace {

constexpr int kWait = 0, kWake = 1, kRequeue = 3, kCmpRequeue = 4, kWakeOp = 5,
              kWaitBitset = 9, kWakeBitset = 10;
constexpr int kPrivateFlag = 128, kClockRealtimeFlag = 256;
constexpr uint32_t kBitsetMatchAny = 0xffffffff;
constexpr uint64_t kNsPerSec = 1'000'000'000;

// Threads blocked in futex waits, in the order they started waiting (FIFO wake order). A tail
// pointer makes starting a wait O(1) however many threads wait (64 in thread_stress).
sched::Thread* g_waiters = nullptr;
sched::Thread** g_waiters_tail = &g_waiters;

void add_waiter(sched::Thread* t) {
    t->linux.futex_next = nullptr;
    *g_waiters_tail = t;
    g_waiters_tail = &t->linux.futex_next;
}

// Unlinks the waiter that `link` points at.
void unlink_at(sched::Thread** link) {
    sched::Thread* t = *link;
    *link = t->linux.futex_next;
    if (g_waiters_tail == &t->linux.futex_next) g_waiters_tail = link;
    t->linux.futex_next = nullptr;
}

void remove_waiter(sched::Thread* t) {
    for (sched::Thread** link = &g_waiters; *link != nullptr; link = &(*link)->linux.futex_next) {
        if (*link == t) {
            unlink_at(link);
            return;
        }
    }
}

Result<uint32_t> read_futex(uint64_t address) {
    if (address & 3) return Errno::INVAL;
    uint32_t value;
    TRY(copy_from_user(&value, address, sizeof(value)));
    return value;
}

long restart_wait(const uint64_t* args);

// Linux futex_wait(): a signal ends the wait with RESTARTSYS (EINTR, or the wait again after an
// SA_RESTART handler); a timed wait restarts only without a handler, through restart_syscall
// with the same absolute deadline.
Result<long> wait(uint64_t address, uint32_t expected, uint64_t deadline, uint32_t bitset) {
    if (bitset == 0) return Errno::INVAL;
    uint32_t value = TRY(read_futex(address));
    if (value != expected) return Errno::AGAIN;
    sched::Thread* self = sched::current();
    self->linux.futex_address = address;
    self->linux.futex_bitset = bitset;
    self->linux.interruptible = true;
    add_waiter(self);
    bool in_time = sched::block(deadline);
    self->linux.interruptible = false;
    bool woken = self->linux.futex_address == 0;
    if (!woken) remove_waiter(self); // a waker already unlinked it
    self->linux.futex_address = 0;
    if (woken) return 0;
    if (!in_time) return Errno::TIMEDOUT;
    // A signal (delivered on the way back to user mode).
    if (deadline == 0) return Errno::RESTARTSYS;
    return restart_with(restart_wait, address, expected, deadline, bitset);
}

// args: address, expected value, monotonic deadline, bitset.
long restart_wait(const uint64_t* args) {
    auto r = wait(args[0], static_cast<uint32_t>(args[1]), args[2], static_cast<uint32_t>(args[3]));
    return r.is_error() ? r.error().negated() : r.value();
}

// Moves up to `wake` waiters of `address` to runnable and up to `requeue` more to `target`.
long wake_and_requeue(uint64_t address, uint32_t bitset, int wake, uint64_t target, int requeue) {
    long woken = 0, moved = 0;
    for (sched::Thread** link = &g_waiters; *link != nullptr;) {
        sched::Thread* t = *link;
        if (t->linux.futex_address != address || !(t->linux.futex_bitset & bitset)) {
            link = &t->linux.futex_next;
            continue;
        }
        if (woken < wake) {
            unlink_at(link); // unlinked: futex_address == 0 tells it was woken
            t->linux.futex_address = 0;
            sched::wake(t);
            woken++;
            continue;
        }
        if (moved >= requeue) break;
        t->linux.futex_address = target;
        moved++;
        link = &t->linux.futex_next;
    }
    return woken + moved;
}

// FUTEX_WAKE_OP's operation on *address2 (linux/futex.h: FUTEX_OP_SET..XOR, comparisons).
Result<bool> wake_op_update(uint64_t address2, uint32_t encoded) {
    uint32_t op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
    int32_t oparg = static_cast<int32_t>(encoded << 8) >> 20; // 12-bit signed
    int32_t cmparg = static_cast<int32_t>(encoded << 20) >> 20;
    if (encoded & (8u << 28)) oparg = 1 << (oparg & 31); // FUTEX_OP_OPARG_SHIFT
    uint32_t old = TRY(read_futex(address2));
    uint32_t updated;
    switch (op) {
    case 0: updated = static_cast<uint32_t>(oparg); break;           // SET
    case 1: updated = old + static_cast<uint32_t>(oparg); break;     // ADD
    case 2: updated = old | static_cast<uint32_t>(oparg); break;     // OR
    case 3: updated = old & ~static_cast<uint32_t>(oparg); break;    // ANDN
    case 4: updated = old ^ static_cast<uint32_t>(oparg); break;     // XOR
    default: return Errno::NOSYS;
    }
    TRY(copy_to_user(address2, &updated, sizeof(updated)));
    auto o = static_cast<int32_t>(old);
    switch (cmp) {
    case 0: return o == cmparg;
    case 1: return o != cmparg;
    case 2: return o < cmparg;
    case 3: return o <= cmparg;
    case 4: return o > cmparg;
    case 5: return o >= cmparg;
    default: return Errno::NOSYS;
    }
}

Result<uint64_t> deadline_from(UserPtr<const Timespec> timeout, bool absolute, bool realtime) {
    if (timeout.is_null()) return 0;
    Timespec t = TRY(timeout.read());
    if (t.tv_sec < 0 || t.tv_nsec < 0 || t.tv_nsec >= static_cast<int64_t>(kNsPerSec))
        return Errno::INVAL;
    uint64_t ns = static_cast<uint64_t>(t.tv_sec) * kNsPerSec + static_cast<uint64_t>(t.tv_nsec);
    if (absolute) {
        uint64_t offset = realtime ? platform::boot_epoch_ns() : 0;
        return ns > offset ? ns - offset : 1;
    }
    return platform::monotonic_ns() + ns;
}

} // namespace

long futex_wake(uint64_t address, int count) {
    return wake_and_requeue(address, kBitsetMatchAny, count, 0, 0);
}

Result<long> sys_futex(uint64_t address, int op, uint32_t value, uint64_t timeout_or_value2,
                       uint64_t address2, uint32_t value3) {
    bool realtime = op & kClockRealtimeFlag;
    int command = op & ~(kPrivateFlag | kClockRealtimeFlag);
    if (realtime && command != kWait && command != kWaitBitset) return Errno::NOSYS;
    switch (command) {
    case kWait: {
        uint64_t deadline = TRY(deadline_from(UserPtr<const Timespec>(timeout_or_value2), false, false));
        return wait(address, value, deadline, kBitsetMatchAny);
    }
    case kWaitBitset: {
        uint64_t deadline = TRY(deadline_from(UserPtr<const Timespec>(timeout_or_value2), true, realtime));
        return wait(address, value, deadline, value3);
    }
    case kWake:
        if (address & 3) return Errno::INVAL;
        // Linux get_futex_key(): a wake reads nothing, but the address must be a user one.
        if (!user_range_ok(address, 4)) return Errno::FAULT;
        return wake_and_requeue(address, kBitsetMatchAny, static_cast<int>(value), 0, 0);
    case kWakeBitset:
        if (address & 3) return Errno::INVAL;
        if (!user_range_ok(address, 4)) return Errno::FAULT;
        if (value3 == 0) return Errno::INVAL;
        return wake_and_requeue(address, value3, static_cast<int>(value), 0, 0);
    case kCmpRequeue: {
        uint32_t current = TRY(read_futex(address));
        if (current != value3) return Errno::AGAIN;
        [[fallthrough]];
    }
    case kRequeue:
        if ((address & 3) || (address2 & 3)) return Errno::INVAL;
        if (!user_range_ok(address, 4) || !user_range_ok(address2, 4)) return Errno::FAULT;
        if (static_cast<int32_t>(value) < 0 || static_cast<int32_t>(timeout_or_value2) < 0)
            return Errno::INVAL;
        return wake_and_requeue(address, kBitsetMatchAny, static_cast<int>(value), address2,
                                static_cast<int>(timeout_or_value2));
    case kWakeOp: {
        if (address & 3) return Errno::INVAL;
        bool also = TRY(wake_op_update(address2, value3));
        long woken = wake_and_requeue(address, kBitsetMatchAny, static_cast<int>(value), 0, 0);
        if (also)
            woken += wake_and_requeue(address2, kBitsetMatchAny,
                                      static_cast<int>(timeout_or_value2), 0, 0);
        return woken;
    }
    default: return Errno::NOSYS; // FIXME: priority-inheritance futexes (LOCK_PI & co)
    }
}

} // namespace wisp::linux
