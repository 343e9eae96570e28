// SPDX-License-Identifier: MIT
#pragma once

// Blocking on a wait queue with a deadline, for the event files (eventfd, timerfd, epoll).
#include <stdint.h>

#include "fs/wait_queue.h"
#include "lib/result.h"

namespace wisp::linux {

// Blocks the calling thread until `queue` wakes it (true), the monotonic `deadline` passes
// (false; 0 = none) or a signal can be delivered (RESTARTSYS: EINTR, or the call runs again
// after an SA_RESTART handler — what read and write on slow files do; others convert it). A wait that nothing could ever end —
// no deadline, no other thread, no kernel timer pending — is reported as a deadlock (`what`);
// a null `what` says the host may end it (console input), so there is no such check.
Result<bool> wait_for(fs::WaitQueue& queue, uint64_t deadline, const char* what);

// now + ns, saturating (0 stays "now", never "no deadline").
uint64_t deadline_after(uint64_t ns);

} // namespace wisp::linux
