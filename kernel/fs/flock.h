// SPDX-License-Identifier: MIT
#pragma once

// flock(2) locks: whole-file, advisory, owned by an open file description (every descriptor
// dup'ed from it shares the lock; another open() of the same file is another owner, even in
// the same process). Shared locks coexist; an exclusive one excludes every other owner's. A
// description's lock goes with LOCK_UN or its last close. The waiting is the caller's: it
// retries after flock_waiters() wakes it (Linux fs/locks.c flock_lock_inode).
#include "fs/wait_queue.h"
#include "lib/result.h"

namespace wisp::fs {

class OpenFile;

enum class FlockKind { Shared, Exclusive };

// Takes `file`'s lock on its file, or changes its kind. False when another description's lock
// conflicts; a lock of the other kind that `file` held is then gone (Linux: converting a lock
// is not atomic, the old one is dropped first).
Result<bool> try_flock(OpenFile& file, FlockKind kind);
// Drops `file`'s lock, if any (LOCK_UN, last close).
void unlock_flock(OpenFile& file);
// Woken whenever a lock is dropped.
WaitQueue& flock_waiters();

} // namespace wisp::fs
