// SPDX-License-Identifier: MIT
#pragma once

// The virtio-mmio transport, version 2 (virtio 1.2 §4.2.2): a 4 KiB register window per device
// in the MMIO gap, announced to the kernel the way Firecracker and Linux do it, as
// `virtio_mmio.device=4K@0xd0000000:5` on the command line (size@base:gsi). The transport owns
// feature negotiation, status, the queues' registers and the interrupt line; a VirtioDevice
// supplies its ID, features, config space and what happens when a queue is notified.
#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "devices/virtqueue.h"
#include "kvm/guest_memory.h"

namespace wisp::vmm {

class VirtioMmio;

class VirtioDevice {
  public:
    virtual ~VirtioDevice() = default;
    virtual uint32_t device_id() const = 0;
    // Device-specific feature bits (VIRTIO_F_VERSION_1 is added by the transport).
    virtual uint64_t features() const { return 0; }
    virtual unsigned queue_count() const = 0;
    // Device-specific configuration space (read-only for now).
    virtual std::span<const uint8_t> config() const { return {}; }
    // The driver notified queue `index` (it is ready), or the device became DRIVER_OK.
    virtual void queue_notify(VirtioMmio& transport, unsigned index) = 0;
    // The driver reset the device (status 0): forget everything about the queues.
    virtual void reset() {}
};

class VirtioMmio {
  public:
    static constexpr uint64_t kWindowSize = 0x1000;
    static constexpr unsigned kMaxQueues = 4;

    // `raise_irq(level)` sets the interrupt line (level-triggered: high while InterruptStatus
    // has a bit set, as QEMU's virtio-mmio does).
    // `readonly`: memory the device may read (and never write) besides `memory`.
    VirtioMmio(VirtioDevice& device, const GuestMemory& memory, uint64_t base, unsigned gsi,
               std::function<void(bool)> set_irq, const GuestMemory& readonly = {});

    uint64_t base() const { return m_base; }
    unsigned gsi() const { return m_gsi; }
    // The kernel command-line token that announces this device.
    std::string cmdline_token() const;
    bool contains(uint64_t gpa) const { return gpa >= m_base && gpa - m_base < kWindowSize; }

    // A guest access of `data.size()` (1, 2, 4 or 8) bytes at `gpa` inside the window.
    void read(uint64_t gpa, std::span<uint8_t> data);
    void write(uint64_t gpa, std::span<const uint8_t> data);

    // For the device: its queues, and telling the driver that used buffers are ready.
    Virtqueue& queue(unsigned index) { return m_queues[index].ring; }
    bool driver_ok() const { return (m_status & kStatusDriverOk) && !(m_status & kStatusNeedsReset); }
    void notify_used(unsigned index);
    // A queue the driver corrupted: report DEVICE_NEEDS_RESET (§2.1.2) and stop using it.
    void check_broken();

    static constexpr uint32_t kStatusAcknowledge = 1, kStatusDriver = 2, kStatusDriverOk = 4,
                              kStatusFeaturesOk = 8, kStatusNeedsReset = 64, kStatusFailed = 128;
    static constexpr uint64_t kFeatureVersion1 = 1ull << 32;

  private:
    struct Queue {
        Virtqueue ring;
        VirtqLayout layout;
        uint16_t num = 0;
        bool enabled = false;
    };
    uint32_t read_register(uint64_t offset);
    void write_register(uint64_t offset, uint32_t value);
    void reset();
    void update_irq();

    VirtioDevice& m_device;
    GuestMemory m_memory;
    GuestMemory m_readonly;
    uint64_t m_base;
    unsigned m_gsi;
    std::function<void(bool)> m_set_irq;

    std::array<Queue, kMaxQueues> m_queues;
    uint32_t m_queue_select = 0;
    uint32_t m_device_features_select = 0, m_driver_features_select = 0;
    uint64_t m_driver_features = 0;
    uint32_t m_status = 0;
    uint32_t m_interrupt_status = 0;
    bool m_irq_level = false;
};

} // namespace wisp::vmm
