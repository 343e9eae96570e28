// SPDX-License-Identifier: MIT
#pragma once

// Vnodes and file systems: the interface every file system implements.
//
// A Vnode is one file (inode) of a file system, shared by reference count. The VFS above it
// (fs/vfs.h) owns names, the tree, mounts, path walks and permission checks; a file system
// only answers operations on its own vnodes, by name within one directory. Names the VFS passes
// are never empty, ".", ".." or longer than NAME_MAX, and never contain '/'. Existence checks
// (EEXIST, ENOENT, ENOTEMPTY of the victim...) the VFS has done with lookup() beforehand are
// repeated by file systems only where they need them for their own consistency.
#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "fs/io_buffer.h"
#include "fs/ref.h"
#include "fs/types.h"
#include "fs/wait_queue.h"
#include "lib/result.h"

namespace wisp::fs {

class Dentry;
class FileSystem;
class OpenFile;
struct Mount;

// What creating a directory entry makes: a type and permission bits, plus the symlink target or
// device number where the type needs one.
struct NewNode {
    uint32_t mode = 0;            // type bits | permissions (already masked by the umask)
    std::string_view link_target; // symlinks
    uint64_t rdev = 0;            // character and block devices
    uint32_t uid = 0, gid = 0;
};

// A symlink's meaning. `text` is the target as readlink() reports it and as path walks follow
// it. A "magic" link of procfs (/proc/self/fd/N, /proc/self/exe, cwd) instead names an object
// directly: the walk jumps to `jump_mount`/`jump_dentry` without parsing text, as Linux's
// nd_jump_link() does, so it reaches open files that were unlinked or renamed.
struct LinkTarget {
    std::string_view text;
    Mount* jump_mount = nullptr;
    RefPtr<Dentry> jump_dentry;
};

// What an open file does: the data operations. A vnode answers them for its own data; for a
// device special file or a fifo, the VFS points the open file at a device or pipe instead.
class FileOps {
  public:
    // Called when an open file description for this object is created and destroyed.
    virtual Result<void> open(OpenFile&) { return {}; }
    virtual void release(OpenFile&) {}
    // Reads/writes buffer.size() bytes at `offset`; a short count at end of file, 0 past it.
    virtual Result<size_t> read(OpenFile&, uint64_t, IoBuffer&) { return Errno::INVAL; }
    virtual Result<size_t> write(OpenFile&, uint64_t, IoBuffer&) { return Errno::INVAL; }
    // Offset of the first data (or hole) at or after `offset` (SEEK_DATA/SEEK_HOLE); NXIO past
    // the end of `size`. The default: the whole file is data.
    virtual Result<uint64_t> seek_data(uint64_t offset, uint64_t size, bool hole) {
        if (offset >= size) return Errno::NXIO;
        return hole ? size : offset;
    }
    // Stream files (pipes, sockets, terminals) have no position: lseek and pread are ESPIPE.
    virtual bool is_stream() const { return false; }
    // lseek on a device that has no position succeeds and leaves 0 (/dev/null, /dev/zero).
    virtual bool seeks_to_zero() const { return false; }
    virtual bool is_terminal() const { return false; }
    // A pipe (fs/pipe.h): opening a fifo node reaches a pipe; a pipe is its own.
    virtual bool is_pipe() const { return false; }
    // Readiness for poll/select (POLLIN 0x1, POLLOUT 0x4, POLLERR 0x8, POLLHUP 0x10, and the
    // *NORM twins 0x40/0x100): files that never block are always ready both ways.
    virtual uint32_t poll_events(OpenFile&) { return 0x1 | 0x4 | 0x40 | 0x100; }
    // Where a read (or write) that would block waits: woken when that may have changed. Null
    // for files that never block.
    virtual WaitQueue* read_queue() { return nullptr; }
    virtual WaitQueue* write_queue() { return nullptr; }
    // FIONREAD on a device or stream: the bytes a read would return now; NOTTY when it cannot
    // tell (Linux's default for ioctls a file does not know).
    virtual Result<size_t> input_available(OpenFile&) { return Errno::NOTTY; }

  protected:
    ~FileOps() = default;
};

class Vnode : public RefCounted<Vnode>, public FileOps {
  public:
    virtual ~Vnode() = default;

    FileSystem& fs() const { return *m_fs; }
    uint32_t type() const { return m_type; } // the st_mode type bits; never change
    bool is_directory() const { return m_type == kTypeDirectory; }
    bool is_regular() const { return m_type == kTypeRegular; }
    bool is_symlink() const { return m_type == kTypeSymlink; }

    // ---- metadata ----
    virtual Result<void> getattr(Attributes& out) = 0;
    virtual Result<void> setattr(const AttributeChange&) { return Errno::PERM; }

    // ---- directories ----
    // One name in this directory: NOENT when absent, NOTDIR when this is not a directory.
    virtual Result<RefPtr<Vnode>> lookup(std::string_view) { return Errno::NOTDIR; }
    // Creates a file, directory, symlink, device or fifo named `name` (absent, checked by the
    // VFS). Returns the new vnode.
    virtual Result<RefPtr<Vnode>> create(std::string_view, const NewNode&) { return Errno::PERM; }
    // A new name for `target` (a non-directory of the same file system).
    virtual Result<void> link(std::string_view, Vnode&) { return Errno::PERM; }
    // Removes the entry `name`, which the VFS looked up as `victim` (not a directory).
    virtual Result<void> unlink(std::string_view, Vnode&) { return Errno::PERM; }
    // Removes the empty directory `name` (`victim`). NOTEMPTY when it is not empty.
    virtual Result<void> rmdir(std::string_view, Vnode&) { return Errno::PERM; }
    // Moves entry `old_name` (vnode `moved`) of this directory to `new_name` in `new_dir` (a
    // directory of the same file system), replacing `replaced` when non-null (the VFS checked
    // types match and a replaced directory is empty). kRenameExchange swaps the two entries.
    virtual Result<void> rename(std::string_view, Vnode&, Vnode&, std::string_view, Vnode*,
                                unsigned) {
        return Errno::PERM;
    }
    // Entries from `cookie` on (0 = the first), without "." and ".." (the VFS adds those).
    // Cookies are below 2^62. Returns the cookie to resume from; kEndOfDirectory when done.
    static constexpr uint64_t kEndOfDirectory = ~0ull;
    virtual Result<uint64_t> readdir(uint64_t, DirSink&) { return Errno::NOTDIR; }

    // ---- symlinks ----
    // `scratch` (kPathMax bytes) is for targets generated on demand; stored targets point at
    // the vnode's own storage, valid while the caller holds a reference.
    virtual Result<LinkTarget> readlink(char*) { return Errno::INVAL; }
    // Makes space for [offset, offset + length) (fallocate mode 0).
    virtual Result<void> allocate(uint64_t, uint64_t) { return Errno::OPNOTSUPP; }

    // A read-only view of the file's page at `offset` (page-aligned) that stays valid as long
    // as the file system exists — image pages — or null. Lets a copy-up share instead of copy.
    virtual const void* direct_page(uint64_t) { return nullptr; }
    // The same for [offset, offset + length) (offset page-aligned): the file's bytes there when
    // they lie in one contiguous run of image pages, else null. Lets mmap map image files
    // without copying.
    virtual const void* direct_range(uint64_t, uint64_t) { return nullptr; }
    // The file's own page at `offset` (page-aligned, below the size rounded up to pages) for a
    // shared mapping, created when absent; a page that must not be written (borrowed from the
    // image) only when !write. Null past the end or when out of space.
    virtual void* shared_page(uint64_t, bool) { return nullptr; }
    // The vnode whose pages shared_page hands out (an overlay node's upper file).
    virtual const Vnode* page_owner() const { return this; }

  protected:
    Vnode(FileSystem& fs, uint32_t type) : m_fs(&fs), m_type(type & kTypeMask) {}

  private:
    FileSystem* m_fs;
    uint32_t m_type;
};

class FileSystem {
  public:
    virtual ~FileSystem() = default;
    virtual const char* type_name() const = 0; // for /proc/mounts: "tmpfs", "erofs", ...
    virtual Result<RefPtr<Vnode>> root() = 0;
    virtual Result<void> statfs(FsStats& out) = 0;
    // Whether a name, once looked up, means the same file until the VFS itself removes or
    // renames it (so the VFS may keep it in its DentryCache). Not so for generated names
    // (procfs's /proc/self/fd/N).
    virtual bool names_are_stable() const { return false; }
    bool read_only() const { return m_read_only; }
    uint64_t dev() const { return m_dev; } // st_dev of every file (an anonymous 0:N device)
    constexpr void set_dev(uint64_t dev) { m_dev = dev; }

  protected:
    constexpr explicit FileSystem(bool read_only) : m_read_only(read_only) {}

  private:
    bool m_read_only;
    uint64_t m_dev = 0;
};

} // namespace wisp::fs
