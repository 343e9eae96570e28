// SPDX-License-Identifier: MIT
#pragma once

// The one process: identity, limits, the executable's path, and how it ends.
#include <stdint.h>

namespace wisp::linux {

struct Process {
    static constexpr int kPid = 1;
    char exe_path[256];        // absolute path of the executable in the image (/proc/self/exe)
    uint64_t stack_limit;      // RLIMIT_STACK soft limit
    bool strace;               // --strace: print every syscall
    // The argv and envp strings on the initial stack (/proc/self/cmdline, environ).
    uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
    char comm[16] = {}; // the thread name: prctl(PR_SET_NAME), /proc/self/comm
    // RLIMIT_SIGPENDING (soft, hard): queued signals (linux/signals.cpp).
    uint64_t sigpending_limit = kSigpendingLimit, sigpending_hard_limit = kSigpendingLimit;
    static constexpr uint64_t kSigpendingLimit = 4096;
};

Process& process();

// Ends the VM with the application's exit status (0..255).
[[noreturn]] void exit_process(int status);
// Terminates the application as if by a fatal signal: prints `wisp: killed by SIG... reason` on
// stderr and exits with 128 + signal, like a shell reports it.
[[noreturn]] void kill_process(int signal, const char* reason);

const char* signal_name(int signal);

} // namespace wisp::linux
