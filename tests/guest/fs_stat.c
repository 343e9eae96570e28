// SPDX-License-Identifier: MIT
// stat/lstat/fstat/newfstatat/statx, statfs/fstatfs, access/faccessat/faccessat2,
// readlink/readlinkat: the fields that do not vary between runs, and the errors.
#include "fs_check.h"

#include <sys/statfs.h>

// struct statx (include/uapi/linux/stat.h), not in every C library's headers.
struct statx_time {
    int64_t sec;
    uint32_t nsec;
    int32_t reserved;
};
struct wisp_statx {
    uint32_t stx_mask, stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink, stx_uid, stx_gid;
    uint16_t stx_mode, spare0;
    uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct statx_time stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t spare[14];
};
#ifndef STATX_TYPE
#define STATX_TYPE 0x1u
#define STATX_SIZE 0x200u
#define STATX_BASIC_STATS 0x7ffu
#endif

static void show_stat(const char* label, int result, const struct stat* st) {
    if (result != 0) {
        printf("%s: %s\n", label, errno_name(errno));
        return;
    }
    printf("%s: mode 0%o nlink %lu size %ld uid %u gid %u rdev %lx blksize %ld\n", label,
           st->st_mode, (unsigned long)st->st_nlink, S_ISDIR(st->st_mode) ? -1L : (long)st->st_size,
           st->st_uid, st->st_gid, (unsigned long)st->st_rdev, (long)st->st_blksize);
}

#define STAT(label, call)                                                                          \
    do {                                                                                           \
        struct stat st;                                                                            \
        memset(&st, 0, sizeof st);                                                                 \
        errno = 0;                                                                                 \
        int r = (call);                                                                            \
        show_stat(label, r, &st);                                                                  \
    } while (0)

int main(void) {
    enter_work_dir("stat");
    write_file("file", "twelve bytes");
    mkdir("dir", 0750);
    symlink("file", "link");
    symlink("missing", "dangling");
    link("file", "hard");
    chmod("file", 0640);
    char* huge = long_path(10000);

    STAT("stat file", SYS(SYS_stat, "file", &st));
    STAT("stat dir", SYS(SYS_stat, "dir", &st));
    STAT("stat link", SYS(SYS_stat, "link", &st));
    STAT("lstat link", SYS(SYS_lstat, "link", &st));
    STAT("lstat dangling", SYS(SYS_lstat, "dangling", &st));
    STAT("stat dangling", SYS(SYS_stat, "dangling", &st));
    STAT("stat missing", SYS(SYS_stat, "missing", &st));
    STAT("stat file/", SYS(SYS_stat, "file/", &st));
    STAT("stat link/", SYS(SYS_stat, "link/", &st));
    STAT("stat empty", SYS(SYS_stat, "", &st));
    STAT("stat NULL path", SYS(SYS_stat, NULL, &st));
    STAT("stat 10000 chars", SYS(SYS_stat, huge, &st));
    printf("stat NULL buf: %s\n", SYS(SYS_stat, "file", NULL) ? errno_name(errno) : "0");
    printf("stat kernel buf: %s\n",
           SYS(SYS_stat, "file", KERNEL_POINTER) ? errno_name(errno) : "0");
    STAT("stat /dev/null", SYS(SYS_stat, "/dev/null", &st));
    int fd = open("file", O_RDONLY);
    STAT("fstat", SYS(SYS_fstat, fd, &st));
    STAT("fstat -1", SYS(SYS_fstat, -1, &st));
    STAT("fstat 1000000", SYS(SYS_fstat, 1000000, &st));
    STAT("fstatat", SYS(SYS_newfstatat, AT_FDCWD, "file", &st, 0));
    STAT("fstatat nofollow", SYS(SYS_newfstatat, AT_FDCWD, "link", &st, AT_SYMLINK_NOFOLLOW));
    STAT("fstatat empty path", SYS(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH));
    STAT("fstatat empty no flag", SYS(SYS_newfstatat, fd, "", &st, 0));
    STAT("fstatat sync flags", SYS(SYS_newfstatat, AT_FDCWD, "file", &st, 0x4000));
    STAT("fstatat bad flags", SYS(SYS_newfstatat, AT_FDCWD, "file", &st, 0x1));
    int dirfd = open("dir", O_RDONLY);
    write_file("dir/inner", "x");
    STAT("fstatat dirfd", SYS(SYS_newfstatat, dirfd, "inner", &st, 0));
    STAT("fstatat file dirfd", SYS(SYS_newfstatat, fd, "inner", &st, 0));
    STAT("fstatat bad dirfd", SYS(SYS_newfstatat, -1, "inner", &st, 0));
    int pathfd = open("link", O_PATH | O_NOFOLLOW);
    STAT("fstat O_PATH symlink", SYS(SYS_fstat, pathfd, &st));

    struct wisp_statx sx;
    errno = 0;
    long r = SYS(SYS_statx, AT_FDCWD, "file", 0, STATX_BASIC_STATS, &sx);
    printf("statx: %ld mode 0%o size %lu nlink %u basic %d\n", r, sx.stx_mode,
           (unsigned long)sx.stx_size, sx.stx_nlink,
           (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    T("statx link nofollow",
      SYS(SYS_statx, AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
    printf("statx link is link: %d\n", S_ISLNK(sx.stx_mode));
    T("statx reserved mask", SYS(SYS_statx, AT_FDCWD, "file", 0, 0x80000000u, &sx));
    T("statx bad flags", SYS(SYS_statx, AT_FDCWD, "file", 0x6000, STATX_TYPE, &sx));
    T("statx missing", SYS(SYS_statx, AT_FDCWD, "missing", 0, STATX_TYPE, &sx));
    T("statx NULL buf", SYS(SYS_statx, AT_FDCWD, "file", 0, STATX_TYPE, NULL));
    T("statx empty path fd", SYS(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
    printf("statx via fd size %lu\n", (unsigned long)sx.stx_size);

    struct statfs sf;
    T("statfs tmp", statfs(".", &sf));
    printf("statfs tmp namelen %ld\n", (long)sf.f_namelen);
    T("statfs proc", statfs("/proc", &sf));
    printf("statfs proc type %lx\n", (unsigned long)sf.f_type);
    T("fstatfs", fstatfs(fd, &sf));
    T("fstatfs -1", fstatfs(-1, &sf));
    T("statfs missing", statfs("missing", &sf));
    T("statfs NULL buf", SYS(SYS_statfs, ".", NULL));

    T("access F_OK", SYS(SYS_access, "file", F_OK));
    T("access R|W", SYS(SYS_access, "file", R_OK | W_OK));
    T("access X file", SYS(SYS_access, "file", X_OK));
    T("access X dir", SYS(SYS_access, "dir", X_OK));
    chmod("file", 0750);
    T("access X after chmod", SYS(SYS_access, "file", X_OK));
    T("access bad mode", SYS(SYS_access, "file", 8));
    T("access missing", SYS(SYS_access, "missing", F_OK));
    T("access dangling", SYS(SYS_access, "dangling", F_OK));
    T("faccessat", SYS(SYS_faccessat, dirfd, "inner", R_OK));
    T("faccessat2 nofollow", SYS(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    T("faccessat2 eaccess", SYS(SYS_faccessat2, AT_FDCWD, "file", R_OK, AT_EACCESS));
    T("faccessat2 bad flags", SYS(SYS_faccessat2, AT_FDCWD, "file", R_OK, 0x1));
    T("faccessat2 empty", SYS(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
    T("access /proc/self/exe X", SYS(SYS_access, "/proc/self/exe", X_OK));

    char buf[64];
    long n = T("readlink", SYS(SYS_readlink, "link", buf, sizeof buf));
    printf("readlink text: %.*s\n", (int)(n > 0 ? n : 0), buf);
    n = T("readlink short buffer", SYS(SYS_readlink, "dangling", buf, 3));
    printf("short text: %.*s\n", (int)(n > 0 ? n : 0), buf);
    T("readlink zero size", SYS(SYS_readlink, "link", buf, 0));
    T("readlink file", SYS(SYS_readlink, "file", buf, sizeof buf));
    T("readlink missing", SYS(SYS_readlink, "missing", buf, sizeof buf));
    T("readlink NULL buf", SYS(SYS_readlink, "link", NULL, sizeof buf));
    T("readlinkat empty O_PATH", SYS(SYS_readlinkat, pathfd, "", buf, sizeof buf));
    T("readlinkat empty file", SYS(SYS_readlinkat, fd, "", buf, sizeof buf));
    T("readlinkat dirfd", SYS(SYS_readlinkat, AT_FDCWD, "link", buf, sizeof buf));
    n = SYS(SYS_readlink, "/proc/self/cwd", buf, sizeof buf);
    printf("cwd link ends with dir name: %d\n", n > 0 && strncmp(buf, "/tmp/wisp-stat-", 15) == 0);
    free(huge);
    return 0;
}
