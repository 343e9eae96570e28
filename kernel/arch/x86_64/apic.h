// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

// The local APIC, in whichever form the CPU offers, chosen once at boot:
// - x2APIC mode (MSR access: no MMIO mapping, and on KVM each access is one MSR exit) when
//   CPUID has it (KVM, Firecracker); else xAPIC mode (MMIO at the base MSR 0x1b names,
//   0xfee00000, mapped uncached; QEMU TCG up to 7.2);
// - its timer in TSC-deadline mode when CPUID has it (it wakes the CPU from `hlt` at a chosen
//   TSC value); else in one-shot mode, counting down from a count computed from its rate,
//   calibrated once at boot against the kernel clock.
namespace wisp::x86 {

inline constexpr int kTimerVector = 32;
inline constexpr int kSpuriousVector = 255;
// Inter-processor interrupts (smp.cpp): "look at the run queue and your pending signals" and
// "flush your TLB" (the latter's handler never takes the big kernel lock, and it also wakes a
// CPU halted waiting for the lock). The flush vector is in the highest priority class (Intel
// SDM Vol. 3A §11.8.3.1: an interrupt is delivered only above the class of the one in service):
// a CPU that waits for the lock inside the handler of a timer, kick or device interrupt (whose
// EOI comes after the lock is taken) must still receive it.
inline constexpr int kKickVector = 33;
inline constexpr int kFlushVector = 0xf0;
// Device interrupts: IOAPIC input (GSI) n is delivered as vector kDeviceVectorBase + n.
inline constexpr int kDeviceVectorBase = 48;
inline constexpr int kDeviceLines = 24; // the IOAPIC's inputs

// True when the CPU has a local APIC (x2APIC or xAPIC; set up lazily on first use).
bool local_apic_available();
// True when the timer is in TSC-deadline mode (else: one-shot countdown).
bool tsc_deadline_timer();
// TSC-deadline mode: arms the timer for TSC value `deadline`.
void arm_deadline_timer(uint64_t deadline);
// One-shot mode: arms the timer to fire in `delta_ns` nanoseconds (or earlier, when that is
// beyond its 32-bit count).
void arm_countdown_timer(uint64_t delta_ns);
// Stops the timer (either mode).
void disarm_timer();
// The timer interrupt: acknowledge it (EOI). Waking from `hlt` is the whole point.
void timer_interrupt();
// Enables this CPU's local APIC in the mode chosen at boot, its timer in TSC-deadline or
// one-shot mode (the boot CPU does it lazily through local_apic_available; the others when
// they start).
void init_local_apic();
// This CPU's local APIC ID (8 bits in xAPIC mode, 32 in x2APIC mode).
uint32_t local_apic_id();
// Sends `icr` (the low 32 bits of the ICR: vector, delivery mode, level) to APIC ID
// `destination` (Intel SDM Vol. 3A §11.12.9: one MSR write in x2APIC mode; in xAPIC mode two
// MMIO writes, then a wait for the delivery status to clear, §11.6.1).
void send_ipi(uint32_t destination, uint32_t icr);
// EOI for the interrupt in service (also ends a level-triggered IOAPIC input's cycle).
void end_of_interrupt();
// Routes IOAPIC input `gsi` to this CPU as vector kDeviceVectorBase + gsi (active high; level-
// or edge-triggered). The first call masks the legacy PIC and enables the local APIC. False
// when there is no local APIC to deliver to.
bool route_device_interrupt(unsigned gsi, bool level_triggered);

} // namespace wisp::x86
