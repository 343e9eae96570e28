// SPDX-License-Identifier: MIT
#pragma once

// The platform layer: every privileged CPU or device operation the portable core needs.
// The core (mm/, fs/, linux/, sched/, lib/) calls only these; arch/x86_64/ implements them.
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/thread_context.h"
#include "arch/x86_64/trap_frame.h"
#include "lib/result.h"

namespace wisp::platform {

// ---- boot ----
// Descriptor tables, traps, system-call entry, CPU features. First thing at boot.
void init_cpu();
// The cycle counter at the kernel's first instruction.
uint64_t boot_entry_cycles();
// AT_HWCAP for the application: on x86, CPUID.1:EDX as the guest sees it.
uint64_t hwcap();

// ---- CPUs ----
// The kernel runs on one CPU at a time: every entry from user mode takes the big kernel lock
// and the way back releases it (and so does wait_for_interrupt around the halt). The core sees
// several CPUs only through these and keeps its per-CPU state by cpu_index().
inline constexpr unsigned kMaxCpus = 32;
// Finds the other CPUs (the ACPI MADT; rsdp_hint is PVH's rsdp_paddr, 0 = search the BIOS
// area). Returns how many CPUs there are, this one included (1 when there are no tables).
unsigned discover_cpus(uint64_t rsdp_hint);
// Starts CPU `index` (1, 2, ... in order, below discover_cpus()) on the kernel stack block
// [stack, stack + size) (at least 8 KiB); it then takes the big lock and runs
// secondary_cpu_main() (traps.h). False when it did not come up.
bool start_cpu(unsigned index, void* stack, size_t size);
unsigned cpu_count(); // CPUs running, 1 until others are started
// cpu_index(): this CPU, 0 .. cpu_count() - 1 (inline, arch/x86_64/thread_context.h).
// Interrupts CPU `index` so that it enters the kernel (handle_kick, traps.h).
void kick_cpu(unsigned index);
// Returns once every other CPU that may be running user code has taken an interrupt (a full
// memory barrier that also serializes its instruction stream): membarrier(2).
void synchronize_cpus();
// This CPU is about to halt with nothing to run (or is running again): page-table changes
// then need no interrupt to it (it flushes its TLB when it next takes the big lock).
void set_cpu_idle(bool idle);

// ---- output and exit ----
// Output channels to the host (abi/platform.h): the app's stdout, its stderr plus kernel
// messages, and the control channel of `key=value` records.
enum class Channel { Stdout, Stderr, Control };
void write(Channel channel, const char* data, size_t length);

// Stops the VM with an exit value (abi::kExitPanic | status). Never returns.
[[noreturn]] void exit_vm(uint32_t value);

// Prints a backtrace of kernel return addresses, starting at frame pointer `frame`, on the
// stderr channel as lines `  #N 0x...` (the host CLI symbolizes them from the kernel ELF).
void print_backtrace(uintptr_t frame);

// ---- devices ----
// Routes device interrupt line `gsi` (an IOAPIC input) to the CPU: handle_device_interrupt
// (traps.h) runs when it fires. False when there is no interrupt controller to route it.
bool enable_device_interrupt(unsigned gsi, bool level_triggered);
// The host's records to the kernel (COM3 receive, line abi::kGsiControl): enable the device's
// interrupt (route the line first); read the next byte, -1 when none is waiting.
void enable_control_input();
int read_control_byte();

// ---- time and randomness ----
uint64_t cycles(); // the TSC
// A number of cycles (a difference of cycles() values) in nanoseconds.
uint64_t cycles_to_ns(uint64_t cycles);
// Nanoseconds since boot (kvmclock where the hypervisor offers it, else the TSC).
uint64_t monotonic_ns();
// Nanoseconds since the Unix epoch at monotonic_ns() == 0 (kvmclock wall clock or CMOS RTC).
uint64_t boot_epoch_ns();
// Steal time of CPU `index`: nanoseconds during which it wanted to run and the host ran
// something else (KVM steal time), counted from about boot (arch/x86_64/steal_time.h: the first
// report is the base). Nondecreasing; current for this CPU, as of its last entry into the guest
// for another. 0 when the hypervisor does not tell. Callers hold the big kernel lock.
uint64_t stolen_ns(unsigned index);
// The physical address of the page of clock parameters user mode may read (vdso/vvar.h), which
// the vDSO finds right below itself.
uint64_t user_clock_page();
// Tells user mode (the same page) how many CPUs run: the vDSO's getcpu needs no system call
// while there is one.
void set_user_cpu_count(uint32_t cpus);
// The TSC rate the host measured (kHz; the `clock.tsc_khz` boot option), for a CPU that tells
// neither through kvmclock nor CPUID leaf 0x15 (QEMU TCG: its TSC is the host's). Only before
// the clock is first read.
void set_tsc_khz_hint(uint64_t khz);
// Arms the one timer interrupt for monotonic time `deadline_ns` (0 disarms). False when the CPU
// has no deadline timer (then callers poll the clock).
bool set_wakeup(uint64_t deadline_ns);
// Halts until an interrupt arrives (interrupts are enabled only while halted). Lets go of the
// big kernel lock while halted: other CPUs may run kernel code meanwhile.
void wait_for_interrupt();
// A hardware random 64-bit value (RDRAND); false when the CPU has none.
bool hardware_random(uint64_t& out);

// ---- physical memory ----
// Guest-physical memory is reachable at a fixed offset (the direct map).
void* phys_to_virt(uint64_t paddr);
uint64_t virt_to_phys(const void* vaddr); // only for direct-map and kernel-image addresses

// ---- user address space (one, shared by all threads) ----
enum Prot : uint32_t { ProtRead = 1, ProtWrite = 2, ProtExec = 4 };
// Page tables need frames; mm/ provides them (fresh frames arrive zeroed).
struct PageTableFrames {
    uint64_t (*allocate_zeroed)(); // returns a physical address, 0 when out of memory
};
void set_page_table_frames(const PageTableFrames& frames);

// Maps one 4 KiB user page. Replaces any existing mapping (and flushes it from the TLB).
Result<void> map_user_page(uint64_t vaddr, uint64_t paddr, uint32_t prot);
// Maps `count` user pages at vaddr to physically contiguous pages at paddr, walking the page
// tables once per table rather than once per page. Existing mappings are replaced.
Result<void> map_user_range(uint64_t vaddr, uint64_t paddr, uint64_t count, uint32_t prot);
// Maps every absent page of [vaddr, vaddr + count * 4096) — a run that must lie within one page
// table (one 2 MiB-aligned block) — to the frame frame_for(ctx, i) gives for its index i; present
// pages are left alone. Stops early when frame_for returns 0. Returns the pages mapped. One
// page-table walk for the whole run: the fault-around path.
size_t map_user_run(uint64_t vaddr, size_t count, uint32_t prot,
                    uint64_t (*frame_for)(void* ctx, size_t index), void* ctx);
// Removes a user page mapping; returns the physical address it mapped, or 0.
uint64_t unmap_user_page(uint64_t vaddr);
// Changes the protection of a mapped user page; false when the page is not mapped.
bool protect_user_page(uint64_t vaddr, uint32_t prot);
// Range versions that skip unpopulated page tables (so a large, mostly untouched range costs
// only what is mapped). unmap calls on_page for each physical page it removes.
void unmap_user_range(uint64_t start, uint64_t end, void (*on_page)(uint64_t paddr, void* ctx),
                      void* ctx);
void protect_user_range(uint64_t start, uint64_t end, uint32_t prot);
// Moves the present pages of [start, end) to the same offsets from `to` (mremap), keeping their
// frames and protections; the target range must hold no pages. NOMEM when a page table cannot
// be allocated (the pages moved so far stay moved).
Result<void> move_user_range(uint64_t start, uint64_t end, uint64_t to);
// The physical address a user page maps, or 0 when not mapped.
uint64_t user_page_phys(uint64_t vaddr, uint32_t* prot = nullptr);

// ---- user mode ----
// Sets the running user thread's FS base (TLS pointer, arch_prctl(ARCH_SET_FS)).
void set_user_tls(uint64_t fs_base);
uint64_t user_tls();
// Copies to/from user memory; false if any byte is not accessible (the caller returns EFAULT).
// The caller has checked the range lies in the user half; faults on unpopulated pages are
// resolved by the page-fault handler first.
bool copy_from_user(void* dest, uint64_t user_src, size_t length);
bool copy_to_user(uint64_t user_dest, const void* src, size_t length);
// Copies a NUL-terminated user string into dest (capacity including the NUL); returns its
// length, -1 on a fault, -2 when it does not fit.
long copy_string_from_user(char* dest, uint64_t user_src, size_t capacity);

// ---- signal frames: the architecture's half of the Linux signal ABI ----
struct SignalFrameSetup {
    int signal;
    uint64_t handler, restorer; // sa_handler, sa_restorer
    uint64_t stack_top;         // the interrupted rsp, or the top of the alternate stack
    bool on_altstack;           // stack_top is an alternate stack: no red zone to skip
    const void* siginfo;        // 128 bytes of siginfo_t, copied into the frame
    uint64_t saved_mask;        // blocked set that sigreturn restores
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
    uint64_t trapno, error_code, fault_address; // sigcontext fields for faults
};
// Saves the interrupted context (registers, FPU state) in a frame on the user stack and points
// the trap frame at the handler. EFAULT when the stack is not writable.
Result<void> push_signal_frame(TrapFrame& frame, const SignalFrameSetup& setup);
struct SignalFrameRestore {
    uint64_t mask;
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
};
// rt_sigreturn: restores the context saved by push_signal_frame (the frame sits just below the
// current user rsp). EFAULT when it cannot be read.
Result<SignalFrameRestore> pop_signal_frame(TrapFrame& frame);

// ---- threads ----
// The first thread runs on the boot kernel stack; make `context` describe it.
void adopt_boot_thread(ThreadContext& context);
// Prepares a new thread whose kernel stack is [stack_base, stack_base + size): when first
// switched to, it returns to user mode with `user` (a copy is placed at the top of its stack).
void init_thread(ThreadContext& context, uint64_t stack_base, uint64_t size, const TrapFrame& user);
// Prepares a kernel-only thread (a CPU's idle thread) that starts at `entry`, which never
// returns, on the stack [stack_base, stack_base + size).
void init_kernel_thread(ThreadContext& context, uint64_t stack_base, uint64_t size,
                        [[noreturn]] void (*entry)());
// Switches from the running thread (`from`) to `to`: kernel stack, FS base, FPU state. Returns
// when some thread switches back to `from`.
void switch_thread(ThreadContext& from, ThreadContext& to);

// Enters user mode for the first time at `entry` with stack `rsp`. Never returns.
[[noreturn]] void enter_user(uint64_t entry, uint64_t rsp);

} // namespace wisp::platform
