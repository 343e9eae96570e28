// SPDX-License-Identifier: MIT
// Time sources: kvmclock (the KVM pvclock ABI, Documentation/virt/kvm/x86/msr.rst) when the
// hypervisor offers it, else the TSC at the frequency CPUID reports and the CMOS RTC for the
// date. Initialized lazily on first use: programs that never ask the time never pay for it.
//
// Once set up, the clock is a fixed linear function of the TSC whose parameters live in the
// page user mode reads as [vvar] (vdso/vvar.h): the kernel and the vDSO compute the time from the
// same values with the same code. A kvmclock whose TSC is not marked stable cannot be frozen so;
// then the kernel reads the live pvclock and the vDSO makes the system call.
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/smp.h"
#include "platform/platform.h"
#include "vdso/vvar.h"

namespace wisp::platform {
namespace {

constexpr uint32_t kMsrKvmWallClockNew = 0x4b564d00;
constexpr uint32_t kMsrKvmSystemTimeNew = 0x4b564d01;
constexpr uint32_t kKvmFeatureClocksource2 = 1u << 3;
constexpr uint32_t kKvmFeatureClocksourceStableBit = 1u << 24;
constexpr uint8_t kPvclockTscStableBit = 1u << 0;
constexpr uint64_t kNsPerSec = 1'000'000'000;

struct PvclockTimeInfo {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad[2];
};
static_assert(sizeof(PvclockTimeInfo) == 32);

struct PvclockWallClock {
    uint32_t version;
    uint32_t sec;
    uint32_t nsec;
};

alignas(64) volatile PvclockTimeInfo g_pvclock;
alignas(16) volatile PvclockWallClock g_wall;

// A page of its own: all of it is visible to user mode.
union alignas(vdso::kVvarBytes) VvarStorage {
    vdso::VvarPage page;
    uint8_t bytes[vdso::kVvarBytes];
};
VvarStorage g_vvar;

// Frozen: monotonic_ns_at(g_vvar.page.clock, TSC). LiveKvmclock: the pvclock as the host updates it.
enum class Source { Unknown, Frozen, LiveKvmclock };
Source g_source = Source::Unknown;
uint64_t g_epoch_ns;

uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift) {
    if (shift < 0) delta >>= -shift;
    else delta <<= shift;
    return static_cast<uint64_t>((static_cast<unsigned __int128>(delta) * mul) >> 32);
}

// A consistent copy of the pvclock (its version is odd while the host writes it).
PvclockTimeInfo read_pvclock() {
    for (;;) {
        uint32_t version = g_pvclock.version;
        asm volatile("" ::: "memory");
        PvclockTimeInfo copy;
        copy.tsc_timestamp = g_pvclock.tsc_timestamp;
        copy.system_time = g_pvclock.system_time;
        copy.tsc_to_system_mul = g_pvclock.tsc_to_system_mul;
        copy.tsc_shift = g_pvclock.tsc_shift;
        copy.flags = g_pvclock.flags;
        asm volatile("" ::: "memory");
        if ((version & 1) == 0 && version == g_pvclock.version) return copy;
    }
}

// Publishes the clock to user mode (Linux's vdso_write_begin/end: the count is odd meanwhile).
void publish_clock(const vdso::ClockParams& params) {
    vdso::VvarPage& v = g_vvar.page;
    __atomic_store_n(&v.seq, v.seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    v.clock = params;
    __atomic_store_n(&v.mode, vdso::ClockMode::Tsc, __ATOMIC_RELAXED);
    __atomic_store_n(&v.seq, v.seq + 1, __ATOMIC_RELEASE);
}

uint8_t cmos(uint8_t reg) {
    x86::outb(0x70, reg);
    return x86::inb(0x71);
}

uint64_t rtc_epoch_seconds() {
    // No RTC at all (QEMU microvm with rtc=off, Firecracker): the ports float to 0xff. Then the
    // wall clock starts at the epoch rather than waiting forever for an update to finish.
    if (cmos(0x0a) == 0xff && cmos(0x0b) == 0xff) return 0;
    // Wait out an update in progress (it lasts under 2 ms), then read; BCD unless status B says
    // binary.
    for (int tries = 0; tries < 100000 && (cmos(0x0a) & 0x80); tries++) {
    }
    uint32_t sec = cmos(0x00), min = cmos(0x02), hour = cmos(0x04), day = cmos(0x07),
             mon = cmos(0x08), year = cmos(0x09);
    if (!(cmos(0x0b) & 0x04)) {
        auto bcd = [](uint32_t v) { return (v & 0x0f) + (v >> 4) * 10; };
        sec = bcd(sec), min = bcd(min), hour = bcd(hour & 0x7f), day = bcd(day), mon = bcd(mon),
        year = bcd(year);
    }
    if (mon < 1 || mon > 12 || day < 1 || day > 31) return 0;
    year += 2000;
    // Days from civil date (proleptic Gregorian), 1970-01-01 = 0.
    int y = static_cast<int>(year) - (mon <= 2);
    int era = y / 400;
    int yoe = y - era * 400;
    int doy = (153 * (static_cast<int>(mon) + (mon > 2 ? -3 : 9)) + 2) / 5 + static_cast<int>(day) - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
    return static_cast<uint64_t>(days) * 86400 + hour * 3600 + min * 60 + sec;
}

uint64_t g_tsc_hz_hint = 0;

void init_clock() {
    uint32_t kvm_features = x86::kvm_features();
    if (kvm_features & kKvmFeatureClocksource2) {
        x86::wrmsr(kMsrKvmSystemTimeNew, virt_to_phys(const_cast<PvclockTimeInfo*>(&g_pvclock)) | 1);
        x86::wrmsr(kMsrKvmWallClockNew, virt_to_phys(const_cast<PvclockWallClock*>(&g_wall)));
        g_epoch_ns = static_cast<uint64_t>(g_wall.sec) * kNsPerSec + g_wall.nsec;
        PvclockTimeInfo pv = read_pvclock();
        // A stable TSC (the host's master clock): the pvclock is the same linear function of the
        // TSC on every vCPU, so it can be frozen here and read by user mode (Linux's vDSO uses
        // kvmclock under the same condition, arch/x86/kernel/kvmclock.c).
        if ((kvm_features & kKvmFeatureClocksourceStableBit) && (pv.flags & kPvclockTscStableBit)) {
            publish_clock({pv.tsc_timestamp, pv.system_time, pv.tsc_to_system_mul, pv.tsc_shift,
                           g_epoch_ns});
            g_source = Source::Frozen;
        } else {
            g_source = Source::LiveKvmclock;
        }
        return;
    }
    x86::CpuidResult leaf0 = x86::cpuid(0);
    // CPUID's crystal ratio if the CPU gives it, else the host's measurement (boot option),
    // else 1 GHz (exact under QEMU's -icount shift=0, where a TSC tick is a nanosecond).
    uint64_t tsc_hz = g_tsc_hz_hint != 0 ? g_tsc_hz_hint : kNsPerSec;
    if (leaf0.eax >= 0x15) {
        x86::CpuidResult l15 = x86::cpuid(0x15);
        if (l15.eax != 0 && l15.ebx != 0 && l15.ecx != 0)
            tsc_hz = static_cast<uint64_t>(l15.ecx) * l15.ebx / l15.eax;
    }
    vdso::ClockParams params = vdso::params_for_tsc_hz(tsc_hz);
    params.tsc_base = x86::rdtsc();
    g_epoch_ns = rtc_epoch_seconds() * kNsPerSec;
    params.epoch_ns = g_epoch_ns;
    publish_clock(params);
    g_source = Source::Frozen;
}

} // namespace

uint64_t monotonic_ns() {
    if (g_source == Source::Unknown) init_clock();
    if (g_source == Source::Frozen) return vdso::monotonic_ns_at(g_vvar.page.clock, x86::rdtsc());
    PvclockTimeInfo pv = read_pvclock();
    return pv.system_time +
           scale_delta(x86::rdtsc() - pv.tsc_timestamp, pv.tsc_to_system_mul, pv.tsc_shift);
}

uint64_t cycles_to_ns(uint64_t cycles) {
    if (g_source == Source::Unknown) init_clock();
    uint32_t mul = g_vvar.page.clock.mul;
    int32_t shift = g_vvar.page.clock.shift;
    if (g_source == Source::LiveKvmclock) mul = g_pvclock.tsc_to_system_mul, shift = g_pvclock.tsc_shift;
    return scale_delta(cycles, mul, static_cast<int8_t>(shift));
}

// The TSC delta that takes `ns` nanoseconds: the inverse of the scaling (rounded up).
uint64_t ns_to_tsc(uint64_t ns) {
    if (g_source == Source::Unknown) init_clock();
    uint32_t mul = g_vvar.page.clock.mul;
    int32_t shift = g_vvar.page.clock.shift;
    if (g_source == Source::LiveKvmclock) mul = g_pvclock.tsc_to_system_mul, shift = g_pvclock.tsc_shift;
    unsigned __int128 shifted = ((static_cast<unsigned __int128>(ns) << 32) / mul) + 1;
    return static_cast<uint64_t>(shift >= 0 ? shifted >> shift : shifted << -shift);
}

uint64_t user_clock_page() { return virt_to_phys(&g_vvar); }

void set_tsc_khz_hint(uint64_t khz) {
    if (g_source == Source::Unknown) g_tsc_hz_hint = khz * 1000;
}

void set_user_cpu_count(uint32_t cpus) { __atomic_store_n(&g_vvar.page.cpus, cpus, __ATOMIC_RELEASE); }

bool set_wakeup(uint64_t deadline_ns) {
    if (!x86::local_apic_available()) return false;
    if (deadline_ns == 0) {
        x86::disarm_timer();
        return true;
    }
    uint64_t now = monotonic_ns();
    uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
    if (x86::tsc_deadline_timer()) x86::arm_deadline_timer(x86::rdtsc() + ns_to_tsc(delta));
    else x86::arm_countdown_timer(delta);
    return true;
}

void wait_for_interrupt() {
    // sti's one-instruction shadow: an interrupt that is already due wakes this very hlt. One
    // that arrives after the lock is released and before the hlt stays pending until then.
    x86::big_lock_release();
    asm volatile("sti; hlt; cli" ::: "memory");
    x86::big_lock_acquire();
}

uint64_t boot_epoch_ns() {
    if (g_source == Source::Unknown) init_clock();
    return g_epoch_ns;
}

} // namespace wisp::platform
