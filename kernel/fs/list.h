// SPDX-License-Identifier: MIT
#pragma once

// An intrusive doubly linked list: the links live in the elements, so linking never allocates.
#include <stddef.h>

#include "lib/verify.h"

namespace wisp::fs {

template<typename T>
struct ListLink {
    T* prev = nullptr;
    T* next = nullptr;
    bool linked = false;
};

template<typename T, ListLink<T> T::*Link>
class IntrusiveList {
  public:
    IntrusiveList() = default;
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;

    bool empty() const { return m_head == nullptr; }
    T* front() const { return m_head; }
    static T* next(const T* t) { return (t->*Link).next; }
    static bool is_linked(const T* t) { return (t->*Link).linked; }

    void push_front(T* t) {
        auto& l = t->*Link;
        VERIFY(!l.linked);
        l.prev = nullptr;
        l.next = m_head;
        l.linked = true;
        if (m_head) (m_head->*Link).prev = t;
        m_head = t;
    }
    void remove(T* t) {
        auto& l = t->*Link;
        VERIFY(l.linked);
        if (l.prev)
            (l.prev->*Link).next = l.next;
        else
            m_head = l.next;
        if (l.next) (l.next->*Link).prev = l.prev;
        l = {};
    }

  private:
    T* m_head = nullptr;
};

} // namespace wisp::fs
