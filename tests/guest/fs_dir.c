// SPDX-License-Identifier: MIT
// Directories and names: mkdir/mkdirat, rmdir, unlink/unlinkat, rename/renameat/renameat2,
// link/linkat, symlink/symlinkat, getdents64 (including while removing), chdir/fchdir/getcwd.
#include "fs_check.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static void show_cwd_tail(void) {
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        printf("getcwd: %s\n", errno_name(errno));
    else
        printf("getcwd tail: %s\n", strrchr(cwd, '/'));
}

static void show_content(const char* label, const char* path) {
    char buf[64] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: %s\n", label, errno_name(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("%s: \"%.*s\"\n", label, (int)n, buf);
}

int main(void) {
    enter_work_dir("dir");
    char* huge = long_path(10000);
    char cwd[4096];

    T("mkdir", SYS(SYS_mkdir, "a", 0755));
    T("mkdir again", SYS(SYS_mkdir, "a", 0755));
    T("mkdir trailing slash", SYS(SYS_mkdir, "b/", 0755));
    T("mkdir nested missing", SYS(SYS_mkdir, "x/y", 0755));
    T("mkdir dot", SYS(SYS_mkdir, ".", 0755));
    T("mkdir root", SYS(SYS_mkdir, "/", 0755));
    write_file("file", "content");
    T("mkdir under file", SYS(SYS_mkdir, "file/sub", 0755));
    T("mkdir over file", SYS(SYS_mkdir, "file", 0755));
    T("mkdir NULL", SYS(SYS_mkdir, NULL, 0755));
    T("mkdir 10000", SYS(SYS_mkdir, huge, 0755));
    int dirfd = open("a", O_RDONLY | O_DIRECTORY);
    T("mkdirat", SYS(SYS_mkdirat, dirfd, "inside", 0700));
    T("mkdirat bad fd", SYS(SYS_mkdirat, -1, "inside", 0700));
    struct stat st;
    stat("a/inside", &st);
    printf("mkdirat mode 0%o\n", st.st_mode);
    stat("a", &st);
    printf("a nlink %lu\n", (unsigned long)st.st_nlink);

    T("rmdir non-empty", SYS(SYS_rmdir, "a"));
    T("rmdir file", SYS(SYS_rmdir, "file"));
    T("rmdir missing", SYS(SYS_rmdir, "missing"));
    T("rmdir dot", SYS(SYS_rmdir, "a/inside/."));
    T("rmdir dotdot", SYS(SYS_rmdir, "a/inside/.."));
    T("rmdir", SYS(SYS_rmdir, "a/inside"));
    T("unlink dir", SYS(SYS_unlink, "a"));
    T("unlink missing", SYS(SYS_unlink, "missing"));
    T("unlink file/", SYS(SYS_unlink, "file/"));
    T("unlinkat removedir file", SYS(SYS_unlinkat, AT_FDCWD, "file", AT_REMOVEDIR));
    T("unlinkat bad flags", SYS(SYS_unlinkat, AT_FDCWD, "file", 0x1));
    write_file("a/f", "f");
    T("unlinkat dirfd", SYS(SYS_unlinkat, dirfd, "f", 0));
    T("unlinkat removedir", SYS(SYS_unlinkat, AT_FDCWD, "b", AT_REMOVEDIR));

    // rename
    write_file("r1", "one");
    write_file("r2", "two");
    T("rename", SYS(SYS_rename, "r1", "r3"));
    show_content("r3", "r3");
    T("rename over", SYS(SYS_rename, "r3", "r2"));
    show_content("r2", "r2");
    show_content("r3 gone", "r3");
    T("rename same", SYS(SYS_rename, "r2", "r2"));
    T("rename missing", SYS(SYS_rename, "missing", "r9"));
    mkdir("d1", 0755);
    mkdir("d2", 0755);
    write_file("d2/x", "x");
    T("rename file over dir", SYS(SYS_rename, "r2", "d1"));
    T("rename dir over file", SYS(SYS_rename, "d1", "r2"));
    T("rename dir over non-empty", SYS(SYS_rename, "d1", "d2"));
    T("rename dir into itself", SYS(SYS_rename, "d1", "d1/sub"));
    T("rename dir over empty", SYS(SYS_rename, "d1", "a"));
    T("rename trailing slash file", SYS(SYS_rename, "r2/", "r4"));
    T("rename dot", SYS(SYS_rename, ".", "zz"));
    T("rename to dotdot", SYS(SYS_rename, "r2", "d2/.."));
    write_file("e1", "e1");
    write_file("e2", "e2");
    T("renameat2 noreplace", SYS(SYS_renameat2, AT_FDCWD, "e1", AT_FDCWD, "e2", RENAME_NOREPLACE));
    T("renameat2 exchange", SYS(SYS_renameat2, AT_FDCWD, "e1", AT_FDCWD, "e2", RENAME_EXCHANGE));
    show_content("e1 after exchange", "e1");
    T("renameat2 exchange missing",
      SYS(SYS_renameat2, AT_FDCWD, "e1", AT_FDCWD, "e9", RENAME_EXCHANGE));
    T("renameat2 both flags", SYS(SYS_renameat2, AT_FDCWD, "e1", AT_FDCWD, "e2", 3));
    T("renameat2 bad flags", SYS(SYS_renameat2, AT_FDCWD, "e1", AT_FDCWD, "e2", 0x100));
    T("exchange file and dir", SYS(SYS_renameat2, AT_FDCWD, "e1", AT_FDCWD, "d2", RENAME_EXCHANGE));
    show_content("d2 is file now", "d2");
    show_content("e1/x after exchange", "e1/x");
    T("renameat dirfd", SYS(SYS_renameat, AT_FDCWD, "e2", dirfd, "moved"));
    show_content("a/moved", "a/moved");
    T("rename NULL", SYS(SYS_rename, NULL, "x"));
    T("rename 10000", SYS(SYS_rename, "e1", huge));
    T("rename to /proc", SYS(SYS_rename, "d2", "/proc/x"));

    // "a" was replaced by d1 above: dirfd now names a removed directory.
    T("mkdirat in removed dir", SYS(SYS_mkdirat, dirfd, "z", 0755));
    close(dirfd);
    dirfd = open("a", O_RDONLY | O_DIRECTORY);

    // links
    write_file("orig", "orig");
    T("link", SYS(SYS_link, "orig", "hard"));
    stat("orig", &st);
    printf("nlink %lu\n", (unsigned long)st.st_nlink);
    T("link existing", SYS(SYS_link, "orig", "hard"));
    T("link dir", SYS(SYS_link, "a", "alink"));
    T("link missing", SYS(SYS_link, "missing", "m"));
    T("link trailing slash", SYS(SYS_link, "orig", "newlink/"));
    T("symlink", SYS(SYS_symlink, "orig", "soft"));
    T("symlink existing", SYS(SYS_symlink, "x", "soft"));
    T("symlink empty target", SYS(SYS_symlink, "", "empty"));
    T("symlink dangling", SYS(SYS_symlink, "nowhere", "dangle"));
    T("linkat nofollow", SYS(SYS_linkat, AT_FDCWD, "soft", AT_FDCWD, "soft2", 0));
    lstat("soft2", &st);
    printf("linkat copies the symlink: %d\n", S_ISLNK(st.st_mode));
    T("linkat follow", SYS(SYS_linkat, AT_FDCWD, "soft", AT_FDCWD, "soft3", AT_SYMLINK_FOLLOW));
    lstat("soft3", &st);
    printf("linkat follow gives a file: %d\n", S_ISREG(st.st_mode));
    T("linkat bad flags", SYS(SYS_linkat, AT_FDCWD, "soft", AT_FDCWD, "soft4", 0x1));
    T("symlinkat dirfd", SYS(SYS_symlinkat, "../orig", dirfd, "up"));
    show_content("through a/up", "a/up");
    T("unlink symlink", SYS(SYS_unlink, "soft"));
    show_content("orig still there", "orig");

    // getdents64 while removing: every entry once.
    mkdir("many", 0755);
    for (int i = 0; i < 150; i++) {
        char name[64];
        snprintf(name, sizeof name, "many/entry-%03d", i);
        write_file(name, "");
    }
    int many = open("many", O_RDONLY | O_DIRECTORY);
    char buf[512];
    long total = 0, n;
    int seen = 0;
    while ((n = SYS(SYS_getdents64, many, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct {
                uint64_t ino;
                int64_t off;
                uint16_t reclen;
                uint8_t type;
                char name[];
            }* d = (void*)(buf + off);
            if (strcmp(d->name, ".") && strcmp(d->name, "..")) {
                if (unlinkat(many, d->name, 0) != 0) printf("unlink %s failed\n", d->name);
                if (d->type != DT_REG) printf("type %d for %s\n", d->type, d->name);
            }
            seen++;
            off += d->reclen;
        }
        total += n;
    }
    printf("getdents seen %d, end %ld\n", seen, n);
    list_dir("many after", "many");
    T("getdents64 tiny buffer", SYS(SYS_getdents64, dirfd, buf, 10));
    T("getdents64 NULL buffer", SYS(SYS_getdents64, dirfd, NULL, 512));
    int filefd = open("orig", O_RDONLY);
    T("getdents64 file", SYS(SYS_getdents64, filefd, buf, sizeof buf));
    T("getdents64 -1", SYS(SYS_getdents64, -1, buf, sizeof buf));
    T("rmdir many", SYS(SYS_rmdir, "many"));
    list_dir("work dir", ".");
    lseek(many, 0, SEEK_SET);
    T("getdents64 of removed dir", SYS(SYS_getdents64, many, buf, sizeof buf));

    // working directory
    T("chdir", SYS(SYS_chdir, "a"));
    show_cwd_tail();
    T("chdir ..", SYS(SYS_chdir, ".."));
    T("chdir file", SYS(SYS_chdir, "orig"));
    T("chdir missing", SYS(SYS_chdir, "missing"));
    T("chdir NULL", SYS(SYS_chdir, NULL));
    T("fchdir", SYS(SYS_fchdir, dirfd));
    show_cwd_tail();
    T("fchdir file", SYS(SYS_fchdir, filefd));
    T("fchdir -1", SYS(SYS_fchdir, -1));
    T("getcwd small", SYS(SYS_getcwd, cwd, 5));
    T("getcwd zero", SYS(SYS_getcwd, cwd, 0));
    T("getcwd NULL", SYS(SYS_getcwd, NULL, 4096));
    T("getcwd returns length", SYS(SYS_getcwd, cwd, sizeof cwd) == (long)strlen(cwd) + 1 ? 0 : -1);
    T("chdir /", SYS(SYS_chdir, "/"));
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd));
    T("chdir work", SYS(SYS_chdir, g_work_dir));
    mkdir("gone", 0755);
    chdir("gone");
    T("rmdir cwd", SYS(SYS_rmdir, "../gone"));
    T("getcwd deleted", SYS(SYS_getcwd, cwd, sizeof cwd));
    T("create in deleted cwd", SYS(SYS_open, "new", O_CREAT | O_WRONLY, 0644));
    T("chdir back", SYS(SYS_chdir, g_work_dir));
    free(huge);
    return 0;
}
