// SPDX-License-Identifier: MIT
// Looking at files: stat and its forms, statx, statfs, access, readlink, getdents.
#include <string.h>

#include "linux/abi_types.h"
#include "linux/files.h"
#include "linux/syscalls.h"

namespace wisp::linux {

namespace {

using fs::OpenFile;
using fs::Path;

fs::FsContext& ctx() {
    return files().context;
}

Stat to_stat(const fs::Attributes& a) {
    Stat st{};
    st.st_dev = a.dev;
    st.st_ino = a.ino;
    st.st_nlink = a.nlink;
    st.st_mode = a.mode;
    st.st_uid = a.uid;
    st.st_gid = a.gid;
    st.st_rdev = a.rdev;
    st.st_size = static_cast<int64_t>(a.size);
    st.st_blksize = a.blksize;
    st.st_blocks = static_cast<int64_t>(a.blocks);
    st.st_atime_sec = a.atime.sec;
    st.st_atime_nsec = a.atime.nsec;
    st.st_mtime_sec = a.mtime.sec;
    st.st_mtime_nsec = a.mtime.nsec;
    st.st_ctime_sec = a.ctime.sec;
    st.st_ctime_nsec = a.ctime.nsec;
    return st;
}

Result<long> put_stat(const fs::Attributes& a, UserPtr<char> out) {
    Stat st = to_stat(a);
    TRY(copy_to_user(out.address(), &st, sizeof(st)));
    return 0;
}

// The file a stat-like call names: `path` relative to `dirfd`, or — for an empty path with
// AT_EMPTY_PATH, or no path at all — dirfd's own file (O_PATH descriptors included).
Result<Path> target_of(int dirfd, UserPtr<const char> user_path, int flags, PathArg& path) {
    bool empty_ok = flags & kAtEmptyPathFlag;
    if (user_path.is_null() && empty_ok) { // Linux 6.11+: NULL means ""
        if (dirfd == kAtFdCwdValue) return ctx().cwd;
        fs::RefPtr<OpenFile> file = TRY(file_for(dirfd));
        return path_of_file(*file);
    }
    TRY(path.copy(user_path));
    Path base = TRY(start_for(dirfd, path.view()));
    unsigned walk =
        (flags & kAtSymlinkNoFollow ? 0 : fs::kFollow) | (empty_ok ? fs::kEmptyPath : 0);
    return vfs().resolve(ctx(), base, path.view(), walk);
}

StatxTimestamp statx_time(fs::Timestamp t) {
    return {t.sec, t.nsec, 0};
}

// getdents64/getdents records, straight into the application's buffer.
class DirentWriter final : public fs::DirSink {
  public:
    DirentWriter(uint64_t buffer, size_t capacity, bool old_format)
        : m_buffer(buffer), m_capacity(capacity), m_old(old_format) {}

    bool emit(std::string_view name, uint64_t ino, fs::DirentType type, uint64_t next) override {
        uint8_t record[320];
        size_t length;
        if (!m_old) {
            // struct linux_dirent64: ino, off, reclen, type, name, NUL, padding to 8.
            length = (kDirent64NameOffset + name.size() + 1 + 7) & ~size_t(7);
            Dirent64 d{ino, static_cast<int64_t>(next), static_cast<uint16_t>(length),
                       static_cast<uint8_t>(type)};
            memset(record, 0, length);
            memcpy(record, &d, kDirent64NameOffset);
            memcpy(record + kDirent64NameOffset, name.data(), name.size());
        } else {
            // struct linux_dirent: ino, off, reclen, name, NUL, padding, type in the last byte.
            constexpr size_t kNameOffset = 18;
            length = (kNameOffset + name.size() + 2 + 7) & ~size_t(7);
            memset(record, 0, length);
            uint64_t off = next;
            uint16_t reclen = static_cast<uint16_t>(length);
            memcpy(record, &ino, 8);
            memcpy(record + 8, &off, 8);
            memcpy(record + 16, &reclen, 2);
            memcpy(record + kNameOffset, name.data(), name.size());
            record[length - 1] = static_cast<uint8_t>(type);
        }
        if (length > m_capacity - m_used) {
            if (m_used == 0) error = Errno::INVAL;
            return false;
        }
        if (copy_to_user(m_buffer + m_used, record, length).is_error()) {
            error = Errno::FAULT;
            return false;
        }
        m_used += length;
        return true;
    }
    size_t used() const { return m_used; }
    Errno error = Errno(0);

  private:
    uint64_t m_buffer;
    size_t m_capacity;
    size_t m_used = 0;
    bool m_old;
};

Result<long> read_directory(int fd, UserPtr<char> buffer, uint64_t count, bool old_format) {
    fs::RefPtr<OpenFile> file = TRY(file_for(fd));
    if (file->is_path_only()) return Errno::BADF;
    if (!file->vnode().is_directory()) return Errno::NOTDIR;
    if (count > 0x7fff'ffff) count = 0x7fff'ffff;
    DirentWriter writer(buffer.address(), count, old_format);
    TRY(vfs().readdir(*file, writer));
    if (writer.used() == 0 && writer.error != Errno(0)) return writer.error;
    return static_cast<long>(writer.used());
}

} // namespace

Result<long> sys_newfstatat(int dirfd, UserPtr<const char> user_path, UserPtr<char> stat,
                            int flags) {
    if (flags & ~(kAtSymlinkNoFollow | kAtEmptyPathFlag | kAtNoAutomount | kAtStatxSyncType))
        return Errno::INVAL;
    PathArg path;
    Path p = TRY(target_of(dirfd, user_path, flags, path));
    fs::Attributes a;
    TRY(vfs().stat(p, a));
    return put_stat(a, stat);
}

Result<long> sys_stat(UserPtr<const char> path, UserPtr<char> stat) {
    return sys_newfstatat(kAtFdCwdValue, path, stat, 0);
}

Result<long> sys_lstat(UserPtr<const char> path, UserPtr<char> stat) {
    return sys_newfstatat(kAtFdCwdValue, path, stat, kAtSymlinkNoFollow);
}

Result<long> sys_fstat(int fd, UserPtr<char> stat) {
    fs::RefPtr<OpenFile> file = TRY(file_for(fd));
    fs::Attributes a;
    TRY(vfs().stat(file->vnode(), a));
    return put_stat(a, stat);
}

Result<long> sys_statx(int dirfd, UserPtr<const char> user_path, int flags, unsigned mask,
                       UserPtr<char> out) {
    constexpr unsigned kStatxReserved = 0x80000000u, kBasicStats = 0x7ffu, kBtime = 0x800u,
                       kMntId = 0x1000u;
    if (flags & ~(kAtSymlinkNoFollow | kAtEmptyPathFlag | kAtNoAutomount | kAtStatxSyncType))
        return Errno::INVAL;
    if ((flags & kAtStatxSyncType) == kAtStatxSyncType) return Errno::INVAL;
    if (mask & kStatxReserved) return Errno::INVAL;
    PathArg path;
    Path p = TRY(target_of(dirfd, user_path, flags, path));
    fs::Attributes a;
    TRY(vfs().stat(p, a));
    Statx sx{};
    sx.stx_mask = kBasicStats | kMntId | (a.btime.sec || a.btime.nsec ? kBtime : 0);
    sx.stx_blksize = a.blksize;
    sx.stx_nlink = a.nlink;
    sx.stx_uid = a.uid;
    sx.stx_gid = a.gid;
    sx.stx_mode = static_cast<uint16_t>(a.mode);
    sx.stx_ino = a.ino;
    sx.stx_size = a.size;
    sx.stx_blocks = a.blocks;
    sx.stx_atime = statx_time(a.atime);
    sx.stx_btime = statx_time(a.btime);
    sx.stx_ctime = statx_time(a.ctime);
    sx.stx_mtime = statx_time(a.mtime);
    sx.stx_rdev_major = fs::dev_major(a.rdev);
    sx.stx_rdev_minor = fs::dev_minor(a.rdev);
    sx.stx_dev_major = fs::dev_major(a.dev);
    sx.stx_dev_minor = fs::dev_minor(a.dev);
    sx.stx_mnt_id = p.mount ? p.mount->id : 0;
    TRY(copy_to_user(out.address(), &sx, sizeof(sx)));
    return 0;
}

namespace {

Result<long> put_statfs(const Path& p, fs::Vnode& vnode, UserPtr<char> out) {
    constexpr int64_t kValid = 0x20, kRdonly = 1, kNosuid = 2, kNodev = 4, kNoexec = 8,
                      kRelatime = 0x1000;
    fs::FsStats s;
    TRY(vnode.fs().statfs(s));
    StatFs st{};
    st.f_type = static_cast<int64_t>(s.type);
    st.f_bsize = static_cast<int64_t>(s.block_size);
    st.f_blocks = s.blocks;
    st.f_bfree = s.blocks_free;
    st.f_bavail = s.blocks_available;
    st.f_files = s.files;
    st.f_ffree = s.files_free;
    uint64_t dev = vnode.fs().dev();
    st.f_fsid[0] = static_cast<int32_t>(fs::dev_minor(dev));
    st.f_fsid[1] = static_cast<int32_t>(fs::dev_major(dev));
    st.f_namelen = static_cast<int64_t>(s.name_max);
    st.f_frsize = static_cast<int64_t>(s.block_size);
    st.f_flags = kValid | kRelatime | static_cast<int64_t>(s.flags);
    if (p.mount) {
        if (p.mount->read_only()) st.f_flags |= kRdonly;
        if (p.mount->flags & fs::Mount::kNoSuid) st.f_flags |= kNosuid;
        if (p.mount->flags & fs::Mount::kNoDev) st.f_flags |= kNodev;
        if (p.mount->flags & fs::Mount::kNoExec) st.f_flags |= kNoexec;
    }
    TRY(copy_to_user(out.address(), &st, sizeof(st)));
    return 0;
}

} // namespace

Result<long> sys_statfs(UserPtr<const char> user_path, UserPtr<char> out) {
    PathArg path;
    TRY(path.copy(user_path));
    Path base = TRY(start_for(kAtFdCwdValue, path.view()));
    Path p = TRY(vfs().resolve(ctx(), base, path.view(), fs::kFollow));
    return put_statfs(p, p.vnode(), out);
}

Result<long> sys_fstatfs(int fd, UserPtr<char> out) {
    fs::RefPtr<OpenFile> file = TRY(file_for(fd));
    return put_statfs(path_of_file(*file), file->vnode(), out);
}

Result<long> sys_faccessat2(int dirfd, UserPtr<const char> user_path, int mode, int flags) {
    if (mode & ~7) return Errno::INVAL;
    if (flags & ~(kAtEaccess | kAtSymlinkNoFollow | kAtEmptyPathFlag)) return Errno::INVAL;
    PathArg path;
    TRY(path.copy(user_path));
    Path base = TRY(start_for(dirfd, path.view()));
    unsigned walk = (flags & kAtSymlinkNoFollow ? 0 : fs::kFollow) |
                    (flags & kAtEmptyPathFlag ? fs::kEmptyPath : 0);
    Path p = TRY(vfs().resolve(ctx(), base, path.view(), walk));
    TRY(vfs().access(p, mode));
    return 0;
}

Result<long> sys_faccessat(int dirfd, UserPtr<const char> path, int mode) {
    return sys_faccessat2(dirfd, path, mode, 0);
}

Result<long> sys_access(UserPtr<const char> path, int mode) {
    return sys_faccessat2(kAtFdCwdValue, path, mode, 0);
}

Result<long> sys_readlinkat(int dirfd, UserPtr<const char> user_path, UserPtr<char> buffer,
                            uint64_t size) {
    if (static_cast<int64_t>(size) <= 0 || size > 0x7fffffff) return Errno::INVAL;
    PathArg path;
    TRY(path.copy(user_path));
    Path base = TRY(start_for(dirfd, path.view()));
    Path p = TRY(vfs().resolve(ctx(), base, path.view(), fs::kEmptyPath));
    if (!p.vnode().is_symlink()) return path.empty() ? Errno::NOENT : Errno::INVAL;
    char* text = new (std::nothrow) char[fs::kPathMax];
    if (!text) return Errno::NOMEM;
    auto r = [&]() -> Result<long> {
        size_t n = TRY(vfs().readlink(ctx(), p, text, size < fs::kPathMax ? size : fs::kPathMax));
        TRY(copy_to_user(buffer.address(), text, n));
        return static_cast<long>(n);
    }();
    delete[] text;
    return r;
}

Result<long> sys_readlink(UserPtr<const char> path, UserPtr<char> buffer, uint64_t size) {
    return sys_readlinkat(kAtFdCwdValue, path, buffer, size);
}

Result<long> sys_getdents64(int fd, UserPtr<char> buffer, uint64_t count) {
    return read_directory(fd, buffer, count, false);
}

Result<long> sys_getdents(int fd, UserPtr<char> buffer, uint64_t count) {
    return read_directory(fd, buffer, count, true);
}

} // namespace wisp::linux
