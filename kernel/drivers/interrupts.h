// SPDX-License-Identifier: MIT
#pragma once

// Device interrupt lines (GSIs) and the drivers that handle them. A handler runs with
// interrupts off, before the EOI: it quiets its device and wakes waiters, nothing more.
#include <stdint.h>

namespace wisp::drivers {

using InterruptHandler = void (*)(void* context);

// Routes line `gsi` to the CPU and calls `handler(context)` when it fires. False when the line
// cannot be routed (no IOAPIC/APIC, line out of range, already taken).
bool attach_interrupt(unsigned gsi, bool level_triggered, InterruptHandler handler, void* context);

} // namespace wisp::drivers
