// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

#include <wisp/abi/platform.h>

namespace wisp::cli {

// The status `wisp run` returns for the value the kernel wrote to debug-exit (or sent as the
// `exit=` control record): the app's status in bits 0..7, or kStatusKernelPanic after a panic
// (the kernel has already printed why).
constexpr int exit_status_from_value(uint32_t value) {
    if (value & abi::kExitPanic) return abi::kStatusKernelPanic;
    return static_cast<int>(value & 0xff);
}

} // namespace wisp::cli
