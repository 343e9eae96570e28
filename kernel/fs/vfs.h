// SPDX-License-Identifier: MIT
#pragma once

// The VFS: the mount table, path walks, and the name operations (open, mkdir, unlink, rename,
// link, symlink) with Linux's rules and errors (fs/namei.c), for one user: uid 0, whose
// permission checks pass except execute permission on files without any x bit and writes to
// read-only mounts.
//
// A path walk follows Linux path_resolution(7): components separated by any number of '/',
// "." and "..", ".." never above the process root and across mount points, symlinks followed
// (at most 40 in one walk: ELOOP) — always in the middle, at the end when asked for or when a
// trailing '/' follows — and a trailing '/' demands a directory (ENOTDIR).
#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "fs/dentry.h"
#include "fs/open_file.h"
#include "fs/pipe.h"
#include "fs/ref.h"
#include "fs/vnode.h"
#include "lib/result.h"

namespace wisp::fs {

struct Mount {
    static constexpr unsigned kReadOnly = 1, kNoSuid = 2, kNoDev = 4, kNoExec = 8;

    Own<FileSystem> fs;
    RefPtr<Dentry> root;
    Mount* parent = nullptr;   // null for the root mount
    RefPtr<Dentry> mountpoint; // in the parent mount
    unsigned flags = 0;
    uint32_t id = 0;
    const char* source = ""; // the "device" column of /proc/mounts
    char path[64] = {};      // where it was mounted, "/" for the root (automounts match it)
    bool read_only() const { return (flags & kReadOnly) || fs->read_only(); }
};

// A place in the tree: a dentry as reached through a mount (Linux struct path).
struct Path {
    Mount* mount = nullptr;
    RefPtr<Dentry> dentry;

    bool is_null() const { return !dentry; }
    Vnode& vnode() const { return dentry->vnode(); }
    bool operator==(const Path& o) const { return mount == o.mount && dentry == o.dentry; }
};

// The per-process part: root, working directory, umask (Linux struct fs_struct).
struct FsContext {
    Path root;
    Path cwd;
    uint32_t umask = 022;
};

// Path walk flags.
inline constexpr unsigned kFollow = 1;    // follow a final symlink
inline constexpr unsigned kDirectory = 2; // the result must be a directory
inline constexpr unsigned kEmptyPath = 4; // "" names `base` itself (AT_EMPTY_PATH)

// How a path ends, for the operations that create or remove its last name.
enum class LastKind : uint8_t { Normal, Dot, DotDot, Root };

struct ParentAndName {
    Path parent;
    std::string_view name; // points into the caller's path string
    LastKind kind = LastKind::Normal;
    bool trailing_slash = false;
};

class Vfs {
  public:
    static constexpr size_t kMaxMounts = 32;

    Vfs() = default;
    Vfs(const Vfs&) = delete;
    Vfs& operator=(const Vfs&) = delete;
    ~Vfs();

    // The first mount: `fs` becomes "/".
    Result<Mount*> mount_root(Own<FileSystem> fs, unsigned flags, const char* source);
    // Mounts `fs` on the directory `at` (which stays, hidden, below it).
    Result<Mount*> mount(Own<FileSystem> fs, const Path& at, unsigned flags, const char* source);
    Path root_path() const;
    size_t mount_count() const { return m_mount_count; }
    Mount& mount_at(size_t index) { return m_mounts[index]; }

    // Character devices: opening a character special file, of any file system, reaches the
    // device registered for its number (ENXIO when none). Devices live as long as the VFS.
    Result<void> register_device(uint64_t rdev, FileOps& device);
    // The file system of anonymous files (pipes).
    AnonFs& anon() { return m_anon; }
    // How a fifo open blocks until the other end opens (see Pipe::set_block).
    void set_fifo_block(Pipe::BlockFn block) { m_fifo_block = block; }

    // A file system mounted on first use: when a walk looks up `name` in the root directory of
    // the mount at `parent_path` (or that directory is listed), the directory `name` is made if
    // missing and make() mounted on it. Boot then pays nothing for /proc, /dev, /tmp... that an
    // application never touches.
    struct Automount {
        const char* parent_path = "/";
        const char* name = "";
        Result<Own<FileSystem>> (*make)() = nullptr;
        unsigned flags = 0;
        const char* source = "";
        uint32_t mode = 0755; // of the directory, when it has to be made
        // Mount only over an empty (or missing) directory: files the image put there (a /tmp
        // with content) stay visible, in the root's own writable layer.
        bool only_if_empty = false;
        bool done = false;
    };
    Result<void> add_automount(const Automount& automount);

    // ---- path walks ----
    // `base` is where a relative path starts (the working directory or a dirfd's directory).
    Result<Path> resolve(const FsContext& ctx, const Path& base, std::string_view path,
                         unsigned flags);
    // Everything but the last component. Errors as a walk; ENOENT for "".
    Result<ParentAndName> resolve_parent(const FsContext& ctx, const Path& base,
                                         std::string_view path);

    // ---- name operations ----
    Result<RefPtr<OpenFile>> open(const FsContext& ctx, const Path& base, std::string_view path,
                                  int flags, uint32_t mode);
    Result<void> mknod(const FsContext& ctx, const Path& base, std::string_view path, uint32_t mode,
                       uint64_t rdev);
    Result<void> mkdir(const FsContext& ctx, const Path& base, std::string_view path,
                       uint32_t mode);
    Result<void> symlink(const FsContext& ctx, std::string_view target, const Path& base,
                         std::string_view path);
    // `old_flags`: kFollow (AT_SYMLINK_FOLLOW), kEmptyPath (AT_EMPTY_PATH).
    Result<void> link(const FsContext& ctx, const Path& old_base, std::string_view old_path,
                      const Path& new_base, std::string_view new_path, unsigned old_flags);
    Result<void> unlink(const FsContext& ctx, const Path& base, std::string_view path);
    Result<void> rmdir(const FsContext& ctx, const Path& base, std::string_view path);
    Result<void> rename(const FsContext& ctx, const Path& old_base, std::string_view old_path,
                        const Path& new_base, std::string_view new_path, unsigned flags);

    // ---- on resolved paths and open files ----
    Result<void> stat(const Path& path, Attributes& out);
    Result<void> stat(Vnode& vnode, Attributes& out);
    // chmod, chown, utimes, truncate: EROFS on read-only mounts (the mount may be null for
    // anonymous files).
    Result<void> setattr(Mount* mount, Vnode& vnode, const AttributeChange& change);
    // access(2): `mode` is R_OK 4 | W_OK 2 | X_OK 1 (0 = existence).
    Result<void> access(const Path& path, int mode);
    // readlink(2) of a symlink: its text, or a magic link's target path.
    Result<size_t> readlink(const FsContext& ctx, const Path& link, char* out, size_t capacity);
    // The absolute path of `path` as seen from ctx.root (d_path): into the end of `buffer`;
    // returns a view of it. " (deleted)" is appended to unlinked names.
    Result<std::string_view> path_of(const FsContext& ctx, const Path& path, char* buffer,
                                     size_t capacity, bool mark_deleted = true);
    // Fills `sink` from the directory's position (adds "." and ".."); updates file.offset.
    Result<void> readdir(OpenFile& file, DirSink& sink);
    // A directory to start relative walks from (chdir, fchdir): ENOTDIR otherwise.
    Result<void> check_directory(const Path& path);

  private:
    friend class Walk;
    Result<Mount*> add_mount(Own<FileSystem> fs, unsigned flags, const char* source);
    void follow_mounts(Path& path) const;
    void go_up(const FsContext& ctx, Path& path) const;
    Result<RefPtr<Dentry>> lookup_child(const Path& dir, std::string_view name);
    // Mounts the pending automounts below `dir` (a mount root): `name`, or all when empty.
    void trigger_automounts(const Path& dir, std::string_view name);
    Result<RefPtr<OpenFile>> open_existing(const Path& path, int flags);
    Result<ParentAndName> prepare_create(const FsContext& ctx, const Path& base,
                                         std::string_view path, bool directory);

    Result<RefPtr<OpenFile>> open_fifo(const Path& path, int flags);
    // The name left its directory (unlink, rmdir, rename over it, a failed move).
    void remove_name(Dentry& dentry);

    struct Device {
        uint64_t rdev;
        FileOps* ops;
    };
    static constexpr size_t kMaxDevices = 16;
    Device m_devices[kMaxDevices] = {};
    size_t m_device_count = 0;
    // The pipe of each fifo that has been opened (dropped when no end is open any more).
    struct Fifo {
        RefPtr<Vnode> node;
        RefPtr<Pipe> pipe;
    };
    static constexpr size_t kMaxFifos = 32;
    Fifo m_fifos[kMaxFifos];
    Pipe::BlockFn m_fifo_block = nullptr;
    AnonFs m_anon;
    static constexpr size_t kMaxAutomounts = 8;
    Automount m_automounts[kMaxAutomounts];
    size_t m_automount_count = 0;
    size_t m_automounts_pending = 0;

    Mount m_mounts[kMaxMounts];
    size_t m_mount_count = 0;
    uint32_t m_next_dev_minor = 16;
    DentryCache m_dentries;
};

} // namespace wisp::fs
