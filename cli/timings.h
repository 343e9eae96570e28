// SPDX-License-Identifier: MIT
#pragma once

// `wisp run --timings`: where the time to run an app went, printed to stderr.
#include <cstdint>
#include <string>
#include <vector>

#include "control.h"

namespace wisp::cli {

// One point on a timeline, in milliseconds from its origin.
struct TimingRow {
    std::string label;
    double at_ms;
};

// Guest boot milestones in ms since `t.entry` (since the first milestone when the kernel sent
// no `t.entry`). Empty when tsc_khz is 0 (frequency unknown).
std::vector<TimingRow> guest_milestone_rows(const std::vector<Milestone>& milestones,
                                            uint64_t tsc_khz);

// The host's TSC frequency, measured against CLOCK_MONOTONIC over a few milliseconds. Under
// KVM the guest's TSC ticks at the host's rate, so this converts QEMU guests' milestones (the
// wisp monitor asks KVM instead: VmResult::tsc_khz).
uint64_t measure_host_tsc_khz();

// The table: host steps with their duration (from the previous row) and the time since
// `wisp` started, the total, then the guest milestones. Each number in ms with 2 decimals.
std::string format_timings(const std::vector<TimingRow>& host, double total_ms,
                           const std::vector<TimingRow>& guest);

} // namespace wisp::cli
