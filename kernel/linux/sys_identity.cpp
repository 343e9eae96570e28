// SPDX-License-Identifier: MIT
// Who the process is and what it uses: user and group identities, supplementary groups,
// sysinfo, times, getrusage, prctl.
#include <string.h>

#include "linux/abi_types.h"
#include "linux/credentials.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mm/frames.h"
#include "platform/platform.h"
#include "sched/thread.h"

namespace wisp::linux {

namespace {

Credentials g_credentials;
constexpr uint32_t kUnchanged = 0xffffffff;

// Linux capabilities reduced to what one user-namespace-less process needs: CAP_SETUID and
// CAP_SETGID are held while the effective uid is 0.
bool may(uint32_t id, uint32_t a, uint32_t b, uint32_t c) {
    return id == a || id == b || id == c;
}

Result<long> set_res(uint32_t* real, uint32_t* effective, uint32_t* saved, uint32_t* fs, uint32_t r,
                     uint32_t e, uint32_t s) {
    if (!credentials().privileged()) {
        if (r != kUnchanged && !may(r, *real, *effective, *saved)) return Errno::PERM;
        if (e != kUnchanged && !may(e, *real, *effective, *saved)) return Errno::PERM;
        if (s != kUnchanged && !may(s, *real, *effective, *saved)) return Errno::PERM;
    }
    if (r != kUnchanged) *real = r;
    if (e != kUnchanged) *effective = e;
    if (s != kUnchanged) *saved = s;
    *fs = *effective;
    return 0;
}

Result<long> set_re(uint32_t* real, uint32_t* effective, uint32_t* saved, uint32_t* fs, uint32_t r,
                    uint32_t e) {
    uint32_t old_real = *real;
    if (!credentials().privileged()) {
        if (r != kUnchanged && r != *real && r != *effective) return Errno::PERM;
        if (e != kUnchanged && !may(e, *real, *effective, *saved)) return Errno::PERM;
    }
    if (r != kUnchanged) *real = r;
    if (e != kUnchanged) *effective = e;
    // setreuid(2): the saved id follows the new effective one when the real id is set or the
    // effective one set to something other than the previous real id.
    if (r != kUnchanged || (e != kUnchanged && e != old_real)) *saved = *effective;
    *fs = *effective;
    return 0;
}

Result<long> set_one(uint32_t* real, uint32_t* effective, uint32_t* saved, uint32_t* fs,
                     uint32_t id) {
    if (id == kUnchanged) return Errno::INVAL;
    if (credentials().privileged()) {
        *real = *effective = *saved = *fs = id;
        return 0;
    }
    if (id != *real && id != *saved) return Errno::PERM;
    *effective = *fs = id;
    return 0;
}

Result<long> put_three(uint64_t a, uint64_t b, uint64_t c, uint32_t x, uint32_t y, uint32_t z) {
    TRY(copy_to_user(a, &x, 4));
    TRY(copy_to_user(b, &y, 4));
    TRY(copy_to_user(c, &z, 4));
    return 0;
}

uint64_t used_frames() {
    mm::FrameStats s = mm::frames().stats();
    return s.total_frames - s.fresh_frames - s.dirty_frames;
}

} // namespace

Credentials& credentials() {
    return g_credentials;
}

namespace {

// Linux commit_creds(): a change of the effective or file-system ids makes the process
// non-dumpable (suid_dumpable = 0).
Result<long> changing_ids(Result<long> (*change)(Credentials&, const uint32_t*),
                          const uint32_t* a) {
    Credentials& c = credentials();
    uint32_t before[4] = {c.euid, c.fsuid, c.egid, c.fsgid};
    Result<long> r = change(c, a);
    if (!r.is_error() && (before[0] != c.euid || before[1] != c.fsuid || before[2] != c.egid ||
                          before[3] != c.fsgid))
        c.dumpable = false;
    return r;
}

} // namespace

Result<long> sys_getuid() {
    return credentials().uid;
}
Result<long> sys_geteuid() {
    return credentials().euid;
}
Result<long> sys_getgid() {
    return credentials().gid;
}
Result<long> sys_getegid() {
    return credentials().egid;
}

Result<long> sys_setuid(uint32_t uid) {
    const uint32_t a[] = {uid};
    return changing_ids(
        [](Credentials& c, const uint32_t* a) {
            return set_one(&c.uid, &c.euid, &c.suid, &c.fsuid, a[0]);
        },
        a);
}
Result<long> sys_setgid(uint32_t gid) {
    const uint32_t a[] = {gid};
    return changing_ids(
        [](Credentials& c, const uint32_t* a) {
            return set_one(&c.gid, &c.egid, &c.sgid, &c.fsgid, a[0]);
        },
        a);
}
Result<long> sys_setreuid(uint32_t r, uint32_t e) {
    const uint32_t a[] = {r, e};
    return changing_ids(
        [](Credentials& c, const uint32_t* a) {
            return set_re(&c.uid, &c.euid, &c.suid, &c.fsuid, a[0], a[1]);
        },
        a);
}
Result<long> sys_setregid(uint32_t r, uint32_t e) {
    const uint32_t a[] = {r, e};
    return changing_ids(
        [](Credentials& c, const uint32_t* a) {
            return set_re(&c.gid, &c.egid, &c.sgid, &c.fsgid, a[0], a[1]);
        },
        a);
}
Result<long> sys_setresuid(uint32_t r, uint32_t e, uint32_t s) {
    const uint32_t a[] = {r, e, s};
    return changing_ids(
        [](Credentials& c, const uint32_t* a) {
            return set_res(&c.uid, &c.euid, &c.suid, &c.fsuid, a[0], a[1], a[2]);
        },
        a);
}
Result<long> sys_setresgid(uint32_t r, uint32_t e, uint32_t s) {
    const uint32_t a[] = {r, e, s};
    return changing_ids(
        [](Credentials& c, const uint32_t* a) {
            return set_res(&c.gid, &c.egid, &c.sgid, &c.fsgid, a[0], a[1], a[2]);
        },
        a);
}
Result<long> sys_getresuid(uint64_t r, uint64_t e, uint64_t s) {
    const Credentials& c = credentials();
    return put_three(r, e, s, c.uid, c.euid, c.suid);
}
Result<long> sys_getresgid(uint64_t r, uint64_t e, uint64_t s) {
    const Credentials& c = credentials();
    return put_three(r, e, s, c.gid, c.egid, c.sgid);
}

Result<long> sys_setfsuid(uint32_t id) {
    Credentials& c = credentials();
    uint32_t old = c.fsuid;
    if (c.privileged() || may(id, c.uid, c.euid, c.suid) || id == c.fsuid) c.fsuid = id;
    if (c.fsuid != old) c.dumpable = false;
    return old;
}

Result<long> sys_setfsgid(uint32_t id) {
    Credentials& c = credentials();
    uint32_t old = c.fsgid;
    if (c.privileged() || may(id, c.gid, c.egid, c.sgid) || id == c.fsgid) c.fsgid = id;
    if (c.fsgid != old) c.dumpable = false;
    return old;
}

Result<long> sys_getgroups(int size, UserPtr<uint32_t> list) {
    const Credentials& c = credentials();
    if (size < 0) return Errno::INVAL;
    if (size == 0) return c.group_count;
    if (size < c.group_count) return Errno::INVAL;
    // Linux copies group by group: no groups, no access to `list` (no EFAULT).
    if (c.group_count > 0)
        TRY(copy_to_user(list.address(), c.groups, c.group_count * sizeof(uint32_t)));
    return c.group_count;
}

Result<long> sys_setgroups(int size, UserPtr<const uint32_t> list) {
    Credentials& c = credentials();
    if (!c.privileged()) return Errno::PERM;
    if (size < 0 || size > 65536) return Errno::INVAL;
    if (size > Credentials::kMaxGroups) return Errno::NOMEM; // FIXME: more groups
    uint32_t groups[Credentials::kMaxGroups];
    if (size) TRY(copy_from_user(groups, list.address(), size * sizeof(uint32_t)));
    memcpy(c.groups, groups, size * sizeof(uint32_t));
    c.group_count = size;
    return 0;
}

Result<long> sys_sysinfo(UserPtr<char> out) {
    mm::FrameStats s = mm::frames().stats();
    SysInfo info{};
    info.uptime = static_cast<int64_t>(platform::monotonic_ns() / 1'000'000'000);
    info.totalram = s.total_frames * mm::kPageSize;
    info.freeram = (s.fresh_frames + s.dirty_frames) * mm::kPageSize;
    info.procs = 1;
    info.mem_unit = 1;
    TRY(copy_to_user(out.address(), &info, sizeof(info)));
    return 0;
}

// User and system CPU time (sched::thread_system_ns: the time inside system calls is system
// time, the rest user time).
Result<long> sys_times(UserPtr<char> out) {
    constexpr uint64_t kNsPerTick = 10'000'000; // USER_HZ = 100
    int64_t ticks = static_cast<int64_t>(platform::monotonic_ns() / kNsPerTick);
    if (!out.is_null()) {
        uint64_t total = sched::process_cpu_ns(), system = sched::process_system_ns();
        Tms t{static_cast<int64_t>((total - system) / kNsPerTick), static_cast<int64_t>(system / kNsPerTick), 0, 0};
        TRY(copy_to_user(out.address(), &t, sizeof(t)));
    }
    return ticks;
}

Result<long> sys_getrusage(int who, UserPtr<char> out) {
    constexpr int kSelf = 0, kChildren = -1, kThread = 1;
    if (who != kSelf && who != kChildren && who != kThread) return Errno::INVAL;
    Rusage usage{};
    if (who != kChildren) {
        const sched::Thread* self = sched::current();
        uint64_t total = who == kThread ? sched::thread_cpu_ns(self) : sched::process_cpu_ns();
        uint64_t system = who == kThread ? sched::thread_system_ns(self) : sched::process_system_ns();
        auto timeval = [](uint64_t ns) {
            return Timeval{static_cast<int64_t>(ns / 1'000'000'000), static_cast<int64_t>(ns % 1'000'000'000 / 1000)};
        };
        usage.ru_utime = timeval(total - system);
        usage.ru_stime = timeval(system);
        usage.ru_maxrss = static_cast<int64_t>(used_frames() * (mm::kPageSize / 1024));
    }
    TRY(copy_to_user(out.address(), &usage, sizeof(usage)));
    return 0;
}

Result<long> sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5) {
    constexpr int kSetPdeathsig = 1, kGetPdeathsig = 2, kGetDumpable = 3, kSetDumpable = 4,
                  kGetKeepcaps = 7, kSetKeepcaps = 8, kSetName = 15, kGetName = 16,
                  kGetSeccomp = 21, kCapbsetRead = 23, kSetTimerslack = 29, kGetTimerslack = 30,
                  kSetChildSubreaper = 36, kGetChildSubreaper = 37, kSetNoNewPrivs = 38,
                  kGetNoNewPrivs = 39, kSetThpDisable = 41, kGetThpDisable = 42, kCapAmbient = 47;
    static int pdeathsig = 0, keepcaps = 0, subreaper = 0, no_new_privs = 0, thp_disable = 0;
    static uint64_t timerslack = 50000;
    Process& p = process();
    switch (option) {
    case kSetPdeathsig:
        if (arg2 > 64) return Errno::INVAL;
        pdeathsig = static_cast<int>(arg2);
        return 0;
    case kGetPdeathsig:
        TRY(UserPtr<int>(arg2).write(pdeathsig));
        return 0;
    case kGetDumpable:
        return credentials().dumpable ? 1 : 0;
    case kSetDumpable:
        if (arg2 > 1) return Errno::INVAL;
        credentials().dumpable = arg2 == 1;
        return 0;
    case kGetKeepcaps:
        return keepcaps;
    case kSetKeepcaps:
        if (arg2 > 1) return Errno::INVAL;
        keepcaps = static_cast<int>(arg2);
        return 0;
    case kSetName: {
        char name[16] = {};
        // The name may end before 16 bytes; read what is readable up to the NUL.
        auto n = copy_string_from_user(name, arg2, sizeof(name));
        if (n.is_error() && n.error().code == Errno::FAULT) return Errno::FAULT;
        if (n.is_error()) { // 16 bytes without a NUL: take 15
            TRY(copy_from_user(name, arg2, 15));
            name[15] = '\0';
        }
        memcpy(p.comm, name, sizeof(p.comm));
        p.comm[15] = '\0';
        return 0;
    }
    case kGetName:
        TRY(copy_to_user(arg2, p.comm, sizeof(p.comm)));
        return 0;
    case kGetSeccomp:
        return 0;
    case kCapbsetRead:
        return arg2 <= 40 ? Result<long>(1) : Result<long>(Errno::INVAL);
    case kSetTimerslack:
        timerslack = arg2 ? arg2 : 50000;
        return 0;
    case kGetTimerslack:
        return static_cast<long>(timerslack);
    case kSetChildSubreaper:
        subreaper = arg2 != 0;
        return 0;
    case kGetChildSubreaper:
        TRY(UserPtr<int>(arg2).write(subreaper));
        return 0;
    case kSetNoNewPrivs:
        if (arg2 != 1 || arg3 || arg4 || arg5) return Errno::INVAL;
        no_new_privs = 1;
        return 0;
    case kGetNoNewPrivs:
        if (arg2 || arg3 || arg4 || arg5) return Errno::INVAL;
        return no_new_privs;
    case kSetThpDisable:
        if (arg3 || arg4 || arg5) return Errno::INVAL;
        thp_disable = arg2 != 0;
        return 0;
    case kGetThpDisable:
        if (arg2 || arg3 || arg4 || arg5) return Errno::INVAL;
        return thp_disable;
    case kCapAmbient:
        return arg2 == 1 /* IS_SET */ ? Result<long>(0) : Result<long>(Errno::INVAL);
    default:
        return Errno::INVAL;
    }
}

} // namespace wisp::linux
