// SPDX-License-Identifier: MIT
#pragma once

// POSIX per-process timers (timer_create and friends).
namespace wisp::linux {

// The overrun of timer `id` for the signal being delivered now (si_overrun; what
// timer_getoverrun reports afterwards). 0 for a timer that no longer exists.
int take_timer_overrun(int id);

} // namespace wisp::linux
