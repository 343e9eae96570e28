// SPDX-License-Identifier: MIT
#include "timings.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <x86intrin.h>

namespace wisp::cli {

std::vector<TimingRow> guest_milestone_rows(const std::vector<Milestone>& milestones,
                                            uint64_t tsc_khz) {
    std::vector<TimingRow> rows;
    if (tsc_khz == 0 || milestones.empty()) return rows;
    uint64_t origin = milestones.front().tsc;
    for (const Milestone& m : milestones)
        if (m.name == "entry") origin = m.tsc;
    for (const Milestone& m : milestones) {
        // Signed: a milestone taken before t.entry (if any) shows as negative, not as 2^64.
        double ticks = static_cast<double>(static_cast<int64_t>(m.tsc - origin));
        rows.push_back({m.name, ticks / static_cast<double>(tsc_khz)});
    }
    return rows;
}

uint64_t measure_host_tsc_khz() {
    using Clock = std::chrono::steady_clock;
    auto start = Clock::now();
    uint64_t tsc_start = __rdtsc();
    while (Clock::now() - start < std::chrono::milliseconds(5)) {
    }
    uint64_t tsc_end = __rdtsc();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    return ns > 0 ? (tsc_end - tsc_start) * 1'000'000 / static_cast<uint64_t>(ns) : 0;
}

namespace {

std::string line(const std::string& label, const char* step, const char* at) {
    char buffer[160];
    snprintf(buffer, sizeof(buffer), "  %-24s %10s %10s\n", label.c_str(), step, at);
    return buffer;
}

std::string ms(double value) {
    char buffer[32];
    snprintf(buffer, sizeof(buffer), "%.2f", value);
    return buffer;
}

} // namespace

std::string format_timings(const std::vector<TimingRow>& host, double total_ms,
                           const std::vector<TimingRow>& guest) {
    std::string out = "wisp timings (ms)\n" + line("host", "step", "at");
    double previous = 0;
    for (const TimingRow& row : host) {
        out += line(row.label, ms(row.at_ms - previous).c_str(), ms(row.at_ms).c_str());
        previous = row.at_ms;
    }
    out += line("total", "", ms(total_ms).c_str());
    if (!guest.empty()) {
        out += line("guest (since t.entry)", "step", "at");
        previous = guest.front().at_ms;
        for (const TimingRow& row : guest) {
            out += line(row.label, ms(row.at_ms - previous).c_str(), ms(row.at_ms).c_str());
            previous = row.at_ms;
        }
    }
    return out;
}

} // namespace wisp::cli
