// SPDX-License-Identifier: MIT
#pragma once

// Linux x86-64 structures the system calls exchange with the application.
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

inline constexpr uint32_t kModeFifo = 0010000;
inline constexpr uint32_t kModeChar = 0020000;
inline constexpr int kAtEmptyPath = 0x1000;
inline constexpr int kAtFdCwd = -100;

} // namespace wisp::linux
