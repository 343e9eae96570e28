// SPDX-License-Identifier: MIT
// Threads: clone and clone3 with the flag sets glibc, musl and Go use; thread exit with
// CLONE_CHILD_CLEARTID and robust futex lists; set_tid_address, set_robust_list, gettid.
// There is no fork: a clone that would make a new process fails with ENOSYS.
#include "linux/futex.h"
#include "linux/process.h"
#include "linux/signals.h"
#include "linux/syscalls.h"
#include "sched/thread.h"

namespace wisp::linux {
namespace {

constexpr uint64_t kCloneVm = 0x100, kCloneFs = 0x200, kCloneFiles = 0x400, kCloneSighand = 0x800,
                   kClonePidfd = 0x1000, kClonePtrace = 0x2000, kCloneVfork = 0x4000,
                   kCloneThread = 0x10000, kCloneSysvsem = 0x40000,
                   kCloneSettls = 0x80000, kCloneParentSettid = 0x100000,
                   kCloneChildCleartid = 0x200000, kCloneDetached = 0x400000,
                   kCloneUntraced = 0x800000, kCloneChildSettid = 0x1000000;
constexpr uint64_t kThreadFlags = kCloneVm | kCloneFs | kCloneFiles | kCloneSighand | kCloneThread;
constexpr uint64_t kAllowed = kThreadFlags | kCloneSysvsem | kCloneSettls | kCloneParentSettid |
                              kCloneChildCleartid | kCloneDetached | kCloneUntraced |
                              kCloneChildSettid | kClonePtrace;
constexpr uint32_t kFutexOwnerDied = 0x40000000, kFutexTidMask = 0x3fffffff;
constexpr int kRobustListLimit = 2048; // Linux's ROBUST_LIST_LIMIT

int g_next_tid = 2;

Result<long> create_thread(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                           uint64_t tls) {
    if ((flags & kThreadFlags) != kThreadFlags) {
        // A new process (fork, vfork, posix_spawn) or a sharing mix Linux refuses: one process.
        if (flags & kCloneThread) return Errno::INVAL;
        return Errno::NOSYS;
    }
    if (flags & (kClonePidfd | kCloneVfork)) return Errno::INVAL;
    if (flags & ~(kAllowed | 0xff)) return Errno::INVAL; // low byte: exit signal, ignored here
    TrapFrame child = current_trap_frame();
    child.rax = 0; // the child's clone() returns 0
    if (stack != 0) child.rsp = stack;
    int tid = g_next_tid++;
    sched::Thread* thread = sched::create_thread(tid, child);
    if (thread == nullptr) return Errno::NOMEM;
    thread->context.fs_base = (flags & kCloneSettls) ? tls : sched::current()->context.fs_base;
    thread->linux.blocked_signals = sched::current()->linux.blocked_signals;
    if (flags & kCloneChildCleartid) thread->linux.clear_child_tid = child_tid;
    if (flags & kCloneParentSettid) {
        int32_t value = tid;
        (void)copy_to_user(parent_tid, &value, sizeof(value)); // Linux ignores a fault here too
    }
    if (flags & kCloneChildSettid) {
        int32_t value = tid;
        (void)copy_to_user(child_tid, &value, sizeof(value));
    }
    return tid;
}

// Marks the futexes this thread holds on its robust list as abandoned and wakes one waiter of
// each (kernel/futex/core.c exit_robust_list).
void release_robust_list(sched::Thread* self) {
    struct Head {
        uint64_t next;
        int64_t futex_offset;
        uint64_t list_op_pending;
    } head;
    if (self->linux.robust_list == 0 ||
        copy_from_user(&head, self->linux.robust_list, sizeof(head)).is_error())
        return;
    auto release = [&](uint64_t entry) {
        uint64_t address = entry + static_cast<uint64_t>(head.futex_offset);
        uint32_t value;
        if (copy_from_user(&value, address, sizeof(value)).is_error()) return;
        if ((value & kFutexTidMask) != static_cast<uint32_t>(self->tid)) return;
        uint32_t updated = (value & ~kFutexTidMask) | kFutexOwnerDied;
        if (copy_to_user(address, &updated, sizeof(updated)).is_error()) return;
        futex_wake(address, 1);
    };
    uint64_t entry = head.next;
    for (int i = 0; i < kRobustListLimit && entry != self->linux.robust_list; i++) {
        uint64_t next;
        if (copy_from_user(&next, entry, sizeof(next)).is_error()) break;
        if (entry != head.list_op_pending) release(entry);
        entry = next;
    }
    if (head.list_op_pending != 0) release(head.list_op_pending);
}

} // namespace

Result<long> sys_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                       uint64_t tls) {
    return create_thread(flags, stack, parent_tid, child_tid, tls);
}

Result<long> sys_clone3(UserPtr<const char> args, uint64_t size) {
    struct CloneArgs {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
            set_tid, set_tid_size, cgroup;
    } a{};
    if (size < 64 || size > 4096) return Errno::INVAL; // CLONE_ARGS_SIZE_VER0
    TRY(copy_from_user(&a, args.address(), size < sizeof(a) ? size : sizeof(a)));
    if (a.set_tid != 0 || a.set_tid_size != 0 || a.exit_signal > 64) return Errno::INVAL;
    if ((a.stack == 0) != (a.stack_size == 0)) return Errno::INVAL;
    return create_thread(a.flags, a.stack == 0 ? 0 : a.stack + a.stack_size, a.parent_tid,
                         a.child_tid, a.tls);
}

Result<long> sys_exit(int status) {
    sched::Thread* self = sched::current();
    if (sched::live_threads() == 1) exit_process(status);
    release_robust_list(self);
    release_thread_signals(self);
    if (self->linux.clear_child_tid != 0) {
        int32_t zero = 0;
        if (!copy_to_user(self->linux.clear_child_tid, &zero, sizeof(zero)).is_error())
            futex_wake(self->linux.clear_child_tid, 1);
    }
    sched::exit_current();
}

Result<long> sys_exit_group(int status) { exit_process(status); }

Result<long> sys_gettid() { return sched::current()->tid; }

Result<long> sys_set_tid_address(uint64_t tidptr) {
    sched::current()->linux.clear_child_tid = tidptr;
    return sched::current()->tid;
}

Result<long> sys_set_robust_list(uint64_t head, uint64_t length) {
    if (length != 24) return Errno::INVAL; // sizeof(struct robust_list_head)
    sched::current()->linux.robust_list = head;
    sched::current()->linux.robust_list_len = length;
    return 0;
}

} // namespace wisp::linux
