// SPDX-License-Identifier: MIT
#pragma once

// The physical frame allocator. Frames come from the RAM ranges of the boot memory map minus
// reserved ranges (the kernel image, boot data, modules, the first MiB).
//
// Fresh frames (never handed out since boot) are known to be zero — the host gives a VM zeroed
// memory — so they are handed out in order from a bump pointer and never cleared. Freed frames go
// to a LIFO list of dirty frames, linked through their first word; they are reused where the
// caller does not need zeroes, and cleared only when it does and no fresh frame is left
// (clearing a page costs ~0.3 ms of emulated CPL0 time here, DESIGN.md §8).
#include <stddef.h>
#include <stdint.h>

#include <span>

namespace wisp::mm {

inline constexpr uint64_t kPageSize = 4096;

struct PhysRange {
    uint64_t start, end; // [start, end)
};

struct FrameStats {
    uint64_t total_frames;
    uint64_t fresh_frames; // never used, still zero
    uint64_t dirty_frames; // freed, on the reuse list
    uint64_t zeroed_on_demand;
};

class FrameAllocator {
public:
    static constexpr size_t kMaxRanges = 32;

    // `direct_map` is where physical address 0 is mapped (the kernel's direct map; in host
    // tests a buffer minus its pretend physical start).
    void init(uint8_t* direct_map, std::span<const PhysRange> ram,
              std::span<const PhysRange> reserved);

    uint64_t allocate_zeroed(); // 0 when out of memory
    uint64_t allocate();        // contents undefined; 0 when out of memory
    // `count` physically contiguous zeroed frames from fresh memory; 0 when none is that large.
    uint64_t allocate_contiguous(size_t count);
    void free(uint64_t paddr);

    FrameStats stats() const;
    std::span<const PhysRange> free_ranges() const { return {m_ranges, m_range_count}; }

private:
    uint64_t take_fresh();

    uint8_t* m_direct_map = nullptr;
    PhysRange m_ranges[kMaxRanges]{}; // free fresh memory, sorted, page-aligned
    size_t m_range_count = 0;
    size_t m_current = 0;             // bump range index
    uint64_t m_dirty_head = 0;        // physical address of the first dirty frame, 0 = none
    uint64_t m_total = 0, m_dirty = 0, m_zeroed = 0;
};

// The kernel's one frame allocator, set up by boot.
FrameAllocator& frames();

} // namespace wisp::mm
