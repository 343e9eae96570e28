// SPDX-License-Identifier: MIT
#pragma once

// Several CPUs (smp.cpp): the big kernel lock, bringing up the application processors, IPIs
// and the TLB shootdown.
#include <stdint.h>

namespace wisp::x86 {

// The big kernel lock: one CPU at a time runs kernel code. Taken on every entry from user mode
// (system call, exception, interrupt) and by an interrupt that wakes a halted CPU; released on
// the way back to user mode (trap_return) and around `hlt` (platform::wait_for_interrupt).
// While it spins it answers TLB flush requests, so a holder waiting for a flush cannot
// deadlock with a CPU waiting for the lock.
//
// With one CPU the lock is not used at all (big_lock_in_use = 0: one load and a branch per
// entry and exit instead of an exchange). It is switched on, for good, before the first AP
// starts; until then the boot CPU counts as holding it (big_kernel_lock starts at 1), so the
// APs wait until the boot CPU first leaves for user mode.
extern "C" uint32_t big_kernel_lock;
extern "C" uint32_t big_lock_in_use;
extern "C" void big_lock_contended(); // returns holding the lock
extern "C" void serve_flush_request();
inline void big_lock_acquire() {
    if (__atomic_load_n(&big_lock_in_use, __ATOMIC_RELAXED) == 0) return;
    if (__atomic_exchange_n(&big_kernel_lock, 1, __ATOMIC_ACQUIRE) != 0) big_lock_contended();
    uint32_t flush;
    asm volatile("movl %%gs:48, %0" : "=r"(flush)); // PerCpu::flush_request
    if (flush != 0) serve_flush_request();
}
extern "C" void big_lock_release();

// The TLB flush IPI: flush this CPU's TLB if another CPU asked, then EOI. Takes no lock.
extern "C" void flush_interrupt();

// Called after this CPU changed user page-table entries that other CPUs may have cached
// (removed, downgraded, or pointed elsewhere): when it returns, no other CPU holds a stale
// translation. Caller holds the big kernel lock. Free on one CPU.
void shoot_down_user_tlb();

} // namespace wisp::x86
