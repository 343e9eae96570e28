// SPDX-License-Identifier: MIT
#include "linux/blocking.h"

#include "linux/files.h"
#include "linux/signals.h"
#include "platform/platform.h"
#include "sched/thread.h"
#include "sched/timer.h"

namespace wisp::linux {

Result<bool> wait_for(fs::WaitQueue& queue, uint64_t deadline, const char* what) {
    if (has_deliverable_signal()) return Errno::RESTARTSYS;
    if (what && deadline == 0 && sched::live_threads() <= 1 && !sched::timers_pending())
        die_of_deadlock(what);
    if (deadline != 0 && platform::monotonic_ns() >= deadline) return false;
    sched::Thread* self = sched::current();
    fs::Waiter waiter;
    waiter.context = self;
    waiter.wake = [](fs::Waiter& w) { sched::wake(static_cast<sched::Thread*>(w.context)); };
    queue.add(waiter);
    self->linux.interruptible = true;
    bool in_time = sched::block(deadline);
    self->linux.interruptible = false;
    if (waiter.queued) queue.remove(waiter);
    if (waiter.woken) return true;
    if (!in_time) return false;
    if (has_deliverable_signal()) return Errno::RESTARTSYS;
    return true; // woken for another reason: the caller checks again
}

uint64_t deadline_after(uint64_t ns) {
    uint64_t now = platform::monotonic_ns();
    return ns > ~0ull - now ? ~0ull - 1 : now + ns;
}

} // namespace wisp::linux
