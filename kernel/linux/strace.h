// SPDX-License-Identifier: MIT
#pragma once

// `wisp run --strace`: every system call printed like strace(1) does — name, decoded arguments,
// result (with the errno name for errors) — on the stderr channel.
#include <stdint.h>

namespace wisp::linux {

// Called before the handler runs: decodes input arguments (paths, buffers being written, flags).
// Output arguments are printed after the call, by trace_syscall_exit.
void trace_syscall_entry(uint64_t number, const uint64_t args[6]);
void trace_syscall_exit(uint64_t number, const uint64_t args[6], long result);

} // namespace wisp::linux
