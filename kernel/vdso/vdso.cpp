// SPDX-License-Identifier: MIT
// The vDSO, linux-vdso.so.1: clock_gettime, gettimeofday, time, clock_getres and getcpu in user
// mode, exported as __vdso_NAME@LINUX_2.6 (and NAME@LINUX_2.6) like Linux's x86-64 vDSO. The
// kernel maps it into every program (AT_SYSINFO_EHDR) with the [vvar] page below it; the clocks
// are computed from that page with the kernel's own formula (vvar.h). What it cannot serve — CPU
// time clocks, unknown ids, a clock not set up yet or not readable from user mode — it passes
// to the system call, as Linux's vDSO does.
//
// Position independent with no relocations at all: nothing here is a pointer in data, and the
// [vvar] page is reached PC-relative (wisp_vvar_page, defined by vdso.ld).
#include <stdint.h>

#include "linux/abi_types.h"
#include "vdso/vvar.h"

namespace {

using wisp::vdso::ClockMode;
using wisp::vdso::VvarPage;

using wisp::linux::Timespec;
using wisp::linux::Timeval;
struct Timezone {
    int32_t tz_minuteswest;
    int32_t tz_dsttime;
};

constexpr long kSysGettimeofday = 96, kSysTime = 201, kSysClockGettime = 228, kSysClockGetres = 229,
               kSysGetcpu = 309;
constexpr uint64_t kNsPerSec = 1'000'000'000;

// clock ids (include/uapi/linux/time.h) the vDSO serves.
constexpr int kClockRealtime = 0, kClockMonotonic = 1, kClockMonotonicRaw = 4,
              kClockRealtimeCoarse = 5, kClockMonotonicCoarse = 6, kClockBoottime = 7,
              kClockTai = 11;

enum class Kind { Syscall, Monotonic, Realtime };

Kind kind_of(int clock) {
    switch (clock) {
    case kClockRealtime:
    case kClockRealtimeCoarse:
    case kClockTai: return Kind::Realtime;
    case kClockMonotonic:
    case kClockMonotonicRaw:
    case kClockMonotonicCoarse:
    case kClockBoottime: return Kind::Monotonic;
    default: return Kind::Syscall;
    }
}

long syscall3(long number, long a, long b, long c) {
    long result;
    asm volatile("syscall"
                 : "=a"(result)
                 : "0"(number), "D"(a), "S"(b), "d"(c)
                 : "rcx", "r11", "memory");
    return result;
}

long syscall2(long number, long a, long b) { return syscall3(number, a, b, 0); }

uint64_t rdtsc_ordered() {
    uint32_t lo, hi;
    // LFENCE: the TSC is read after every earlier instruction (Linux rdtsc_ordered).
    asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (static_cast<uint64_t>(hi) << 32) | lo;
}

} // namespace

// The kernel's page (defined by vdso.ld: the page below this object). Not const: the kernel
// writes it while programs run.
extern "C" VvarPage wisp_vvar_page __attribute__((visibility("hidden")));

namespace {

// Nanoseconds of the monotonic clock (plus the epoch for `realtime`); false when user mode
// cannot read the clock and the system call must.
bool read_clock(bool realtime, uint64_t& ns) {
    VvarPage& v = wisp_vvar_page;
    for (;;) {
        uint32_t seq = __atomic_load_n(&v.seq, __ATOMIC_ACQUIRE);
        if (seq & 1) {
            asm volatile("pause");
            continue;
        }
        if (__atomic_load_n(&v.mode, __ATOMIC_RELAXED) != ClockMode::Tsc) return false;
        uint64_t value = wisp::vdso::monotonic_ns_at(v.clock, rdtsc_ordered());
        if (realtime) value += v.clock.epoch_ns;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&v.seq, __ATOMIC_RELAXED) == seq) {
            ns = value;
            return true;
        }
    }
}

} // namespace

extern "C" {

int __vdso_clock_gettime(int clock, Timespec* ts) {
    Kind kind = kind_of(clock);
    uint64_t ns;
    if (kind == Kind::Syscall || !read_clock(kind == Kind::Realtime, ns))
        return static_cast<int>(syscall2(kSysClockGettime, clock, reinterpret_cast<long>(ts)));
    ts->tv_sec = static_cast<int64_t>(ns / kNsPerSec);
    ts->tv_nsec = static_cast<int64_t>(ns % kNsPerSec);
    return 0;
}

int __vdso_gettimeofday(Timeval* tv, Timezone* tz) {
    if (tv != nullptr) {
        uint64_t ns;
        if (!read_clock(true, ns))
            return static_cast<int>(syscall2(kSysGettimeofday, reinterpret_cast<long>(tv),
                                             reinterpret_cast<long>(tz)));
        tv->tv_sec = static_cast<int64_t>(ns / kNsPerSec);
        tv->tv_usec = static_cast<int64_t>(ns % kNsPerSec / 1000);
    }
    if (tz != nullptr) {
        // The kernel's time zone is always UTC (no settimeofday).
        tz->tz_minuteswest = 0;
        tz->tz_dsttime = 0;
    }
    return 0;
}

int64_t __vdso_time(int64_t* t) {
    uint64_t ns;
    if (!read_clock(true, ns)) return syscall2(kSysTime, reinterpret_cast<long>(t), 0);
    auto seconds = static_cast<int64_t>(ns / kNsPerSec);
    if (t != nullptr) *t = seconds;
    return seconds;
}

int __vdso_clock_getres(int clock, Timespec* res) {
    if (kind_of(clock) == Kind::Syscall)
        return static_cast<int>(syscall2(kSysClockGetres, clock, reinterpret_cast<long>(res)));
    if (res != nullptr) {
        bool coarse = clock == kClockRealtimeCoarse || clock == kClockMonotonicCoarse;
        res->tv_sec = 0;
        res->tv_nsec = coarse ? wisp::vdso::kCoarseResolutionNs : 1;
    }
    return 0;
}

int __vdso_getcpu(unsigned* cpu, unsigned* node, void* cache) {
    if (__atomic_load_n(&wisp_vvar_page.cpus, __ATOMIC_RELAXED) != 1)
        return static_cast<int>(syscall3(kSysGetcpu, reinterpret_cast<long>(cpu),
                                         reinterpret_cast<long>(node), reinterpret_cast<long>(cache)));
    if (cpu != nullptr) *cpu = 0;
    if (node != nullptr) *node = 0;
    return 0;
}

// The plain names Linux's vDSO also exports (same version).
int clock_gettime(int, Timespec*) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(Timeval*, Timezone*) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t*) __attribute__((weak, alias("__vdso_time")));
int clock_getres(int, Timespec*) __attribute__((weak, alias("__vdso_clock_getres")));
int getcpu(unsigned*, unsigned*, void*) __attribute__((weak, alias("__vdso_getcpu")));

} // extern "C"
