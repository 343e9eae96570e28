// SPDX-License-Identifier: MIT
// The clocks: wall, monotonic and CPU time. The vDSO (kernel/vdso/) answers most reads in user
// mode from the same clock parameters; these are its fallback and the CPU-time clocks.
#include "linux/abi_types.h"
#include "linux/cpu_timers.h"
#include "linux/syscalls.h"
#include "linux/process.h"
#include "platform/platform.h"
#include "sched/thread.h"
#include "vdso/vvar.h"

namespace wisp::linux {
namespace {

// (kClockRealtime and the others timers take: linux/interval_timer.h)
constexpr int kClockRealtimeCoarse = 5, kClockMonotonicCoarse = 6;
constexpr uint64_t kNsPerSec = 1'000'000'000;

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
    // CPU-time clocks (PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID, clock_getcpuclockid ids): user
    // plus system time, or user time for the VIRT ones (linux/cpu_timers.h).
    default: return cpu_clock_now(TRY(cpu_clock_of(clock)));
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
