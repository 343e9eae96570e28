// SPDX-License-Identifier: MIT
// The kernel's side of fs/system.h: pages are frames from the frame allocator, reached through
// the direct map; the time is the platform clock.
#include <new>

#include "fs/system.h"
#include "mm/address_space.h"
#include "mm/frames.h"
#include "platform/platform.h"

// The freestanding kernel has no C++ runtime library: the tag object that selects the
// non-throwing operator new (mm/heap.cpp) is defined here, where the VFS first needs it.
namespace std {
const nothrow_t nothrow{};
} // namespace std

namespace wisp::fs {

void* allocate_page(bool zeroed) {
    uint64_t frame = zeroed ? mm::frames().allocate_zeroed() : mm::frames().allocate();
    return frame ? platform::phys_to_virt(frame) : nullptr;
}

void free_page(void* page) {
    if (page) mm::frames().free(platform::virt_to_phys(page));
}

void file_pages_changing(const Vnode& owner, uint64_t first_page, uint64_t end_page) {
    constexpr uint64_t kMaxPage = ~0ull / kPageSize;
    mm::address_space().file_pages_changing(
        &owner, first_page > kMaxPage ? ~0ull : first_page * kPageSize,
        end_page > kMaxPage ? ~0ull : end_page * kPageSize);
}

uint64_t free_page_estimate() {
    mm::FrameStats s = mm::frames().stats();
    return s.fresh_frames + s.dirty_frames;
}

uint64_t total_page_estimate() {
    return mm::frames().stats().total_frames;
}

Timestamp current_time() {
    uint64_t ns = platform::boot_epoch_ns() + platform::monotonic_ns();
    return {static_cast<int64_t>(ns / 1'000'000'000), static_cast<uint32_t>(ns % 1'000'000'000)};
}

} // namespace wisp::fs
