// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

namespace wisp {

// The registers saved on kernel entry (exception, interrupt or syscall), lowest address first.
// entry.S builds it; the hardware part (rip..ss) is what iretq consumes on the way out.
struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;     // exception vector, or kVectorSyscall
    uint64_t error_code; // pushed by the CPU for some exceptions, else 0
    uint64_t rip, cs, rflags, rsp, ss;

    bool from_user() const { return (cs & 3) == 3; }
};
static_assert(sizeof(TrapFrame) == 22 * 8);

inline constexpr uint64_t kVectorSyscall = 0x100;

} // namespace wisp
