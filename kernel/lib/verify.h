// SPDX-License-Identifier: MIT
#pragma once

// VERIFY(cond): an invariant. In the kernel a failure panics with file:line and a backtrace; in
// host builds of portable code it aborts (so GoogleTest reports it).
namespace wisp {
[[noreturn]] void verify_failed(const char* expr, const char* file, int line);
}

#define VERIFY(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) [[unlikely]]                                                                  \
            ::wisp::verify_failed(#cond, __FILE__, __LINE__);                                      \
    } while (0)
#define VERIFY_NOT_REACHED() ::wisp::verify_failed("not reached", __FILE__, __LINE__)
