// SPDX-License-Identifier: MIT
// Signals in one thread: handlers, masks, pending sets, SA_RESETHAND/SA_NODEFER, the alternate
// stack, synchronous faults (SIGSEGV with si_addr/si_code, SIGFPE, SIGILL, SIGTRAP) delivered to
// handlers, a handler that edits its ucontext, FPU state across a handler, errors. Compared with
// native Linux. `signals abort` ends with abort() (status 134).
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int hits;
static volatile int last_signal, last_code;
static void* volatile last_addr;
static sigjmp_buf recover;
static char altstack[65536];
static volatile int on_alt;

static void counting(int sig, siginfo_t* info, void* uc) {
    (void)uc;
    hits++;
    last_signal = sig;
    last_code = info->si_code;
}

static void fault(int sig, siginfo_t* info, void* uc) {
    (void)uc;
    last_signal = sig;
    last_code = info->si_code;
    last_addr = info->si_addr;
    siglongjmp(recover, 1);
}

static void skip_ud2(int sig, siginfo_t* info, void* ucv) {
    ucontext_t* uc = ucv;
    last_signal = sig;
    last_code = info->si_code;
    uc->uc_mcontext.gregs[REG_RIP] += 2; // resume after the 2-byte ud2
}

static void where_am_i(int sig) {
    char local;
    last_signal = sig;
    on_alt = &local >= altstack && &local < altstack + sizeof(altstack);
}

static void clobber_fpu(int sig) {
    last_signal = sig;
    fesetround(FE_UPWARD);
    volatile double x = 1.0;
    for (int i = 0; i < 10; i++) x = x * 3.7 + 0.1;
}

static void install(int sig, void (*fn)(int, siginfo_t*, void*), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) printf("sigaction %d failed: errno %d\n", sig, errno);
}

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "abort") == 0) {
        printf("aborting\n");
        fflush(stdout);
        abort();
    }
    if (argc > 1 && strcmp(argv[1], "unhandled") == 0) {
        printf("raising SIGUSR1 with no handler\n");
        fflush(stdout);
        raise(SIGUSR1);
        printf("not reached\n");
    }

    install(SIGUSR1, counting, 0);
    raise(SIGUSR1);
    printf("raise: hits=%d sig=%d code=%d\n", hits, last_signal, last_code);
    kill(getpid(), SIGUSR1);
    printf("kill: hits=%d code=%d\n", hits, last_code);

    // Blocked: pending until unblocked, then delivered once.
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigset_t pending;
    sigpending(&pending);
    printf("blocked: hits=%d pending=%d\n", hits, sigismember(&pending, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: hits=%d\n", hits);

    // Ignored.
    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    printf("ignored: ok\n");
    signal(SIGCHLD, SIG_DFL);
    raise(SIGCHLD); // default: ignore
    printf("sigchld default: ok\n");

    // SA_RESETHAND: the second time the default would apply.
    install(SIGUSR2, counting, SA_RESETHAND);
    raise(SIGUSR2);
    struct sigaction now;
    sigaction(SIGUSR2, NULL, &now);
    printf("resethand: hits=%d now_default=%d\n", hits, now.sa_handler == SIG_DFL);

    // Alternate stack.
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
    printf("sigaltstack: %d\n", sigaltstack(&ss, NULL));
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = where_am_i;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("on altstack: %d\n", on_alt);
    stack_t tiny = {.ss_sp = altstack, .ss_size = 100, .ss_flags = 0};
    int r = sigaltstack(&tiny, NULL);
    printf("tiny altstack: %d errno %d\n", r, errno);
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("altstack size: %zu flags %d\n", cur.ss_size, cur.ss_flags);

    // Synchronous faults to handlers.
    install(SIGSEGV, fault, SA_NODEFER);
    if (sigsetjmp(recover, 1) == 0) *(volatile int*)0 = 1;
    printf("segv null: sig=%d code=%d addr=%p\n", last_signal, last_code, last_addr);
    char* ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sigsetjmp(recover, 1) == 0) *(volatile char*)(ro + 16) = 1;
    printf("segv readonly: sig=%d code=%d offset=%ld\n", last_signal, last_code,
           (long)((char*)last_addr - ro));
    install(SIGFPE, fault, SA_NODEFER);
    volatile int zero = 0;
    if (sigsetjmp(recover, 1) == 0) printf("%d\n", 100 / zero);
    printf("fpe: sig=%d code=%d\n", last_signal, last_code);
    install(SIGILL, skip_ud2, 0);
    __asm__ volatile("ud2");
    printf("ill: sig=%d code=%d resumed\n", last_signal, last_code);
    install(SIGTRAP, fault, SA_NODEFER);
    if (sigsetjmp(recover, 1) == 0) __asm__ volatile("int3");
    printf("trap: sig=%d code=%d\n", last_signal, last_code);

    // FPU state and rounding mode survive a handler that changes them.
    volatile double a = 2.0, b = 3.0;
    double before = a / b;
    signal(SIGUSR1, clobber_fpu);
    raise(SIGUSR1);
    printf("fpu: same=%d round_nearest=%d\n", a / b == before, fegetround() == FE_TONEAREST);

    // Errors.
    r = kill(getpid(), 100);
    printf("kill invalid signal: %d errno %d\n", r, errno);
    printf("kill probe: %d\n", kill(getpid(), 0));
    errno = 0;
    r = sigaction(SIGKILL, &sa, NULL);
    printf("sigaction SIGKILL: %d errno %d\n", r, errno);
    r = sigaction(0, &sa, NULL);
    printf("sigaction 0: %d errno %d\n", r, errno);
    long l = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, NULL, 4);
    printf("rt_sigprocmask bad size: %ld errno %d\n", l, errno);
    l = syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8);
    printf("rt_sigprocmask bad how: %ld errno %d\n", l, errno);
    l = syscall(SYS_tgkill, getpid(), -5, SIGUSR1);
    printf("tgkill bad tid: %ld errno %d\n", l, errno);
    return 0;
}
