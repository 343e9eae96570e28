// SPDX-License-Identifier: MIT
#include "arch/x86_64/apic.h"

#include "arch/x86_64/io.h"

namespace wisp::x86 {
namespace {

constexpr uint32_t kMsrApicBase = 0x1b;
constexpr uint64_t kApicEnable = 1ull << 11, kApicX2 = 1ull << 10;
constexpr uint32_t kMsrX2Eoi = 0x80b, kMsrX2Spurious = 0x80f, kMsrX2LvtTimer = 0x832;
constexpr uint32_t kMsrTscDeadline = 0x6e0;
constexpr uint32_t kLvtTscDeadlineMode = 2u << 17;

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
    wrmsr(kMsrApicBase, rdmsr(kMsrApicBase) | kApicEnable | kApicX2);
    wrmsr(kMsrX2Spurious, 0x100 | kSpuriousVector); // software-enable the APIC
    wrmsr(kMsrX2LvtTimer, kLvtTscDeadlineMode | kTimerVector);
    g_state = State::Ready;
}

} // namespace

bool deadline_timer_available() {
    if (g_state == State::Unknown) init();
    return g_state == State::Ready;
}

void arm_deadline_timer(uint64_t deadline) { wrmsr(kMsrTscDeadline, deadline); }

void timer_interrupt() { wrmsr(kMsrX2Eoi, 0); }

} // namespace wisp::x86
