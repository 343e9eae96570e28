// SPDX-License-Identifier: MIT
#pragma once

// Ownership for the VFS: intrusive reference counting (RefCounted + RefPtr) for the shared
// objects — vnodes, dentries, open file descriptions — and Own<T> for unique ownership.
// Objects are created with nothrow new (operator new is the kernel heap in the kernel, malloc in
// host tests) and destroyed with delete when the last reference goes.
//
// FIXME: counts are plain integers: the VFS runs on one thread until threads arrive (issue 4),
// which will put the VFS under a lock.
#include <stddef.h>
#include <stdint.h>

#include <new>
#include <type_traits>
#include <utility>

#include "lib/verify.h"

namespace wisp::fs {

template<typename T>
class RefCounted {
  public:
    RefCounted() = default;
    RefCounted(const RefCounted&) = delete;
    RefCounted& operator=(const RefCounted&) = delete;

    void ref() const { m_refs++; }
    void unref() const {
        VERIFY(m_refs > 0);
        if (--m_refs == 0) delete static_cast<const T*>(this);
    }
    uint32_t ref_count() const { return m_refs; }

  protected:
    ~RefCounted() = default;

  private:
    mutable uint32_t m_refs = 0;
};

template<typename T>
class RefPtr {
  public:
    RefPtr() = default;
    RefPtr(std::nullptr_t) {}
    RefPtr(T* p) : m_ptr(p) {
        if (m_ptr) m_ptr->ref();
    }
    RefPtr(T& r) : RefPtr(&r) {}
    RefPtr(const RefPtr& o) : RefPtr(o.m_ptr) {}
    RefPtr(RefPtr&& o) : m_ptr(o.m_ptr) { o.m_ptr = nullptr; }
    template<typename U>
    requires std::is_convertible_v<U*, T*> RefPtr(const RefPtr<U>& o) : RefPtr(o.ptr()) {}
    template<typename U>
    requires std::is_convertible_v<U*, T*> RefPtr(RefPtr<U>&& o) : m_ptr(o.leak()) {}
    ~RefPtr() { clear(); }

    RefPtr& operator=(const RefPtr& o) {
        if (o.m_ptr) o.m_ptr->ref();
        clear();
        m_ptr = o.m_ptr;
        return *this;
    }
    RefPtr& operator=(RefPtr&& o) {
        if (this != &o) {
            clear();
            m_ptr = o.m_ptr;
            o.m_ptr = nullptr;
        }
        return *this;
    }
    RefPtr& operator=(std::nullptr_t) {
        clear();
        return *this;
    }

    void clear() {
        T* p = m_ptr;
        m_ptr = nullptr;
        if (p) p->unref();
    }
    // Gives up the reference without dropping it (for conversions).
    T* leak() {
        T* p = m_ptr;
        m_ptr = nullptr;
        return p;
    }

    T* ptr() const { return m_ptr; }
    T* operator->() const {
        VERIFY(m_ptr);
        return m_ptr;
    }
    T& operator*() const {
        VERIFY(m_ptr);
        return *m_ptr;
    }
    explicit operator bool() const { return m_ptr != nullptr; }
    bool operator==(const RefPtr& o) const { return m_ptr == o.m_ptr; }
    bool operator==(const T* p) const { return m_ptr == p; }

  private:
    T* m_ptr = nullptr;
};

// A new reference-counted object, or null when out of memory.
template<typename T, typename... Args>
RefPtr<T> make_ref(Args&&... args) {
    return RefPtr<T>(new (std::nothrow) T(std::forward<Args>(args)...));
}

// Unique ownership (the kernel's unique_ptr, without exceptions).
template<typename T>
class Own {
  public:
    Own() = default;
    Own(std::nullptr_t) {}
    explicit Own(T* p) : m_ptr(p) {}
    Own(Own&& o) : m_ptr(o.m_ptr) { o.m_ptr = nullptr; }
    template<typename U>
    requires std::is_convertible_v<U*, T*> Own(Own<U>&& o) : m_ptr(o.leak()) {}
    Own(const Own&) = delete;
    Own& operator=(const Own&) = delete;
    Own& operator=(Own&& o) {
        if (this != &o) {
            delete m_ptr;
            m_ptr = o.m_ptr;
            o.m_ptr = nullptr;
        }
        return *this;
    }
    ~Own() { delete m_ptr; }

    T* leak() {
        T* p = m_ptr;
        m_ptr = nullptr;
        return p;
    }
    T* ptr() const { return m_ptr; }
    T* operator->() const {
        VERIFY(m_ptr);
        return m_ptr;
    }
    T& operator*() const {
        VERIFY(m_ptr);
        return *m_ptr;
    }
    explicit operator bool() const { return m_ptr != nullptr; }

  private:
    T* m_ptr = nullptr;
};

template<typename T, typename... Args>
Own<T> make_own(Args&&... args) {
    return Own<T>(new (std::nothrow) T(std::forward<Args>(args)...));
}

} // namespace wisp::fs
