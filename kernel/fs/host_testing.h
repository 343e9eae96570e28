// SPDX-License-Identifier: MIT
#pragma once

// Hooks of the host build's fs/system.h implementation, for unit tests.
#include <stdint.h>

namespace wisp::fs::host_testing {
void set_page_limit(uint64_t pages); // ~0 = unlimited
uint64_t pages_outstanding();
} // namespace wisp::fs::host_testing
