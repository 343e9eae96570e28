// SPDX-License-Identifier: MIT
// Descriptors: dup/dup2/dup3, fcntl (F_DUPFD*, F_GETFD/SETFD, F_GETFL/SETFL, record locks),
// flock, close_range, pipe/pipe2 (data, EOF, EPIPE/SIGPIPE, O_NONBLOCK), ioctl FIONREAD/FIOCLEX.
#include "fs_check.h"

#include <sys/resource.h>

#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4
#endif

int main(void) {
    // The descriptor limit the tests expect (wisp's RLIMIT_NOFILE), whatever the host's is.
    setrlimit(RLIMIT_NOFILE, &(struct rlimit){1024, 1024});
    enter_work_dir("fd");
    write_file("f", "0123456789");
    int fd = open("f", O_RDWR);
    T("dup", SYS(SYS_dup, fd));
    T("dup -1", SYS(SYS_dup, -1));
    T("dup 1000000", SYS(SYS_dup, 1000000));
    T("dup2", SYS(SYS_dup2, fd, 10));
    T("dup2 same", SYS(SYS_dup2, fd, fd));
    T("dup2 bad old", SYS(SYS_dup2, -1, 11));
    T("dup2 same bad", SYS(SYS_dup2, 50, 50));
    T("dup2 new -1", SYS(SYS_dup2, fd, -1));
    T("dup2 new 1024", SYS(SYS_dup2, fd, 1024));
    T("dup2 new 1023", SYS(SYS_dup2, fd, 1023));
    T("dup3", SYS(SYS_dup3, fd, 11, O_CLOEXEC));
    T("dup3 F_GETFD", SYS(SYS_fcntl, 11, F_GETFD));
    T("dup3 same", SYS(SYS_dup3, fd, fd, 0));
    T("dup3 bad flags", SYS(SYS_dup3, fd, 12, O_NONBLOCK));
    // Shared offset between duplicates.
    lseek(fd, 3, SEEK_SET);
    T("offset via dup", lseek(10, 0, SEEK_CUR));
    char c;
    read(10, &c, 1);
    printf("read via dup: %c, offset via original %ld\n", c, (long)lseek(fd, 0, SEEK_CUR));
    // Status flags are shared too, descriptor flags are not.
    SYS(SYS_fcntl, fd, F_SETFL, O_APPEND | O_NONBLOCK);
    printf("F_GETFL via dup 0%lo\n", SYS(SYS_fcntl, 10, F_GETFL));
    SYS(SYS_fcntl, fd, F_SETFL, O_RDONLY); // access mode bits are ignored
    printf("F_SETFL keeps the access mode: 0%lo\n", SYS(SYS_fcntl, fd, F_GETFL));
    SYS(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
    printf("F_GETFD original %ld dup %ld\n", SYS(SYS_fcntl, fd, F_GETFD),
           SYS(SYS_fcntl, 10, F_GETFD));
    T("F_DUPFD 20", SYS(SYS_fcntl, fd, F_DUPFD, 20));
    T("F_DUPFD_CLOEXEC 20", SYS(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 20));
    T("its F_GETFD", SYS(SYS_fcntl, 21, F_GETFD));
    T("F_DUPFD 1024", SYS(SYS_fcntl, fd, F_DUPFD, 1024));
    T("F_DUPFD -1", SYS(SYS_fcntl, fd, F_DUPFD, -1));
    T("fcntl bad cmd", SYS(SYS_fcntl, fd, 9999, 0));
    T("fcntl -1", SYS(SYS_fcntl, -1, F_GETFD));
    int pathfd = open(".", O_PATH);
    T("O_PATH F_GETFD", SYS(SYS_fcntl, pathfd, F_GETFD));
    T("O_PATH F_SETFL", SYS(SYS_fcntl, pathfd, F_SETFL, 0));
    T("O_PATH F_GETLK", SYS(SYS_fcntl, pathfd, F_GETLK, &(struct flock){0}));

    // Record locks: one process holds them all.
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5};
    T("F_SETLK write", SYS(SYS_fcntl, fd, F_SETLK, &lk));
    T("F_SETLKW", SYS(SYS_fcntl, fd, F_SETLKW, &lk));
    lk.l_type = F_RDLCK;
    T("F_GETLK", SYS(SYS_fcntl, fd, F_GETLK, &lk));
    printf("F_GETLK type %s\n", lk.l_type == F_UNLCK ? "F_UNLCK" : "locked");
    lk.l_type = 7;
    T("F_SETLK bad type", SYS(SYS_fcntl, fd, F_SETLK, &lk));
    lk.l_type = F_RDLCK;
    lk.l_whence = 9;
    T("F_SETLK bad whence", SYS(SYS_fcntl, fd, F_SETLK, &lk));
    T("F_SETLK NULL", SYS(SYS_fcntl, fd, F_SETLK, NULL));
    int ro = open("f", O_RDONLY);
    struct flock wr = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    T("write lock on read-only fd", SYS(SYS_fcntl, ro, F_SETLK, &wr));
    // (OFD locks would conflict with the process's own F_SETLK locks: use another file.)
    write_file("g", "g");
    int gfd = open("g", O_RDWR);
    struct flock ofd = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    T("F_OFD_SETLK", SYS(SYS_fcntl, gfd, F_OFD_SETLK, &ofd));
    T("F_OFD_GETLK", SYS(SYS_fcntl, gfd, F_OFD_GETLK, &ofd));
    ofd.l_pid = 1;
    T("F_OFD_SETLK with pid", SYS(SYS_fcntl, gfd, F_OFD_SETLK, &ofd));
    T("flock ex", flock(fd, LOCK_EX));
    T("flock sh nb", flock(fd, LOCK_SH | LOCK_NB));
    T("flock un", flock(fd, LOCK_UN));
    T("flock bad", flock(fd, 0));
    T("flock -1", flock(-1, LOCK_EX));

    // close_range
    for (int i = 30; i < 40; i++)
        dup2(fd, i);
    T("close_range cloexec", SYS(SYS_close_range, 30, 34, CLOSE_RANGE_CLOEXEC));
    printf("fd 32 cloexec %ld, fd 36 cloexec %ld\n", SYS(SYS_fcntl, 32, F_GETFD),
           SYS(SYS_fcntl, 36, F_GETFD));
    T("close_range", SYS(SYS_close_range, 30, 39, 0));
    T("fd 35 after", SYS(SYS_fcntl, 35, F_GETFD));
    T("close_range reversed", SYS(SYS_close_range, 10, 5, 0));
    T("close_range bad flags", SYS(SYS_close_range, 30, 39, 1));
    T("close_range all high", SYS(SYS_close_range, 1000, ~0u, 0));

    // ioctl
    int avail = -1;
    lseek(fd, 4, SEEK_SET);
    T("FIONREAD file", ioctl(fd, FIONREAD, &avail));
    printf("FIONREAD file = %d\n", avail);
    T("FIOCLEX", ioctl(ro, FIOCLEX));
    T("F_GETFD after FIOCLEX", SYS(SYS_fcntl, ro, F_GETFD));
    T("FIONCLEX", ioctl(ro, FIONCLEX));
    T("F_GETFD after FIONCLEX", SYS(SYS_fcntl, ro, F_GETFD));
    int on = 1;
    T("FIONBIO", ioctl(ro, FIONBIO, &on));
    printf("F_GETFL after FIONBIO 0%lo\n", SYS(SYS_fcntl, ro, F_GETFL));
    T("TCGETS on file", ioctl(fd, TCGETS, &(char[64]){0}));
    T("TIOCGWINSZ on file", ioctl(fd, TIOCGWINSZ, &(char[8]){0}));
    T("ioctl -1", ioctl(-1, FIONREAD, &avail));
    T("FIONREAD NULL", ioctl(fd, FIONREAD, NULL));

    // pipes
    int p[2];
    T("pipe", SYS(SYS_pipe, p));
    T("pipe write", write(p[1], "through", 7));
    T("FIONREAD pipe", ioctl(p[0], FIONREAD, &avail));
    printf("FIONREAD pipe = %d\n", avail);
    char buf[16] = {0};
    T("pipe read", read(p[0], buf, 3));
    T("pipe read rest", read(p[0], buf + 3, 10));
    printf("pipe data: %s\n", buf);
    T("pipe lseek", lseek(p[0], 0, SEEK_SET));
    T("pipe pread", pread(p[0], buf, 1, 0));
    T("pipe write end read", read(p[1], buf, 1));
    T("pipe read end write", write(p[0], "x", 1));
    struct stat st;
    fstat(p[0], &st);
    printf("pipe is fifo: %d mode 0%o\n", S_ISFIFO(st.st_mode), st.st_mode & 0777);
    printf("pipe F_GETFL 0%lo 0%lo\n", SYS(SYS_fcntl, p[0], F_GETFL),
           SYS(SYS_fcntl, p[1], F_GETFL));
    T("F_GETPIPE_SZ", SYS(SYS_fcntl, p[0], F_GETPIPE_SZ));
    T("F_GETPIPE_SZ file", SYS(SYS_fcntl, fd, F_GETPIPE_SZ));
    T("fsync pipe", fsync(p[1]));
    close(p[1]);
    T("read at EOF", read(p[0], buf, 4));
    close(p[0]);
    T("pipe2 nonblock", SYS(SYS_pipe2, p, O_NONBLOCK | O_CLOEXEC));
    printf("pipe2 F_GETFL 0%lo F_GETFD %ld\n", SYS(SYS_fcntl, p[0], F_GETFL),
           SYS(SYS_fcntl, p[0], F_GETFD));
    T("empty non-blocking read", read(p[0], buf, 4));
    static char big[70000];
    T("fill the pipe", write(p[1], big, sizeof big));
    T("write to full pipe", write(p[1], "x", 1));
    long drained = 0, n;
    while ((n = read(p[0], big, sizeof big)) > 0)
        drained += n;
    printf("drained %ld\n", drained);
    T("pipe2 bad flags", SYS(SYS_pipe2, p, O_APPEND));
    T("pipe NULL", SYS(SYS_pipe, NULL));
    T("pipe kernel pointer", SYS(SYS_pipe, KERNEL_POINTER));
    // Writing with no reader: SIGPIPE (ignored here), then EPIPE.
    signal(SIGPIPE, SIG_IGN);
    pipe(p);
    close(p[0]);
    T("write without reader", write(p[1], "x", 1));
    close(p[1]);
    // /proc/self/fd of a pipe names it; opening it reaches the same pipe.
    pipe(p);
    char link[64] = {0}, path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
    readlink(path, link, sizeof link - 1);
    printf("pipe link starts with pipe:[ %d\n", strncmp(link, "pipe:[", 6) == 0);
    int again = open(path, O_WRONLY);
    T("write via reopened pipe", write(again, "hi", 2));
    T("read it", read(p[0], buf, sizeof buf));
    return 0;
}
