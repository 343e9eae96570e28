// SPDX-License-Identifier: MIT
// Descriptor tables, per-CPU state, system-call MSRs, control-register features, and the C side
// of the trap entry (trap_dispatch).
#include "arch/x86_64/cpu.h"

#include <wisp/abi/platform.h>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/steal_time.h"
#include "arch/x86_64/trap_frame.h"
#include "lib/log.h"
#include "platform/traps.h"

extern "C" char isr_stubs[], irq_device_stubs[], irq_timer_stub[], irq_spurious_stub[], irq_kick_stub[], irq_flush_stub[], syscall_entry[], usercopy_start[], usercopy_end[], usercopy_fault[];
extern "C" uint64_t boot_gdt[];
extern "C" uint64_t boot_pml4[];
extern "C" uint64_t boot_tsc;

namespace wisp::x86 {
namespace {

struct [[gnu::packed]] IdtEntry {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(IdtEntry) == 16);

struct [[gnu::packed]] DescriptorPointer {
    uint16_t limit;
    uint64_t base;
};

alignas(16) IdtEntry g_idt[256];
alignas(16) uint8_t g_kernel_stack[32 * 1024];
alignas(16) uint8_t g_double_fault_stack[8 * 1024];
PerCpu g_cpus[kMaxCpus]; // [0] is the boot CPU
uint64_t g_cr4;          // the boot CPU's features, for the others

constexpr uint16_t kKernelCs = 0x08;
constexpr uint16_t kTssSelector = 0x28;

template<typename T>
T* boot_symbol(T* physical_symbol) {
    // .boot symbols are linked at their physical addresses; reach them through the direct map.
    return reinterpret_cast<T*>(abi::kDirectMapBase + reinterpret_cast<uintptr_t>(physical_symbol));
}

// A GDT's TSS descriptor (two slots, Intel SDM Vol. 3A §7.2.3) for `tss`; then load both.
void load_gdt_and_tss(uint64_t* gdt, Tss& tss) {
    auto base = reinterpret_cast<uint64_t>(&tss);
    uint64_t limit = sizeof(Tss) - 1;
    gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[6] = base >> 32;
    tss.iomap_base = sizeof(Tss);
    DescriptorPointer gdtr{7 * 8 - 1, reinterpret_cast<uint64_t>(gdt)};
    asm volatile("lgdt %0" : : "m"(gdtr));
    asm volatile("ltr %w0" : : "r"(kTssSelector));
}

void load_idt() {
    DescriptorPointer idtr{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
    asm volatile("lidt %0" : : "m"(idtr));
}

void set_syscall_msrs() {
    // SYSCALL: kernel CS/SS from STAR[47:32]; SYSRET bases at STAR[63:48] (user SS = +8,
    // user CS = +16). IF, TF, DF, AC and NT are cleared on entry.
    wrmsr(kMsrStar, (0x10ull << 48) | (static_cast<uint64_t>(kKernelCs) << 32));
    wrmsr(kMsrLstar, reinterpret_cast<uint64_t>(syscall_entry));
    wrmsr(kMsrSfmask, 0x47700);
}

void load_descriptor_tables() {
    Tss& tss = g_cpus[0].tss;
    tss.rsp[0] = reinterpret_cast<uint64_t>(g_kernel_stack + sizeof(g_kernel_stack));
    tss.ist[0] = reinterpret_cast<uint64_t>(g_double_fault_stack + sizeof(g_double_fault_stack));
    load_gdt_and_tss(boot_symbol(boot_gdt), tss);

    // A gate is two quadwords (Intel SDM Vol. 3A §6.14.1): offset[15:0], selector, IST, type
    // and offset[31:16] in the first, offset[63:32] in the second. Built as such: every
    // instruction here runs emulated (DESIGN.md §8).
    auto gate_low = [](uint64_t handler, uint64_t ist, uint64_t type) {
        return (handler & 0xffff) | (uint64_t(kKernelCs) << 16) | (ist << 32) | (type << 40) |
               (((handler >> 16) & 0xffff) << 48);
    };
    auto store_gate = [](int vector, uint64_t low, uint64_t high) {
        const uint64_t words[2] = {low, high};
        __builtin_memcpy(&g_idt[vector], words, sizeof words);
    };
    auto set_gate = [&](int vector, uint64_t handler) {
        // present, DPL 0 interrupt gate; #BP (3) callable from user; #DF (8) on its own stack
        store_gate(vector, gate_low(handler, vector == 8 ? 1 : 0, vector == 3 ? 0xee : 0x8e),
                   handler >> 32);
    };
    // The 32 exception stubs are 16 bytes apart. When they do not straddle a 64 KiB boundary
    // their gates differ only in offset[15:0]: step the first gate's low quadword by 16.
    const auto stubs = reinterpret_cast<uint64_t>(isr_stubs);
    if ((stubs & 0xffff) + 16 * 31 <= 0xffff) {
        uint64_t low = gate_low(stubs, 0, 0x8e);
        for (int vector = 0; vector < 32; vector++, low += 16)
            store_gate(vector, low, stubs >> 32);
        set_gate(3, stubs + 16 * 3);
        set_gate(8, stubs + 16 * 8);
    } else {
        for (int vector = 0; vector < 32; vector++)
            set_gate(vector, stubs + 16 * vector);
    }
    set_gate(x86::kTimerVector, reinterpret_cast<uint64_t>(irq_timer_stub));
    set_gate(x86::kSpuriousVector, reinterpret_cast<uint64_t>(irq_spurious_stub));
    set_gate(x86::kKickVector, reinterpret_cast<uint64_t>(irq_kick_stub));
    set_gate(x86::kFlushVector, reinterpret_cast<uint64_t>(irq_flush_stub));
    for (int line = 0; line < x86::kDeviceLines; line++)
        set_gate(x86::kDeviceVectorBase + line,
                 reinterpret_cast<uint64_t>(irq_device_stubs) + 16 * line);
    load_idt();
}

uint64_t read_cr4() {
    uint64_t v;
    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

} // namespace

uint64_t g_cpu_features_leaf7_ebx;

void cpu_init() {
    load_descriptor_tables();

    PerCpu& boot_cpu = g_cpus[0];
    boot_cpu.self = &boot_cpu;
    boot_cpu.kernel_rsp = boot_cpu.tss.rsp[0];
    wrmsr(kMsrGsBase, reinterpret_cast<uint64_t>(&boot_cpu));
    wrmsr(kMsrKernelGsBase, 0);
    set_syscall_msrs();

    // Only features the (possibly filtered) CPUID shows.
    CpuidResult leaf7 = cpuid(0).eax >= 7 ? cpuid(7) : CpuidResult{};
    g_cpu_features_leaf7_ebx = leaf7.ebx;
    uint64_t cr4 = read_cr4();
    if (leaf7.ebx & (1u << 7)) cr4 |= 1ull << 20; // SMEP
    if (leaf7.ecx & (1u << 2)) cr4 |= 1ull << 11; // UMIP
    if (leaf7.ebx & (1u << 0)) cr4 |= 1ull << 16; // FSGSBASE (Linux enables it for apps)
    asm volatile("mov %0, %%cr4" : : "r"(cr4));
    g_cr4 = cr4;

    // The identity map of the first GiB was only needed to turn on paging: drop it, so that
    // page 0 and the whole lower half belong to the application.
    uint64_t* pml4 = boot_symbol(boot_pml4);
    pml4[0] = 0;
    asm volatile("mov %0, %%cr3" : : "r"(reinterpret_cast<uint64_t>(boot_pml4)) : "memory");

    load_initial_fpu_state();
    enable_steal_time();
}

uint32_t kvm_features() {
    static bool s_known = false;
    static uint32_t s_features = 0;
    if (!s_known) {
        CpuidResult hv = cpuid(0x40000000);
        bool kvm = hv.ebx == 0x4b4d564b && hv.ecx == 0x564b4d56 && hv.edx == 0x4d; // "KVMKVMKVM"
        s_features = kvm && hv.eax >= 0x40000001 ? cpuid(0x40000001).eax : 0;
        s_known = true;
    }
    return s_features;
}

namespace {
// x87/SSE state for user mode: FCW 0x37f, MXCSR 0x1f80 (the values Linux gives a new process
// and a signal handler). fxrstor of a prepared area: the emulator lacks fninit/ldmxcsr.
struct alignas(16) FpuInitArea {
    uint8_t bytes[512];
    constexpr FpuInitArea() : bytes{} {
        bytes[0] = 0x7f;
        bytes[1] = 0x03;
        bytes[24] = 0x80;
        bytes[25] = 0x1f;
    }
};
constexpr FpuInitArea kFpuInit;
} // namespace

void load_initial_fpu_state() { asm volatile("fxrstor %0" : : "m"(kFpuInit.bytes)); }

void cpu_init_secondary(PerCpu& cpu, uint64_t ist_top) {
    // The trampoline's page tables map low memory too; the kernel's own have only the kernel
    // half and the application's user half.
    asm volatile("mov %0, %%cr3" : : "r"(reinterpret_cast<uint64_t>(boot_pml4)) : "memory");
    const uint64_t* boot = boot_symbol(boot_gdt);
    for (int i = 0; i < 5; i++) cpu.gdt[i] = boot[i];
    cpu.tss.ist[0] = ist_top;
    load_gdt_and_tss(cpu.gdt, cpu.tss);
    load_idt();
    wrmsr(kMsrGsBase, reinterpret_cast<uint64_t>(&cpu));
    wrmsr(kMsrKernelGsBase, 0);
    set_syscall_msrs();
    asm volatile("mov %0, %%cr4" : : "r"(g_cr4));
    load_initial_fpu_state();
    enable_steal_time();
}

PerCpu& cpu(unsigned index) { return g_cpus[index]; }

void set_kernel_stack(uint64_t top) {
    PerCpu& self = this_cpu();
    self.tss.rsp[0] = top;
    self.kernel_rsp = top;
}

uint64_t boot_entry_tsc() { return *boot_symbol(&boot_tsc); }

} // namespace wisp::x86

namespace wisp {
namespace {

const char* exception_name(uint64_t vector) {
    static const char* const names[] = {
        "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
        "invalid opcode", "device not available", "double fault", "coprocessor overrun",
        "invalid TSS", "segment not present", "stack fault", "general protection",
        "page fault", "reserved", "x87 floating point", "alignment check", "machine check",
        "SIMD floating point", "virtualization", "control protection"};
    return vector < sizeof(names) / sizeof(names[0]) ? names[vector] : "exception";
}

[[noreturn]] void kernel_fault(TrapFrame& f, uint64_t cr2) {
    log("wisp: kernel panic: %s (vector %lu, error 0x%lx) at rip 0x%lx, cr2 0x%lx\n",
        exception_name(f.vector), f.vector, f.error_code, f.rip, cr2);
    log("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f.rax, f.rbx, f.rcx, f.rdx);
    log("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", f.rsi, f.rdi, f.rbp, f.rsp);
    log("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", f.r8, f.r9, f.r10, f.r11);
    log("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", f.r12, f.r13, f.r14, f.r15);
    log("  #0 0x%lx\n", f.rip);
    platform::print_backtrace(f.rbp);
    control("exit=%u\n", abi::kExitPanic);
    platform::exit_vm(abi::kExitPanic);
}

FaultKind fault_kind(uint64_t vector) {
    switch (vector) {
    case 0: return FaultKind::DivideError;
    case 3: return FaultKind::Breakpoint;
    case 6: return FaultKind::InvalidOpcode;
    case 13: return FaultKind::GeneralProtection;
    case 14: return FaultKind::PageFault;
    case 16:
    case 19: return FaultKind::FloatingPoint;
    case 17: return FaultKind::AlignmentCheck;
    default: return FaultKind::Other;
    }
}

} // namespace

namespace {

void interrupt_dispatch(TrapFrame& f) {
    if (f.vector == x86::kTimerVector) {
        x86::timer_interrupt();
        handle_timer_interrupt(f);
        return;
    }
    if (f.vector == x86::kKickVector) {
        // Another CPU queued a thread or sent a signal: the way back to user mode looks.
        x86::end_of_interrupt();
        handle_kick(f);
        return;
    }
    if (f.vector >= x86::kDeviceVectorBase &&
        f.vector < x86::kDeviceVectorBase + x86::kDeviceLines) {
        // The handler quiets the device first; the EOI after it lets a level-triggered line
        // that is still high interrupt again. Then the way back (which may switch threads).
        handle_device_interrupt(static_cast<unsigned>(f.vector - x86::kDeviceVectorBase));
        x86::end_of_interrupt();
        after_device_interrupt(f);
    }
}

} // namespace

extern "C" void trap_dispatch(TrapFrame* frame) {
    TrapFrame& f = *frame;
    if (f.vector == x86::kSpuriousVector) return; // spurious: no EOI
    if (f.vector >= 32) {
        // An interrupt: from user mode, or from the kernel halted in wait_for_interrupt (the
        // only place the kernel runs with interrupts on), which let go of the big lock first.
        // From user mode the lock is released on the way out (trap_return).
        x86::big_lock_acquire();
        interrupt_dispatch(f);
        if (!f.from_user()) x86::big_lock_release();
        return;
    }
    // An exception from user mode enters the kernel; one from the kernel (a fault inside a user
    // copy) happens with the lock held already.
    if (f.from_user()) x86::big_lock_acquire();
    uint64_t cr2 = 0;
    if (f.vector == 14 && f.from_user() && f.rip == reinterpret_cast<uint64_t>(syscall_entry)) {
        // SYSCALL that jumped to LSTAR without leaving CPL3: the CPL0 emulator of the nested
        // hypervisor here does this (DESIGN.md §8), so the entry faults on the kernel page.
        // rcx and r11 already hold the return address and flags, as SYSCALL defines: finish
        // the system call from this frame instead. One trap per syscall either way.
        f.rip = f.rcx;
        f.rflags = f.r11;
        handle_syscall(f);
        return;
    }
    if (f.vector == 14) {
        asm volatile("mov %%cr2, %0" : "=r"(cr2));
        bool write = f.error_code & 2, exec = f.error_code & 16, present = f.error_code & 1;
        bool user_address = cr2 < 0x0000'8000'0000'0000;
        if (user_address && !(f.error_code & 8 /* reserved bit */)) {
            bool in_usercopy = f.rip >= reinterpret_cast<uint64_t>(usercopy_start) &&
                               f.rip < reinterpret_cast<uint64_t>(usercopy_end);
            if (f.from_user() || in_usercopy) {
                FaultResolution r = handle_user_page_fault(cr2, write, exec, present);
                if (r == FaultResolution::Resolved) return;
                if (r == FaultResolution::OutOfMemory && f.from_user()) {
                    handle_user_exception(f, FaultKind::OutOfMemory, cr2);
                    return;
                }
                if (r == FaultResolution::BusError && f.from_user()) {
                    handle_user_exception(f, FaultKind::BusError, cr2);
                    return;
                }
                if (in_usercopy) {
                    f.rip = reinterpret_cast<uint64_t>(usercopy_fault);
                    return;
                }
            }
        }
    }
    if (f.from_user()) {
        handle_user_exception(f, fault_kind(f.vector), f.vector == 14 ? cr2 : f.rip);
        return;
    }
    kernel_fault(f, cr2);
}

} // namespace wisp
