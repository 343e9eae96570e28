// SPDX-License-Identifier: MIT
// The kernel's MADT reader against the tables the wisp monitor writes, a hand-built ACPI 1.0
// (RSDT) set, the BIOS-area scan, and corrupt tables.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include <wisp/abi/acpi.h>

#include "arch/x86_64/acpi.h"
#include "boot/acpi.h"
#include "kvm/guest_memory.h"
#include "vmm.h"

namespace {

using namespace wisp;
namespace abi = wisp::abi;
using wisp::x86::acpi::PhysReader;

struct Memory {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(2 << 20);
    vmm::GuestMemory guest() { return vmm::GuestMemory(bytes.data(), bytes.size()); }
    PhysReader reader() {
        return {[](void* ctx, uint64_t paddr, uint64_t length) -> const uint8_t* {
                    auto& self = *static_cast<Memory*>(ctx);
                    if (paddr > self.bytes.size() || length > self.bytes.size() - paddr)
                        return nullptr;
                    return self.bytes.data() + paddr;
                },
                this};
    }
};

std::vector<uint32_t> cpus_of(Memory& m, uint64_t rsdp, Errno* error = nullptr) {
    uint32_t ids[300];
    auto r = x86::acpi::read_cpus(m.reader(), rsdp, ids);
    if (r.is_error()) {
        if (error) *error = r.error().code;
        return {};
    }
    return {ids, ids + r.value()};
}

TEST(Acpi, MonitorTablesListEveryCpu) {
    for (unsigned n : {1u, 2u, 4u, 255u}) {
        Memory m;
        uint64_t rsdp = vmm::write_acpi_tables(m.guest(), n);
        EXPECT_EQ(x86::acpi::find_rsdp(m.reader(), rsdp), rsdp);
        std::vector<uint32_t> ids = cpus_of(m, rsdp);
        ASSERT_EQ(ids.size(), n);
        for (unsigned i = 0; i < n; i++) EXPECT_EQ(ids[i], i);
    }
}

TEST(Acpi, ScanFindsTheRsdpWithoutAHint) {
    Memory m;
    uint64_t rsdp = vmm::write_acpi_tables(m.guest(), 2);
    EXPECT_EQ(x86::acpi::find_rsdp(m.reader(), 0), rsdp);
    // In the EBDA (its segment at 0x40e): found there first.
    std::memcpy(&m.bytes[0x9'fc00], &m.bytes[rsdp], sizeof(wisp::abi::AcpiRsdp));
    m.bytes[0x40e] = 0xc0, m.bytes[0x40f] = 0x9f;
    EXPECT_EQ(x86::acpi::find_rsdp(m.reader(), 0), 0x9'fc00u);
    // Nothing anywhere.
    Memory empty;
    EXPECT_EQ(x86::acpi::find_rsdp(empty.reader(), 0), 0u);
    EXPECT_EQ(x86::acpi::find_rsdp(empty.reader(), 0xe'0000), 0u);
}

TEST(Acpi, CorruptTablesAreRefused) {
    Memory m;
    uint64_t rsdp = vmm::write_acpi_tables(m.guest(), 4);
    wisp::abi::AcpiRsdp r;
    std::memcpy(&r, &m.bytes[rsdp], sizeof r);
    uint64_t madt = 0;
    std::memcpy(&madt, &m.bytes[r.xsdt_address + sizeof(wisp::abi::AcpiHeader)], 8);
    Errno error{};
    auto corrupt = [&](uint64_t at, uint8_t value) {
        Memory copy = m;
        copy.bytes[at] = value;
        error = Errno{};
        return cpus_of(copy, rsdp, &error);
    };
    EXPECT_TRUE(corrupt(rsdp + 9, 'X').empty()); // RSDP checksum
    EXPECT_EQ(error, Errno::INVAL);
    EXPECT_TRUE(corrupt(r.xsdt_address + 10, 0x55).empty()); // XSDT checksum
    EXPECT_EQ(error, Errno::INVAL);
    EXPECT_TRUE(corrupt(madt + 50, 0x77).empty()); // MADT checksum
    EXPECT_EQ(error, Errno::INVAL);
    // An entry length that runs past the table, with the checksum fixed up.
    {
        Memory copy = m;
        copy.bytes[madt + sizeof(wisp::abi::AcpiMadt) + 1] = 200;
        copy.bytes[madt + 9] = static_cast<uint8_t>(copy.bytes[madt + 9] - (200 - 8));
        Errno e{};
        EXPECT_TRUE(cpus_of(copy, rsdp, &e).empty());
        EXPECT_EQ(e, Errno::INVAL);
    }
    // A zero entry length would loop forever.
    {
        Memory copy = m;
        copy.bytes[madt + sizeof(wisp::abi::AcpiMadt) + 1] = 0;
        copy.bytes[madt + 9] = static_cast<uint8_t>(copy.bytes[madt + 9] + 8);
        Errno e{};
        EXPECT_TRUE(cpus_of(copy, rsdp, &e).empty());
        EXPECT_EQ(e, Errno::INVAL);
    }
    // A table address outside memory, and a root without a MADT.
    EXPECT_TRUE(cpus_of(m, 0xffff'ffff'0000, &error).empty());
    EXPECT_EQ(error, Errno::NOENT);
    {
        Memory copy = m;
        copy.bytes[madt] = 'X'; // not "APIC" any more
        Errno e{};
        EXPECT_TRUE(cpus_of(copy, rsdp, &e).empty());
        EXPECT_EQ(e, Errno::NOENT);
    }
}

TEST(Acpi, Acpi1RsdtAndDisabledAndX2apicEntries) {
    Memory m;
    auto sum = [](const uint8_t* p, size_t n) {
        uint8_t s = 0;
        for (size_t i = 0; i < n; i++) s = static_cast<uint8_t>(s + p[i]);
        return static_cast<uint8_t>(-s);
    };
    // MADT at 0x1000: an enabled local APIC (id 0), a disabled one (id 1), an enabled x2APIC
    // (id 300), an IOAPIC.
    std::vector<uint8_t> madt(sizeof(wisp::abi::AcpiMadt));
    wisp::abi::MadtLocalApic a{0, 8, 0, 0, 1}, b{0, 8, 1, 1, 0};
    wisp::abi::MadtLocalX2Apic x{9, 16, 0, 300, 1, 2};
    wisp::abi::MadtIoApic io{1, 12, 0, 0, 0xfec00000, 0};
    for (auto [p, n] : {std::pair<const void*, size_t>{&a, 8}, {&b, 8}, {&x, 16}, {&io, 12}})
        madt.insert(madt.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    wisp::abi::AcpiMadt head{};
    std::memcpy(head.header.signature, "APIC", 4);
    head.header.length = static_cast<uint32_t>(madt.size());
    std::memcpy(madt.data(), &head, sizeof head);
    madt[9] = sum(madt.data(), madt.size());
    std::memcpy(&m.bytes[0x1000], madt.data(), madt.size());
    // RSDT at 0x2000 with one 32-bit entry.
    struct [[gnu::packed]] {
        wisp::abi::AcpiHeader h;
        uint32_t entry;
    } rsdt{};
    std::memcpy(rsdt.h.signature, "RSDT", 4);
    rsdt.h.length = sizeof rsdt;
    rsdt.entry = 0x1000;
    rsdt.h.checksum = sum(reinterpret_cast<uint8_t*>(&rsdt), sizeof rsdt);
    std::memcpy(&m.bytes[0x2000], &rsdt, sizeof rsdt);
    wisp::abi::AcpiRsdp rsdp{};
    std::memcpy(rsdp.signature, "RSD PTR ", 8);
    rsdp.revision = 0;
    rsdp.rsdt_address = 0x2000;
    rsdp.checksum = sum(reinterpret_cast<uint8_t*>(&rsdp), 20);
    std::memcpy(&m.bytes[0xf'0010], &rsdp, sizeof rsdp);
    EXPECT_EQ(x86::acpi::find_rsdp(m.reader(), 0), 0xf'0010u);
    EXPECT_EQ(cpus_of(m, 0xf'0010), (std::vector<uint32_t>{0, 300}));
}

} // namespace
