// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

#include "arch/x86_64/thread_context.h"

namespace wisp::x86 {

inline constexpr unsigned kMaxCpus = 32;

struct [[gnu::packed]] Tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
static_assert(sizeof(Tss) == 104);

// Per-CPU block at the kernel GS base. entry.S uses the first three fields by offset, and
// cpu_index() the index.
struct PerCpu {
    PerCpu* self;        // 0
    uint64_t kernel_rsp; // 8: stack for SYSCALL entry
    uint64_t user_rsp;   // 16: scratch for the user rsp during SYSCALL entry
    uint64_t user_fs;    // unused (the FS base lives in the running thread's context)
    platform::ThreadContext* current; // 32: the running thread's context
    uint32_t index;      // 40: 0 is the boot CPU
    uint32_t apic_id;    // 44
    // Set by a CPU that changed user page tables (smp.cpp, TLB shootdown); this CPU flushes its
    // TLB and clears it. Written by other CPUs: accessed atomically.
    uint32_t flush_request;
    uint32_t reserved;
    void* core_local;    // 56: the core's per-CPU state (platform::cpu_local)
    alignas(16) Tss tss;
    alignas(8) uint64_t gdt[7]; // an AP's own GDT (the boot CPU's is boot_gdt)
};

static_assert(__builtin_offsetof(PerCpu, current) == 32 && __builtin_offsetof(PerCpu, index) == 40 &&
              __builtin_offsetof(PerCpu, flush_request) == 48 &&
              __builtin_offsetof(PerCpu, core_local) == 56);

// Volatile: a thread that switched away may continue on another CPU, so these must be read
// again after every call that can switch.
inline PerCpu& this_cpu() {
    PerCpu* self;
    asm volatile("movq %%gs:0, %0" : "=r"(self));
    return *self;
}
inline unsigned cpu_index() {
    unsigned index;
    asm volatile("movl %%gs:40, %0" : "=r"(index));
    return index;
}
PerCpu& cpu(unsigned index);

// The kernel stack user-mode entries use (TSS.rsp0 and the SYSCALL stack).
void set_kernel_stack(uint64_t top);

// The boot CPU: descriptor tables, MSRs, control registers.
void cpu_init();
// An application processor, on its stack: its own GDT and TSS (double faults on `ist_top`),
// the shared IDT, the same MSRs and control-register features as the boot CPU.
void cpu_init_secondary(PerCpu& cpu, uint64_t ist_top);
// The x87/SSE state a new process and a signal handler start with.
void load_initial_fpu_state();
// KVM's paravirtual features (CPUID 0x40000001 EAX: kvmclock, steal time, ...) when the
// hypervisor is KVM, else 0. Asked once: CPUID is a VM exit.
uint32_t kvm_features();
// The TSC at the PVH entry point (the first instruction of the kernel).
uint64_t boot_entry_tsc();

} // namespace wisp::x86
