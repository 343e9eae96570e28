// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

#include "lib/result.h"

namespace wisp::linux {

// Maps the vDSO (kernel/vdso/) into the address space as Linux does at exec: [vvar] (the
// kernel's clock page, read-only) and right above it [vdso] (the embedded linux-vdso.so.1,
// read-execute), at a free place in the mmap area. Returns the address of the vDSO's ELF header
// (AT_SYSINFO_EHDR).
Result<uint64_t> map_vdso();

} // namespace wisp::linux
