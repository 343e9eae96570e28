// SPDX-License-Identifier: MIT
#pragma once

// What the file systems need from the machine: whole pages for file data and the time of day.
// The kernel implements these over its frame allocator and clock (fs/kernel_system.cpp); host
// builds over malloc and the host clock (fs/host_system.cpp), with hooks for tests.
#include <stddef.h>
#include <stdint.h>

#include "fs/types.h"

namespace wisp::fs {

// A 4 KiB page for file data, zero-filled when `zeroed` (fresh kernel frames are zero anyway, so
// asking only when needed saves clearing dirty frames). nullptr when out of memory.
void* allocate_page(bool zeroed);
void free_page(void* page);

// Pages the machine could still give (for statfs).
uint64_t free_page_estimate();
uint64_t total_page_estimate();

// Wall-clock time for timestamps.
Timestamp current_time();

class Vnode;
// Pages [first_page, end_page) of `owner`'s data are about to be freed or replaced (truncate; a
// page lent by the image unshared by a write): shared mappings of them let go, so the next
// access finds the file's current page (or SIGBUS past its end). A no-op in host builds.
void file_pages_changing(const Vnode& owner, uint64_t first_page, uint64_t end_page);

} // namespace wisp::fs
