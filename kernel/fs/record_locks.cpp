// SPDX-License-Identifier: MIT
#include "fs/record_locks.h"

#include <new>

namespace wisp::fs {
namespace {

// Every file's locks, in one list (programs hold few), in Linux's order, which F_GETLK shows
// when several locks conflict: an owner's ranges together and by offset, owners in the order
// they first locked.
RangeLock* g_locks = nullptr;
WaitQueue g_waiters;

bool overlaps(const RangeLock& lock, uint64_t start, uint64_t end) {
    return lock.start <= end && start <= lock.end;
}

bool owned(const RangeLock& lock, const Vnode& file, LockOwner owner) {
    return lock.file == &file && lock.owner == owner;
}

void insert(RangeLock* lock) {
    RangeLock** link = &g_locks;
    bool among_own = false;
    while (*link != nullptr) {
        bool own = owned(**link, *lock->file, lock->owner);
        if ((own && (*link)->start > lock->start) || (among_own && !own)) break;
        among_own = among_own || own;
        link = &(*link)->next;
    }
    lock->next = *link;
    *link = lock;
}

void unlink(RangeLock** link) {
    RangeLock* lock = *link;
    *link = lock->next;
    delete lock;
}

} // namespace

const RangeLock* find_lock_conflict(const Vnode& file, LockOwner owner, RangeLockType type,
                                    uint64_t start, uint64_t end) {
    for (const RangeLock* lock = g_locks; lock != nullptr; lock = lock->next) {
        if (lock->file != &file || lock->owner == owner || !overlaps(*lock, start, end)) continue;
        if (type == RangeLockType::Write || lock->type == RangeLockType::Write) return lock;
    }
    return nullptr;
}

const RangeLock* find_own_lock(const Vnode& file, LockOwner owner, uint64_t start, uint64_t end) {
    for (const RangeLock* lock = g_locks; lock != nullptr; lock = lock->next)
        if (owned(*lock, file, owner) && overlaps(*lock, start, end)) return lock;
    return nullptr;
}

Result<void> set_range_lock(const Vnode& file, LockOwner owner, RangeLockType type, uint64_t start,
                            uint64_t end) {
    // The records this needs are allocated first, so that failing changes nothing: the new
    // range's, and, if a range of the owner's sticks out on both sides of it, its part after.
    RangeLock* fresh = nullptr;
    if (type != RangeLockType::Unlock) {
        fresh = new (std::nothrow) RangeLock{nullptr, &file, owner, type, start, end};
        if (fresh == nullptr) return Errno::NOLCK;
    }
    for (RangeLock* lock = g_locks; lock != nullptr; lock = lock->next) {
        if (owned(*lock, file, owner) && lock->start < start && lock->end > end && lock->type != type) {
            auto* tail = new (std::nothrow) RangeLock{*lock};
            if (tail == nullptr) {
                delete fresh;
                return Errno::NOLCK;
            }
            tail->start = end + 1;
            lock->end = start - 1;
            insert(tail);
            break;
        }
    }
    // Same-type ranges that overlap or touch the new one merge into it; other-type ones lose
    // the overlap (trimmed from either side, or gone).
    for (RangeLock** link = &g_locks; *link != nullptr;) {
        RangeLock& lock = **link;
        bool touches = lock.start <= end + 1 && (start == 0 ? 0 : start - 1) <= lock.end;
        if (!owned(lock, file, owner) || !touches) {
            link = &lock.next;
            continue;
        }
        if (lock.type == type) {
            if (lock.start < start) start = lock.start;
            if (lock.end > end) end = lock.end;
            unlink(link);
        } else if (!overlaps(lock, start, end)) {
            link = &lock.next; // only adjacent
        } else if (lock.start < start) {
            lock.end = start - 1;
            link = &lock.next;
        } else if (lock.end > end) {
            lock.start = end + 1;
            link = &lock.next;
        } else {
            unlink(link);
        }
    }
    g_waiters.wake_all();
    if (fresh != nullptr) {
        fresh->start = start;
        fresh->end = end;
        insert(fresh);
    }
    return {};
}

void drop_range_locks(const Vnode& file, LockOwner owner) {
    bool dropped = false;
    for (RangeLock** link = &g_locks; *link != nullptr;) {
        if (owned(**link, file, owner)) {
            unlink(link);
            dropped = true;
        } else {
            link = &(*link)->next;
        }
    }
    if (dropped) g_waiters.wake_all();
}

WaitQueue& record_lock_waiters() { return g_waiters; }

} // namespace wisp::fs
