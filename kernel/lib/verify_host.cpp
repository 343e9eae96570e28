// SPDX-License-Identifier: MIT
// Host builds of portable kernel code: VERIFY failures abort with a message.
#include <cstdio>
#include <cstdlib>

#include "lib/verify.h"

namespace wisp {
void verify_failed(const char* expr, const char* file, int line) {
    std::fprintf(stderr, "VERIFY(%s) failed at %s:%d\n", expr, file, line);
    std::abort();
}
} // namespace wisp
