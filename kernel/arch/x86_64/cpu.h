// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

namespace wisp::x86 {

// Per-CPU block at the kernel GS base. entry.S uses the first three fields by offset.
struct PerCpu {
    PerCpu* self;        // 0
    uint64_t kernel_rsp; // 8: stack for SYSCALL entry
    uint64_t user_rsp;   // 16: scratch for the user rsp during SYSCALL entry
    uint64_t user_fs;    // the user thread's FS base
};

void cpu_init();
// The x87/SSE state a new process and a signal handler start with.
void load_initial_fpu_state();
PerCpu& this_cpu();
// The TSC at the PVH entry point (the first instruction of the kernel).
uint64_t boot_entry_tsc();

} // namespace wisp::x86
