// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>

// The kernel heap: power-of-two size classes from 16 B to 2 KiB carved out of single frames,
// larger blocks as contiguous frames. Every page starts with a 16-byte header naming its class,
// so kfree needs no size. Memory is not cleared (fresh frames are zero anyway).
namespace wisp::mm {
void* kmalloc(size_t size);            // nullptr when out of memory
void* kcalloc(size_t count, size_t size);
void kfree(void* pointer);
} // namespace wisp::mm
