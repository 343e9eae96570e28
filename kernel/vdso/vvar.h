// SPDX-License-Identifier: MIT
#pragma once

// The page the kernel shares read-only with user mode ([vvar] in /proc/self/maps), right below
// the vDSO, and the one formula that turns a TSC reading into the monotonic clock. The kernel's
// clock (arch/x86_64/clock.cpp) and the vDSO (vdso/vdso.cpp) both compute time with
// monotonic_ns_at() from the same ClockParams, so a clock_gettime through the vDSO and one
// through the system call can never disagree or go backwards against each other.
//
//   vdso base - 4096   +---------------------------+  [vvar], r--p
//                      | VvarPage (seq, mode, ...)  |
//   vdso base          +---------------------------+  [vdso], r-xp: ELF header first
//                      | linux-vdso.so.1            |  (AT_SYSINFO_EHDR)
//                      +---------------------------+
//
// Compiled into the freestanding kernel and into the vDSO (kernel/vdso/CMakeLists.txt): plain
// integer code only, no library calls.
#include <stdint.h>

namespace wisp::vdso {

inline constexpr uint64_t kVvarBytes = 4096;

// What clock_getres reports for the coarse clocks (Linux: one jiffy, 4 ms at HZ=250); the
// others resolve to 1 ns.
inline constexpr int64_t kCoarseResolutionNs = 4'000'000;


// How user mode may read the clocks.
enum class ClockMode : uint32_t {
    // Not (yet) known: the kernel's clock is set up lazily on first use, or its source cannot be
    // read from user mode (kvmclock without PVCLOCK_TSC_STABLE_BIT). The vDSO makes the system
    // call, whose first use sets the clock up.
    Syscall = 0,
    // monotonic_ns_at(params, rdtsc) — kvmclock with a stable TSC, or the TSC at CPUID's rate.
    Tsc = 1,
};

// monotonic = ns_base + ((tsc - tsc_base) scaled by mul / 2^32 after a shift by `shift`): the
// pvclock scaling (Documentation/virt/kvm/x86/msr.rst, MSR_KVM_SYSTEM_TIME_NEW), used for the
// plain TSC too. realtime = epoch_ns + monotonic (no settimeofday: the wall clock never jumps).
struct ClockParams {
    uint64_t tsc_base;
    uint64_t ns_base;
    uint32_t mul;
    int32_t shift;
    uint64_t epoch_ns;
};

struct VvarPage {
    // A sequence count (Linux vdso_data.seq): odd while the kernel writes the fields below; a
    // reader retries when it changes under it.
    uint32_t seq;
    ClockMode mode;
    ClockParams clock;
    // The CPUs the kernel runs on (0: not published yet). With exactly one, getcpu answers
    // CPU 0, node 0 in user mode; with more it makes the system call. (Linux's vDSO reads the
    // CPU number with RDPID or LSL of a per-CPU GDT entry; on the nested KVM of the development
    // machines user mode runs on the outer hypervisor's descriptor tables and TSC_AUX, so
    // neither tells wisp's CPUs apart.)
    uint32_t cpus;
};
static_assert(sizeof(VvarPage) <= kVvarBytes);

// A TSC reading before the base (another CPU's TSC a few cycles behind) counts as the base, so
// the clock cannot run backwards through an unsigned wrap.
inline uint64_t monotonic_ns_at(const ClockParams& p, uint64_t tsc) {
    uint64_t delta = tsc - p.tsc_base;
    if (static_cast<int64_t>(delta) < 0) delta = 0;
    if (p.shift < 0) delta >>= -p.shift;
    else delta <<= p.shift;
    return p.ns_base + static_cast<uint64_t>((static_cast<unsigned __int128>(delta) * p.mul) >> 32);
}

// The scaling for a TSC counting `hz` ticks per second (bases left 0): (delta << shift) * mul
// >> 32 == delta * 1e9 / hz with mul below 2^32. A TSC of 1 GHz or slower is shifted left until
// mul is at least 2^31; a faster one needs no shift, and mul's rounding costs it under 1 ns per
// second.
inline ClockParams params_for_tsc_hz(uint64_t hz) {
    constexpr uint64_t kNsPerSec = 1'000'000'000;
    if (hz == 0) hz = kNsPerSec;
    int32_t shift = 0;
    uint64_t scaled_hz = hz;
    while (scaled_hz <= kNsPerSec) {
        scaled_hz <<= 1;
        shift++;
    }
    auto mul = static_cast<uint32_t>((static_cast<unsigned __int128>(kNsPerSec) << 32) / scaled_hz);
    return {0, 0, mul, shift, 0};
}

} // namespace wisp::vdso
