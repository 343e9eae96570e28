// SPDX-License-Identifier: MIT
// Process identity, limits, thread-pointer setup, exit, uname, getrandom.
#include <string.h>

#include "lib/random.h"
#include "linux/abi_types.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "platform/platform.h"
#include "sched/thread.h"

namespace wisp::linux {
namespace {

constexpr int kArchSetGs = 0x1001, kArchSetFs = 0x1002, kArchGetFs = 0x1003, kArchGetGs = 0x1004;
constexpr uint64_t kInfinity = ~0ull;
constexpr int kRlimitStack = 3, kRlimitNofile = 7, kRlimitSigpending = 11, kRlimits = 16;

Rlimit limit_for(int resource) {
    switch (resource) {
    case kRlimitStack: return {process().stack_limit, kInfinity};
    case kRlimitNofile: return {1024, 4096};
    case 4 /* CORE */: return {0, kInfinity};
    case 6 /* NPROC */: return {4096, 4096};
    case 8 /* MEMLOCK */: return {8ull << 20, 8ull << 20};
    case 13 /* NICE */:
    case 14 /* RTPRIO */: return {0, 0};
    case kRlimitSigpending: return {process().sigpending_limit, process().sigpending_hard_limit};
    case 12 /* MSGQUEUE */: return {819200, 819200};
    default: return {kInfinity, kInfinity};
    }
}

} // namespace


Result<long> sys_getpid() { return Process::kPid; }
Result<long> sys_getppid() { return 0; }

// The one process leads its own process group and session (the console is that session's
// controlling terminal when the host's is one: linux/terminal.h).
Result<long> sys_getpgrp() { return Process::kPid; }
Result<long> sys_getpgid(int pid) {
    if (pid != 0 && pid != Process::kPid) return Errno::SRCH;
    return Process::kPid;
}
Result<long> sys_getsid(int pid) { return sys_getpgid(pid); }
// Linux kernel/sys.c: setsid() by a process group leader is EPERM, and so is setpgid() on a
// session leader.
Result<long> sys_setsid() { return Errno::PERM; }
Result<long> sys_setpgid(int pid, int pgid) {
    if (pgid < 0) return Errno::INVAL;
    if (pid != 0 && pid != Process::kPid) return Errno::SRCH;
    return Errno::PERM;
}
Result<long> sys_sched_yield() {
    sched::yield();
    return 0;
}


Result<long> sys_arch_prctl(int code, uint64_t address) {
    switch (code) {
    case kArchSetFs:
        if (address >= mm::kUserEnd) return Errno::PERM;
        platform::set_user_tls(address);
        return 0;
    case kArchGetFs: {
        uint64_t fs = platform::user_tls();
        TRY(copy_to_user(address, &fs, sizeof(fs)));
        return 0;
    }
    case kArchSetGs:
    case kArchGetGs: return Errno::INVAL; // FIXME: user GS base
    default: return Errno::INVAL;
    }
}

Result<long> sys_uname(UserPtr<char> buffer) {
    Utsname u{};
    strcpy(u.sysname, "Linux");
    strcpy(u.nodename, "wisp");
    strcpy(u.release, "6.1.0-wisp");
    strcpy(u.version, "#1 SMP wisp");
    strcpy(u.machine, "x86_64");
    strcpy(u.domainname, "(none)");
    TRY(copy_to_user(buffer.address(), &u, sizeof(u)));
    return 0;
}

Result<long> sys_prlimit64(int pid, int resource, UserPtr<const uint64_t> new_limit,
                           UserPtr<uint64_t> old_limit) {
    if (pid != 0 && pid != Process::kPid) return Errno::SRCH;
    if (resource < 0 || resource >= kRlimits) return Errno::INVAL;
    Rlimit old = limit_for(resource);
    Rlimit requested{};
    if (!new_limit.is_null()) {
        TRY(copy_from_user(&requested, new_limit.address(), sizeof(requested)));
        if (requested.cur > requested.max) return Errno::INVAL;
        if (requested.max > old.max) return Errno::PERM; // FIXME: raising hard limits as root
    }
    if (!old_limit.is_null()) TRY(copy_to_user(old_limit.address(), &old, sizeof(old)));
    if (!new_limit.is_null() && resource == kRlimitStack) process().stack_limit = requested.cur;
    if (!new_limit.is_null() && resource == kRlimitSigpending) {
        process().sigpending_limit = requested.cur;
        process().sigpending_hard_limit = requested.max;
    }
    return 0;
}

Result<long> sys_setrlimit(int resource, UserPtr<const uint64_t> limit) {
    uint64_t fresh[2];
    TRY(copy_from_user(fresh, limit.address(), sizeof(fresh))); // EFAULT before EINVAL (Linux)
    return sys_prlimit64(0, resource, limit, UserPtr<uint64_t>());
}

Result<long> sys_getrlimit(int resource, UserPtr<uint64_t> limit) {
    if (resource < 0 || resource >= kRlimits) return Errno::INVAL;
    Rlimit r = limit_for(resource);
    TRY(copy_to_user(limit.address(), &r, sizeof(r)));
    return 0;
}

Result<long> sys_getrandom(UserPtr<char> buffer, uint64_t length, unsigned flags) {
    if (flags & ~0x7u) return Errno::INVAL; // GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE
    if (length > 0x1ff'ffff) length = 0x1ff'ffff; // Linux caps one call at 32 MiB - 1
    uint8_t chunk[256];
    uint64_t done = 0;
    while (done < length) {
        uint64_t n = length - done < sizeof(chunk) ? length - done : sizeof(chunk);
        random().fill(chunk, n);
        auto r = copy_to_user(buffer.address() + done, chunk, n);
        if (r.is_error()) {
            if (done > 0) break;
            return r.error();
        }
        done += n;
    }
    return static_cast<long>(done);
}

} // namespace wisp::linux
