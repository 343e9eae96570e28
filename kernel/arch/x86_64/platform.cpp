// SPDX-License-Identifier: MIT
#include "platform/platform.h"

#include <wisp/abi/platform.h>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/io.h"
#include "lib/log.h"

namespace wisp::platform {

void write(Channel channel, const char* data, size_t length) {
    uint16_t port = channel == Channel::Stdout   ? abi::kPortCom1
                    : channel == Channel::Stderr ? abi::kPortCom2
                                                 : abi::kPortCom3;
    x86::outsb(port, data, length);
}

bool enable_device_interrupt(unsigned gsi, bool level_triggered) {
    return x86::route_device_interrupt(gsi, level_triggered);
}

void enable_control_input() {
    x86::outb(abi::kPortCom3 + 1, 0x01); // IER: received-data interrupt
}

int read_control_byte() {
    if (!(x86::inb(abi::kPortCom3 + 5) & 0x01)) return -1; // LSR.DR: nothing received
    return x86::inb(abi::kPortCom3);
}

void exit_vm(uint32_t value) {
    x86::outw(abi::kPortDebugExit, static_cast<uint16_t>(value));
    // A hypervisor without isa-debug-exit: stop here forever with interrupts off.
    for (;;) asm volatile("cli; hlt");
}

uint64_t cycles() { return x86::rdtsc(); }

uint64_t hwcap() { return x86::cpuid(1).edx; }

bool hardware_random(uint64_t& out) {
    static int have = -1;
    if (have < 0) have = (x86::cpuid(1).ecx >> 30) & 1;
    if (!have) return false;
    for (int tries = 0; tries < 10; tries++) {
        unsigned char ok;
        asm volatile("rdrand %0; setc %1" : "=r"(out), "=qm"(ok));
        if (ok) return true;
    }
    return false;
}

extern "C" char __kernel_text_start[], __kernel_text_end[];

void print_backtrace(uintptr_t frame) {
    // Frame-pointer walk (-fno-omit-frame-pointer): [rbp] = caller's rbp, [rbp+8] = return.
    for (int depth = 0; depth < 32 && frame != 0 && (frame & 7) == 0; depth++) {
        if (frame < abi::kDirectMapBase) break; // only kernel stacks
        auto* f = reinterpret_cast<uintptr_t*>(frame);
        uintptr_t ret = f[1];
        if (ret < reinterpret_cast<uintptr_t>(__kernel_text_start) ||
            ret >= reinterpret_cast<uintptr_t>(__kernel_text_end))
            break;
        log("  #%d 0x%lx\n", depth, ret);
        frame = f[0];
    }
}

} // namespace wisp::platform

// ---- user mode ----
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/steal_time.h"
#include "arch/x86_64/trap_frame.h"

extern "C" int copy_user(void* dest, const void* src, size_t n);
extern "C" long copy_user_string(char* dest, const char* src, size_t capacity);
extern "C" [[noreturn]] void enter_user_frame(wisp::TrapFrame* frame);
extern "C" void switch_stacks(uint64_t* save_rsp, uint64_t new_rsp);
extern "C" char thread_first_entry[];

namespace wisp::platform {

void init_cpu() { x86::cpu_init(); }
uint64_t boot_entry_cycles() { return x86::boot_entry_tsc(); }

void set_user_tls(uint64_t fs_base) {
    x86::this_cpu().current->fs_base = fs_base;
    x86::wrmsr(x86::kMsrFsBase, fs_base);
}

uint64_t user_tls() { return x86::this_cpu().current->fs_base; }

void adopt_boot_thread(ThreadContext& context) {
    context.kernel_stack_top = x86::this_cpu().kernel_rsp;
    x86::this_cpu().current = &context;
}

void init_thread(ThreadContext& context, uint64_t stack_base, uint64_t size,
                 const TrapFrame& user) {
    uint64_t top = (stack_base + size) & ~uint64_t{15};
    auto* frame = reinterpret_cast<TrapFrame*>(top - sizeof(TrapFrame));
    *frame = user;
    // What switch_stacks pops: six callee-saved registers, then the return address.
    auto* words = reinterpret_cast<uint64_t*>(frame) - 7;
    for (int i = 0; i < 6; i++) words[i] = 0;
    words[6] = reinterpret_cast<uint64_t>(thread_first_entry);
    context.saved_rsp = reinterpret_cast<uint64_t>(words);
    context.kernel_stack_top = top;
    // A new thread starts with the FPU state of its creator, as clone() does on Linux.
    asm volatile("fxsave %0" : "=m"(context.fpu));
}

void init_kernel_thread(ThreadContext& context, uint64_t stack_base, uint64_t size,
                        [[noreturn]] void (*entry)()) {
    uint64_t top = (stack_base + size) & ~uint64_t{15};
    // switch_stacks pops six registers and returns into `entry` with rsp = top - 8, as a call
    // would leave it (16-byte aligned before the return address).
    auto* words = reinterpret_cast<uint64_t*>(top - 64);
    for (int i = 0; i < 6; i++) words[i] = 0;
    words[6] = reinterpret_cast<uint64_t>(entry);
    words[7] = 0;
    context.saved_rsp = reinterpret_cast<uint64_t>(words);
    context.kernel_stack_top = top;
    context.fs_base = 0;
    asm volatile("fxsave %0" : "=m"(context.fpu));
}

void switch_thread(ThreadContext& from, ThreadContext& to) {
    asm volatile("fxsave %0" : "=m"(from.fpu));
    x86::set_kernel_stack(to.kernel_stack_top);
    x86::this_cpu().current = &to;
    x86::wrmsr(x86::kMsrFsBase, to.fs_base);
    asm volatile("fxrstor %0" : : "m"(to.fpu));
    switch_stacks(&from.saved_rsp, to.saved_rsp);
}

// The user half of the address space. A copy must stay inside it: the fixup only catches page
// faults, and a range that reaches the kernel half would be copied (the kernel's pages are
// present) or, past the canonical hole, take a #GP. Callers check too; this is the last line
// (a signal frame below a wild stack pointer wraps around to the top of the address space).
namespace {
constexpr uint64_t kUserHalfEnd = 0x0000'8000'0000'0000;

bool in_user_half(uint64_t address, size_t length) {
    return address < kUserHalfEnd && length <= kUserHalfEnd - address;
}
} // namespace

bool copy_from_user(void* dest, uint64_t user_src, size_t length) {
    if (!in_user_half(user_src, length)) return false;
    return copy_user(dest, reinterpret_cast<const void*>(user_src), length) == 0;
}

bool copy_to_user(uint64_t user_dest, const void* src, size_t length) {
    if (!in_user_half(user_dest, length)) return false;
    return copy_user(reinterpret_cast<void*>(user_dest), src, length) == 0;
}

long copy_string_from_user(char* dest, uint64_t user_src, size_t capacity) {
    return copy_user_string(dest, reinterpret_cast<const char*>(user_src), capacity);
}

void enter_user(uint64_t entry, uint64_t rsp) {
    x86::settle_steal_base();
    // A zeroed frame on the kernel stack: every general register starts at 0, as on Linux.
    auto* frame = reinterpret_cast<TrapFrame*>(x86::this_cpu().kernel_rsp - sizeof(TrapFrame));
    *frame = TrapFrame{};
    frame->rip = entry;
    frame->cs = 0x23;
    frame->rflags = 0x202;
    frame->rsp = rsp;
    frame->ss = 0x1b;
    enter_user_frame(frame);
}

} // namespace wisp::platform
