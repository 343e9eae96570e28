// SPDX-License-Identifier: MIT
#include "boot/pvh.h"

#include <string>

#include <wisp/abi/pvh.h>

#include "vmm.h"

namespace wisp::vmm {

static_assert(kStartInfoGpa + sizeof(abi::HvmStartInfo) <= kModlistGpa);
static_assert(kModlistGpa + sizeof(abi::HvmModlistEntry) <= kMemmapGpa);
static_assert(kMemmapGpa + 2 * sizeof(abi::HvmMemmapEntry) <= kCmdlineGpa);

uint64_t write_start_info(const GuestMemory& ram, std::string_view cmdline,
                          std::optional<PvhModule> module, uint64_t rsdp) {
    if (cmdline.size() > kCmdlineMax)
        throw UserError("wisp: the kernel command line is " + std::to_string(cmdline.size()) +
                        " bytes, the limit is " + std::to_string(kCmdlineMax) +
                        ": pass fewer or shorter arguments");
    if (cmdline.find('\0') != std::string_view::npos)
        throw UserError("wisp: the kernel command line contains a NUL byte: remove it from the "
                        "arguments");
    if (!ram.contains(0, kHighRamStart))
        throw UserError("wisp: guest memory must be larger than 1 MiB: raise the memory size (-m)");

    abi::HvmMemmapEntry memmap[2] = {
        {.addr = 0, .size = kLowRamEnd, .type = abi::kE820Ram, .reserved = 0},
        {.addr = kHighRamStart,
         .size = ram.size() - kHighRamStart,
         .type = abi::kE820Ram,
         .reserved = 0},
    };
    uint32_t memmap_entries = ram.size() > kHighRamStart ? 2 : 1;

    abi::HvmStartInfo info{};
    info.magic = abi::kHvmStartMagic;
    info.version = 1;
    info.cmdline_paddr = kCmdlineGpa;
    info.memmap_paddr = kMemmapGpa;
    info.memmap_entries = memmap_entries;
    info.rsdp_paddr = rsdp;
    if (module) {
        abi::HvmModlistEntry entry{
            .paddr = module->paddr, .size = module->size, .cmdline_paddr = 0, .reserved = 0};
        ram.write(kModlistGpa, &entry, sizeof entry);
        info.nr_modules = 1;
        info.modlist_paddr = kModlistGpa;
    }
    ram.write(kMemmapGpa, memmap, memmap_entries * sizeof(abi::HvmMemmapEntry));
    ram.write(kCmdlineGpa, cmdline.data(), cmdline.size());
    // RAM is fresh (zero) in the monitor, but the NUL is written so the layout does not depend
    // on it.
    ram.write(kCmdlineGpa + cmdline.size(), "", 1);
    ram.write(kStartInfoGpa, &info, sizeof info);
    return kStartInfoGpa;
}

namespace {

kvm_segment flat_segment(uint16_t selector, uint8_t type) {
    kvm_segment segment{};
    segment.base = 0;
    segment.limit = 0xffff'ffff;
    segment.selector = selector;
    segment.type = type;
    segment.present = 1;
    segment.dpl = 0;
    segment.db = 1; // 32-bit
    segment.s = 1;  // code/data
    segment.g = 1;  // 4 KiB granularity
    return segment;
}

} // namespace

void set_pvh_entry_state(kvm_regs& regs, kvm_sregs& sregs, uint32_t entry,
                         uint64_t start_info_gpa) {
    // Intel SDM Vol. 3A §3.4.5.1: type 0xb = code, execute/read, accessed;
    // 0x3 = data, read/write, accessed.
    sregs.cs = flat_segment(0x8, 0xb);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat_segment(0x10, 0x3);
    // VM entry requires a usable TR of type "busy TSS" (SDM Vol. 3C §26.3.1.2).
    kvm_segment tr{};
    tr.selector = 0x18;
    tr.limit = 0x67;
    tr.type = 11;
    tr.present = 1;
    sregs.tr = tr;
    sregs.cr0 = 0x11; // PE | ET: protected mode, paging and caches as PVH specifies
    sregs.cr3 = 0;
    sregs.cr4 = 0;
    sregs.efer = 0;

    regs = {};
    regs.rflags = 0x2; // bit 1 is reserved, always 1
    regs.rip = entry;
    regs.rbx = start_info_gpa;
}

} // namespace wisp::vmm
