// SPDX-License-Identifier: MIT
#pragma once

// The device side of a split virtqueue (virtio 1.2 §2.7): descriptor table, driver ("avail")
// ring and device ("used") ring in guest memory. Every index, address, length and chain the
// guest wrote is checked here before the device touches a byte: a malformed ring marks the
// queue broken (the transport then reports DEVICE_NEEDS_RESET) and never crashes the monitor.
// Shared by every virtio device (console now; net and block later).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kvm/guest_memory.h"

namespace wisp::vmm {

// One buffer of a descriptor chain, already bounds-checked: `bytes` lies in guest memory.
struct VirtqBuffer {
    std::span<uint8_t> bytes;
    bool device_writable = false; // VIRTQ_DESC_F_WRITE: the device fills it (else reads it)
};

// A descriptor chain taken from the driver ring: give it back with Virtqueue::push_used(head).
struct VirtqChain {
    uint16_t head = 0;
    std::vector<VirtqBuffer> buffers;
    uint64_t readable_bytes() const;
    uint64_t writable_bytes() const;
};

// Where the driver placed the queue (the transport's QueueDesc/QueueDriver/QueueDevice) and
// its size (QueueNum).
struct VirtqLayout {
    uint64_t desc_gpa = 0, avail_gpa = 0, used_gpa = 0;
    uint16_t size = 0;
};

class Virtqueue {
  public:
    static constexpr uint16_t kMaxSize = 256; // QueueNumMax offered by wisp devices

    // Descriptor flags (§2.7.5).
    static constexpr uint16_t kDescNext = 1, kDescWrite = 2, kDescIndirect = 4;

    Virtqueue() = default;
    // Checks the layout (size a power of two <= kMaxSize, alignment, every ring inside
    // `memory`); false leaves the queue unusable. The queue starts at avail index 0.
    // `readonly` is memory the device may read but never write (the image slot: an
    // application's read-only data lives there, and it may write it straight to a console).
    bool configure(const GuestMemory& memory, const VirtqLayout& layout,
                   const GuestMemory& readonly = {});
    void reset() { *this = Virtqueue(); }

    bool ready() const { return m_ready && !m_broken; }
    // The driver broke the rules (bad index, address, length, loop, indirect descriptor).
    bool broken() const { return m_broken; }

    // The next available chain, or nullopt when there is none (or the queue is broken). A
    // chain that reads after writing, loops, exceeds the queue size or points outside guest
    // memory breaks the queue.
    std::optional<VirtqChain> pop();
    // Returns a chain to the driver with `written` bytes written into its writable buffers.
    void push_used(uint16_t head, uint32_t written);
    // Whether the driver wants an interrupt for used buffers (VIRTQ_AVAIL_F_NO_INTERRUPT
    // clear; VIRTIO_F_EVENT_IDX is not offered).
    bool wants_interrupt() const;

  private:
    GuestMemory m_memory;
    GuestMemory m_readonly;
    VirtqLayout m_layout;
    uint16_t m_next_avail = 0; // the driver-ring index the device reads next
    uint16_t m_next_used = 0;  // the used-ring index the device writes next
    bool m_ready = false;
    bool m_broken = false;
};

} // namespace wisp::vmm
