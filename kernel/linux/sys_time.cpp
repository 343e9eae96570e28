// SPDX-License-Identifier: MIT
// The clocks. FIXME: a vDSO so hot reads need no syscall (threads-time-signals issue).
#include "linux/abi_types.h"
#include "linux/syscalls.h"
#include "platform/platform.h"

namespace wisp::linux {
namespace {

constexpr int kClockRealtime = 0, kClockRealtimeCoarse = 5, kClockTai = 11;
constexpr int kClockMonotonicCoarse = 6, kClockRealtimeAlarm = 8, kClockBoottimeAlarm = 9;
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
    case 2: // PROCESS_CPUTIME_ID
    case 3: // THREAD_CPUTIME_ID
        // FIXME: CPU time accounting; one thread that never sleeps uses all of its wall time.
        return platform::monotonic_ns();
    default: return Errno::INVAL;
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
    bool coarse = clock == kClockRealtimeCoarse || clock == kClockMonotonicCoarse;
    Timespec t{0, coarse ? 4'000'000 : 1};
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
