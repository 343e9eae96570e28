// SPDX-License-Identifier: MIT
#include "time/run_clock.h"

#include "platform/platform.h"

namespace wisp::time {

constinit RunClock g_run_clocks[platform::kMaxCpus];

uint64_t advance_run_clock(unsigned cpu, uint64_t now_ns) {
    return g_run_clocks[cpu].advance(now_ns, platform::stolen_ns(cpu));
}

} // namespace wisp::time
