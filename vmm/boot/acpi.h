// SPDX-License-Identifier: MIT
#pragma once

// The ACPI tables that tell the guest how many CPUs it has (include/wisp/abi/acpi.h): an RSDP,
// an XSDT with one entry and a MADT with one local APIC per vCPU (APIC ID = vCPU index) and the
// IOAPIC. Written into the BIOS area at kAcpiGpa, where a guest without PVH's rsdp_paddr scans
// for the RSDP too (ACPI 6.5 §5.2.5.1: 0xE0000-0xFFFFF, 16-byte aligned).
#include <cstdint>

#include "kvm/guest_memory.h"

namespace wisp::vmm {

inline constexpr uint64_t kAcpiGpa = 0xe'0000;
// The local APIC and IOAPIC at their PC addresses (KVM's in-kernel irqchip puts them there).
inline constexpr uint32_t kLocalApicAddress = 0xfee0'0000;
inline constexpr uint32_t kIoApicAddress = 0xfec0'0000;
inline constexpr unsigned kMaxAcpiCpus = 255;

// Writes the tables for `cpus` vCPUs (1..kMaxAcpiCpus) and returns the RSDP's guest-physical
// address (for hvm_start_info.rsdp_paddr). Throws UserError when they do not fit.
uint64_t write_acpi_tables(const GuestMemory& ram, unsigned cpus);

} // namespace wisp::vmm
