// SPDX-License-Identifier: MIT
#pragma once

// The few ACPI tables that describe the CPUs (ACPI 6.5 §5.2): RSDP -> XSDT -> MADT. The wisp
// monitor writes them (QEMU and Firecracker bring their own); the kernel reads the MADT to find
// the other CPUs. Every table is byte-packed and its bytes sum to 0 mod 256.
#include <stdint.h>

namespace wisp::abi {

// ACPI 6.5 §5.2.5.3: the Root System Description Pointer. Revision 2 adds the XSDT fields; the
// first 20 bytes have their own checksum, the 36 bytes of revision 2 the extended one.
struct [[gnu::packed]] AcpiRsdp {
    char signature[8]; // "RSD PTR "
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision; // 0: ACPI 1.0 (RSDT only), 2: ACPI 2.0+
    uint32_t rsdt_address;
    uint32_t length; // of the whole structure (revision 2)
    uint64_t xsdt_address;
    uint8_t extended_checksum;
    uint8_t reserved[3];
};
static_assert(sizeof(AcpiRsdp) == 36);
inline constexpr uint32_t kAcpiRsdpV1Length = 20;

// ACPI 6.5 §5.2.6: the header every System Description Table starts with.
struct [[gnu::packed]] AcpiHeader {
    char signature[4];
    uint32_t length; // of the whole table, header included
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
};
static_assert(sizeof(AcpiHeader) == 36);

// ACPI 6.5 §5.2.12: the Multiple APIC Description Table ("APIC"): header, local APIC address,
// flags, then variable-length entries of {type, length, ...}.
struct [[gnu::packed]] AcpiMadt {
    AcpiHeader header;
    uint32_t local_apic_address;
    uint32_t flags; // bit 0 PCAT_COMPAT: there are 8259 PICs too
};
static_assert(sizeof(AcpiMadt) == 44);

inline constexpr uint8_t kMadtLocalApic = 0;   // §5.2.12.2
inline constexpr uint8_t kMadtIoApic = 1;      // §5.2.12.3
inline constexpr uint8_t kMadtLocalX2Apic = 9; // §5.2.12.12
// Local APIC flags: the CPU is usable now, or may be brought online later.
inline constexpr uint32_t kMadtCpuEnabled = 1, kMadtCpuOnlineCapable = 2;

struct [[gnu::packed]] MadtLocalApic {
    uint8_t type, length; // 0, 8
    uint8_t processor_uid;
    uint8_t apic_id;
    uint32_t flags;
};
static_assert(sizeof(MadtLocalApic) == 8);

struct [[gnu::packed]] MadtIoApic {
    uint8_t type, length; // 1, 12
    uint8_t io_apic_id;
    uint8_t reserved;
    uint32_t address;
    uint32_t gsi_base;
};
static_assert(sizeof(MadtIoApic) == 12);

struct [[gnu::packed]] MadtLocalX2Apic {
    uint8_t type, length; // 9, 16
    uint16_t reserved;
    uint32_t x2apic_id;
    uint32_t flags;
    uint32_t processor_uid;
};
static_assert(sizeof(MadtLocalX2Apic) == 16);

} // namespace wisp::abi
