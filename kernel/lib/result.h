// SPDX-License-Identifier: MIT
#pragma once

#include <new>
#include <type_traits>
#include <utility>

#include "lib/errno.h"
#include "lib/verify.h"

// Result<T>: a value or a Linux errno. Propagate with TRY(expr), which evaluates to the value.
// Used in the kernel and in every portable library (fs/, net/, linux/elf) so the same code runs
// freestanding and in host unit tests.
namespace wisp {

struct Error {
    Errno code;
    constexpr Error(Errno e) : code(e) {}
    constexpr int negated() const { return -static_cast<int>(code); }
};

template<typename T>
class [[nodiscard]] Result {
public:
    Result(const T& v) : m_ok(true) { new (&m_value) T(v); }
    Result(T&& v) : m_ok(true) { new (&m_value) T(std::move(v)); }
    template<typename U>
        requires(std::is_convertible_v<U &&, T> && !std::is_same_v<std::decay_t<U>, T> &&
                 !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Errno>)
    Result(U&& v) : m_ok(true) {
        new (&m_value) T(std::forward<U>(v));
    }
    Result(Error e) : m_ok(false), m_error(e) {}
    Result(Errno e) : m_ok(false), m_error(e) {}
    Result(Result&& o) : m_ok(o.m_ok), m_error(o.m_error) {
        if (m_ok) new (&m_value) T(std::move(o.m_value));
    }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    ~Result() {
        if (m_ok) m_value.~T();
    }

    bool is_error() const { return !m_ok; }
    explicit operator bool() const { return m_ok; }
    Error error() const { return m_error; }
    T& value() {
        VERIFY(m_ok);
        return m_value;
    }
    const T& value() const {
        VERIFY(m_ok);
        return m_value;
    }
    T release_value() {
        VERIFY(m_ok);
        return std::move(m_value);
    }
    T* operator->() { return &value(); }
    T& operator*() { return value(); }

private:
    bool m_ok;
    Error m_error{Errno::INVAL};
    union {
        T m_value;
    };
};

template<>
class [[nodiscard]] Result<void> {
public:
    Result() : m_ok(true) {}
    Result(Error e) : m_ok(false), m_error(e) {}
    Result(Errno e) : m_ok(false), m_error(e) {}
    bool is_error() const { return !m_ok; }
    explicit operator bool() const { return m_ok; }
    Error error() const { return m_error; }
    void release_value() {}

private:
    bool m_ok;
    Error m_error{Errno::INVAL};
};

} // namespace wisp

// TRY(expr): evaluates expr (a Result); returns its error from the enclosing function, else
// yields its value. GNU statement expression, as in SerenityOS.
#define TRY(expr)                                                                                  \
    ({                                                                                             \
        auto _wisp_try = (expr);                                                                   \
        if (_wisp_try.is_error()) return _wisp_try.error();                                        \
        _wisp_try.release_value();                                                                 \
    })
