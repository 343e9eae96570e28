// SPDX-License-Identifier: MIT
#pragma once

// The memory character devices (Linux drivers/char/mem.c, random.c): /dev/null (1:3),
// /dev/zero (1:5), /dev/full (1:7), /dev/random (1:8), /dev/urandom (1:9).
#include "fs/vnode.h"

namespace wisp::fs {

class Vfs;

inline constexpr uint64_t kDevNull = make_dev(1, 3);
inline constexpr uint64_t kDevZero = make_dev(1, 5);
inline constexpr uint64_t kDevFull = make_dev(1, 7);
inline constexpr uint64_t kDevRandom = make_dev(1, 8);
inline constexpr uint64_t kDevUrandom = make_dev(1, 9);
inline constexpr uint64_t kDevTty = make_dev(5, 0);
inline constexpr uint64_t kDevConsole = make_dev(5, 1);

// Registers the memory devices with `vfs`.
Result<void> register_memory_devices(Vfs& vfs);

} // namespace wisp::fs
