// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

namespace wisp::platform {

// What the CPU must keep per thread, beyond its kernel stack: the saved kernel stack pointer
// while switched out, the user FS base, and the user FPU/SSE state (fxsave image — the
// emulator has no xsave, DESIGN.md §8). The kernel itself never touches the FPU, so the user
// state stays live in the registers until the next switch.
struct ThreadContext {
    uint64_t saved_rsp = 0;        // kernel rsp while switched out
    uint64_t kernel_stack_top = 0; // entries from user mode build their TrapFrame below this
    uint64_t fs_base = 0;
    void* owner = nullptr;         // the core's thread object (sched::Thread)
    alignas(16) uint8_t fpu[512];
};

// The context of the thread running on this CPU (the per-CPU block at the kernel GS base keeps
// it at offset 32: arch/x86_64/cpu.h). Not volatile on purpose: for the code that asks, the
// running thread never changes — a switch away returns in the same thread, maybe on another
// CPU, whose block then points at the same context.
inline ThreadContext* running_context() {
    ThreadContext* context;
    asm("movq %%gs:32, %0" : "=r"(context));
    return context;
}

// This CPU's index (offset 40 of the per-CPU block). Volatile: a thread that switched away may
// continue on another CPU, so it must be read again after every call that can switch.
inline unsigned cpu_index() {
    unsigned index;
    asm volatile("movl %%gs:40, %0" : "=r"(index));
    return index;
}

// A pointer the core keeps per CPU (its scheduler state), offset 56: one load instead of an
// index and a multiplication. Volatile for the same reason.
inline void* cpu_local() {
    void* local;
    asm volatile("movq %%gs:56, %0" : "=r"(local));
    return local;
}
inline void set_cpu_local(void* local) { asm volatile("movq %0, %%gs:56" : : "r"(local) : "memory"); }

} // namespace wisp::platform
