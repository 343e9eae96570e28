// SPDX-License-Identifier: MIT
// Ctrl-C on the host reaches the program as SIGINT (tests/vm/sigint.sh sends SIGINT to the
// `wisp run` process). Prints "ready" when it waits, then:
//   sigint handler   a handler runs; the blocked read(0) fails with EINTR (no SA_RESTART)
//   sigint busy      a handler runs while the program computes in user mode
//   sigint default   no handler: killed by SIGINT (status 130)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_caught;

static void on_sigint(int signal, siginfo_t* info, void* context) {
    (void)context;
    g_caught = signal;
    char line[64];
    int n = snprintf(line, sizeof line, "handler: signal %d code %d\n", signal, info->si_code);
    ssize_t ignored = write(1, line, (size_t)n);
    (void)ignored;
}

static void install(int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigint;
    action.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
}

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "default";
    setvbuf(stdout, NULL, _IONBF, 0);
    char buffer[16];
    if (strcmp(mode, "handler") == 0) {
        install(0);
        printf("ready\n");
        ssize_t n = read(0, buffer, sizeof buffer);
        printf("read: %zd %s, caught %d\n", n, n < 0 ? strerror(errno) : "", (int)g_caught);
        return 0;
    }
    if (strcmp(mode, "busy") == 0) {
        install(0);
        printf("ready\n");
        volatile unsigned long spins = 0;
        while (!g_caught) spins++;
        printf("interrupted while busy\n");
        return 0;
    }
    printf("ready\n");
    ssize_t n = read(0, buffer, sizeof buffer);
    printf("not killed: read %zd\n", n);
    return 0;
}
