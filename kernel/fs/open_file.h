// SPDX-License-Identifier: MIT
#pragma once

// Open file descriptions (Linux struct file): what open() creates and dup() shares — the
// vnode, the name it was opened by, the position and the status flags.
#include <stdint.h>

#include "fs/dentry.h"
#include "fs/ref.h"
#include "fs/vnode.h"

namespace wisp::fs {

struct Mount;

// open(2) flags (Linux include/uapi/asm-generic/fcntl.h, x86-64 values).
inline constexpr int kOpenAccessMask = 03;
inline constexpr int kOpenReadOnly = 0, kOpenWriteOnly = 01, kOpenReadWrite = 02;
inline constexpr int kOpenCreate = 0100, kOpenExclusive = 0200, kOpenNoCtty = 0400,
                     kOpenTruncate = 01000, kOpenAppend = 02000, kOpenNonBlock = 04000,
                     kOpenDsync = 010000, kOpenAsync = 020000, kOpenDirect = 040000,
                     kOpenLargeFile = 0100000, kOpenDirectory = 0200000, kOpenNoFollow = 0400000,
                     kOpenNoAtime = 01000000, kOpenCloexec = 02000000, kOpenSync = 04010000,
                     kOpenPath = 010000000, kOpenTmpfile = 020000000 | kOpenDirectory;
// What F_SETFL may change (Linux SETFL_MASK).
inline constexpr int kSettableStatusFlags =
    kOpenAppend | kOpenAsync | kOpenDirect | kOpenNoAtime | kOpenNonBlock;

// Per-open state a file system or device attaches (procfs snapshots, pipe ends, ...).
class FileState {
  public:
    virtual ~FileState() = default;
};

class OpenFile : public RefCounted<OpenFile> {
  public:
    // A new description for `vnode` reached as `dentry` on `mount` (both may be null for
    // pipes and other anonymous files). Its data operations are the vnode's, or `ops` (a
    // device; a fifo's pipe, kept alive by `ops_owner`). Calls their open hook unless O_PATH.
    static Result<RefPtr<OpenFile>> create(Mount* mount, RefPtr<Dentry> dentry, RefPtr<Vnode> vnode,
                                           int flags, FileOps* ops = nullptr,
                                           RefPtr<Vnode> ops_owner = nullptr);
    ~OpenFile();

    Vnode& vnode() const { return *m_vnode; }
    FileOps& ops() const { return *m_ops; }
    Result<size_t> read(uint64_t offset, IoBuffer& buffer) {
        return m_ops->read(*this, offset, buffer);
    }
    Result<size_t> write(uint64_t offset, IoBuffer& buffer) {
        return m_ops->write(*this, offset, buffer);
    }
    const RefPtr<Vnode>& vnode_ref() const { return m_vnode; }
    Dentry* dentry() const { return m_dentry.ptr(); }
    const RefPtr<Dentry>& dentry_ref() const { return m_dentry; }
    Mount* mount() const { return m_mount; }

    // The status flags as F_GETFL reports them (access mode included).
    int flags() const { return m_flags; }
    void set_status_flags(int flags) {
        m_flags = (m_flags & ~kSettableStatusFlags) | (flags & kSettableStatusFlags);
    }
    bool is_path_only() const { return m_flags & kOpenPath; }
    bool can_read() const {
        int mode = m_flags & kOpenAccessMask;
        return !is_path_only() && (mode == kOpenReadOnly || mode == kOpenReadWrite);
    }
    bool can_write() const {
        int mode = m_flags & kOpenAccessMask;
        return !is_path_only() && (mode == kOpenWriteOnly || mode == kOpenReadWrite);
    }
    bool non_blocking() const { return m_flags & kOpenNonBlock; }

    uint64_t offset = 0;
    Own<FileState> state;
    // Woken when the description goes away (its last reference): epoll forgets the files it
    // watched, as Linux's eventpoll_release() does.
    WaitQueue& release_queue() { return m_released; }
    // It has taken a flock(2) lock (fs/flock.h) or an OFD record lock (fs/record_locks.h):
    // its last close drops them.
    void note_flock() { m_flocked = true; }
    void note_range_locks() { m_range_locked = true; }

  private:
    OpenFile(Mount* mount, RefPtr<Dentry> dentry, RefPtr<Vnode> vnode, int flags)
        : m_mount(mount), m_dentry(static_cast<RefPtr<Dentry>&&>(dentry)),
          m_vnode(static_cast<RefPtr<Vnode>&&>(vnode)), m_flags(flags) {}

    Mount* m_mount;
    RefPtr<Dentry> m_dentry;
    RefPtr<Vnode> m_vnode;
    FileOps* m_ops = nullptr;
    RefPtr<Vnode> m_ops_owner;
    int m_flags;
    bool m_opened = false; // the vnode's open hook ran: release() is due
    bool m_flocked = false;
    bool m_range_locked = false;
    WaitQueue m_released;
};

} // namespace wisp::fs
