// SPDX-License-Identifier: MIT
#pragma once

// What the arch layer calls in the core when the CPU enters the kernel.
#include "arch/x86_64/trap_frame.h"

namespace wisp {

// A system call from user mode: number in rax, arguments in rdi rsi rdx r10 r8 r9; the result
// goes to rax. Implemented by linux/.
void handle_syscall(TrapFrame& frame);

// A page fault on a user address (from user mode, or from the kernel inside a user copy).
enum class FaultResolution {
    Resolved,    // the access can be retried
    Invalid,     // no mapping allows it: SIGSEGV (or EFAULT in a user copy)
    OutOfMemory, // allowed, but no frame was left to back it
    BusError,    // a file mapping's page past the end of its file: SIGBUS (EFAULT in a copy)
};
FaultResolution handle_user_page_fault(uint64_t address, bool write, bool exec, bool present);

enum class FaultKind { PageFault, InvalidOpcode, DivideError, GeneralProtection, Breakpoint,
                       FloatingPoint, AlignmentCheck, OutOfMemory, BusError, Other };
// An exception in user mode that was not resolved: deliver a signal (or terminate).
void handle_user_exception(TrapFrame& frame, FaultKind kind, uint64_t address);

// The timer interrupt fired (frame: the interrupted context, user or kernel). Implemented by
// linux/: expired interval timers raise their signals, delivered here when returning to user.
void handle_timer_interrupt(TrapFrame& frame);

// A device interrupt on line `line` (the IOAPIC input, GSI): the drivers quiet their device
// and wake whoever waits for it. Runs before the EOI: no thread switch in here.
void handle_device_interrupt(unsigned line);
// After the EOI of a device interrupt: on the way back to user mode, signals it raised (Ctrl-C
// from the host) are delivered. Implemented by linux/.
void after_device_interrupt(TrapFrame& frame);

// Another CPU asked this one to look again (kick_cpu): a thread was queued, or a signal is
// waiting for the thread that runs here. Implemented by linux/ (like the timer's way back).
void handle_kick(TrapFrame& frame);

// A CPU other than the boot CPU has started (platform::start_cpu) and holds the big kernel
// lock: it becomes a scheduler CPU. Implemented by sched/. Never returns.
[[noreturn]] void secondary_cpu_main();

} // namespace wisp
