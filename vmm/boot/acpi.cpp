// SPDX-License-Identifier: MIT
#include "boot/acpi.h"

#include <cstring>
#include <string>
#include <vector>

#include <wisp/abi/acpi.h>

#include "vmm.h"

namespace wisp::vmm {
namespace {

// ACPI 6.5 §5.2.5.3, §5.2.6: the bytes of a table (or of the RSDP's covered part) sum to 0.
uint8_t checksum(const void* data, size_t length) {
    uint8_t sum = 0;
    for (size_t i = 0; i < length; i++) sum += static_cast<const uint8_t*>(data)[i];
    return static_cast<uint8_t>(-sum);
}

abi::AcpiHeader header(const char (&signature)[5], uint32_t length, uint8_t revision) {
    abi::AcpiHeader h{};
    std::memcpy(h.signature, signature, 4);
    h.length = length;
    h.revision = revision;
    std::memcpy(h.oem_id, "WISP  ", 6);
    std::memcpy(h.oem_table_id, "WISPVM  ", 8);
    h.oem_revision = 1;
    std::memcpy(&h.creator_id, "WISP", 4);
    h.creator_revision = 1;
    return h;
}

} // namespace

uint64_t write_acpi_tables(const GuestMemory& ram, unsigned cpus) {
    if (cpus < 1 || cpus > kMaxAcpiCpus)
        throw UserError("wisp: " + std::to_string(cpus) + " vCPUs: the wisp monitor supports 1 to " +
                        std::to_string(kMaxAcpiCpus) + ": change -c");
    // Layout at kAcpiGpa: RSDP (36 bytes), XSDT at +0x40, MADT at +0x80.
    const uint64_t rsdp_gpa = kAcpiGpa, xsdt_gpa = kAcpiGpa + 0x40, madt_gpa = kAcpiGpa + 0x80;

    std::vector<uint8_t> madt(sizeof(abi::AcpiMadt));
    for (unsigned cpu = 0; cpu < cpus; cpu++) {
        abi::MadtLocalApic entry{abi::kMadtLocalApic, sizeof(abi::MadtLocalApic),
                                 static_cast<uint8_t>(cpu), static_cast<uint8_t>(cpu),
                                 abi::kMadtCpuEnabled};
        auto* bytes = reinterpret_cast<const uint8_t*>(&entry);
        madt.insert(madt.end(), bytes, bytes + sizeof entry);
    }
    abi::MadtIoApic ioapic{abi::kMadtIoApic, sizeof(abi::MadtIoApic),
                           static_cast<uint8_t>(cpus), 0, kIoApicAddress, 0};
    auto* ioapic_bytes = reinterpret_cast<const uint8_t*>(&ioapic);
    madt.insert(madt.end(), ioapic_bytes, ioapic_bytes + sizeof ioapic);
    abi::AcpiMadt madt_head{header("APIC", static_cast<uint32_t>(madt.size()), 5),
                            kLocalApicAddress, 1 /* PCAT_COMPAT */};
    std::memcpy(madt.data(), &madt_head, sizeof madt_head);
    madt[offsetof(abi::AcpiHeader, checksum)] = checksum(madt.data(), madt.size());

    struct [[gnu::packed]] Xsdt {
        abi::AcpiHeader header;
        uint64_t entries[1];
    } xsdt{header("XSDT", sizeof(Xsdt), 1), {madt_gpa}};
    xsdt.header.checksum = checksum(&xsdt, sizeof xsdt);

    abi::AcpiRsdp rsdp{};
    std::memcpy(rsdp.signature, "RSD PTR ", 8);
    std::memcpy(rsdp.oem_id, "WISP  ", 6);
    rsdp.revision = 2;
    rsdp.length = sizeof rsdp;
    rsdp.xsdt_address = xsdt_gpa;
    rsdp.checksum = checksum(&rsdp, abi::kAcpiRsdpV1Length);
    rsdp.extended_checksum = checksum(&rsdp, sizeof rsdp);

    if (!ram.write(madt_gpa, madt.data(), madt.size()) || !ram.write(xsdt_gpa, &xsdt, sizeof xsdt) ||
        !ram.write(rsdp_gpa, &rsdp, sizeof rsdp))
        throw UserError("wisp: guest memory is too small for the ACPI tables: raise -m");
    return rsdp_gpa;
}

} // namespace wisp::vmm
