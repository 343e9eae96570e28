// SPDX-License-Identifier: MIT
#pragma once

// The driver side of a split virtqueue (virtio 1.2 §2.7) of at most 64 entries: descriptor
// table, driver ring and device ring share one zeroed frame. Buffers are guest-physical ranges,
// so the device reads and writes the application's own pages: nothing is copied for output.
// The kernel runs with interrupts off on one CPU: no locks; the device is on the other side of
// a VM exit (the notify), which orders everything before it.
#include <stddef.h>
#include <stdint.h>

#include "lib/result.h"

namespace wisp::drivers::virtio {

struct Segment {
    uint64_t paddr = 0;
    uint32_t length = 0;
    bool device_writable = false;
};

class Virtqueue {
  public:
    static constexpr uint16_t kMaxSize = 64;

    // Allocates the rings for `size` entries (a power of two, at most kMaxSize and at most what
    // the device offers).
    Result<void> init(uint16_t size);

    uint16_t size() const { return m_size; }
    uint64_t desc_paddr() const { return m_paddr; }
    uint64_t avail_paddr() const { return m_paddr + kAvailOffset; }
    uint64_t used_paddr() const { return m_paddr + kUsedOffset; }
    uint16_t free_descriptors() const { return m_free_count; }

    // Makes a chain of `count` segments available; returns its head, or -1 when fewer than
    // `count` descriptors are free. The device sees it after the next notify.
    int add(const Segment* segments, size_t count);
    // Takes the next used chain back: its head and the bytes the device wrote. False when the
    // device has returned nothing new.
    bool take_used(uint16_t& head, uint32_t& written);
    bool has_used() const;
    // VIRTQ_AVAIL_F_NO_INTERRUPT: the driver polls this queue and wants no interrupts for it.
    void suppress_interrupts();

  private:
    static constexpr uint64_t kAvailOffset = 1024, kUsedOffset = 2048;
    struct Descriptor {
        uint64_t addr;
        uint32_t len;
        uint16_t flags;
        uint16_t next;
    };
    Descriptor* descriptors() const;
    volatile uint16_t* avail() const; // flags, idx, ring[size]
    volatile uint16_t* used() const;  // flags, idx, then {u32 id, u32 len}[size]

    uint64_t m_paddr = 0;
    uint16_t m_size = 0;
    uint16_t m_free_head = 0;
    uint16_t m_free_count = 0;
    uint16_t m_avail_idx = 0;
    uint16_t m_last_used = 0;
};

} // namespace wisp::drivers::virtio
