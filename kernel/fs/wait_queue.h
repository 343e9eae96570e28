// SPDX-License-Identifier: MIT
// Where blocked callers wait for a file to become readable or writable (a pipe's data, space,
// or other end). The waiting itself is the kernel's business: a Waiter brings its own wake
// function (the Linux personality blocks the thread and wakes it through it), so this compiles
// unchanged into host tests.
#pragma once

namespace wisp::fs {

struct Waiter {
    Waiter* next = nullptr;
    void (*wake)(Waiter&) = nullptr;
    void* context = nullptr;
    bool queued = false;
    bool woken = false; // set when the queue woke it (not a signal or a timeout)
};

class WaitQueue {
  public:
    WaitQueue() = default;
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

    void add(Waiter& w) {
        w.next = m_head;
        w.queued = true;
        w.woken = false;
        m_head = &w;
    }
    void remove(Waiter& w) {
        for (Waiter** link = &m_head; *link; link = &(*link)->next) {
            if (*link == &w) {
                *link = w.next;
                break;
            }
        }
        w.next = nullptr;
        w.queued = false;
    }
    // Wakes every waiter (they re-check what they wait for).
    void wake_all() {
        while (m_head) {
            Waiter* w = m_head;
            m_head = w->next;
            w->next = nullptr;
            w->queued = false;
            w->woken = true;
            if (w->wake) w->wake(*w);
        }
    }
    bool empty() const { return m_head == nullptr; }
    // Woken from outside the VM (a device's interrupt: console input): waiting on it alone is
    // never a deadlock, whatever the threads and timers inside.
    void set_external() { m_external = true; }
    bool external() const { return m_external; }

  private:
    Waiter* m_head = nullptr;
    bool m_external = false;
};

} // namespace wisp::fs
