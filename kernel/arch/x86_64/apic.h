// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

// The local APIC in x2APIC mode (MSR access: no MMIO mapping, and on KVM each access is one
// MSR exit): its timer in TSC-deadline mode wakes the CPU from `hlt` at a chosen TSC value.
namespace wisp::x86 {

inline constexpr int kTimerVector = 32;
inline constexpr int kSpuriousVector = 255;

// True when the CPU has an x2APIC with a TSC-deadline timer (set up lazily on first use).
bool deadline_timer_available();
// Arms the one-shot timer for TSC value `deadline` (0 disarms).
void arm_deadline_timer(uint64_t deadline);
// The timer interrupt: acknowledge it (EOI). Waking from `hlt` is the whole point.
void timer_interrupt();

} // namespace wisp::x86
