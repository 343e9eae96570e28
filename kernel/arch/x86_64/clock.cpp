// SPDX-License-Identifier: MIT
// Time sources: kvmclock (the KVM pvclock ABI, Documentation/virt/kvm/x86/msr.rst) when the
// hypervisor offers it, else the TSC at the frequency CPUID reports and the CMOS RTC for the
// date. Initialized lazily on first use: programs that never ask the time never pay for it.
#include "arch/x86_64/apic.h"
#include "arch/x86_64/io.h"
#include "platform/platform.h"

namespace wisp::platform {
namespace {

constexpr uint32_t kMsrKvmWallClockNew = 0x4b564d00;
constexpr uint32_t kMsrKvmSystemTimeNew = 0x4b564d01;

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

enum class Source { Unknown, Kvmclock, Tsc };
Source g_source = Source::Unknown;
uint64_t g_tsc_hz;
uint64_t g_tsc_start;
uint64_t g_epoch_ns;

uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift) {
    if (shift < 0) delta >>= -shift;
    else delta <<= shift;
    return static_cast<uint64_t>((static_cast<unsigned __int128>(delta) * mul) >> 32);
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

void init_clock() {
    x86::CpuidResult hv = x86::cpuid(0x40000000);
    bool kvm = hv.ebx == 0x4b4d564b && hv.ecx == 0x564b4d56 && hv.edx == 0x4d; // "KVMKVMKVM"
    if (kvm && hv.eax >= 0x40000001 && (x86::cpuid(0x40000001).eax & (1u << 3))) {
        x86::wrmsr(kMsrKvmSystemTimeNew, virt_to_phys(const_cast<PvclockTimeInfo*>(&g_pvclock)) | 1);
        x86::wrmsr(kMsrKvmWallClockNew, virt_to_phys(const_cast<PvclockWallClock*>(&g_wall)));
        g_epoch_ns = static_cast<uint64_t>(g_wall.sec) * 1'000'000'000 + g_wall.nsec;
        g_source = Source::Kvmclock;
        return;
    }
    x86::CpuidResult leaf0 = x86::cpuid(0);
    g_tsc_hz = 1'000'000'000; // assumed when nothing better is known
    if (leaf0.eax >= 0x15) {
        x86::CpuidResult l15 = x86::cpuid(0x15);
        if (l15.eax != 0 && l15.ebx != 0 && l15.ecx != 0)
            g_tsc_hz = static_cast<uint64_t>(l15.ecx) * l15.ebx / l15.eax;
    }
    g_tsc_start = x86::rdtsc();
    g_epoch_ns = rtc_epoch_seconds() * 1'000'000'000;
    g_source = Source::Tsc;
}

} // namespace

uint64_t monotonic_ns() {
    if (g_source == Source::Unknown) init_clock();
    if (g_source == Source::Kvmclock) {
        for (;;) {
            uint32_t version = g_pvclock.version;
            asm volatile("" ::: "memory");
            uint64_t ns = g_pvclock.system_time +
                          scale_delta(x86::rdtsc() - g_pvclock.tsc_timestamp,
                                      g_pvclock.tsc_to_system_mul, g_pvclock.tsc_shift);
            asm volatile("" ::: "memory");
            if ((version & 1) == 0 && version == g_pvclock.version) return ns;
        }
    }
    uint64_t delta = x86::rdtsc() - g_tsc_start;
    return static_cast<uint64_t>(static_cast<unsigned __int128>(delta) * 1'000'000'000 / g_tsc_hz);
}

// The TSC delta that takes `ns` nanoseconds: the inverse of scale_delta (rounded up).
uint64_t ns_to_tsc(uint64_t ns) {
    if (g_source == Source::Unknown) init_clock();
    if (g_source == Source::Tsc)
        return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * g_tsc_hz / 1'000'000'000 + 1);
    unsigned __int128 shifted = ((static_cast<unsigned __int128>(ns) << 32) / g_pvclock.tsc_to_system_mul) + 1;
    int8_t shift = g_pvclock.tsc_shift;
    return static_cast<uint64_t>(shift >= 0 ? shifted >> shift : shifted << -shift);
}

bool set_wakeup(uint64_t deadline_ns) {
    if (!x86::deadline_timer_available()) return false;
    if (deadline_ns == 0) {
        x86::arm_deadline_timer(0);
        return true;
    }
    uint64_t now = monotonic_ns();
    uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
    x86::arm_deadline_timer(x86::rdtsc() + ns_to_tsc(delta));
    return true;
}

void wait_for_interrupt() {
    // sti's one-instruction shadow: an interrupt that is already due wakes this very hlt.
    asm volatile("sti; hlt; cli" ::: "memory");
}

uint64_t boot_epoch_ns() {
    if (g_source == Source::Unknown) init_clock();
    return g_epoch_ns;
}

} // namespace wisp::platform
