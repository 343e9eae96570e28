// SPDX-License-Identifier: MIT
#pragma once

// Loads the kernel ELF into guest RAM the way PVH loaders do (QEMU -kernel, Firecracker):
// PT_LOAD segments at their physical addresses (p_paddr), entry from the PVH ELF note.
#include <cstdint>
#include <string>

#include "kvm/guest_memory.h"

namespace wisp::vmm {

struct LoadedKernel {
    uint32_t pvh_entry = 0;  // 32-bit physical entry (XEN_ELFNOTE_PHYS32_ENTRY)
    uint64_t phys_start = 0; // lowest and one past the highest loaded physical address
    uint64_t phys_end = 0;
};

// Lowest physical address a kernel segment may occupy: below it the monitor puts the PVH
// start info, memory map and command line.
inline constexpr uint64_t kKernelMinPhys = 0x10'0000;

// Copies the PT_LOAD file bytes into ram at p_paddr. The rest of each segment (.bss) is left
// alone: guest RAM arrives zeroed from the host, and not touching it keeps it unallocated.
// Throws UserError with a one-line message for a missing, non-ELF, non-x86-64, truncated or
// non-PVH kernel, or one that does not fit in RAM.
LoadedKernel load_kernel(const std::string& path, const GuestMemory& ram);

} // namespace wisp::vmm
