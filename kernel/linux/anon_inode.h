// SPDX-License-Identifier: MIT
#pragma once

// Anonymous inodes (Linux fs/anon_inodes.c): eventfd, timerfd and epoll instances are files
// with no name in any directory. /proc/self/fd shows them as "anon_inode:[eventfd]" and so on;
// fstat reports mode 0600 with no file type. Each kind is a vnode that is its own FileOps.
#include <stdint.h>

#include "fs/open_file.h"
#include "fs/vnode.h"
#include "lib/result.h"

namespace wisp::linux {

class AnonInode : public fs::Vnode {
  public:
    enum class Kind : uint8_t { EventFd, TimerFd, Epoll };

    Kind kind() const { return m_kind; }
    Result<void> getattr(fs::Attributes& out) override;
    // No position, but lseek succeeds and stays at 0 (Linux noop_llseek).
    bool seeks_to_zero() const override { return true; }

  protected:
    explicit AnonInode(Kind kind);

  private:
    Kind m_kind;
    uint64_t m_ino;
};

// Opens `inode` as a new description with `flags` (access mode | O_NONBLOCK), named
// "anon_inode:[<name>]", on the lowest free descriptor.
Result<long> install_anon_file(fs::RefPtr<AnonInode> inode, const char* name, int flags,
                               bool cloexec);

// Whether `vnode` is an anonymous inode (it belongs to their own file system, anon_inodefs).
bool is_anon_inode(const fs::Vnode& vnode);

// The `T` (an AnonInode of kind T::kKind) that `file` is, or null.
template<typename T>
T* anon_inode_of(fs::OpenFile& file) {
    if (!is_anon_inode(file.vnode())) return nullptr;
    auto& inode = static_cast<AnonInode&>(file.vnode());
    return inode.kind() == T::kKind ? static_cast<T*>(&inode) : nullptr;
}

} // namespace wisp::linux
