// SPDX-License-Identifier: MIT
#include "mm/frames.h"

#include <string.h>

#include <algorithm>

namespace wisp::mm {

void FrameAllocator::init(uint8_t* direct_map, std::span<const PhysRange> ram,
                          std::span<const PhysRange> reserved) {
    m_direct_map = direct_map;
    m_range_count = 0;
    for (const PhysRange& r : ram) {
        // Split each RAM range around every reserved range it overlaps.
        PhysRange pieces[kMaxRanges];
        size_t count = 0;
        // Physical page 0 is never handed out: 0 means "no frame" in this interface.
        uint64_t start = r.start < kPageSize ? kPageSize : r.start;
        pieces[count++] = {(start + kPageSize - 1) & ~(kPageSize - 1), r.end & ~(kPageSize - 1)};
        const PhysRange whole = pieces[0];
        for (const PhysRange& hole : reserved) {
            uint64_t hs = hole.start & ~(kPageSize - 1);
            uint64_t he = (hole.end + kPageSize - 1) & ~(kPageSize - 1);
            // Pieces lie within the whole range: a hole missing it misses them all.
            if (he <= whole.start || hs >= whole.end) continue;
            size_t n = count;
            for (size_t i = 0; i < n; i++) {
                PhysRange p = pieces[i];
                if (p.start >= p.end || he <= p.start || hs >= p.end) continue;
                pieces[i] = {p.start, std::max(p.start, hs)};
                if (he < p.end && count < kMaxRanges) pieces[count++] = {he, p.end};
            }
        }
        for (size_t i = 0; i < count && m_range_count < kMaxRanges; i++)
            if (pieces[i].start < pieces[i].end) m_ranges[m_range_count++] = pieces[i];
    }
    std::sort(m_ranges, m_ranges + m_range_count,
              [](const PhysRange& a, const PhysRange& b) { return a.start < b.start; });
    m_total = 0;
    for (size_t i = 0; i < m_range_count; i++)
        m_total += (m_ranges[i].end - m_ranges[i].start) / kPageSize;
    m_current = 0;
    m_dirty_head = 0;
    m_dirty = m_zeroed = 0;
}

uint64_t FrameAllocator::take_fresh() {
    while (m_current < m_range_count) {
        PhysRange& r = m_ranges[m_current];
        if (r.start < r.end) {
            uint64_t frame = r.start;
            r.start += kPageSize;
            return frame;
        }
        m_current++;
    }
    return 0;
}

uint64_t FrameAllocator::allocate_zeroed() {
    if (uint64_t frame = take_fresh()) return frame;
    uint64_t frame = allocate();
    if (frame != 0) {
        memset(m_direct_map + frame, 0, kPageSize);
        m_zeroed++;
    }
    return frame;
}

uint64_t FrameAllocator::allocate() {
    if (m_dirty_head != 0) {
        uint64_t frame = m_dirty_head;
        memcpy(&m_dirty_head, m_direct_map + frame, sizeof(uint64_t));
        m_dirty--;
        return frame;
    }
    return take_fresh();
}

uint64_t FrameAllocator::allocate_contiguous(size_t count) {
    uint64_t bytes = count * kPageSize;
    for (size_t i = m_current; i < m_range_count; i++) {
        PhysRange& r = m_ranges[i];
        if (r.end - r.start >= bytes) {
            uint64_t start = r.start;
            r.start += bytes;
            return start;
        }
    }
    return 0;
}

void FrameAllocator::free(uint64_t paddr) {
    memcpy(m_direct_map + paddr, &m_dirty_head, sizeof(uint64_t));
    m_dirty_head = paddr;
    m_dirty++;
}

FrameStats FrameAllocator::stats() const {
    uint64_t fresh = 0;
    for (size_t i = m_current; i < m_range_count; i++)
        fresh += (m_ranges[i].end - m_ranges[i].start) / kPageSize;
    return {m_total, fresh, m_dirty, m_zeroed};
}

} // namespace wisp::mm
