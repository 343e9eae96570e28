// SPDX-License-Identifier: MIT
#include "drivers/virtio/virtqueue.h"

#include "mm/frames.h"
#include "platform/platform.h"

namespace wisp::drivers::virtio {
namespace {

constexpr uint16_t kDescNext = 1, kDescWrite = 2;
constexpr uint16_t kAvailNoInterrupt = 1;

inline void barrier() { asm volatile("" ::: "memory"); } // x86 is TSO: order for the compiler

} // namespace

// One frame: descriptors (16 B each) at 0, driver ring at 1024 (4 + 2n + 2 bytes), device ring
// at 2048 (4 + 8n + 2 bytes): all fit for n <= 64.
static_assert(Virtqueue::kMaxSize * 16 <= 1024 && 6 + 2 * Virtqueue::kMaxSize <= 1024 &&
              6 + 8 * Virtqueue::kMaxSize <= 2048);

Result<void> Virtqueue::init(uint16_t size) {
    if (size == 0 || size > kMaxSize || (size & (size - 1))) return Errno::INVAL;
    m_paddr = mm::frames().allocate_zeroed();
    if (m_paddr == 0) return Errno::NOMEM;
    m_size = size;
    Descriptor* d = descriptors();
    for (uint16_t i = 0; i + 1 < size; i++)
        d[i].next = static_cast<uint16_t>(i + 1);
    m_free_head = 0;
    m_free_count = size;
    return {};
}

Virtqueue::Descriptor* Virtqueue::descriptors() const {
    return static_cast<Descriptor*>(platform::phys_to_virt(m_paddr));
}
volatile uint16_t* Virtqueue::avail() const {
    return static_cast<volatile uint16_t*>(platform::phys_to_virt(m_paddr + kAvailOffset));
}
volatile uint16_t* Virtqueue::used() const {
    return static_cast<volatile uint16_t*>(platform::phys_to_virt(m_paddr + kUsedOffset));
}

int Virtqueue::add(const Segment* segments, size_t count) {
    if (count == 0 || count > m_free_count) return -1;
    Descriptor* d = descriptors();
    uint16_t head = m_free_head;
    uint16_t index = head;
    for (size_t i = 0; i < count; i++) {
        Descriptor& desc = d[index];
        desc.addr = segments[i].paddr;
        desc.len = segments[i].length;
        desc.flags = static_cast<uint16_t>((segments[i].device_writable ? kDescWrite : 0) |
                                           (i + 1 < count ? kDescNext : 0));
        if (i + 1 < count) index = desc.next;
    }
    m_free_head = d[index].next;
    m_free_count = static_cast<uint16_t>(m_free_count - count);
    volatile uint16_t* ring = avail();
    ring[2 + (m_avail_idx & (m_size - 1))] = head;
    barrier(); // the ring entry before the index that publishes it (§2.7.13)
    ring[1] = ++m_avail_idx;
    return head;
}

bool Virtqueue::has_used() const {
    return used()[1] != m_last_used;
}

bool Virtqueue::take_used(uint16_t& head, uint32_t& written) {
    volatile uint16_t* u = used();
    if (u[1] == m_last_used) return false;
    barrier(); // read the element only after seeing the index (§2.7.14)
    auto* element = reinterpret_cast<volatile uint32_t*>(u + 2) + 2 * (m_last_used & (m_size - 1));
    uint32_t id = element[0];
    written = element[1];
    m_last_used++;
    if (id >= m_size) return false; // a device bug: never trust the index
    head = static_cast<uint16_t>(id);
    // Back to the free list: walk the chain to its end.
    Descriptor* d = descriptors();
    uint16_t index = head;
    uint16_t count = 1;
    while ((d[index].flags & kDescNext) && count < m_size) {
        index = d[index].next;
        count++;
    }
    d[index].next = m_free_head;
    m_free_head = head;
    m_free_count = static_cast<uint16_t>(m_free_count + count);
    return true;
}

void Virtqueue::suppress_interrupts() { avail()[0] = kAvailNoInterrupt; }

} // namespace wisp::drivers::virtio
