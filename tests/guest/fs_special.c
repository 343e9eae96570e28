// SPDX-License-Identifier: MIT
// Special files: /dev (null, zero, full, urandom, stdout, fd), fifos, /proc/self (exe, cmdline,
// environ, comm, status, stat, maps, fd, fdinfo, mounts), /proc files and /sys — the parts that
// read the same natively and inside wisp.
#include "fs_check.h"

#include <sys/ioctl.h>
#include <sys/prctl.h>

static long read_all(const char* path, char* buf, size_t size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    long total = 0, n;
    while (total < (long)size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
        total += n;
    buf[total] = '\0';
    close(fd);
    return total;
}

static void first_line(const char* label, const char* path) {
    char buf[8192];
    if (read_all(path, buf, sizeof buf) < 0) {
        printf("%s: %s\n", label, errno_name(errno));
        return;
    }
    char* nl = strchr(buf, '\n');
    if (nl) *nl = '\0';
    printf("%s: %s\n", label, buf);
}

static void has_line(const char* label, const char* path, const char* prefix) {
    static char buf[65536];
    read_all(path, buf, sizeof buf);
    int found = 0;
    for (char* line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (!strncmp(line, prefix, strlen(prefix))) found = 1;
    printf("%s: %s\n", label, found ? "yes" : "no");
}

int main(int argc, char** argv) {
    (void)argc;
    enter_work_dir("special");
    char buf[256];
    struct stat st;

    int null = open("/dev/null", O_RDWR);
    T("read /dev/null", read(null, buf, sizeof buf));
    T("write /dev/null", write(null, "abc", 3));
    T("lseek /dev/null", lseek(null, 100, SEEK_SET));
    T("ioctl /dev/null", ioctl(null, FIONREAD, &(int){0}));
    fstat(null, &st);
    printf("/dev/null: char %d rdev %lx mode 0%o\n", S_ISCHR(st.st_mode), (long)st.st_rdev,
           st.st_mode & 07777);
    T("/dev/null as directory", open("/dev/null/x", O_RDONLY));
    int zero = open("/dev/zero", O_RDWR);
    memset(buf, 'x', sizeof buf);
    T("read /dev/zero", read(zero, buf, 100));
    printf("zeros: %d\n", buf[0] == 0 && buf[99] == 0 && buf[100] == 'x');
    T("write /dev/zero", write(zero, "abc", 3));
    T("lseek /dev/zero", lseek(zero, 5, SEEK_CUR));
    int full = open("/dev/full", O_RDWR);
    T("write /dev/full", write(full, "abc", 3));
    T("read /dev/full", read(full, buf, 10));
    int urandom = open("/dev/urandom", O_RDONLY);
    T("read /dev/urandom", read(urandom, buf, 64));
    int random = open("/dev/random", O_RDONLY);
    T("read /dev/random", read(random, buf, 16));
    T("/dev/urandom into NULL", SYS(SYS_read, urandom, NULL, 16));
    int in = open("/dev/stdin", O_RDONLY);
    T("read /dev/stdin", read(in, buf, 10));
    printf("descriptors so far: %d %d %d %d %d %d\n", null, zero, full, urandom, random, in);
    fflush(stdout);
    int out = open("/dev/stdout", O_WRONLY | O_APPEND);
    long through_stdout = write(out, "(through /dev/stdout)\n", 22);
    int fd1 = open("/dev/fd/1", O_WRONLY | O_APPEND);
    long through_fd1 = write(fd1, "(through /dev/fd/1)\n", 20);
    lseek(1, 0, SEEK_END); // natively stdout may be a file: step over what was appended
    T("write via /dev/stdout", through_stdout);
    T("write via /dev/fd/1", through_fd1);
    lstat("/dev/stdout", &st);
    printf("/dev/stdout is a symlink: %d\n", S_ISLNK(st.st_mode));
    int n = readlink("/dev/stderr", buf, sizeof buf);
    printf("/dev/stderr -> %.*s\n", n, buf);
    n = readlink("/dev/fd", buf, sizeof buf);
    printf("/dev/fd -> %.*s\n", n, buf);
    T("write /dev/shm", open("/dev/shm/wisp-test", O_CREAT | O_WRONLY, 0600));
    printf("out %d fd1 %d\n", out, fd1);
    T("unlink /dev/shm", unlink("/dev/shm/wisp-test"));

    // A fifo: both ends in one process.
    T("mkfifo", mkfifo("fifo", 0600));
    T("fifo writer without reader", open("fifo", O_WRONLY | O_NONBLOCK));
    int r = T("fifo reader", open("fifo", O_RDONLY | O_NONBLOCK));
    int w = T("fifo writer", open("fifo", O_WRONLY | O_NONBLOCK));
    T("fifo write", write(w, "fifo!", 5));
    T("fifo read", read(r, buf, sizeof buf));
    T("fifo empty read", read(r, buf, sizeof buf));
    close(w);
    T("fifo EOF", read(r, buf, sizeof buf));
    close(r);
    int rw = open("fifo", O_RDWR);
    T("fifo O_RDWR write", write(rw, "rw", 2));
    T("fifo O_RDWR read", read(rw, buf, 2));
    fstat(rw, &st);
    printf("fifo: %d\n", S_ISFIFO(st.st_mode));

    // /proc/self
    char exe[4096], real[4096];
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    printf("exe is argv[0]: %d\n", realpath(argv[0], real) && strcmp(exe, real) == 0);
    int efd = open("/proc/self/exe", O_RDONLY);
    T("read /proc/self/exe", read(efd, buf, 4));
    printf("ELF magic: %d\n", memcmp(buf, "\177ELF", 4) == 0);
    long len = read_all("/proc/self/cmdline", buf, sizeof buf);
    printf("cmdline is argv[0]: %d (%ld bytes)\n",
           len == (long)strlen(argv[0]) + 1 && !strcmp(buf, argv[0]), len);
    static char env[8192];
    len = read_all("/proc/self/environ", env, sizeof env);
    int home = 0;
    for (long i = 0; i < len; i += strlen(env + i) + 1)
        if (!strcmp(env + i, "HOME=/")) home = 1;
    printf("environ has HOME=/: %d\n", home);
    first_line("comm", "/proc/self/comm");
    prctl(PR_SET_NAME, "renamed-by-prctl");
    first_line("comm after PR_SET_NAME", "/proc/self/comm");
    int comm = open("/proc/self/comm", O_WRONLY);
    T("write comm", write(comm, "written", 7));
    first_line("comm after write", "/proc/self/comm");
    char name[16] = {0};
    prctl(PR_GET_NAME, name);
    printf("PR_GET_NAME: %s\n", name);
    first_line("status", "/proc/self/status");
    has_line("status has VmRSS", "/proc/self/status", "VmRSS:");
    has_line("status has Uid 0", "/proc/self/status", "Uid:\t0\t0\t0\t0");
    read_all("/proc/self/stat", buf, sizeof buf);
    char* paren = strchr(buf, ')');
    printf("stat: %.*s state %c\n", paren ? (int)(paren - strchr(buf, '(') + 1) : 0,
           strchr(buf, '('), paren ? paren[2] : '?');
    has_line("maps has a line", "/proc/self/maps", "");
    static char maps[65536];
    read_all("/proc/self/maps", maps, sizeof maps);
    printf("maps has [stack]: %d\n", strstr(maps, "[stack]") != NULL);
    int probe = open(".", O_RDONLY);
    DIR* fds = opendir("/proc/self/fd");
    int seen_std = 0, seen_probe = 0;
    struct dirent* e;
    while (fds && (e = readdir(fds))) {
        int number = atoi(e->d_name);
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && number <= 2) seen_std++;
        if (number == probe) seen_probe = 1;
    }
    if (fds) closedir(fds);
    printf("fd dir lists 0 1 2: %d, the new descriptor: %d\n", seen_std == 3, seen_probe);
    snprintf(exe, sizeof exe, "/proc/self/fd/%d", probe);
    n = readlink(exe, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    printf("fd link names the work dir: %d\n", strstr(buf, "/tmp/wisp-special-") == buf);
    snprintf(exe, sizeof exe, "/proc/self/fdinfo/%d", probe);
    first_line("fdinfo", exe);
    has_line("fdinfo flags", exe, "flags:\t0");
    T("fd link of a closed fd", readlink("/proc/self/fd/900", buf, sizeof buf));
    T("/proc/self/cwd is a dir", stat("/proc/self/cwd", &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1);
    n = readlink("/proc/self", buf, sizeof buf);
    printf("/proc/self is a number: %d\n", n > 0 && buf[0] >= '1' && buf[0] <= '9');
    has_line("mounts has /", "/proc/self/mounts", "");
    has_line("/proc/mounts has proc", "/proc/mounts", "proc /proc proc");

    // /proc files
    has_line("cpuinfo processor 0", "/proc/cpuinfo", "processor\t: 0");
    has_line("meminfo MemTotal", "/proc/meminfo", "MemTotal:");
    has_line("meminfo MemAvailable", "/proc/meminfo", "MemAvailable:");
    double up = -1, idle = -1;
    read_all("/proc/uptime", buf, sizeof buf);
    printf("uptime fields: %d\n", sscanf(buf, "%lf %lf", &up, &idle));
    read_all("/proc/loadavg", buf, sizeof buf);
    float l1, l5, l15;
    printf("loadavg fields: %d\n", sscanf(buf, "%f %f %f", &l1, &l5, &l15));
    first_line("ostype", "/proc/sys/kernel/ostype");
    has_line("version", "/proc/version", "Linux version ");
    // Reading in small pieces gives the same text.
    static char whole[8192], pieces[8192];
    read_all("/proc/self/status", whole, sizeof whole);
    int sfd = open("/proc/self/status", O_RDONLY);
    long got = 0, k;
    while ((k = read(sfd, pieces + got, 7)) > 0)
        got += k;
    printf("status read in pieces matches: %d\n", strncmp(whole, pieces, 6) == 0);
    T("create in /proc", open("/proc/wisp-test", O_CREAT | O_WRONLY, 0644));
    T("mkdir in /proc", mkdir("/proc/wisp-test", 0755));
    T("unlink in /proc", unlink("/proc/meminfo"));
    T("write /proc/meminfo", write(open("/proc/meminfo", O_WRONLY), "x", 1));
    T("missing /proc file", open("/proc/self/no-such-file", O_RDONLY));

    // /sys
    read_all("/sys/devices/system/cpu/online", buf, sizeof buf);
    printf("cpu online starts with 0: %d\n", buf[0] == '0');
    read_all("/sys/devices/system/cpu/possible", buf, sizeof buf);
    printf("cpu possible starts with 0: %d\n", buf[0] == '0');
    return 0;
}
