// SPDX-License-Identifier: MIT
#include "arch/x86_64/acpi.h"

#include <string.h>

#include <wisp/abi/acpi.h>

namespace wisp::x86::acpi {
namespace {

bool checksum_ok(const uint8_t* bytes, uint64_t length) {
    uint8_t sum = 0;
    for (uint64_t i = 0; i < length; i++) sum = static_cast<uint8_t>(sum + bytes[i]);
    return sum == 0;
}

bool is_rsdp(const PhysReader& memory, uint64_t paddr) {
    const uint8_t* p = memory(paddr, sizeof(abi::AcpiRsdp));
    if (p == nullptr || memcmp(p, "RSD PTR ", 8) != 0) return false;
    return checksum_ok(p, abi::kAcpiRsdpV1Length);
}

uint64_t scan(const PhysReader& memory, uint64_t start, uint64_t end) {
    for (uint64_t paddr = start; paddr + sizeof(abi::AcpiRsdp) <= end; paddr += 16)
        if (is_rsdp(memory, paddr)) return paddr;
    return 0;
}

// A whole table with a valid checksum, or nullptr.
const uint8_t* table_at(const PhysReader& memory, uint64_t paddr, abi::AcpiHeader& header) {
    const uint8_t* head = memory(paddr, sizeof(abi::AcpiHeader));
    if (head == nullptr) return nullptr;
    memcpy(&header, head, sizeof header);
    if (header.length < sizeof(abi::AcpiHeader)) return nullptr;
    const uint8_t* whole = memory(paddr, header.length);
    if (whole == nullptr || !checksum_ok(whole, header.length)) return nullptr;
    return whole;
}

} // namespace

uint64_t find_rsdp(const PhysReader& memory, uint64_t hint) {
    if (hint != 0) return is_rsdp(memory, hint) ? hint : 0;
    if (const uint8_t* bda = memory(0x40e, 2)) {
        uint64_t ebda = static_cast<uint64_t>(bda[0] | bda[1] << 8) << 4;
        if (ebda >= 0x400 && ebda < 0xa'0000)
            if (uint64_t found = scan(memory, ebda, ebda + 1024)) return found;
    }
    return scan(memory, 0xe'0000, 0x10'0000);
}

Result<size_t> read_cpus(const PhysReader& memory, uint64_t rsdp_paddr,
                         std::span<uint32_t> apic_ids) {
    const uint8_t* rsdp_bytes = memory(rsdp_paddr, sizeof(abi::AcpiRsdp));
    if (rsdp_bytes == nullptr) return Errno::NOENT;
    abi::AcpiRsdp rsdp;
    memcpy(&rsdp, rsdp_bytes, sizeof rsdp);
    if (memcmp(rsdp.signature, "RSD PTR ", 8) != 0 ||
        !checksum_ok(rsdp_bytes, abi::kAcpiRsdpV1Length))
        return Errno::INVAL;
    // ACPI 2.0+: the XSDT's 64-bit entries; ACPI 1.0 (revision 0): the RSDT's 32-bit ones.
    bool extended = rsdp.revision >= 2 && rsdp.xsdt_address != 0;
    if (extended && (rsdp.length < sizeof rsdp || !checksum_ok(rsdp_bytes, sizeof rsdp)))
        return Errno::INVAL;
    abi::AcpiHeader root_header;
    uint64_t root = extended ? rsdp.xsdt_address : rsdp.rsdt_address;
    const uint8_t* root_table = table_at(memory, root, root_header);
    if (root_table == nullptr) return Errno::INVAL;
    size_t entry_size = extended ? 8 : 4;
    size_t entries = (root_header.length - sizeof(abi::AcpiHeader)) / entry_size;

    for (size_t i = 0; i < entries; i++) {
        uint64_t table = 0;
        memcpy(&table, root_table + sizeof(abi::AcpiHeader) + i * entry_size, entry_size);
        const uint8_t* head = memory(table, sizeof(abi::AcpiHeader));
        if (head == nullptr || memcmp(head, "APIC", 4) != 0) continue;
        abi::AcpiHeader madt_header;
        const uint8_t* madt = table_at(memory, table, madt_header);
        if (madt == nullptr || madt_header.length < sizeof(abi::AcpiMadt)) return Errno::INVAL;
        size_t count = 0;
        for (uint32_t at = sizeof(abi::AcpiMadt); at < madt_header.length;) {
            if (madt_header.length - at < 2) return Errno::INVAL;
            uint8_t type = madt[at], length = madt[at + 1];
            if (length < 2 || length > madt_header.length - at) return Errno::INVAL;
            uint32_t apic_id = 0, flags = 0;
            bool cpu = false;
            if (type == abi::kMadtLocalApic && length >= sizeof(abi::MadtLocalApic)) {
                abi::MadtLocalApic entry;
                memcpy(&entry, madt + at, sizeof entry);
                apic_id = entry.apic_id, flags = entry.flags, cpu = true;
            } else if (type == abi::kMadtLocalX2Apic && length >= sizeof(abi::MadtLocalX2Apic)) {
                abi::MadtLocalX2Apic entry;
                memcpy(&entry, madt + at, sizeof entry);
                apic_id = entry.x2apic_id, flags = entry.flags, cpu = true;
            }
            if (cpu && (flags & abi::kMadtCpuEnabled) && count < apic_ids.size())
                apic_ids[count++] = apic_id;
            at += length;
        }
        return count;
    }
    return Errno::NOENT;
}

} // namespace wisp::x86::acpi
