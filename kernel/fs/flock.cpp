// SPDX-License-Identifier: MIT
#include "fs/flock.h"

#include <new>

#include "fs/open_file.h"

namespace wisp::fs {
namespace {

// The held locks, every file's in one list: programs hold few.
struct Flock {
    Flock* next;
    const Vnode* vnode;
    const OpenFile* owner;
    FlockKind kind;
};

Flock* g_locks = nullptr;
WaitQueue g_waiters;

void remove(Flock** link) {
    Flock* lock = *link;
    *link = lock->next;
    delete lock;
    g_waiters.wake_all();
}

} // namespace

Result<bool> try_flock(OpenFile& file, FlockKind kind) {
    const Vnode* vnode = &file.vnode();
    for (Flock** link = &g_locks; *link != nullptr; link = &(*link)->next) {
        if ((*link)->owner != &file) continue;
        if ((*link)->kind == kind) return true;
        remove(link);
        break;
    }
    for (Flock* lock = g_locks; lock != nullptr; lock = lock->next) {
        if (lock->vnode == vnode && (kind == FlockKind::Exclusive || lock->kind == FlockKind::Exclusive))
            return false;
    }
    auto* lock = new (std::nothrow) Flock{g_locks, vnode, &file, kind};
    if (lock == nullptr) return Errno::NOLCK; // Linux: out of lock structures
    g_locks = lock;
    file.note_flock();
    return true;
}

void unlock_flock(OpenFile& file) {
    for (Flock** link = &g_locks; *link != nullptr; link = &(*link)->next) {
        if ((*link)->owner == &file) {
            remove(link);
            return;
        }
    }
}

WaitQueue& flock_waiters() { return g_waiters; }

} // namespace wisp::fs
