// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

// Timers: an intrusive pairing heap (Fredman, Sedgewick, Sleator, Tarjan 1986) ordered by
// expiry time. Arm is O(1), cancel and expiry O(log n) amortized, the earliest deadline is
// O(1), and nothing is allocated: each Timer lives inside its owner (a connection, the ARP
// cache). The driver asks next_deadline() to program its hardware timer, so an idle stack
// takes no timer interrupts at all.
namespace wisp::net {

struct Timer {
    using Callback = void (*)(void* owner, uint64_t now_us);

    Timer() = default;
    Timer(Callback cb, void* owner) : callback(cb), owner(owner) {}
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    bool armed() const { return m_armed; }
    uint64_t expiry() const { return m_expiry; }

    Callback callback = nullptr;
    void* owner = nullptr;

private:
    friend class TimerQueue;
    uint64_t m_expiry = 0;
    Timer* m_child = nullptr;
    Timer* m_next = nullptr; // next sibling
    Timer* m_prev = nullptr; // previous sibling, or parent for a first child
    bool m_armed = false;
};

class TimerQueue {
public:
    // (Re)arms `t` to fire at `expiry_us`.
    void arm(Timer& t, uint64_t expiry_us);
    void cancel(Timer& t);
    // Fires every timer whose expiry is <= now, earliest first. Callbacks may arm and cancel
    // any timer, including the one firing.
    void run(uint64_t now_us);
    // The earliest expiry, or UINT64_MAX when nothing is armed.
    uint64_t next_deadline() const { return m_root ? m_root->m_expiry : UINT64_MAX; }
    size_t size() const { return m_size; }

private:
    static Timer* meld(Timer* a, Timer* b);
    static Timer* merge_pairs(Timer* first);
    void detach(Timer& t);

    Timer* m_root = nullptr;
    size_t m_size = 0;
};

} // namespace wisp::net
