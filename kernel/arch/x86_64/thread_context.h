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
    alignas(16) uint8_t fpu[512];
};

} // namespace wisp::platform
