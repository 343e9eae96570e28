// SPDX-License-Identifier: MIT
#pragma once

// The PVH boot protocol from the monitor's side (xen/include/public/arch-x86/hvm/start_info.h,
// docs/misc/pvh.pandoc): hvm_start_info in low memory and the 32-bit entry CPU state.
//
// Low guest-physical memory the monitor writes (the kernel never allocates below 1 MiB):
//   0x7000  HvmStartInfo (56 bytes)
//   0x7040  HvmModlistEntry[1]     the image
//   0x7080  HvmMemmapEntry[2]      E820 RAM: [0, 0x9fc00) and [1 MiB, RAM size)
//   0x8000  command line, NUL-terminated, up to 0x9f000
#include <linux/kvm.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "kvm/guest_memory.h"

namespace wisp::vmm {

inline constexpr uint64_t kStartInfoGpa = 0x7000;
inline constexpr uint64_t kModlistGpa = 0x7040;
inline constexpr uint64_t kMemmapGpa = 0x7080;
inline constexpr uint64_t kCmdlineGpa = 0x8000;
inline constexpr uint64_t kCmdlineEnd = 0x9f000;
inline constexpr uint64_t kCmdlineMax = kCmdlineEnd - kCmdlineGpa - 1; // without the NUL
// The classic PC layout: conventional memory ends at 639 KiB, high memory starts at 1 MiB.
inline constexpr uint64_t kLowRamEnd = 0x9fc00;
inline constexpr uint64_t kHighRamStart = 0x10'0000;

struct PvhModule {
    uint64_t paddr = 0;
    uint64_t size = 0;
};

// Writes the start info, memory map, module list and command line into ram (which must be at
// least 1 MiB) and returns the start info's guest-physical address (for %ebx). Throws
// UserError when the command line is too long or contains a NUL byte. `rsdp` is the ACPI RSDP's
// guest-physical address (0: none).
uint64_t write_start_info(const GuestMemory& ram, std::string_view cmdline,
                          std::optional<PvhModule> module, uint64_t rsdp = 0);

// The CPU state PVH entry requires: 32-bit protected mode, paging off, flat 4 GiB code (0x8)
// and data (0x10) segments, a busy TSS, EFLAGS 0x2, %ebx = start info, %eip = entry.
// Starts from the vCPU's reset state in sregs (KVM_GET_SREGS) and overwrites what PVH fixes.
void set_pvh_entry_state(kvm_regs& regs, kvm_sregs& sregs, uint32_t entry, uint64_t start_info_gpa);

} // namespace wisp::vmm
