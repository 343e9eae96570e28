// SPDX-License-Identifier: MIT
#include "devices/virtqueue.h"

#include <atomic>

namespace wisp::vmm {
namespace {

// virtio 1.2 §2.7.5: struct virtq_desc.
struct Descriptor {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
static_assert(sizeof(Descriptor) == 16);

// Ring sizes (§2.7.6, §2.7.8): flags, idx, ring[size], then the event word.
uint64_t avail_bytes(uint16_t size) { return 4 + 2ull * size + 2; }
uint64_t used_bytes(uint16_t size) { return 4 + 8ull * size + 2; }

constexpr uint16_t kAvailNoInterrupt = 1;

} // namespace

uint64_t VirtqChain::readable_bytes() const {
    uint64_t total = 0;
    for (const VirtqBuffer& b : buffers)
        if (!b.device_writable) total += b.bytes.size();
    return total;
}

uint64_t VirtqChain::writable_bytes() const {
    uint64_t total = 0;
    for (const VirtqBuffer& b : buffers)
        if (b.device_writable) total += b.bytes.size();
    return total;
}

bool Virtqueue::configure(const GuestMemory& memory, const VirtqLayout& layout,
                          const GuestMemory& readonly) {
    reset();
    uint16_t size = layout.size;
    // §2.7: alignment 16 (descriptors), 2 (driver ring), 4 (device ring); size a power of 2.
    if (size == 0 || size > kMaxSize || (size & (size - 1)) != 0) return false;
    if (layout.desc_gpa % 16 || layout.avail_gpa % 2 || layout.used_gpa % 4) return false;
    if (!memory.contains(layout.desc_gpa, 16ull * size) ||
        !memory.contains(layout.avail_gpa, avail_bytes(size)) ||
        !memory.contains(layout.used_gpa, used_bytes(size)))
        return false;
    m_memory = memory;
    m_readonly = readonly;
    m_layout = layout;
    m_ready = true;
    return true;
}

std::optional<VirtqChain> Virtqueue::pop() {
    if (!ready()) return std::nullopt;
    const uint64_t avail = m_layout.avail_gpa;
    uint16_t avail_idx = *m_memory.read<uint16_t>(avail + 2);
    if (avail_idx == m_next_avail) return std::nullopt;
    // The driver may have advanced idx by at most the queue size past what we consumed.
    if (static_cast<uint16_t>(avail_idx - m_next_avail) > m_layout.size) {
        m_broken = true;
        return std::nullopt;
    }
    // Read the ring entry (and then the descriptors) only after seeing idx (§2.7.13.3).
    std::atomic_thread_fence(std::memory_order_acquire);
    uint16_t slot = m_next_avail % m_layout.size;
    uint16_t head = *m_memory.read<uint16_t>(avail + 4 + 2ull * slot);
    m_next_avail++;

    VirtqChain chain;
    chain.head = head;
    uint16_t index = head;
    bool seen_writable = false;
    // A chain visits at most `size` descriptors; one more means a loop (§2.7.5.1: the driver
    // MUST NOT create a loop).
    for (uint32_t visited = 0;; visited++) {
        if (index >= m_layout.size || visited >= m_layout.size) {
            m_broken = true;
            return std::nullopt;
        }
        Descriptor d = *m_memory.read<Descriptor>(m_layout.desc_gpa + 16ull * index);
        bool writable = d.flags & kDescWrite;
        // Indirect descriptors are not offered (VIRTIO_F_INDIRECT_DESC); device-readable
        // buffers must come before device-writable ones (§2.7.4.2).
        if ((d.flags & kDescIndirect) || (seen_writable && !writable)) {
            m_broken = true;
            return std::nullopt;
        }
        std::span<uint8_t> bytes = m_memory.bytes(d.addr, d.len);
        if (bytes.empty() && !writable) bytes = m_readonly.bytes(d.addr, d.len);
        if (bytes.empty() && d.len != 0) {
            m_broken = true;
            return std::nullopt;
        }
        seen_writable |= writable;
        chain.buffers.push_back({bytes, writable});
        if (!(d.flags & kDescNext)) break;
        index = d.next;
    }
    return chain;
}

void Virtqueue::push_used(uint16_t head, uint32_t written) {
    if (!ready()) return;
    const uint64_t used = m_layout.used_gpa;
    uint16_t slot = m_next_used % m_layout.size;
    const uint32_t element[2] = {head, written};
    m_memory.write(used + 4 + 8ull * slot, element, sizeof element);
    m_next_used++;
    // The element is visible before the index that publishes it (§2.7.14).
    std::atomic_thread_fence(std::memory_order_release);
    m_memory.write(used + 2, &m_next_used, sizeof m_next_used);
}

bool Virtqueue::wants_interrupt() const {
    if (!ready()) return false;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    uint16_t flags = *m_memory.read<uint16_t>(m_layout.avail_gpa);
    return !(flags & kAvailNoInterrupt);
}

} // namespace wisp::vmm
