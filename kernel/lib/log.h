// SPDX-License-Identifier: MIT
#pragma once

#include "platform/platform.h"

// Kernel messages go to the stderr channel, one write (one VM exit) per message.
namespace wisp {
void log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// A `key=value` record on the control channel (abi/platform.h).
void control(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
} // namespace wisp
