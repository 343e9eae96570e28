// SPDX-License-Identifier: MIT
#include "arch/x86_64/apic.h"

#include "arch/x86_64/io.h"
#include "platform/platform.h"

namespace wisp::x86 {
namespace {

constexpr uint32_t kMsrApicBase = 0x1b;
constexpr uint64_t kApicEnable = 1ull << 11, kApicX2 = 1ull << 10;
constexpr uint32_t kMsrX2Eoi = 0x80b, kMsrX2Spurious = 0x80f, kMsrX2LvtTimer = 0x832;
constexpr uint32_t kMsrTscDeadline = 0x6e0;
constexpr uint32_t kLvtTscDeadlineMode = 2u << 17;
constexpr uint64_t kIoApicBase = 0xfec0'0000;

enum class State { Unknown, Ready, Absent };
State g_state = State::Unknown;

void init() {
    CpuidResult leaf1 = cpuid(1);
    bool x2apic = leaf1.ecx & (1u << 21);
    bool tsc_deadline = leaf1.ecx & (1u << 24);
    if (!x2apic || !tsc_deadline) {
        g_state = State::Absent;
        return;
    }
    init_local_apic();
    g_state = State::Ready;
}

} // namespace

void init_local_apic() {
    wrmsr(kMsrApicBase, rdmsr(kMsrApicBase) | kApicEnable | kApicX2);
    wrmsr(kMsrX2Spurious, 0x100 | kSpuriousVector); // software-enable the APIC
    wrmsr(kMsrX2LvtTimer, kLvtTscDeadlineMode | kTimerVector);
}

uint32_t local_apic_id() { return static_cast<uint32_t>(rdmsr(0x802)); }

void send_ipi(uint32_t destination, uint32_t icr) {
    wrmsr(0x830, static_cast<uint64_t>(destination) << 32 | icr);
}

bool deadline_timer_available() {
    if (g_state == State::Unknown) init();
    return g_state == State::Ready;
}

void arm_deadline_timer(uint64_t deadline) { wrmsr(kMsrTscDeadline, deadline); }

void timer_interrupt() { wrmsr(kMsrX2Eoi, 0); }

void end_of_interrupt() { wrmsr(kMsrX2Eoi, 0); }

bool route_device_interrupt(unsigned gsi, bool level_triggered) {
    if (gsi >= static_cast<unsigned>(kDeviceLines) || !deadline_timer_available()) return false;
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
