// SPDX-License-Identifier: MIT
#pragma once

// Linux x86-64 structures the system calls exchange with the application.
#include <stddef.h>
#include <stdint.h>

namespace wisp::linux {

struct Stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;
    int64_t st_atime_sec, st_atime_nsec;
    int64_t st_mtime_sec, st_mtime_nsec;
    int64_t st_ctime_sec, st_ctime_nsec;
    int64_t unused[3];
};
static_assert(sizeof(Stat) == 144);

struct Timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};
struct Timeval {
    int64_t tv_sec;
    int64_t tv_usec;
};

struct Utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

struct Rlimit {
    uint64_t cur, max;
};

// statx(2) (include/uapi/linux/stat.h)
struct StatxTimestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};
struct Statx {
    uint32_t stx_mask;
    uint32_t stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink;
    uint32_t stx_uid;
    uint32_t stx_gid;
    uint16_t stx_mode;
    uint16_t spare0;
    uint64_t stx_ino;
    uint64_t stx_size;
    uint64_t stx_blocks;
    uint64_t stx_attributes_mask;
    StatxTimestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor;
    uint32_t stx_dev_major, stx_dev_minor;
    uint64_t stx_mnt_id;
    uint32_t stx_dio_mem_align, stx_dio_offset_align;
    uint64_t spare3[12];
};
static_assert(sizeof(Statx) == 256);

// statfs(2) (asm-generic/statfs.h, 64-bit)
struct StatFs {
    int64_t f_type, f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen, f_frsize, f_flags;
    int64_t f_spare[4];
};
static_assert(sizeof(StatFs) == 120);

// getdents64 record header (the name and padding follow).
struct Dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
};
inline constexpr size_t kDirent64NameOffset = 19;

// fcntl locks (struct flock)
struct Flock {
    int16_t l_type, l_whence;
    int32_t pad0;
    int64_t l_start, l_len;
    int32_t l_pid;
    int32_t pad1;
};
static_assert(sizeof(Flock) == 32);

struct SysInfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char reserved[4];
};
static_assert(sizeof(SysInfo) == 112);

struct Tms {
    int64_t tms_utime, tms_stime, tms_cutime, tms_cstime;
};

struct Rusage {
    Timeval ru_utime, ru_stime;
    int64_t ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap, ru_inblock,
        ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};
static_assert(sizeof(Rusage) == 144);

inline constexpr uint32_t kModeFifo = 0010000;
inline constexpr uint32_t kModeChar = 0020000;
inline constexpr int kAtEmptyPath = 0x1000;
inline constexpr int kAtFdCwd = -100;

} // namespace wisp::linux
