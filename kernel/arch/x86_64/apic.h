// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

// The local APIC in x2APIC mode (MSR access: no MMIO mapping, and on KVM each access is one
// MSR exit): its timer in TSC-deadline mode wakes the CPU from `hlt` at a chosen TSC value.
namespace wisp::x86 {

inline constexpr int kTimerVector = 32;
inline constexpr int kSpuriousVector = 255;
// Inter-processor interrupts (smp.cpp): "look at the run queue and your pending signals" and
// "flush your TLB" (the latter's handler never takes the big kernel lock).
inline constexpr int kKickVector = 33;
inline constexpr int kFlushVector = 34;
// Device interrupts: IOAPIC input (GSI) n is delivered as vector kDeviceVectorBase + n.
inline constexpr int kDeviceVectorBase = 48;
inline constexpr int kDeviceLines = 24; // the IOAPIC's inputs

// True when the CPU has an x2APIC with a TSC-deadline timer (set up lazily on first use).
bool deadline_timer_available();
// Arms the one-shot timer for TSC value `deadline` (0 disarms).
void arm_deadline_timer(uint64_t deadline);
// The timer interrupt: acknowledge it (EOI). Waking from `hlt` is the whole point.
void timer_interrupt();
// Enables this CPU's local APIC in x2APIC mode with the timer in TSC-deadline mode (the boot
// CPU does it lazily through deadline_timer_available; the others when they start).
void init_local_apic();
// This CPU's x2APIC ID.
uint32_t local_apic_id();
// Sends `icr` (the low 32 bits of the x2APIC ICR: vector, delivery mode, level) to APIC ID
// `destination` (Intel SDM Vol. 3A §11.12.9: one MSR write in x2APIC mode).
void send_ipi(uint32_t destination, uint32_t icr);
// EOI for the interrupt in service (also ends a level-triggered IOAPIC input's cycle).
void end_of_interrupt();
// Routes IOAPIC input `gsi` to this CPU as vector kDeviceVectorBase + gsi (active high; level-
// or edge-triggered). The first call masks the legacy PIC and enables the local APIC. False
// when there is no local APIC to deliver to.
bool route_device_interrupt(unsigned gsi, bool level_triggered);

} // namespace wisp::x86
