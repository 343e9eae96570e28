// SPDX-License-Identifier: MIT
#include "time/run_clock.h"

#include "platform/platform.h"

namespace wisp::time {
namespace {

// Touched only under the big kernel lock (by the scheduler, and by readers of another
// thread's CPU clock).
constinit RunClock g_run_clocks[platform::kMaxCpus];

} // namespace

uint64_t cpu_run_ns(unsigned cpu, uint64_t now_ns) {
    RunClock& clock = g_run_clocks[cpu];
    // A switch reads the clock twice at the same time: the steal area only once.
    if (!clock.behind(now_ns)) return clock.value();
    return clock.advance(now_ns, platform::stolen_ns(cpu));
}

} // namespace wisp::time
