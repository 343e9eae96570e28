// SPDX-License-Identifier: MIT
// Descriptors: close, close_range, dup/dup2/dup3, fcntl, flock (fs/flock.h), pipe/pipe2.
#include "fs/flock.h"
#include "fs/record_locks.h"
#include "fs/pipe.h"
#include "lib/print.h"
#include "linux/abi_types.h"
#include "linux/blocking.h"
#include "linux/files.h"
#include "linux/process.h"
#include "linux/syscalls.h"

namespace wisp::linux {

namespace {

using fs::OpenFile;

constexpr int kFDupFd = 0, kFGetFd = 1, kFSetFd = 2, kFGetFl = 3, kFSetFl = 4, kFGetLk = 5,
              kFSetLk = 6, kFSetLkW = 7, kFSetOwn = 8, kFGetOwn = 9, kFSetSig = 10, kFGetSig = 11,
              kFSetOwnEx = 15, kFGetOwnEx = 16, kFOfdGetLk = 36, kFOfdSetLk = 37, kFOfdSetLkW = 38,
              kFSetLease = 1024, kFGetLease = 1025, kFNotify = 1026, kFDupFdCloexec = 1030,
              kFSetPipeSz = 1031, kFGetPipeSz = 1032, kFAddSeals = 1033, kFGetSeals = 1034;
constexpr int kFdCloexec = 1;
constexpr int kRdLock = 0, kWrLock = 1, kUnlock = 2;

// struct flock's range as [start, end] (Linux flock64_to_posix_lock): l_start from l_whence,
// a length of 0 reaching past every offset, a negative one ending just before l_start.
Result<void> lock_range(OpenFile& file, const Flock& lock, uint64_t& start, uint64_t& end) {
    int64_t base = 0;
    if (lock.l_whence == 1) {
        base = static_cast<int64_t>(file.offset);
    } else if (lock.l_whence == 2) {
        fs::Attributes a;
        TRY(file.vnode().getattr(a));
        base = static_cast<int64_t>(a.size);
    }
    int64_t first;
    if (__builtin_add_overflow(base, lock.l_start, &first)) return Errno::OVERFLOW;
    if (first < 0) return Errno::INVAL;
    int64_t last = static_cast<int64_t>(fs::kLockToEnd);
    if (lock.l_len > 0) {
        if (lock.l_len - 1 > static_cast<int64_t>(fs::kLockToEnd) - first) return Errno::OVERFLOW;
        last = first + (lock.l_len - 1);
    } else if (lock.l_len < 0) {
        if (first + lock.l_len < 0) return Errno::INVAL;
        last = first - 1;
        first += lock.l_len;
    }
    start = static_cast<uint64_t>(first), end = static_cast<uint64_t>(last);
    return {};
}

// fcntl record locks (fs/record_locks.h): POSIX locks are the process's, OFD locks the open
// file description's.
Result<long> record_lock(OpenFile& file, int command, UserPtr<Flock> argument) {
    Flock lock = TRY(argument.read());
    bool ofd = command == kFOfdGetLk || command == kFOfdSetLk || command == kFOfdSetLkW;
    if (lock.l_type != kRdLock && lock.l_type != kWrLock && lock.l_type != kUnlock)
        return Errno::INVAL;
    bool get = command == kFGetLk || command == kFOfdGetLk;
    // F_GETLK tests a read or write lock; F_OFD_GETLK with F_UNLCK (Linux 6.7) reports the
    // description's own lock instead.
    if (command == kFGetLk && lock.l_type == kUnlock) return Errno::INVAL;
    if (lock.l_whence < 0 || lock.l_whence > 2) return Errno::INVAL;
    uint64_t start, end;
    TRY(lock_range(file, lock, start, end));
    if (!get && lock.l_type == kRdLock && !file.can_read()) return Errno::BADF;
    if (!get && lock.l_type == kWrLock && !file.can_write()) return Errno::BADF;
    if (ofd && lock.l_pid != 0) return Errno::INVAL;
    auto type = lock.l_type == kRdLock   ? fs::RangeLockType::Read
                : lock.l_type == kWrLock ? fs::RangeLockType::Write
                                         : fs::RangeLockType::Unlock;
    fs::LockOwner owner{ofd ? &file : nullptr};
    if (get) {
        const fs::RangeLock* conflict = type == fs::RangeLockType::Unlock
                                            ? fs::find_own_lock(file.vnode(), owner, start, end)
                                            : fs::find_lock_conflict(file.vnode(), owner, type, start, end);
        if (conflict == nullptr) {
            lock.l_type = kUnlock;
        } else {
            lock.l_type = conflict->type == fs::RangeLockType::Read ? kRdLock : kWrLock;
            lock.l_whence = 0;
            lock.l_start = static_cast<int64_t>(conflict->start);
            lock.l_len = conflict->end == fs::kLockToEnd ? 0 : static_cast<int64_t>(conflict->end - conflict->start + 1);
            lock.l_pid = conflict->owner.description != nullptr ? -1 : Process::kPid;
        }
        TRY(argument.write(lock));
        return 0;
    }
    if (type != fs::RangeLockType::Unlock) {
        // Only an OFD lock can conflict (with POSIX locks, or another description's): wait
        // for a change and look again (Linux ERESTARTSYS on a signal).
        while (fs::find_lock_conflict(file.vnode(), owner, type, start, end) != nullptr) {
            if (command != kFSetLkW && command != kFOfdSetLkW) return Errno::AGAIN;
            TRY(wait_for(fs::record_lock_waiters(), 0, "fcntl F_SETLKW"));
        }
    }
    TRY(fs::set_range_lock(file.vnode(), owner, type, start, end));
    if (ofd && type != fs::RangeLockType::Unlock) file.note_range_locks();
    return 0;
}

} // namespace

Result<long> sys_close(int fd) {
    TRY(files().fds.close(fd));
    return 0;
}

Result<long> sys_close_range(unsigned first, unsigned last, unsigned flags) {
    constexpr unsigned kUnshare = 2, kCloexec = 4;
    if (flags & ~(kUnshare | kCloexec)) return Errno::INVAL;
    if (first > last) return Errno::INVAL;
    files().fds.close_range(first, last, flags & kCloexec);
    return 0;
}

Result<long> sys_dup(int fd) {
    fs::RefPtr<OpenFile> file = TRY(file_for(fd));
    return TRY(files().fds.allocate(file, false));
}

Result<long> sys_dup3(int old_fd, int new_fd, int flags) {
    if (flags & ~fs::kOpenCloexec) return Errno::INVAL;
    if (old_fd == new_fd) return Errno::INVAL;
    fs::RefPtr<OpenFile> file = TRY(file_for(old_fd));
    TRY(files().fds.install(new_fd, file, flags & fs::kOpenCloexec));
    return new_fd;
}

Result<long> sys_dup2(int old_fd, int new_fd) {
    fs::RefPtr<OpenFile> file = TRY(file_for(old_fd));
    if (old_fd == new_fd) return new_fd;
    TRY(files().fds.install(new_fd, file, false));
    return new_fd;
}

Result<long> sys_fcntl(int fd, int command, uint64_t argument) {
    fs::RefPtr<OpenFile> file = TRY(file_for(fd));
    FdTable& fds = files().fds;
    // O_PATH descriptors answer only these (Linux check_fcntl_cmd).
    if (file->is_path_only() && command != kFDupFd && command != kFDupFdCloexec &&
        command != kFGetFd && command != kFSetFd && command != kFGetFl)
        return Errno::BADF;
    switch (command) {
    case kFDupFd:
    case kFDupFdCloexec: {
        int min = static_cast<int>(argument);
        if (argument > 0x7fffffff || min >= FdTable::kLimit) return Errno::INVAL;
        return TRY(fds.allocate(file, command == kFDupFdCloexec, min));
    }
    case kFGetFd:
        return fds.cloexec(fd) ? kFdCloexec : 0;
    case kFSetFd:
        fds.set_cloexec(fd, argument & kFdCloexec);
        return 0;
    case kFGetFl:
        return file->flags();
    case kFSetFl:
        file->set_status_flags(static_cast<int>(argument));
        return 0;
    case kFGetLk:
    case kFSetLk:
    case kFSetLkW:
    case kFOfdGetLk:
    case kFOfdSetLk:
    case kFOfdSetLkW:
        return record_lock(*file, command, UserPtr<Flock>(argument));
    case kFSetOwn:
        return 0;
    case kFGetOwn:
        return 0;
    case kFSetSig:
        return argument > 64 ? Result<long>(Errno::INVAL) : Result<long>(0);
    case kFGetSig:
        return 0;
    case kFSetOwnEx:
        return 0;
    case kFGetOwnEx: {
        struct {
            int type, pid;
        } owner = {0, 0};
        TRY(copy_to_user(argument, &owner, sizeof(owner)));
        return 0;
    }
    case kFGetLease:
        return kUnlock;
    case kFSetLease:
        if (!file->vnode().is_regular()) return Errno::INVAL;
        return argument == kUnlock || argument == kRdLock || argument == kWrLock
                   ? Result<long>(0)
                   : Result<long>(Errno::INVAL);
    case kFNotify:
        return file->vnode().is_directory() ? Result<long>(0) : Result<long>(Errno::NOTDIR);
    case kFGetPipeSz:
    case kFSetPipeSz:
        if (!file->ops().is_pipe()) return Errno::BADF;
        if (command == kFSetPipeSz && argument > fs::Pipe::kCapacity) return Errno::PERM;
        return static_cast<long>(fs::Pipe::kCapacity); // FIXME: pipes keep 64 KiB
    case kFAddSeals:
    case kFGetSeals:
        return Errno::INVAL; // not a memfd
    default:
        return Errno::INVAL;
    }
}

Result<long> sys_flock(int fd, unsigned operation) {
    constexpr unsigned kShared = 1, kExclusive = 2, kNonBlock = 4, kUnlockOp = 8, kMand = 32;
    // Linux checks the operation before the descriptor, and ignores the long-broken LOCK_MAND
    // requests (success, whatever the rest).
    if (operation & kMand) return 0;
    unsigned op = operation & ~kNonBlock;
    if (op != kShared && op != kExclusive && op != kUnlockOp) return Errno::INVAL;
    fs::RefPtr<OpenFile> file = TRY(file_for(fd));
    if (file->is_path_only()) return Errno::BADF;
    if (op == kUnlockOp) {
        fs::unlock_flock(*file);
        return 0;
    }
    fs::FlockKind kind = op == kExclusive ? fs::FlockKind::Exclusive : fs::FlockKind::Shared;
    // Another description's lock conflicts: wait until one is dropped and try again (Linux
    // ERESTARTSYS on a signal: SA_RESTART runs the call again).
    while (!TRY(fs::try_flock(*file, kind))) {
        if (operation & kNonBlock) return Errno::AGAIN; // EWOULDBLOCK
        TRY(wait_for(fs::flock_waiters(), 0, "flock"));
    }
    return 0;
}

Result<long> sys_pipe2(UserPtr<int> fds_out, int flags) {
    if (flags & ~(fs::kOpenCloexec | fs::kOpenNonBlock | fs::kOpenDirect)) return Errno::INVAL;
    Files& f = files();
    fs::RefPtr<fs::Pipe> pipe(new (std::nothrow) fs::Pipe(f.vfs.anon()));
    if (!pipe) return Errno::NOMEM;
    char name[32];
    fs::RefPtr<fs::Dentry> dentry = fs::Dentry::create(
        nullptr, fs::anonymous_name(pipe->ino(), name), fs::RefPtr<fs::Vnode>(pipe.ptr()));
    if (!dentry) return Errno::NOMEM;
    int status = flags & (fs::kOpenNonBlock | fs::kOpenDirect);
    auto read_end = TRY(OpenFile::create(nullptr, dentry, fs::RefPtr<fs::Vnode>(pipe.ptr()),
                                         fs::kOpenReadOnly | status));
    auto write_end = TRY(OpenFile::create(nullptr, dentry, fs::RefPtr<fs::Vnode>(pipe.ptr()),
                                          fs::kOpenWriteOnly | status));
    bool cloexec = flags & fs::kOpenCloexec;
    int pair[2];
    pair[0] = TRY(f.fds.allocate(read_end, cloexec));
    auto second = f.fds.allocate(write_end, cloexec);
    if (second.is_error()) {
        (void)f.fds.close(pair[0]);
        return second.error();
    }
    pair[1] = second.value();
    if (copy_to_user(fds_out.address(), pair, sizeof(pair)).is_error()) {
        (void)f.fds.close(pair[0]);
        (void)f.fds.close(pair[1]);
        return Errno::FAULT;
    }
    return 0;
}

Result<long> sys_pipe(UserPtr<int> fds_out) {
    return sys_pipe2(fds_out, 0);
}

} // namespace wisp::linux
