// SPDX-License-Identifier: MIT
#pragma once

// System call plumbing: handlers are ordinary typed functions returning Result<T>; invoke<>
// converts the raw argument registers to their parameter types and the Result to the value or
// -errno the application sees.
#include <stdint.h>

#include <type_traits>
#include <utility>

#include "arch/x86_64/trap_frame.h"
#include "lib/result.h"
#include "linux/user_ptr.h"

namespace wisp::linux {

using RawHandler = long (*)(const uint64_t* args);

template<typename T>
struct IsUserPtr : std::false_type {};
template<typename T>
struct IsUserPtr<UserPtr<T>> : std::true_type {};

template<typename T>
T argument_as(uint64_t raw) {
    if constexpr (IsUserPtr<T>::value) return T(raw);
    else return static_cast<T>(raw);
}

template<typename T>
long result_to_long(Result<T>&& r) {
    if (r.is_error()) return r.error().negated();
    if constexpr (std::is_void_v<T>) return 0;
    else return static_cast<long>(r.release_value());
}

template<auto Handler>
long invoke(const uint64_t* args) {
    return []<typename R, typename... Args>(R (*fn)(Args...), const uint64_t* a) {
        return [&]<size_t... I>(std::index_sequence<I...>) {
            return result_to_long(fn(argument_as<Args>(a[I])...));
        }(std::index_sequence_for<Args...>{});
    }(Handler, args);
}

const char* syscall_name(uint64_t number);

// The trap frame of the system call being handled (the interrupted user context), for the
// calls that read or rewrite it: rt_sigreturn, sigaltstack, clone.
TrapFrame& current_trap_frame();

} // namespace wisp::linux
