// SPDX-License-Identifier: MIT
// Calls that name files by path: open and creat, mkdir, mknod, unlink, rmdir, rename, link,
// symlink, truncate, chmod, chown, utimes, chdir, chroot, umask, getcwd — each with its *at()
// form relative to a directory descriptor.
#include "fs/system.h"
#include "linux/abi_types.h"
#include "linux/files.h"
#include "linux/syscalls.h"

namespace wisp::linux {

namespace {

using fs::OpenFile;
using fs::Path;

constexpr int64_t kUtimeNow = (1l << 30) - 1, kUtimeOmit = (1l << 30) - 2;

fs::FsContext& ctx() {
    return files().context;
}

// The file `path` names relative to `dirfd`.
Result<Path> lookup(int dirfd, const PathArg& path, unsigned walk_flags) {
    Path base = TRY(start_for(dirfd, path.view()));
    return vfs().resolve(ctx(), base, path.view(), walk_flags);
}

Result<long> open_at(int dirfd, UserPtr<const char> user_path, int flags, uint32_t mode) {
    if (!files().fds.has_free()) return Errno::MFILE;
    PathArg path;
    TRY(path.copy(user_path));
    if ((flags & fs::kOpenCreate) && (flags & fs::kOpenDirectory)) return Errno::INVAL;
    if ((flags & fs::kOpenTmpfile) == fs::kOpenTmpfile &&
        (flags & fs::kOpenAccessMask) == fs::kOpenReadOnly)
        return Errno::INVAL;
    Path base = TRY(start_for(dirfd, path.view()));
    fs::RefPtr<OpenFile> file = TRY(vfs().open(ctx(), base, path.view(), flags, mode));
    return TRY(files().fds.allocate(file, flags & fs::kOpenCloexec));
}

Result<long> change(fs::Mount* mount, fs::Vnode& vnode, fs::AttributeChange& change) {
    TRY(vfs().setattr(mount, vnode, change));
    return 0;
}

Result<long> chmod_path(const Path& p, uint32_t mode) {
    fs::AttributeChange c;
    c.mask = fs::AttributeChange::kMode;
    c.mode = mode & fs::kPermissionMask;
    return change(p.mount, p.vnode(), c);
}

Result<long> chown_path(const Path& p, uint32_t uid, uint32_t gid) {
    fs::AttributeChange c;
    if (uid != 0xffffffff) {
        c.mask |= fs::AttributeChange::kUid;
        c.uid = uid;
    }
    if (gid != 0xffffffff) {
        c.mask |= fs::AttributeChange::kGid;
        c.gid = gid;
    }
    if (!p.vnode().is_directory()) {
        // Linux chown_common(): a changed owner drops set-user-ID, and set-group-ID where the
        // group may execute — even for root.
        fs::Attributes a;
        TRY(vfs().stat(p, a));
        uint32_t mode = a.mode & fs::kPermissionMask;
        if (mode & 04000) mode &= ~04000u;
        if ((mode & 02010) == 02010) mode &= ~02000u;
        if (mode != (a.mode & fs::kPermissionMask)) {
            c.mask |= fs::AttributeChange::kMode;
            c.mode = mode;
        }
    }
    return change(p.mount, p.vnode(), c);
}

// utimensat's times: each a time, UTIME_NOW or UTIME_OMIT.
Result<long> set_times(const Path& p, const Timespec* times) {
    fs::AttributeChange c;
    fs::Timestamp now = fs::current_time();
    for (int i = 0; i < 2; i++) {
        int64_t nsec = times ? times[i].tv_nsec : kUtimeNow;
        if (nsec == kUtimeOmit) continue;
        fs::Timestamp t =
            nsec == kUtimeNow ? now : fs::Timestamp{times[i].tv_sec, static_cast<uint32_t>(nsec)};
        if (i == 0) {
            c.mask |= fs::AttributeChange::kAtime;
            c.atime = t;
        } else {
            c.mask |= fs::AttributeChange::kMtime;
            c.mtime = t;
        }
    }
    c.mask |= fs::AttributeChange::kCtime;
    c.ctime = now;
    return change(p.mount, p.vnode(), c);
}

bool nsec_valid(int64_t nsec) {
    return (nsec >= 0 && nsec <= 999'999'999) || nsec == kUtimeNow || nsec == kUtimeOmit;
}

Result<long> utimes_at(int dirfd, UserPtr<const char> user_path, const Timespec* times, int flags) {
    if (times) {
        if (!nsec_valid(times[0].tv_nsec) || !nsec_valid(times[1].tv_nsec)) return Errno::INVAL;
        if (times[0].tv_nsec == kUtimeOmit && times[1].tv_nsec == kUtimeOmit) return 0;
    }
    if (flags & ~(kAtSymlinkNoFollow | kAtEmptyPathFlag)) return Errno::INVAL;
    // futimens(): the descriptor itself. A null path with AT_FDCWD is a path like any other
    // (EFAULT), as Linux's do_utimes() has it.
    if (user_path.is_null() && dirfd != kAtFdCwdValue) {
        if (flags & kAtSymlinkNoFollow) return Errno::INVAL;
        fs::RefPtr<OpenFile> file = TRY(file_for(dirfd));
        if (file->is_path_only()) return Errno::BADF;
        return set_times(path_of_file(*file), times);
    }
    PathArg path;
    TRY(path.copy(user_path));
    unsigned walk = (flags & kAtSymlinkNoFollow ? 0 : fs::kFollow) |
                    (flags & kAtEmptyPathFlag ? fs::kEmptyPath : 0);
    Path p = TRY(lookup(dirfd, path, walk));
    return set_times(p, times);
}

Result<long> timevals_to_times(UserPtr<const Timeval> user_times, Timespec out[2], bool& given) {
    given = !user_times.is_null();
    if (!given) return 0;
    Timeval tv[2];
    TRY(copy_from_user(tv, user_times.address(), sizeof(tv)));
    for (int i = 0; i < 2; i++) {
        if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1'000'000) return Errno::INVAL;
        out[i] = {tv[i].tv_sec, tv[i].tv_usec * 1000};
    }
    return 0;
}

} // namespace

// ---- open ------------------------------------------------------------------------------------

Result<long> sys_open(UserPtr<const char> path, int flags, uint32_t mode) {
    return open_at(kAtFdCwdValue, path, flags, mode);
}

Result<long> sys_openat(int dirfd, UserPtr<const char> path, int flags, uint32_t mode) {
    return open_at(dirfd, path, flags, mode);
}

Result<long> sys_creat(UserPtr<const char> path, uint32_t mode) {
    return open_at(kAtFdCwdValue, path, fs::kOpenCreate | fs::kOpenWriteOnly | fs::kOpenTruncate,
                   mode);
}

// ---- names -----------------------------------------------------------------------------------

Result<long> sys_mkdirat(int dirfd, UserPtr<const char> user_path, uint32_t mode) {
    PathArg path;
    TRY(path.copy(user_path));
    Path base = TRY(start_for(dirfd, path.view()));
    TRY(vfs().mkdir(ctx(), base, path.view(), mode));
    return 0;
}

Result<long> sys_mkdir(UserPtr<const char> path, uint32_t mode) {
    return sys_mkdirat(kAtFdCwdValue, path, mode);
}

Result<long> sys_mknodat(int dirfd, UserPtr<const char> user_path, uint32_t mode, uint32_t dev) {
    PathArg path;
    TRY(path.copy(user_path));
    if ((mode & fs::kTypeMask) == fs::kTypeDirectory) return Errno::PERM;
    Path base = TRY(start_for(dirfd, path.view()));
    TRY(vfs().mknod(ctx(), base, path.view(), mode, dev));
    return 0;
}

Result<long> sys_mknod(UserPtr<const char> path, uint32_t mode, uint32_t dev) {
    return sys_mknodat(kAtFdCwdValue, path, mode, dev);
}

Result<long> sys_unlinkat(int dirfd, UserPtr<const char> user_path, int flags) {
    if (flags & ~kAtRemoveDir) return Errno::INVAL;
    PathArg path;
    TRY(path.copy(user_path));
    Path base = TRY(start_for(dirfd, path.view()));
    if (flags & kAtRemoveDir)
        TRY(vfs().rmdir(ctx(), base, path.view()));
    else
        TRY(vfs().unlink(ctx(), base, path.view()));
    return 0;
}

Result<long> sys_unlink(UserPtr<const char> path) {
    return sys_unlinkat(kAtFdCwdValue, path, 0);
}

Result<long> sys_rmdir(UserPtr<const char> path) {
    return sys_unlinkat(kAtFdCwdValue, path, kAtRemoveDir);
}

Result<long> sys_renameat2(int old_dirfd, UserPtr<const char> old_user, int new_dirfd,
                           UserPtr<const char> new_user, unsigned flags) {
    PathArg* paths = new (std::nothrow) PathArg[2]; // 8 KiB: off the kernel stack
    if (!paths) return Errno::NOMEM;
    auto r = [&]() -> Result<long> {
        TRY(paths[0].copy(old_user));
        TRY(paths[1].copy(new_user));
        Path old_base = TRY(start_for(old_dirfd, paths[0].view()));
        Path new_base = TRY(start_for(new_dirfd, paths[1].view()));
        TRY(vfs().rename(ctx(), old_base, paths[0].view(), new_base, paths[1].view(), flags));
        return 0;
    }();
    delete[] paths;
    return r;
}

Result<long> sys_renameat(int old_dirfd, UserPtr<const char> old_path, int new_dirfd,
                          UserPtr<const char> new_path) {
    return sys_renameat2(old_dirfd, old_path, new_dirfd, new_path, 0);
}

Result<long> sys_rename(UserPtr<const char> old_path, UserPtr<const char> new_path) {
    return sys_renameat2(kAtFdCwdValue, old_path, kAtFdCwdValue, new_path, 0);
}

Result<long> sys_linkat(int old_dirfd, UserPtr<const char> old_user, int new_dirfd,
                        UserPtr<const char> new_user, int flags) {
    if (flags & ~(kAtSymlinkFollow | kAtEmptyPathFlag)) return Errno::INVAL;
    PathArg* paths = new (std::nothrow) PathArg[2];
    if (!paths) return Errno::NOMEM;
    auto r = [&]() -> Result<long> {
        TRY(paths[0].copy(old_user));
        TRY(paths[1].copy(new_user));
        Path old_base = TRY(start_for(old_dirfd, paths[0].view()));
        Path new_base = TRY(start_for(new_dirfd, paths[1].view()));
        unsigned walk = (flags & kAtSymlinkFollow ? fs::kFollow : 0) |
                        (flags & kAtEmptyPathFlag ? fs::kEmptyPath : 0);
        TRY(vfs().link(ctx(), old_base, paths[0].view(), new_base, paths[1].view(), walk));
        return 0;
    }();
    delete[] paths;
    return r;
}

Result<long> sys_link(UserPtr<const char> old_path, UserPtr<const char> new_path) {
    return sys_linkat(kAtFdCwdValue, old_path, kAtFdCwdValue, new_path, 0);
}

Result<long> sys_symlinkat(UserPtr<const char> target_user, int new_dirfd,
                           UserPtr<const char> new_user) {
    PathArg* paths = new (std::nothrow) PathArg[2];
    if (!paths) return Errno::NOMEM;
    auto r = [&]() -> Result<long> {
        TRY(paths[0].copy(target_user));
        TRY(paths[1].copy(new_user));
        Path base = TRY(start_for(new_dirfd, paths[1].view()));
        TRY(vfs().symlink(ctx(), paths[0].view(), base, paths[1].view()));
        return 0;
    }();
    delete[] paths;
    return r;
}

Result<long> sys_symlink(UserPtr<const char> target, UserPtr<const char> path) {
    return sys_symlinkat(target, kAtFdCwdValue, path);
}

// ---- attributes ------------------------------------------------------------------------------

Result<long> sys_truncate(UserPtr<const char> user_path, int64_t length) {
    PathArg path;
    TRY(path.copy(user_path));
    if (length < 0) return Errno::INVAL;
    Path p = TRY(lookup(kAtFdCwdValue, path, fs::kFollow));
    if (p.vnode().is_directory()) return Errno::ISDIR;
    if (!p.vnode().is_regular()) return Errno::INVAL;
    fs::AttributeChange c;
    c.mask = fs::AttributeChange::kSize | fs::AttributeChange::kMtime | fs::AttributeChange::kCtime;
    c.size = static_cast<uint64_t>(length);
    c.mtime = c.ctime = fs::current_time();
    return change(p.mount, p.vnode(), c);
}

Result<long> sys_fchmodat2(int dirfd, UserPtr<const char> user_path, uint32_t mode, int flags) {
    if (flags & ~(kAtSymlinkNoFollow | kAtEmptyPathFlag)) return Errno::INVAL;
    PathArg path;
    TRY(path.copy(user_path));
    unsigned walk = (flags & kAtSymlinkNoFollow ? 0 : fs::kFollow) |
                    (flags & kAtEmptyPathFlag ? fs::kEmptyPath : 0);
    Path p = TRY(lookup(dirfd, path, walk));
    if (p.vnode().is_symlink()) return Errno::OPNOTSUPP;
    return chmod_path(p, mode);
}

Result<long> sys_fchmodat(int dirfd, UserPtr<const char> path, uint32_t mode) {
    return sys_fchmodat2(dirfd, path, mode, 0);
}

Result<long> sys_chmod(UserPtr<const char> path, uint32_t mode) {
    return sys_fchmodat2(kAtFdCwdValue, path, mode, 0);
}

Result<long> sys_fchmod(int fd, uint32_t mode) {
    fs::RefPtr<OpenFile> file = TRY(file_for(fd));
    if (file->is_path_only()) return Errno::BADF;
    return chmod_path(path_of_file(*file), mode);
}

Result<long> sys_fchownat(int dirfd, UserPtr<const char> user_path, uint32_t uid, uint32_t gid,
                          int flags) {
    if (flags & ~(kAtSymlinkNoFollow | kAtEmptyPathFlag)) return Errno::INVAL;
    PathArg path;
    TRY(path.copy(user_path));
    unsigned walk = (flags & kAtSymlinkNoFollow ? 0 : fs::kFollow) |
                    (flags & kAtEmptyPathFlag ? fs::kEmptyPath : 0);
    Path p = TRY(lookup(dirfd, path, walk));
    return chown_path(p, uid, gid);
}

Result<long> sys_chown(UserPtr<const char> path, uint32_t uid, uint32_t gid) {
    return sys_fchownat(kAtFdCwdValue, path, uid, gid, 0);
}

Result<long> sys_lchown(UserPtr<const char> path, uint32_t uid, uint32_t gid) {
    return sys_fchownat(kAtFdCwdValue, path, uid, gid, kAtSymlinkNoFollow);
}

Result<long> sys_fchown(int fd, uint32_t uid, uint32_t gid) {
    fs::RefPtr<OpenFile> file = TRY(file_for(fd));
    if (file->is_path_only()) return Errno::BADF;
    return chown_path(path_of_file(*file), uid, gid);
}

Result<long> sys_utimensat(int dirfd, UserPtr<const char> path, UserPtr<const Timespec> times,
                           int flags) {
    Timespec t[2];
    if (!times.is_null()) TRY(copy_from_user(t, times.address(), sizeof(t)));
    return utimes_at(dirfd, path, times.is_null() ? nullptr : t, flags);
}

Result<long> sys_futimesat(int dirfd, UserPtr<const char> path, UserPtr<const Timeval> times) {
    Timespec t[2];
    bool given;
    TRY(timevals_to_times(times, t, given));
    return utimes_at(dirfd, path, given ? t : nullptr, 0);
}

Result<long> sys_utimes(UserPtr<const char> path, UserPtr<const Timeval> times) {
    if (path.is_null()) return Errno::FAULT;
    return sys_futimesat(kAtFdCwdValue, path, times);
}

Result<long> sys_utime(UserPtr<const char> path, UserPtr<const int64_t> times) {
    if (path.is_null()) return Errno::FAULT;
    if (times.is_null()) return utimes_at(kAtFdCwdValue, path, nullptr, 0);
    int64_t buf[2]; // struct utimbuf { actime, modtime }
    TRY(copy_from_user(buf, times.address(), sizeof(buf)));
    Timespec t[2] = {{buf[0], 0}, {buf[1], 0}};
    return utimes_at(kAtFdCwdValue, path, t, 0);
}

// ---- directories of the process --------------------------------------------------------------

Result<long> sys_chdir(UserPtr<const char> user_path) {
    PathArg path;
    TRY(path.copy(user_path));
    Path p = TRY(lookup(kAtFdCwdValue, path, fs::kFollow | fs::kDirectory));
    ctx().cwd = p;
    return 0;
}

Result<long> sys_fchdir(int fd) {
    fs::RefPtr<OpenFile> file = TRY(file_for(fd));
    Path p = path_of_file(*file);
    if (!p.mount || !p.vnode().is_directory()) return Errno::NOTDIR;
    ctx().cwd = p;
    return 0;
}

Result<long> sys_chroot(UserPtr<const char> user_path) {
    PathArg path;
    TRY(path.copy(user_path));
    Path p = TRY(lookup(kAtFdCwdValue, path, fs::kFollow | fs::kDirectory));
    ctx().root = p;
    return 0;
}

Result<long> sys_getcwd(UserPtr<char> buffer, uint64_t size) {
    if (ctx().cwd.dentry->is_deleted()) return Errno::NOENT;
    char* text = new (std::nothrow) char[fs::kPathMax];
    if (!text) return Errno::NOMEM;
    auto r = [&]() -> Result<long> {
        std::string_view cwd = TRY(vfs().path_of(ctx(), ctx().cwd, text, fs::kPathMax, false));
        if (cwd.size() + 1 > size) return Errno::RANGE;
        TRY(copy_to_user(buffer.address(), cwd.data(), cwd.size()));
        TRY(copy_to_user(buffer.address() + cwd.size(), "", 1));
        return static_cast<long>(cwd.size() + 1);
    }();
    delete[] text;
    return r;
}

Result<long> sys_umask(uint32_t mask) {
    uint32_t old = ctx().umask;
    ctx().umask = mask & 0777;
    return old;
}

} // namespace wisp::linux
