// SPDX-License-Identifier: MIT
// open/openat/creat/close: flags, what F_GETFL reports, and the errors Linux gives.
#include "fs_check.h"

#include <sys/resource.h>

int main(void) {
    // The descriptor limit the tests expect (wisp's RLIMIT_NOFILE), whatever the host's is.
    setrlimit(RLIMIT_NOFILE, &(struct rlimit){1024, 1024});
    enter_work_dir("open");
    char* huge = long_path(10000);
    char* max = long_path(4095);

    T("open missing", SYS(SYS_open, "missing", O_RDONLY));
    T("openat missing", SYS(SYS_openat, AT_FDCWD, "missing", O_RDONLY));
    int fd = T("creat f", SYS(SYS_creat, "f", 0644));
    T("write f", write(fd, "abc", 3));
    T("read write-only", read(fd, (char[4]){0}, 4));
    T("close", SYS(SYS_close, fd));
    T("close again", SYS(SYS_close, fd));
    T("close -1", SYS(SYS_close, -1));
    T("close 1000000", SYS(SYS_close, 1000000));
    T("O_EXCL existing", SYS(SYS_open, "f", O_CREAT | O_EXCL | O_WRONLY, 0644));
    T("O_CREAT trailing slash", SYS(SYS_open, "g/", O_CREAT | O_WRONLY, 0644));
    T("O_CREAT existing slash", SYS(SYS_open, "f/", O_CREAT | O_WRONLY, 0644));
    T("O_CREAT|O_DIRECTORY", SYS(SYS_open, "h", O_CREAT | O_DIRECTORY | O_RDONLY, 0644));
    T("O_DIRECTORY on file", SYS(SYS_open, "f", O_DIRECTORY | O_RDONLY));
    T("file as directory", SYS(SYS_open, "f/x", O_RDONLY));
    T("file trailing slash", SYS(SYS_open, "f/", O_RDONLY));
    T("dir O_WRONLY", SYS(SYS_open, ".", O_WRONLY));
    T("dir O_RDWR", SYS(SYS_open, "/tmp", O_RDWR));
    T("dir O_CREAT", SYS(SYS_open, ".", O_CREAT | O_RDONLY, 0644));
    T("dir O_TRUNC", SYS(SYS_open, ".", O_RDONLY | O_TRUNC));
    fd = T("dir O_RDONLY", SYS(SYS_open, ".", O_RDONLY | O_DIRECTORY));
    T("read dir", read(fd, (char[8]){0}, 8));
    T("read dir 0", read(fd, (char[8]){0}, 0));
    T("write dir fd", write(fd, "x", 1));
    close(fd);

    // What F_GETFL reports: access mode and status flags, O_LARGEFILE added by the kernel.
    int flags[] = {O_RDONLY,
                   O_WRONLY,
                   O_RDWR,
                   O_RDWR | O_APPEND,
                   O_WRONLY | O_NONBLOCK,
                   O_RDONLY | O_CLOEXEC,
                   O_RDWR | O_TRUNC | O_CREAT,
                   O_RDONLY | O_NOATIME,
                   O_WRONLY | O_SYNC,
                   O_WRONLY | O_DSYNC,
                   O_RDONLY | O_NOFOLLOW,
                   O_RDONLY | O_NOCTTY};
    for (unsigned i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        fd = SYS(SYS_open, "f", flags[i], 0644);
        printf("flags 0%o -> F_GETFL 0%lo F_GETFD %ld\n", flags[i], SYS(SYS_fcntl, fd, F_GETFL),
               SYS(SYS_fcntl, fd, F_GETFD));
        close(fd);
    }
    fd = SYS(SYS_open, ".", O_PATH | O_RDWR | O_APPEND);
    printf("O_PATH F_GETFL 0%lo\n", SYS(SYS_fcntl, fd, F_GETFL));
    T("O_PATH read", read(fd, (char[4]){0}, 4));
    T("O_PATH fstat", fstat(fd, &(struct stat){0}));
    close(fd);

    // O_TRUNC and O_APPEND.
    write_file("t", "0123456789");
    fd = SYS(SYS_open, "t", O_WRONLY | O_TRUNC);
    struct stat st;
    fstat(fd, &st);
    printf("after O_TRUNC size %ld\n", (long)st.st_size);
    close(fd);
    write_file("t", "0123456789");
    fd = SYS(SYS_open, "t", O_WRONLY | O_APPEND);
    T("lseek 0", lseek(fd, 0, SEEK_SET));
    T("append", write(fd, "AB", 2));
    T("offset after append", lseek(fd, 0, SEEK_CUR));
    close(fd);
    stat("t", &st);
    printf("appended size %ld\n", (long)st.st_size);

    // The umask and the mode of new files.
    umask(027);
    fd = SYS(SYS_open, "masked", O_CREAT | O_WRONLY, 0777);
    fstat(fd, &st);
    printf("mode with umask 027: 0%o\n", st.st_mode & 07777);
    close(fd);
    umask(022);

    // Symlinks: followed, O_NOFOLLOW, O_CREAT through a dangling one, O_EXCL on one.
    symlink("f", "to_f");
    symlink("nothere", "dangling");
    symlink("loop_b", "loop_a");
    symlink("loop_a", "loop_b");
    T("open via symlink", (fd = SYS(SYS_open, "to_f", O_RDONLY)) >= 0 ? 0 : -1);
    close(fd);
    T("O_NOFOLLOW symlink", SYS(SYS_open, "to_f", O_RDONLY | O_NOFOLLOW));
    T("O_PATH|O_NOFOLLOW symlink", (fd = SYS(SYS_open, "to_f", O_PATH | O_NOFOLLOW)) >= 0 ? 0 : -1);
    fstat(fd, &st);
    printf("O_PATH symlink is link: %d\n", S_ISLNK(st.st_mode));
    close(fd);
    T("dangling", SYS(SYS_open, "dangling", O_RDONLY));
    T("O_CREAT|O_EXCL dangling", SYS(SYS_open, "dangling", O_CREAT | O_EXCL | O_WRONLY, 0644));
    fd = T("O_CREAT dangling", SYS(SYS_open, "dangling", O_CREAT | O_WRONLY, 0644) >= 0 ? 0 : -1);
    T("target created", access("nothere", F_OK));
    T("loop", SYS(SYS_open, "loop_a", O_RDONLY));
    T("loop inside", SYS(SYS_open, "loop_a/x", O_RDONLY));

    // *at() with directory descriptors.
    mkdir("d", 0755);
    write_file("d/inner", "in");
    int dirfd = SYS(SYS_open, "d", O_RDONLY | O_DIRECTORY);
    T("openat dirfd", (fd = SYS(SYS_openat, dirfd, "inner", O_RDONLY)) >= 0 ? 0 : -1);
    close(fd);
    T("openat absolute bad dirfd", (fd = SYS(SYS_openat, -1, "/tmp", O_RDONLY)) >= 0 ? 0 : -1);
    close(fd);
    T("openat relative bad dirfd", SYS(SYS_openat, -1, "inner", O_RDONLY));
    T("openat relative 1000000", SYS(SYS_openat, 1000000, "inner", O_RDONLY));
    int filefd = SYS(SYS_open, "f", O_RDONLY);
    T("openat file as dirfd", SYS(SYS_openat, filefd, "inner", O_RDONLY));
    close(filefd);
    close(dirfd);

    // Bad pointers and lengths.
    T("open NULL", SYS(SYS_open, NULL, O_RDONLY));
    T("open wild", SYS(SYS_open, WILD_POINTER, O_RDONLY));
    T("open kernel", SYS(SYS_open, KERNEL_POINTER, O_RDONLY));
    T("open 10000 chars", SYS(SYS_open, huge, O_RDONLY));
    T("open 4095 chars", SYS(SYS_open, max, O_RDONLY));
    char name256[300];
    memset(name256, 'n', 256);
    name256[256] = '\0';
    T("open 256-byte name", SYS(SYS_open, name256, O_CREAT | O_WRONLY, 0644));
    name256[255] = '\0';
    T("open 255-byte name", (fd = SYS(SYS_open, name256, O_CREAT | O_WRONLY, 0644)) >= 0 ? 0 : -1);
    close(fd);
    T("open empty", SYS(SYS_open, "", O_RDONLY));

    // Descriptors are the lowest free; the table holds 1024.
    int first = SYS(SYS_open, "f", O_RDONLY);
    int second = SYS(SYS_open, "f", O_RDONLY);
    close(first);
    int third = SYS(SYS_open, "f", O_RDONLY);
    printf("lowest free reused: %d\n", third == first);
    close(second);
    close(third);
    int opened = 0;
    long last;
    while ((last = SYS(SYS_open, "f", O_RDONLY)) >= 0)
        opened++;
    printf("opened until %s after %d more\n", errno_name(errno), opened > 1000 ? 1000 : opened);
    T("open at limit (missing file)", SYS(SYS_open, "missing", O_RDONLY));
    for (int i = 3; i < 1024; i++)
        close(i);
    T("open after closing", (fd = SYS(SYS_open, "f", O_RDONLY)) == 3 ? 0 : -1);
    close(fd);
    free(huge);
    free(max);
    return 0;
}
