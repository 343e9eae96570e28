// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

#include "arch/x86_64/thread_context.h"

namespace wisp::x86 {

// Per-CPU block at the kernel GS base. entry.S uses the first three fields by offset.
struct PerCpu {
    PerCpu* self;        // 0
    uint64_t kernel_rsp; // 8: stack for SYSCALL entry
    uint64_t user_rsp;   // 16: scratch for the user rsp during SYSCALL entry
    uint64_t user_fs;    // unused (the FS base lives in the running thread's context)
    platform::ThreadContext* current; // the running thread's context
};

// The kernel stack user-mode entries use (TSS.rsp0 and the SYSCALL stack).
void set_kernel_stack(uint64_t top);

void cpu_init();
// The x87/SSE state a new process and a signal handler start with.
void load_initial_fpu_state();
PerCpu& this_cpu();
// The TSC at the PVH entry point (the first instruction of the kernel).
uint64_t boot_entry_tsc();

} // namespace wisp::x86
