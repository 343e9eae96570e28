// SPDX-License-Identifier: MIT
// execve/execveat: what survives the exec (argv, envp, descriptors without FD_CLOEXEC, ignored
// signals, the signal mask) and what does not (close-on-exec descriptors, handlers), the names
// the new program sees (AT_EXECFN, /proc/self/comm), and the errors the old program gets.
// Without arguments: the checks, then execve of itself (/proc/self/exe) as `exec child ...`.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_check.h"

static void on_usr1(int signal) { (void)signal; }

static int child(int argc, char** argv) {
    printf("child argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    printf("WISP_EXEC_TEST=%s\n", getenv("WISP_EXEC_TEST") ? getenv("WISP_EXEC_TEST") : "(unset)");
    printf("PATH set: %s\n", getenv("PATH") ? "yes" : "no");
    printf("fd 7 open: %s\n", fcntl(7, F_GETFD) >= 0 ? "yes" : "no");
    printf("fd 8 open: %s\n", fcntl(8, F_GETFD) >= 0 ? "yes" : "no");
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    printf("SIGUSR1: %s\n", sa.sa_handler == SIG_DFL ? "default" : "other");
    sigaction(SIGUSR2, NULL, &sa);
    printf("SIGUSR2: %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "other");
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    printf("SIGTERM blocked: %s\n", sigismember(&mask, SIGTERM) ? "yes" : "no");
    printf("AT_EXECFN=%s\n", (const char*)getauxval(AT_EXECFN));
    char comm[32] = {0};
    int fd = open("/proc/self/comm", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
    printf("comm=%s", n > 0 ? comm : "?\n");
    char data[8] = {0};
    n = pread(7, data, 5, 0);
    printf("fd 7 reads: %zd %s\n", n, data);
    return 3;
}

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0) return child(argc, argv);

    char* args[] = {"exec", "child", "two words", "", NULL};
    char* env[] = {"WISP_EXEC_TEST=yes", NULL};
    char* bad_args[] = {"exec", (char*)1, NULL};

    show("execve missing", execve("/no/such/program", args, env));
    show("execve directory", execve("/", args, env));
    show("execve bad path", syscall(SYS_execve, (char*)1, args, env));
    show("execve bad argv", syscall(SYS_execve, "/proc/self/exe", (char**)1, env));
    show("execve bad argv string", syscall(SYS_execve, "/proc/self/exe", bad_args, env));
    show("execve bad envp", syscall(SYS_execve, "/proc/self/exe", args, (char**)1));
    show("execveat bad flags", syscall(SYS_execveat, AT_FDCWD, "/proc/self/exe", args, env, 0x4));
    show("execveat bad dirfd", syscall(SYS_execveat, 1000000, "exe", args, env, 0));

    // A file without any execute bit: EACCES, even for root. (Its name carries the pid: the
    // test suite runs the musl and glibc builds natively at the same time.)
    char plain_path[64];
    snprintf(plain_path, sizeof plain_path, "/tmp/wisp-exec-plain.%d", (int)getpid());
    int fd = open(plain_path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (write(fd, "data\n", 5) != 5) return 1;
    close(fd);
    show("execve not executable", execve(plain_path, args, env));

    // What the new program should find: fd 7 open (no FD_CLOEXEC), fd 8 closed (FD_CLOEXEC),
    // SIGUSR1 handled (reset to default), SIGUSR2 ignored (stays), SIGTERM blocked (stays).
    int plain = open(plain_path, O_RDONLY);
    dup2(plain, 7);
    int cloexec = open(plain_path, O_RDONLY | O_CLOEXEC);
    dup3(cloexec, 8, O_CLOEXEC);
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    unlink(plain_path);
    printf("exec now\n");
    fflush(stdout);
    execve("/proc/self/exe", args, env);
    printf("execve self: %s\n", errno_name(errno));
    return 1;
}
