// SPDX-License-Identifier: MIT
// Application processors: found in the ACPI MADT, started with INIT and STARTUP IPIs through a
// real-mode trampoline (trampoline.S) copied to a free page below 1 MiB, then handed to the
// scheduler (secondary_cpu_main). Also the big kernel lock, the "kick" IPI and the TLB
// shootdown.
#include "arch/x86_64/smp.h"

#include <string.h>

#include <atomic>

#include <wisp/abi/platform.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "lib/log.h"
#include "platform/platform.h"
#include "platform/traps.h"

extern "C" char ap_trampoline[], ap_trampoline_end[], ap_params[], ap_gdt[];
extern "C" uint64_t boot_pml4[], pdpt_low[];
extern "C" [[noreturn]] void ap_start(wisp::x86::PerCpu* cpu);

// 1 while some CPU runs kernel code. The boot CPU holds it from the first instruction.
extern "C" {
uint32_t big_kernel_lock = 1;
uint32_t big_lock_in_use = 0;
}

namespace wisp::x86 {
namespace {

// Low pages for the trampoline's code and its page table (PML4: identity map of the first GiB
// for the instruction that turns paging on, and the kernel half). Both loaders the kernel knows
// leave them alone: the wisp monitor puts the start info at 0x7000, Firecracker at 0x6000,
// QEMU's firmware in the BIOS area. FIXME: not checked against what the loader handed over.
constexpr uint64_t kTrampolinePage = 0x3000;
constexpr uint64_t kTrampolinePml4 = 0x4000;

// ap_params in trampoline.S.
struct [[gnu::packed]] TrampolineParams {
    uint16_t gdtr_limit;
    uint32_t gdtr_base;
    uint16_t pad;
    uint64_t unused;
    uint64_t cr3;
    uint64_t stack_top;
    uint64_t entry;
    uint64_t cpu;
};
static_assert(sizeof(TrampolineParams) == 48);

uint32_t g_apic_ids[kMaxCpus];
unsigned g_present = 1;
std::atomic<unsigned> g_online{1};
} // namespace
std::atomic<uint32_t> g_started{0};
namespace {
// CPUs halted in the idle loop (bit = index): they flush when they take the lock again, so a
// shootdown only marks them.
std::atomic<uint64_t> g_idle_mask{0};

void pause() { asm volatile("pause"); }

void flush_tlb() {
    uint64_t cr3;
    asm volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

} // namespace
extern "C" void serve_flush_request() {
    PerCpu& self = this_cpu();
    if (__atomic_load_n(&self.flush_request, __ATOMIC_ACQUIRE) == 0) return;
    flush_tlb();
    __atomic_store_n(&self.flush_request, 0, __ATOMIC_RELEASE);
}
namespace {

uint64_t spin_deadline(uint64_t ms) { return platform::monotonic_ns() + ms * 1'000'000; }

// ICR low word (Intel SDM Vol. 3A §11.6.1): delivery mode INIT (101b) and STARTUP (110b), level
// assert. (send_ipi waits for the delivery status in xAPIC mode; x2APIC mode has none.)
constexpr uint32_t kIcrInit = 0x4500, kIcrStartup = 0x4600, kIcrFixed = 0x4000;

} // namespace

// A CPU that waits for the lock spins briefly, then halts until the holder lets go: the
// kernel runs emulated on the development machines (DESIGN.md §8), a kernel path holds the lock
// for hundreds of microseconds, and a spinning vCPU would take a host core from the holder.
// Waiters set their bit in big_lock_waiters (a locked OR: a full barrier) and look at the lock
// once more before halting; the releaser exchanges the lock (also a full barrier) and then
// looks at the waiters — so either the waiter sees the lock free or the releaser sees the
// waiter and sends it the flush vector, whose only other effect is to end the halt.
extern "C" {
uint64_t big_lock_waiters = 0;
}

extern "C" void big_lock_contended() {
    for (unsigned spins = 0; __atomic_exchange_n(&big_kernel_lock, 1, __ATOMIC_ACQUIRE) != 0;) {
        pause();
        serve_flush_request();
        if (++spins < 16) continue;
        spins = 0;
        uint64_t bit = 1ull << cpu_index();
        __atomic_fetch_or(&big_lock_waiters, bit, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&big_kernel_lock, __ATOMIC_SEQ_CST) != 0) {
            // An interrupt that wakes this halt is handled here, nested: it takes the lock
            // itself (trap_dispatch) and gives it back before returning.
            asm volatile("sti; hlt; cli" ::: "memory");
        }
        __atomic_fetch_and(&big_lock_waiters, ~bit, __ATOMIC_SEQ_CST);
    }
}

// Wakes one CPU waiting for the lock (called after the lock was released).
extern "C" void big_lock_wake_waiter() {
    uint64_t waiters = __atomic_load_n(&big_lock_waiters, __ATOMIC_SEQ_CST);
    if (waiters == 0) return;
    send_ipi(cpu(static_cast<unsigned>(__builtin_ctzll(waiters))).apic_id, kIcrFixed | kFlushVector);
}

extern "C" void big_lock_release() {
    if (__atomic_load_n(&big_lock_in_use, __ATOMIC_RELAXED) == 0) return;
    __atomic_exchange_n(&big_kernel_lock, 0, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&big_lock_waiters, __ATOMIC_SEQ_CST) != 0) big_lock_wake_waiter();
}

extern "C" void flush_interrupt() {
    serve_flush_request();
    end_of_interrupt();
}

void shoot_down_user_tlb() {
    unsigned online = g_online.load(std::memory_order_relaxed);
    if (online == 1) return;
    unsigned self = cpu_index();
    uint64_t idle = g_idle_mask.load(std::memory_order_relaxed);
    uint64_t waiting = 0;
    for (unsigned i = 0; i < online; i++) {
        if (i == self) continue;
        __atomic_store_n(&cpu(i).flush_request, 1, __ATOMIC_RELEASE);
        if (idle & (1ull << i)) continue; // flushes before it next takes the lock
        send_ipi(cpu(i).apic_id, kIcrFixed | kFlushVector);
        waiting |= 1ull << i;
    }
    for (unsigned i = 0; i < online; i++)
        if (waiting & (1ull << i))
            while (__atomic_load_n(&cpu(i).flush_request, __ATOMIC_ACQUIRE) != 0) pause();
}

} // namespace wisp::x86

namespace wisp::platform {

unsigned cpu_count() { return x86::g_online.load(std::memory_order_relaxed); }

void kick_cpu(unsigned index) {
    x86::send_ipi(x86::cpu(index).apic_id, x86::kIcrFixed | x86::kKickVector);
}

// The TLB shootdown interrupts exactly those CPUs and waits for each.
void synchronize_cpus() { x86::shoot_down_user_tlb(); }

void set_cpu_idle(bool idle) {
    uint64_t bit = 1ull << x86::cpu_index();
    if (idle) x86::g_idle_mask.fetch_or(bit, std::memory_order_relaxed);
    else x86::g_idle_mask.fetch_and(~bit, std::memory_order_relaxed);
}

unsigned discover_cpus(uint64_t rsdp_hint) {
    x86::PerCpu& boot = x86::this_cpu();
    if (!x86::local_apic_available()) return 1; // no local APIC: no IPIs to start others
    boot.apic_id = x86::local_apic_id();
    x86::acpi::PhysReader reader{[](void*, uint64_t paddr, uint64_t length) -> const uint8_t* {
                                     // The boot direct map covers the first 8 GiB.
                                     if (paddr >= abi::kBootDirectMapSize ||
                                         length > abi::kBootDirectMapSize - paddr)
                                         return nullptr;
                                     return static_cast<const uint8_t*>(phys_to_virt(paddr));
                                 },
                                 nullptr};
    uint64_t rsdp = x86::acpi::find_rsdp(reader, rsdp_hint);
    if (rsdp == 0) return 1;
    uint32_t ids[x86::kMaxCpus];
    auto found = x86::acpi::read_cpus(reader, rsdp, ids);
    if (found.is_error()) {
        log("wisp: the ACPI tables are not valid (errno %d): running on one CPU\n",
            static_cast<int>(found.error().code));
        return 1;
    }
    // Index 0 is this CPU; the others in table order.
    unsigned count = 1;
    x86::g_apic_ids[0] = boot.apic_id;
    for (size_t i = 0; i < found.value(); i++)
        if (ids[i] != boot.apic_id && count < x86::kMaxCpus) x86::g_apic_ids[count++] = ids[i];
    x86::g_present = count;
    return count;
}

bool start_cpu(unsigned index, void* stack, size_t size) {
    using namespace x86;
    if (index == 0 || index >= g_present || index != g_online.load()) return false;
    PerCpu& target = cpu(index);
    target.self = &target;
    target.index = index;
    target.apic_id = g_apic_ids[index];
    // The stack block: the double-fault stack in its first 4 KiB, the kernel stack above.
    auto base = reinterpret_cast<uint64_t>(stack);
    uint64_t top = (base + size) & ~uint64_t{15};
    target.kernel_rsp = top;
    target.tss.rsp[0] = top;

    static bool s_trampoline_ready = false;
    if (!s_trampoline_ready) {
        size_t length = static_cast<size_t>(ap_trampoline_end - ap_trampoline);
        memcpy(phys_to_virt(kTrampolinePage), ap_trampoline, length);
        auto* pml4 = static_cast<uint64_t*>(phys_to_virt(kTrampolinePml4));
        const auto* kernel_pml4 = static_cast<const uint64_t*>(
            phys_to_virt(reinterpret_cast<uint64_t>(boot_pml4)));
        memset(pml4, 0, 4096);
        pml4[0] = reinterpret_cast<uint64_t>(pdpt_low) | 3; // present, writable
        pml4[256] = kernel_pml4[256];
        pml4[511] = kernel_pml4[511];
        s_trampoline_ready = true;
    }
    auto* params = static_cast<TrampolineParams*>(
        phys_to_virt(kTrampolinePage + static_cast<uint64_t>(ap_params - ap_trampoline)));
    params->gdtr_limit = 4 * 8 - 1;
    params->gdtr_base = static_cast<uint32_t>(kTrampolinePage + (ap_gdt - ap_trampoline));
    params->cr3 = kTrampolinePml4;
    params->stack_top = top - 8; // as if called: rsp + 8 is 16-byte aligned at a function entry
    params->entry = reinterpret_cast<uint64_t>(&ap_start);
    params->cpu = reinterpret_cast<uint64_t>(&target);
    target.tss.ist[0] = base + 4096; // before ap_start reads it: the STARTUP IPI is a barrier
    g_started.store(0, std::memory_order_release);
    // From now on kernel entries take the lock; this CPU holds it already (smp.h).
    __atomic_store_n(&big_lock_in_use, 1, __ATOMIC_SEQ_CST);

    // Intel SDM Vol. 3A §9.4.4.1: INIT, then STARTUP (vector = the page number), and a second
    // STARTUP if the first did not start it. The SDM's delays are for physical CPUs; hypervisors
    // (KVM, QEMU) start the vCPU at once, so this waits for the AP's own signal instead.
    send_ipi(target.apic_id, kIcrInit);
    for (int attempt = 0; attempt < 2; attempt++) {
        send_ipi(target.apic_id, kIcrStartup | static_cast<uint32_t>(kTrampolinePage >> 12));
        uint64_t deadline = spin_deadline(attempt == 0 ? 200 : 1000);
        while (g_started.load(std::memory_order_acquire) == 0)
            if (monotonic_ns() > deadline) break;
        if (g_started.load(std::memory_order_acquire) != 0) {
            g_online.fetch_add(1, std::memory_order_release);
            return true;
        }
    }
    log("wisp: CPU %u (APIC ID %u) did not start\n", index, target.apic_id);
    return false;
}

} // namespace wisp::platform

// An AP's first C++ code, on its own stack, in long mode with the trampoline's page tables.
extern "C" void ap_start(wisp::x86::PerCpu* cpu) {
    using namespace wisp::x86;
    cpu_init_secondary(*cpu, cpu->tss.ist[0]);
    init_local_apic();
    g_started.store(1, std::memory_order_release);
    big_lock_acquire();
    wisp::secondary_cpu_main();
}
