// SPDX-License-Identifier: MIT
#pragma once

// Values the VFS and the file systems exchange: file types and modes (the Linux st_mode bits),
// attributes (what stat reports), attribute changes, file-system statistics, directory entries.
#include <stddef.h>
#include <stdint.h>

#include <string_view>

namespace wisp::fs {

// st_mode (Linux include/uapi/linux/stat.h).
inline constexpr uint32_t kTypeMask = 0170000;
inline constexpr uint32_t kTypeSocket = 0140000;
inline constexpr uint32_t kTypeSymlink = 0120000;
inline constexpr uint32_t kTypeRegular = 0100000;
inline constexpr uint32_t kTypeBlock = 0060000;
inline constexpr uint32_t kTypeDirectory = 0040000;
inline constexpr uint32_t kTypeChar = 0020000;
inline constexpr uint32_t kTypeFifo = 0010000;
inline constexpr uint32_t kPermissionMask = 07777; // permissions plus setuid, setgid, sticky

inline constexpr size_t kPathMax = 4096; // PATH_MAX, the NUL included
inline constexpr size_t kNameMax = 255;  // NAME_MAX
inline constexpr int kMaxSymlinks = 40;  // MAXSYMLINKS
inline constexpr uint64_t kPageSize = 4096;
// Largest file offset (MAX_LFS_FILESIZE on 64-bit Linux).
inline constexpr uint64_t kMaxFileSize = 0x7fff'ffff'ffff'ffffull;

inline constexpr bool is_directory(uint32_t mode) {
    return (mode & kTypeMask) == kTypeDirectory;
}
inline constexpr bool is_regular(uint32_t mode) {
    return (mode & kTypeMask) == kTypeRegular;
}
inline constexpr bool is_symlink(uint32_t mode) {
    return (mode & kTypeMask) == kTypeSymlink;
}

// Device numbers in Linux's new_encode_dev() form as st_dev/st_rdev carry them.
inline constexpr uint64_t make_dev(uint32_t major, uint32_t minor) {
    return (minor & 0xffu) | ((major & 0xfffu) << 8) |
           (static_cast<uint64_t>(minor & ~0xffu) << 12) |
           (static_cast<uint64_t>(major & ~0xfffu) << 32);
}
inline constexpr uint32_t dev_major(uint64_t dev) {
    return static_cast<uint32_t>(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
}
inline constexpr uint32_t dev_minor(uint64_t dev) {
    return static_cast<uint32_t>((dev & 0xff) | ((dev >> 12) & ~0xffull));
}

struct Timestamp {
    int64_t sec = 0;
    uint32_t nsec = 0;
    bool operator==(const Timestamp&) const = default;
};

// What stat reports about a file.
struct Attributes {
    uint64_t dev = 0;
    uint64_t ino = 0;
    uint32_t mode = 0;
    uint32_t nlink = 1;
    uint32_t uid = 0, gid = 0;
    uint64_t rdev = 0;
    uint64_t size = 0;
    uint64_t blocks = 0; // 512-byte units
    uint32_t blksize = 4096;
    Timestamp atime, mtime, ctime, btime;
};

// A change of attributes (chmod, chown, truncate, utimensat). Only fields named in `mask` apply.
struct AttributeChange {
    static constexpr uint32_t kMode = 1, kUid = 2, kGid = 4, kSize = 8, kAtime = 16, kMtime = 32,
                              kCtime = 64;
    uint32_t mask = 0;
    uint32_t mode = 0; // permission bits only
    uint32_t uid = 0, gid = 0;
    uint64_t size = 0;
    Timestamp atime, mtime, ctime;
};

// statfs
struct FsStats {
    uint64_t type = 0; // f_type magic (TMPFS_MAGIC, EROFS_SUPER_MAGIC_V1, ...)
    uint64_t block_size = 4096;
    uint64_t blocks = 0, blocks_free = 0, blocks_available = 0;
    uint64_t files = 0, files_free = 0;
    uint64_t name_max = kNameMax;
    uint64_t flags = 0; // ST_* mount flags
};

// getdents64 d_type (DT_*).
enum class DirentType : uint8_t {
    Unknown = 0,
    Fifo = 1,
    Char = 2,
    Directory = 4,
    Block = 6,
    Regular = 8,
    Symlink = 10,
    Socket = 12,
};
inline constexpr DirentType dirent_type_of_mode(uint32_t mode) {
    return static_cast<DirentType>((mode & kTypeMask) >> 12);
}

// Receives directory entries from Vnode::readdir. `next_cookie` is where to resume after this
// entry. Returns false to stop before consuming the entry (the caller's buffer is full).
class DirSink {
  public:
    virtual bool emit(std::string_view name, uint64_t ino, DirentType type,
                      uint64_t next_cookie) = 0;

  protected:
    ~DirSink() = default;
};

// Writes the decimal digits of `value` to `out` (at least 20 bytes); returns how many. For
// generated names on hot paths, where printf-style formatting would cost more.
inline size_t format_decimal(uint64_t value, char* out) {
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value);
    for (size_t i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    return n;
}

// "pipe:[N]": how /proc/self/fd names anonymous files (Linux pipefs d_dname).
inline std::string_view anonymous_name(uint64_t ino, char (&buffer)[32]) {
    const char prefix[] = "pipe:[";
    size_t n = sizeof(prefix) - 1;
    for (size_t i = 0; i < n; i++)
        buffer[i] = prefix[i];
    n += format_decimal(ino, buffer + n);
    buffer[n++] = ']';
    return {buffer, n};
}

// rename flags (Linux include/uapi/linux/fs.h).
inline constexpr unsigned kRenameNoReplace = 1, kRenameExchange = 2, kRenameWhiteout = 4;

} // namespace wisp::fs
