// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

namespace wisp::linux {

// Wakes up to `count` threads waiting on the futex at `address` (thread exit's
// CLONE_CHILD_CLEARTID, robust lists). Returns how many were woken.
long futex_wake(uint64_t address, int count);

} // namespace wisp::linux
