// SPDX-License-Identifier: MIT
#pragma once

// Boot milestones: the cycle counter at each point, kept in memory (a store each) and sent to
// the host as one control record at exit, only when the host asked (`wisp run --timings`).
#include <stdint.h>

namespace wisp::timeline {

enum class Milestone : uint8_t { Entry, Main, Memory, Image, Exec, App, Exit, Count };

void mark(Milestone m, uint64_t cycles);
void mark(Milestone m);
void enable();
// Writes `t.<name>=<cycles>` records to the control channel if enabled.
void emit();

} // namespace wisp::timeline
