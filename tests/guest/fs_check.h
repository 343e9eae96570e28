// SPDX-License-Identifier: MIT
// Helpers for the file-system guest tests (tests/guest/fs_*.c): each check prints one line with
// the call's result or its errno name, so the output compares byte for byte with Linux. Tests
// work in a fresh directory under /tmp and print nothing that differs between runs (no inode
// numbers, times, addresses or temporary names).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* errno_name(int e) {
    switch (e) {
#define E(x)                                                                                       \
    case x:                                                                                        \
        return #x;
        E(EPERM)
        E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF) E(ECHILD) E(EAGAIN)
            E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR)
                E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE)
                    E(EROFS) E(EMLINK) E(EPIPE) E(ERANGE) E(ENAMETOOLONG) E(ENOSYS) E(ENOTEMPTY)
                        E(ELOOP) E(EOVERFLOW) E(EOPNOTSUPP) E(ENOTSOCK)
#undef E
                            default : return "E?";
    }
}

// Prints "label: <value>" for a result >= 0, "label: <ERRNO>" for -1.
static long show(const char* label, long result) {
    if (result == -1)
        printf("%s: %s\n", label, errno_name(errno));
    else
        printf("%s: %ld\n", label, result);
    fflush(stdout);
    return result;
}
#define T(label, expr) (errno = 0, show(label, (long)(expr)))

// Raw system calls, so both C libraries exercise the same kernel entry points.
#define SYS(...) syscall(__VA_ARGS__)

// Addresses no program can pass successfully: unmapped, and in the kernel's half.
#define WILD_POINTER ((void*)0x10)
#define KERNEL_POINTER ((void*)0xffff800000001000ull)

__attribute__((unused)) static char* long_path(size_t length) {
    char* p = malloc(length + 1);
    for (size_t i = 0; i < length; i++)
        p[i] = (i % 100 == 99) ? '/' : 'a';
    p[length] = '\0';
    return p;
}

__attribute__((unused)) static void remove_tree(const char* path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR* d = opendir(path);
        struct dirent* e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char child[4096];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            chmod(child, 0700);
            remove_tree(child);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static char g_work_dir[64];

__attribute__((unused)) static void leave_work_dir(void) {
    if (chdir("/") == 0) remove_tree(g_work_dir);
}

// A fresh directory under /tmp, made the working directory, removed at exit. Descriptors the
// test harness may have passed down (beyond 0, 1, 2) are closed, so numbering starts at 3.
__attribute__((unused)) static void enter_work_dir(const char* tag) {
    syscall(SYS_close_range, 3, ~0u, 0);
    snprintf(g_work_dir, sizeof g_work_dir, "/tmp/wisp-%s-XXXXXX", tag);
    if (!mkdtemp(g_work_dir) || chdir(g_work_dir) != 0) {
        perror("work dir");
        exit(99);
    }
    atexit(leave_work_dir);
}

__attribute__((unused)) static void write_file(const char* path, const char* content) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
        perror(path);
        exit(98);
    }
    close(fd);
}

__attribute__((unused)) static int compare_strings(const void* a, const void* b) {
    return strcmp(*(char* const*)a, *(char* const*)b);
}

// Prints the sorted names in a directory on one line.
__attribute__((unused)) static void list_dir(const char* label, const char* path) {
    DIR* d = opendir(path);
    if (!d) {
        printf("%s: %s\n", label, errno_name(errno));
        return;
    }
    char* names[256];
    int n = 0;
    struct dirent* e;
    while ((e = readdir(d)) && n < 256)
        names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], compare_strings);
    printf("%s:", label);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}
