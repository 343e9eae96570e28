// SPDX-License-Identifier: MIT
// Attributes: chmod/fchmod/fchmodat, chown/lchown/fchown/fchownat, utimensat/futimesat/utimes/
// utime (times compared, not printed), umask, and their errors.
#include "fs_check.h"

#include <sys/time.h>
#include <utime.h>

static void show_mode(const char* label, const char* path) {
    struct stat st;
    if (lstat(path, &st) != 0)
        printf("%s: %s\n", label, errno_name(errno));
    else
        printf("%s: mode 0%o uid %u gid %u\n", label, st.st_mode, st.st_uid, st.st_gid);
}

static void show_times(const char* label, const char* path, time_t atime, time_t mtime) {
    struct stat st;
    stat(path, &st);
    printf("%s: atime %s mtime %s\n", label, st.st_atime == atime ? "as set" : "other",
           st.st_mtime == mtime ? "as set" : "other");
}

int main(void) {
    enter_work_dir("attr");
    write_file("f", "x");
    mkdir("d", 0755);
    symlink("f", "l");
    char* huge = long_path(10000);

    T("chmod", SYS(SYS_chmod, "f", 0604));
    show_mode("after chmod", "f");
    T("chmod high bits", SYS(SYS_chmod, "f", 07777 | 0170000));
    show_mode("after chmod 07777", "f");
    T("chmod via symlink", SYS(SYS_chmod, "l", 0600));
    show_mode("target", "f");
    show_mode("symlink", "l");
    T("chmod dir", SYS(SYS_chmod, "d", 0700));
    show_mode("dir", "d");
    T("chmod missing", SYS(SYS_chmod, "missing", 0600));
    T("chmod NULL", SYS(SYS_chmod, NULL, 0600));
    T("chmod 10000", SYS(SYS_chmod, huge, 0600));
    int fd = open("f", O_RDONLY);
    T("fchmod", SYS(SYS_fchmod, fd, 0644));
    show_mode("after fchmod", "f");
    T("fchmod -1", SYS(SYS_fchmod, -1, 0644));
    int pathfd = open("f", O_PATH);
    T("fchmod O_PATH", SYS(SYS_fchmod, pathfd, 0644));
    T("fchmodat", SYS(SYS_fchmodat, AT_FDCWD, "f", 0640));
    show_mode("after fchmodat", "f");

    T("chown", SYS(SYS_chown, "f", 1000, 2000));
    show_mode("after chown", "f");
    T("chown -1 -1", SYS(SYS_chown, "f", -1, -1));
    show_mode("unchanged", "f");
    T("lchown", SYS(SYS_lchown, "l", 3000, 3001));
    show_mode("symlink after lchown", "l");
    show_mode("target after lchown", "f");
    T("fchown", SYS(SYS_fchown, fd, 0, -1));
    show_mode("after fchown", "f");
    T("fchownat nofollow", SYS(SYS_fchownat, AT_FDCWD, "l", 5, 6, AT_SYMLINK_NOFOLLOW));
    show_mode("symlink after fchownat", "l");
    T("fchownat bad flags", SYS(SYS_fchownat, AT_FDCWD, "l", 5, 6, 0x1));
    T("fchownat empty path", SYS(SYS_fchownat, fd, "", 7, 8, AT_EMPTY_PATH));
    show_mode("after fchownat empty", "f");
    T("chown missing", SYS(SYS_chown, "missing", 0, 0));
    // chown clears set-user-ID (and set-group-ID with group execute) on files, even for root.
    chmod("f", 06755);
    T("chown suid file", SYS(SYS_chown, "f", 0, 0));
    show_mode("suid cleared", "f");
    chmod("f", 02745);
    T("chown sgid no group exec", SYS(SYS_chown, "f", 0, 0));
    show_mode("sgid kept", "f");
    chmod("d", 06755);
    T("chown suid dir", SYS(SYS_chown, "d", 0, 0));
    show_mode("dir keeps bits", "d");

    struct timespec ts[2] = {{1000000000, 5}, {1200000000, 7}};
    T("utimensat", SYS(SYS_utimensat, AT_FDCWD, "f", ts, 0));
    show_times("utimensat", "f", 1000000000, 1200000000);
    struct stat st;
    stat("f", &st);
    printf("nanoseconds kept: %d\n", st.st_atim.tv_nsec == 5 && st.st_mtim.tv_nsec == 7);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
    T("utimensat omit atime", SYS(SYS_utimensat, AT_FDCWD, "f", omit, 0));
    show_times("omit atime", "f", 1000000000, 1300000000);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    T("utimensat now atime", SYS(SYS_utimensat, AT_FDCWD, "f", now, 0));
    show_times("now atime", "f", 1000000000, 1300000000);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    T("utimensat bad nsec", SYS(SYS_utimensat, AT_FDCWD, "f", bad, 0));
    struct timespec both[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    T("utimensat both omit missing", SYS(SYS_utimensat, AT_FDCWD, "missing", both, 0));
    T("utimensat missing", SYS(SYS_utimensat, AT_FDCWD, "missing", ts, 0));
    T("utimensat bad flags", SYS(SYS_utimensat, AT_FDCWD, "f", ts, 0x1));
    T("utimensat NULL times", SYS(SYS_utimensat, AT_FDCWD, "f", NULL, 0));
    T("utimensat fd NULL path", SYS(SYS_utimensat, fd, NULL, ts, 0));
    show_times("via fd", "f", 1000000000, 1200000000);
    T("utimensat fd NULL path nofollow", SYS(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW));
    T("utimensat nofollow symlink", SYS(SYS_utimensat, AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
    T("utimensat bad pointer", SYS(SYS_utimensat, AT_FDCWD, "f", KERNEL_POINTER, 0));
    struct timeval tv[2] = {{1100000000, 0}, {1150000000, 0}};
    T("utimes", SYS(SYS_utimes, "f", tv));
    show_times("utimes", "f", 1100000000, 1150000000);
    struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
    T("utimes bad usec", SYS(SYS_utimes, "f", badtv));
    T("futimesat", SYS(SYS_futimesat, AT_FDCWD, "f", tv));
    struct utimbuf ub = {1050000000, 1060000000};
    T("utime", SYS(SYS_utime, "f", &ub));
    show_times("utime", "f", 1050000000, 1060000000);
    T("utime NULL", SYS(SYS_utime, "f", NULL));

    T("umask", SYS(SYS_umask, 0077));
    T("umask again", SYS(SYS_umask, 01777));
    T("umask masked", SYS(SYS_umask, 022));
    mkdir("masked", 0777);
    show_mode("mkdir 0777 under umask 022", "masked");
    free(huge);
    return 0;
}
