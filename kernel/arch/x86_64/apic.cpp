// SPDX-License-Identifier: MIT
#include "arch/x86_64/apic.h"

#include <wisp/abi/platform.h>

#include "arch/x86_64/io.h"
#include "platform/platform.h"

extern "C" uint64_t boot_pd[];

namespace wisp::x86 {
namespace {

constexpr uint32_t kMsrApicBase = 0x1b;
constexpr uint64_t kApicEnable = 1ull << 11, kApicX2 = 1ull << 10;
constexpr uint32_t kMsrTscDeadline = 0x6e0;
constexpr uint64_t kIoApicBase = 0xfec0'0000;

// Local APIC registers by their xAPIC MMIO offset (Intel SDM Vol. 3A §11.4.1, table 11-1); in
// x2APIC mode register `offset` is MSR 0x800 + offset / 16 (§11.12.1.2).
constexpr uint32_t kRegId = 0x20, kRegEoi = 0xb0, kRegSpurious = 0xf0, kRegIcrLow = 0x300,
                   kRegIcrHigh = 0x310, kRegLvtTimer = 0x320, kRegInitialCount = 0x380,
                   kRegCurrentCount = 0x390, kRegDivide = 0x3e0;
constexpr uint32_t kLvtTscDeadlineMode = 2u << 17, kLvtMasked = 1u << 16;
constexpr uint32_t kDivideBy1 = 0xb; // §11.5.4, figure 11-10
constexpr uint32_t kIcrDeliveryPending = 1u << 12;

enum class State { Unknown, X2Apic, XApic, Absent };
State g_state = State::Unknown;
// xAPIC mode: the registers through the direct map (null in x2APIC mode, so the hot paths test
// one pointer).
volatile uint32_t* g_xapic = nullptr;
bool g_tsc_deadline = false;
// One-shot mode: timer ticks (at divide-by-1) per nanosecond, as a 32.32 fixed-point number.
uint64_t g_ticks_per_ns_32 = 0;

void write_reg(uint32_t offset, uint32_t value) {
    if (g_xapic != nullptr) g_xapic[offset / 4] = value;
    else wrmsr(0x800 + offset / 16, value);
}

uint32_t read_reg(uint32_t offset) {
    if (g_xapic != nullptr) return g_xapic[offset / 4];
    return static_cast<uint32_t>(rdmsr(0x800 + offset / 16));
}

// The APIC's page is MMIO: the direct map's 2 MiB page that holds it becomes uncached (PCD |
// PWT). The boot page directory is shared by every CPU's page tables (boot.S), so this is done
// once, before any AP starts.
bool map_xapic(uint64_t base) {
    if (base >= abi::kBootDirectMapSize) return false;
    auto* pd = static_cast<uint64_t*>(platform::phys_to_virt(reinterpret_cast<uint64_t>(boot_pd)));
    pd[base >> 21] |= 0x18;
    void* registers = platform::phys_to_virt(base);
    asm volatile("invlpg (%0)" : : "r"(registers) : "memory");
    g_xapic = static_cast<volatile uint32_t*>(registers);
    return true;
}

// The one-shot timer's rate against the kernel clock (clock.cpp), measured the first time the
// timer is armed (a program that never waits never pays: under `-icount`, bench/
// kernel_profile.py, every nanosecond waited here is an instruction): count down from the top
// for 1 ms. Each end reads the count and then the clock, back to back, so both intervals have
// the same offset. The rate is the same on every CPU; the big kernel lock keeps two from
// measuring at once.
void calibrate_countdown() {
    write_reg(kRegLvtTimer, kLvtMasked | kTimerVector);
    write_reg(kRegInitialCount, 0xffff'ffff);
    uint32_t start_count = read_reg(kRegCurrentCount);
    uint64_t start_ns = platform::monotonic_ns();
    while (platform::monotonic_ns() - start_ns < 1'000'000) asm volatile("pause");
    uint32_t end_count = read_reg(kRegCurrentCount);
    uint64_t end_ns = platform::monotonic_ns();
    write_reg(kRegInitialCount, 0);
    write_reg(kRegLvtTimer, kTimerVector);
    uint64_t ticks = start_count - end_count;
    g_ticks_per_ns_32 = (ticks << 32) / (end_ns - start_ns);
    if (g_ticks_per_ns_32 == 0) g_ticks_per_ns_32 = 1;
}

void init() {
    CpuidResult leaf1 = cpuid(1);
    bool x2apic = leaf1.ecx & (1u << 21);
    bool apic = leaf1.edx & (1u << 9);
    g_tsc_deadline = leaf1.ecx & (1u << 24);
    if (x2apic) {
        g_state = State::X2Apic;
    } else if (apic && map_xapic(rdmsr(kMsrApicBase) & ~uint64_t{0xfff})) {
        g_state = State::XApic;
    } else {
        g_state = State::Absent;
        return;
    }
    init_local_apic();
}

} // namespace

void init_local_apic() {
    uint64_t base = rdmsr(kMsrApicBase) | kApicEnable;
    wrmsr(kMsrApicBase, g_xapic != nullptr ? base : base | kApicX2);
    write_reg(kRegSpurious, 0x100 | kSpuriousVector); // software-enable the APIC
    if (g_tsc_deadline) {
        write_reg(kRegLvtTimer, kLvtTscDeadlineMode | kTimerVector);
        return;
    }
    // One-shot mode is LVT timer mode 00b (§11.5.1): the vector alone.
    write_reg(kRegDivide, kDivideBy1);
    write_reg(kRegLvtTimer, kTimerVector);
}

uint32_t local_apic_id() {
    // xAPIC: the ID is in bits 31:24 of the ID register (§11.4.6); x2APIC: all 32 bits.
    return g_xapic != nullptr ? read_reg(kRegId) >> 24 : read_reg(kRegId);
}

void send_ipi(uint32_t destination, uint32_t icr) {
    if (g_xapic == nullptr) {
        wrmsr(0x830, static_cast<uint64_t>(destination) << 32 | icr);
        return;
    }
    // xAPIC (§11.6.1): the destination in ICR high bits 31:24, then the write of the low word
    // sends. The kernel runs with interrupts off, so nothing sends between the two writes. The
    // delivery-status bit is clear once the APIC accepted the IPI, before the next may go.
    g_xapic[kRegIcrHigh / 4] = destination << 24;
    g_xapic[kRegIcrLow / 4] = icr;
    while (g_xapic[kRegIcrLow / 4] & kIcrDeliveryPending) asm volatile("pause");
}

bool local_apic_available() {
    if (g_state == State::Unknown) init();
    return g_state != State::Absent;
}

bool tsc_deadline_timer() { return g_tsc_deadline; }

void arm_deadline_timer(uint64_t deadline) { wrmsr(kMsrTscDeadline, deadline); }

void arm_countdown_timer(uint64_t delta_ns) {
    // A deadline beyond the 32-bit count (seconds away) fires early; arm_timer (sched/thread.cpp)
    // re-arms for the rest. A deadline due now counts 1: the interrupt comes at once.
    if (g_ticks_per_ns_32 == 0) [[unlikely]]
        calibrate_countdown();
    uint64_t ticks = static_cast<uint64_t>(
        (static_cast<unsigned __int128>(delta_ns) * g_ticks_per_ns_32) >> 32);
    if (ticks > 0xffff'ffff) ticks = 0xffff'ffff;
    write_reg(kRegInitialCount, ticks == 0 ? 1 : static_cast<uint32_t>(ticks));
}

void disarm_timer() {
    if (g_tsc_deadline) wrmsr(kMsrTscDeadline, 0);
    else write_reg(kRegInitialCount, 0);
}

void timer_interrupt() { end_of_interrupt(); }

void end_of_interrupt() {
    if (g_xapic != nullptr) g_xapic[kRegEoi / 4] = 0;
    else wrmsr(0x80b, 0);
}

bool route_device_interrupt(unsigned gsi, bool level_triggered) {
    if (gsi >= static_cast<unsigned>(kDeviceLines) || !local_apic_available()) return false;
    static bool s_pic_masked = false;
    if (!s_pic_masked) {
        // The 8259 PICs see the low GSIs too (KVM drives both chips), and the local APIC's
        // LINT0 takes their ExtINT: mask every PIC input so only the IOAPIC delivers.
        outb(0x21, 0xff);
        outb(0xa1, 0xff);
        s_pic_masked = true;
    }
    // IOAPIC (82093AA datasheet §3.2): IOREGSEL at +0x00, IOWIN at +0x10; redirection entry n
    // is registers 0x10 + 2n (vector, trigger mode bit 15, mask bit 16) and 0x11 + 2n
    // (destination APIC ID in bits 31:24; physical destination mode, fixed delivery).
    auto* ioapic = static_cast<volatile uint32_t*>(platform::phys_to_virt(kIoApicBase));
    uint32_t low = static_cast<uint32_t>(kDeviceVectorBase + gsi) | (level_triggered ? 1u << 15 : 0);
    ioapic[0] = 0x11 + 2 * gsi;
    ioapic[4] = 0; // APIC ID 0: the boot CPU
    ioapic[0] = 0x10 + 2 * gsi;
    ioapic[4] = low;
    return true;
}

} // namespace wisp::x86
