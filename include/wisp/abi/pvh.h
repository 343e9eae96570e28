// SPDX-License-Identifier: MIT
#pragma once

// The PVH boot ABI (xen/include/public/arch-x86/hvm/start_info.h, version 1), spoken by QEMU,
// Firecracker, Cloud Hypervisor and the wisp monitor. Entry is in 32-bit protected mode, paging
// off, with %ebx = guest-physical address of HvmStartInfo.
#include <stdint.h>

namespace wisp::abi {

// ELF note announcing the 32-bit physical entry point.
inline constexpr uint32_t kXenElfNotePhys32Entry = 18;
inline constexpr uint32_t kHvmStartMagic = 0x336ec578;

struct HvmStartInfo {
    uint32_t magic;          // kHvmStartMagic
    uint32_t version;        // 1: memmap fields valid
    uint32_t flags;
    uint32_t nr_modules;     // number of HvmModlistEntry at modlist_paddr
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;  // NUL-terminated
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;   // HvmMemmapEntry array (version >= 1)
    uint32_t memmap_entries;
    uint32_t reserved;
};
static_assert(sizeof(HvmStartInfo) == 56);

struct HvmModlistEntry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};
static_assert(sizeof(HvmModlistEntry) == 32);

struct HvmMemmapEntry {
    uint64_t addr;
    uint64_t size;
    uint32_t type; // E820 types below
    uint32_t reserved;
};
static_assert(sizeof(HvmMemmapEntry) == 24);

inline constexpr uint32_t kE820Ram = 1;
inline constexpr uint32_t kE820Reserved = 2;

} // namespace wisp::abi
