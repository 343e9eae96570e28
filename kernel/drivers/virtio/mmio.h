// SPDX-License-Identifier: MIT
#pragma once

// The driver side of the virtio-mmio transport, version 2 (virtio 1.2 §4.2): device discovery
// at a base address from the command line, the initialization sequence of §3.1.1 (only
// VIRTIO_F_VERSION_1 and the device features the caller accepts), queue setup, notification and
// interrupt acknowledgement. Each register access is one VM exit: the hot paths are one notify
// write per batch of buffers and two accesses per interrupt.
#include <stdint.h>

#include "drivers/virtio/mmio_param.h"
#include "drivers/virtio/virtqueue.h"
#include "lib/result.h"

namespace wisp::drivers::virtio {

class MmioTransport {
  public:
    // Checks the magic value, version 2 and the device ID, resets the device, negotiates
    // features (VERSION_1 plus `wanted` & offered). NODEV when there is no such device.
    Result<void> open(const MmioParam& where, uint32_t device_id, uint64_t wanted_features);
    // Registers queue `index` (after open, before ready()).
    Result<void> setup_queue(unsigned index, Virtqueue& queue);
    // DRIVER_OK: the device may use the queues now.
    void ready();

    void notify(unsigned queue_index) { write(kQueueNotify, queue_index); }
    // Reads and acknowledges the interrupt status (bit 0: used buffers, bit 1: configuration).
    uint32_t acknowledge_interrupt();
    unsigned irq() const { return m_irq; }

  private:
    static constexpr uint32_t kQueueNotify = 0x050;
    uint32_t read(uint32_t offset) const;
    void write(uint32_t offset, uint32_t value) const;

    uint64_t m_base = 0;
    unsigned m_irq = 0;
};

} // namespace wisp::drivers::virtio
