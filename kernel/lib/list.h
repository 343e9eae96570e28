// SPDX-License-Identifier: MIT
#pragma once

// An intrusive doubly linked list: the links live in the elements, so linking never allocates.
// Shared by fs/ (dentry children) and net/ (queues, hash buckets).
#include <stddef.h>

#include "lib/verify.h"

namespace wisp {

template<typename T>
struct ListLink {
    T* prev = nullptr;
    T* next = nullptr;
    bool linked = false;
};

// Doubly linked list with O(1) push/remove at any position.
template<typename T, ListLink<T> T::*Link>
class IntrusiveList {
public:
    IntrusiveList() = default;
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;

    bool empty() const { return m_head == nullptr; }
    size_t size() const { return m_size; }
    T* front() const { return m_head; }
    T* back() const { return m_tail; }
    static T* next(const T* t) { return (t->*Link).next; }
    static bool is_linked(const T* t) { return (t->*Link).linked; }

    void push_back(T* t) {
        auto& l = t->*Link;
        VERIFY(!l.linked);
        l.prev = m_tail;
        l.next = nullptr;
        l.linked = true;
        if (m_tail)
            (m_tail->*Link).next = t;
        else
            m_head = t;
        m_tail = t;
        m_size++;
    }
    void push_front(T* t) {
        auto& l = t->*Link;
        VERIFY(!l.linked);
        l.prev = nullptr;
        l.next = m_head;
        l.linked = true;
        if (m_head)
            (m_head->*Link).prev = t;
        else
            m_tail = t;
        m_head = t;
        m_size++;
    }
    void remove(T* t) {
        auto& l = t->*Link;
        VERIFY(l.linked);
        if (l.prev)
            (l.prev->*Link).next = l.next;
        else
            m_head = l.next;
        if (l.next)
            (l.next->*Link).prev = l.prev;
        else
            m_tail = l.prev;
        l.prev = l.next = nullptr;
        l.linked = false;
        m_size--;
    }
    T* pop_front() {
        T* t = m_head;
        if (t) remove(t);
        return t;
    }

private:
    T* m_head = nullptr;
    T* m_tail = nullptr;
    size_t m_size = 0;
};

} // namespace wisp
