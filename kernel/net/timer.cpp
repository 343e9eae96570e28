// SPDX-License-Identifier: MIT
#include "net/timer.h"

#include "lib/verify.h"

namespace wisp::net {

// Makes the later root the first child of the earlier one.
Timer* TimerQueue::meld(Timer* a, Timer* b) {
    if (!a) return b;
    if (!b) return a;
    if (b->m_expiry < a->m_expiry) {
        Timer* t = a;
        a = b;
        b = t;
    }
    b->m_prev = a;
    b->m_next = a->m_child;
    if (a->m_child) a->m_child->m_prev = b;
    a->m_child = b;
    a->m_next = nullptr;
    a->m_prev = nullptr;
    return a;
}

// The standard two-pass merge of a sibling list: meld pairs left to right, then meld the
// results right to left. Iterative, so deep heaps cannot overflow the kernel stack.
Timer* TimerQueue::merge_pairs(Timer* first) {
    if (!first) return nullptr;
    // Pass 1: pairs, collected in reverse order through m_next.
    Timer* pairs = nullptr;
    while (first) {
        Timer* a = first;
        Timer* b = a->m_next;
        first = b ? b->m_next : nullptr;
        a->m_next = a->m_prev = nullptr;
        if (b) b->m_next = b->m_prev = nullptr;
        Timer* m = meld(a, b);
        m->m_next = pairs;
        pairs = m;
    }
    // Pass 2: meld from the last pair back to the first.
    Timer* result = nullptr;
    while (pairs) {
        Timer* next = pairs->m_next;
        pairs->m_next = nullptr;
        result = meld(result, pairs);
        pairs = next;
    }
    return result;
}

void TimerQueue::detach(Timer& t) {
    if (&t == m_root) {
        m_root = merge_pairs(t.m_child);
    } else {
        // Unlink t from its sibling list (or its parent's child pointer), then meld its
        // children back into the heap.
        if (t.m_prev->m_child == &t)
            t.m_prev->m_child = t.m_next;
        else
            t.m_prev->m_next = t.m_next;
        if (t.m_next) t.m_next->m_prev = t.m_prev;
        t.m_next = t.m_prev = nullptr;
        m_root = meld(m_root, merge_pairs(t.m_child));
    }
    t.m_child = t.m_next = t.m_prev = nullptr;
    t.m_armed = false;
    m_size--;
}

void TimerQueue::arm(Timer& t, uint64_t expiry_us) {
    if (t.m_armed) {
        if (t.m_expiry == expiry_us) return;
        detach(t);
    }
    t.m_expiry = expiry_us;
    t.m_child = t.m_next = t.m_prev = nullptr;
    t.m_armed = true;
    m_size++;
    m_root = meld(m_root, &t);
}

void TimerQueue::cancel(Timer& t) {
    if (t.m_armed) detach(t);
}

void TimerQueue::run(uint64_t now_us) {
    while (m_root && m_root->m_expiry <= now_us) {
        Timer* t = m_root;
        detach(*t);
        VERIFY(t->callback);
        t->callback(t->owner, now_us);
    }
}

} // namespace wisp::net
