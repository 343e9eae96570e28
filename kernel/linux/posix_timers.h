// SPDX-License-Identifier: MIT
#pragma once

// POSIX per-process timers (timer_create and friends).
#include <stdint.h>

namespace wisp::linux {

// The signal timer `id` queued (arming number `sequence`) leaves the queue. Returns its overrun
// (si_overrun; what timer_getoverrun reports afterwards), or -1 when the timer was deleted or
// set again since: then the signal is dropped, as Linux (6.13 and later) does.
int take_timer_signal(int id, uint64_t sequence);

} // namespace wisp::linux
