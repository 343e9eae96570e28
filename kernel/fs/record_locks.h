// SPDX-License-Identifier: MIT
#pragma once

// fcntl(2) byte-range locks. Two kinds of owner (Linux fs/locks.c): the process, for POSIX
// locks (F_SETLK), and an open file description, for OFD locks (F_OFD_SETLK). Locks of one
// owner never conflict with each other — one process means POSIX locks never conflict at all —
// but an OFD lock conflicts with the process's POSIX locks and with other descriptions' OFD
// locks where ranges overlap and one of the two is a write lock. An owner's locks on a file are
// kept as disjoint ranges: setting one over part of another splits it, and adjacent ranges of
// one type merge, as on Linux (F_GETLK reports them so). POSIX locks go when the process closes
// any descriptor of the file; OFD locks with the description's last close. The waiting
// (F_SETLKW) is the caller's: it retries after record_lock_waiters() wakes it.
#include <stdint.h>

#include "fs/wait_queue.h"
#include "lib/result.h"

namespace wisp::fs {

class Vnode;

enum class RangeLockType : uint8_t { Read, Write, Unlock };

// Ends are inclusive; kLockToEnd reaches past every offset (a length of 0).
inline constexpr uint64_t kLockToEnd = INT64_MAX;

// An owner: the process (`description` null) or an open file description.
struct LockOwner {
    const void* description = nullptr;
    bool operator==(const LockOwner&) const = default;
};

struct RangeLock {
    RangeLock* next;
    const Vnode* file;
    LockOwner owner;
    RangeLockType type;
    uint64_t start, end;
};

// Another owner's lock on `file` that a lock of `type` over [start, end] by `owner` would
// conflict with (the first one), or null.
const RangeLock* find_lock_conflict(const Vnode& file, LockOwner owner, RangeLockType type,
                                    uint64_t start, uint64_t end);
// `owner`'s own lock on `file` overlapping [start, end] (the first one), or null.
const RangeLock* find_own_lock(const Vnode& file, LockOwner owner, uint64_t start, uint64_t end);
// Makes [start, end] of `file` locked by `owner` with `type` (Unlock: not locked), whatever
// the owner held there before. The caller checked for conflicts. NOLCK when out of memory.
Result<void> set_range_lock(const Vnode& file, LockOwner owner, RangeLockType type, uint64_t start,
                            uint64_t end);
// Drops every lock `owner` holds on `file` (a close).
void drop_range_locks(const Vnode& file, LockOwner owner);
// Woken whenever locks are dropped or set (a waiter checks again).
WaitQueue& record_lock_waiters();

} // namespace wisp::fs
