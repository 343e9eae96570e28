// SPDX-License-Identifier: MIT
// The clocks: wall, monotonic and CPU time. The vDSO (kernel/vdso/) answers most reads in user
// mode from the same clock parameters; these are its fallback and the CPU-time clocks.
#include "linux/abi_types.h"
#include "linux/syscalls.h"
#include "linux/process.h"
#include "platform/platform.h"
#include "sched/thread.h"
#include "vdso/vvar.h"

namespace wisp::linux {
namespace {

constexpr int kClockRealtime = 0, kClockRealtimeCoarse = 5, kClockTai = 11;
constexpr int kClockMonotonicCoarse = 6, kClockRealtimeAlarm = 8, kClockBoottimeAlarm = 9;
constexpr uint64_t kNsPerSec = 1'000'000'000;

// A CPU-time clock of a process or thread by id (clock_getcpuclockid, pthread_getcpuclockid):
// the id is ~pid << 3, bit 2 marking a thread, the low two bits PROF, VIRT or SCHED (Linux
// include/linux/posix-timers.h). User and system time are not told apart, so all three read the
// same.
Result<uint64_t> cpu_clock_now(int clock) {
    if (clock >= 0) return Errno::INVAL;
    if ((clock & 3) == 3) return Errno::INVAL;
    int pid = ~(clock >> 3);
    if (clock & 4) {
        if (pid == 0) return sched::thread_cpu_ns(sched::current());
        const sched::Thread* found = nullptr;
        sched::for_each_thread([&](sched::Thread* t) {
            if (t->tid == pid) found = t;
        });
        if (!found) return Errno::INVAL;
        return sched::thread_cpu_ns(found);
    }
    if (pid != 0 && pid != Process::kPid) return Errno::INVAL;
    return sched::process_cpu_ns();
}

Result<uint64_t> clock_now(int clock) {
    switch (clock) {
    case kClockRealtime:
    case kClockRealtimeCoarse:
    case kClockRealtimeAlarm:
    case kClockTai: return platform::boot_epoch_ns() + platform::monotonic_ns();
    case 1: // MONOTONIC
    case 4: // MONOTONIC_RAW
    case kClockMonotonicCoarse:
    case 7: // BOOTTIME
    case kClockBoottimeAlarm: return platform::monotonic_ns();
    case 2: return sched::process_cpu_ns();                 // PROCESS_CPUTIME_ID
    case 3: return sched::thread_cpu_ns(sched::current()); // THREAD_CPUTIME_ID
    default: return cpu_clock_now(clock);
    }
}

} // namespace

Result<long> sys_clock_gettime(int clock, UserPtr<char> ts) {
    uint64_t ns = TRY(clock_now(clock));
    Timespec t{static_cast<int64_t>(ns / kNsPerSec), static_cast<int64_t>(ns % kNsPerSec)};
    TRY(copy_to_user(ts.address(), &t, sizeof(t)));
    return 0;
}

Result<long> sys_clock_getres(int clock, UserPtr<char> ts) {
    TRY(clock_now(clock));
    // Coarse clocks tick with the kernel's jiffies on Linux (4 ms at HZ=250).
    bool coarse = clock == kClockRealtimeCoarse || clock == kClockMonotonicCoarse;
    Timespec t{0, coarse ? vdso::kCoarseResolutionNs : 1};
    if (!ts.is_null()) TRY(copy_to_user(ts.address(), &t, sizeof(t)));
    return 0;
}

Result<long> sys_gettimeofday(UserPtr<char> tv, uint64_t tz) {
    uint64_t ns = TRY(clock_now(kClockRealtime));
    if (!tv.is_null()) {
        Timeval t{static_cast<int64_t>(ns / kNsPerSec), static_cast<int64_t>(ns % kNsPerSec / 1000)};
        TRY(copy_to_user(tv.address(), &t, sizeof(t)));
    }
    if (tz != 0) {
        const int32_t zone[2] = {0, 0};
        TRY(copy_to_user(tz, zone, sizeof(zone)));
    }
    return 0;
}

Result<long> sys_time(UserPtr<int64_t> t) {
    uint64_t ns = TRY(clock_now(kClockRealtime));
    auto seconds = static_cast<int64_t>(ns / kNsPerSec);
    if (!t.is_null()) TRY(t.write(seconds));
    return seconds;
}

} // namespace wisp::linux
