// SPDX-License-Identifier: MIT
#pragma once

// The platform layer: every privileged CPU or device operation the portable core needs.
// The core (mm/, fs/, linux/, sched/, lib/) calls only these; arch/x86_64/ implements them.
#include <stddef.h>
#include <stdint.h>

namespace wisp::platform {

// Output channels to the host (abi/platform.h): the app's stdout, its stderr plus kernel
// messages, and the control channel of `key=value` records.
enum class Channel { Stdout, Stderr, Control };
void write(Channel channel, const char* data, size_t length);

// Stops the VM with an exit value (abi::kExitPanic | status). Never returns.
[[noreturn]] void exit_vm(uint32_t value);

// Monotonic cycle counter (TSC) for timings.
uint64_t cycles();

// A hardware random 64-bit value (RDRAND/RDSEED); false when the CPU has none.
bool hardware_random(uint64_t& out);

// Prints a backtrace of kernel return addresses, starting at frame pointer `frame`, on the
// stderr channel as lines `  #N 0x...` (the host CLI symbolizes them from the kernel ELF).
void print_backtrace(uintptr_t frame);

} // namespace wisp::platform
