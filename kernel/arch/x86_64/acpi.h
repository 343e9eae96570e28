// SPDX-License-Identifier: MIT
#pragma once

// Finding the CPUs in the ACPI tables (include/wisp/abi/acpi.h): RSDP -> XSDT (or RSDT) ->
// MADT -> the enabled local APICs. Portable: it reads guest-physical memory only through a
// PhysReader, so the host unit test feeds it good and corrupt tables.
#include <stddef.h>
#include <stdint.h>

#include <span>

#include "lib/result.h"

namespace wisp::x86::acpi {

// Guest-physical memory: the bytes [paddr, paddr + length), or nullptr when any is not memory.
struct PhysReader {
    const uint8_t* (*map)(void* ctx, uint64_t paddr, uint64_t length);
    void* ctx;
    const uint8_t* operator()(uint64_t paddr, uint64_t length) const {
        return map(ctx, paddr, length);
    }
};

// The RSDP: at `hint` (PVH's hvm_start_info.rsdp_paddr) when it is not 0, else where ACPI 6.5
// §5.2.5.1 says a BIOS puts it — the first KiB of the EBDA (segment at 0x40e), then
// 0xE0000-0xFFFFF — on a 16-byte boundary with a valid checksum. 0 when none is found.
uint64_t find_rsdp(const PhysReader& memory, uint64_t hint);

// The APIC IDs of the usable CPUs the MADT lists (enabled local APIC and x2APIC entries), in
// table order, at most apic_ids.size(). NOENT: no MADT; INVAL: a table fails its checksum or an
// entry runs past its table.
Result<size_t> read_cpus(const PhysReader& memory, uint64_t rsdp_paddr,
                         std::span<uint32_t> apic_ids);

} // namespace wisp::x86::acpi
