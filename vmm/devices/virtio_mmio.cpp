// SPDX-License-Identifier: MIT
#include "devices/virtio_mmio.h"

#include <cstdio>
#include <cstring>

namespace wisp::vmm {
namespace {

// Register offsets (virtio 1.2 §4.2.2, table "MMIO Device Register Layout").
enum : uint64_t {
    kMagic = 0x000,
    kVersion = 0x004,
    kDeviceId = 0x008,
    kVendorId = 0x00c,
    kDeviceFeatures = 0x010,
    kDeviceFeaturesSel = 0x014,
    kDriverFeatures = 0x020,
    kDriverFeaturesSel = 0x024,
    kQueueSel = 0x030,
    kQueueNumMax = 0x034,
    kQueueNum = 0x038,
    kQueueReady = 0x044,
    kQueueNotify = 0x050,
    kInterruptStatus = 0x060,
    kInterruptAck = 0x064,
    kStatus = 0x070,
    kQueueDescLow = 0x080,
    kQueueDescHigh = 0x084,
    kQueueDriverLow = 0x090,
    kQueueDriverHigh = 0x094,
    kQueueDeviceLow = 0x0a0,
    kQueueDeviceHigh = 0x0a4,
    kConfigGeneration = 0x0fc,
    kConfig = 0x100,
};

constexpr uint32_t kMagicValue = 0x74726976; // "virt"
constexpr uint32_t kVendor = 0x70736977;     // "wisp"
constexpr uint32_t kInterruptUsedBuffer = 1;

void set_low(uint64_t& value, uint32_t low) { value = (value & ~0xffff'ffffull) | low; }
void set_high(uint64_t& value, uint32_t high) {
    value = (value & 0xffff'ffffull) | uint64_t{high} << 32;
}

} // namespace

VirtioMmio::VirtioMmio(VirtioDevice& device, const GuestMemory& memory, uint64_t base,
                       unsigned gsi, std::function<void(bool)> set_irq,
                       const GuestMemory& readonly)
    : m_device(device), m_memory(memory), m_readonly(readonly), m_base(base), m_gsi(gsi),
      m_set_irq(std::move(set_irq)) {}

std::string VirtioMmio::cmdline_token() const {
    char text[64];
    std::snprintf(text, sizeof text, "virtio_mmio.device=4K@0x%llx:%u",
                  static_cast<unsigned long long>(m_base), m_gsi);
    return text;
}

void VirtioMmio::read(uint64_t gpa, std::span<uint8_t> data) {
    std::memset(data.data(), 0, data.size());
    uint64_t offset = gpa - m_base;
    if (offset >= kConfig) {
        std::span<const uint8_t> config = m_device.config();
        uint64_t at = offset - kConfig;
        for (size_t i = 0; i < data.size() && at + i < config.size(); i++)
            data[i] = config[at + i];
        return;
    }
    // §4.2.2.2: the driver uses 32-bit aligned accesses for registers; anything else reads 0.
    if (data.size() != 4 || offset % 4 != 0) return;
    uint32_t value = read_register(offset);
    std::memcpy(data.data(), &value, 4);
}

void VirtioMmio::write(uint64_t gpa, std::span<const uint8_t> data) {
    uint64_t offset = gpa - m_base;
    if (offset >= kConfig || data.size() != 4 || offset % 4 != 0) return; // config is read-only
    uint32_t value;
    std::memcpy(&value, data.data(), 4);
    write_register(offset, value);
}

uint32_t VirtioMmio::read_register(uint64_t offset) {
    const uint64_t features = m_device.features() | kFeatureVersion1;
    Queue* q = m_queue_select < m_device.queue_count() ? &m_queues[m_queue_select] : nullptr;
    switch (offset) {
    case kMagic: return kMagicValue;
    case kVersion: return 2;
    case kDeviceId: return m_device.device_id();
    case kVendorId: return kVendor;
    case kDeviceFeatures:
        return m_device_features_select == 0   ? static_cast<uint32_t>(features)
               : m_device_features_select == 1 ? static_cast<uint32_t>(features >> 32)
                                               : 0;
    case kQueueNumMax: return q ? Virtqueue::kMaxSize : 0;
    case kQueueReady: return q && q->enabled ? 1 : 0;
    case kInterruptStatus: return m_interrupt_status;
    case kStatus: return m_status;
    case kConfigGeneration: return 0;
    default: return 0;
    }
}

void VirtioMmio::write_register(uint64_t offset, uint32_t value) {
    Queue* q = m_queue_select < m_device.queue_count() ? &m_queues[m_queue_select] : nullptr;
    // Queue registers may change only while the queue is disabled (§4.2.2.3).
    Queue* setup = q && !q->enabled ? q : nullptr;
    switch (offset) {
    case kDeviceFeaturesSel: m_device_features_select = value; break;
    case kDriverFeaturesSel: m_driver_features_select = value; break;
    case kDriverFeatures:
        if (m_status & kStatusFeaturesOk) break;
        if (m_driver_features_select == 0) set_low(m_driver_features, value);
        if (m_driver_features_select == 1) set_high(m_driver_features, value);
        break;
    case kQueueSel: m_queue_select = value; break;
    case kQueueNum:
        if (setup) setup->num = static_cast<uint16_t>(value > 0xffff ? 0 : value);
        break;
    case kQueueDescLow: if (setup) set_low(setup->layout.desc_gpa, value); break;
    case kQueueDescHigh: if (setup) set_high(setup->layout.desc_gpa, value); break;
    case kQueueDriverLow: if (setup) set_low(setup->layout.avail_gpa, value); break;
    case kQueueDriverHigh: if (setup) set_high(setup->layout.avail_gpa, value); break;
    case kQueueDeviceLow: if (setup) set_low(setup->layout.used_gpa, value); break;
    case kQueueDeviceHigh: if (setup) set_high(setup->layout.used_gpa, value); break;
    case kQueueReady:
        if (!q) break;
        if (value == 1 && !q->enabled) {
            q->layout.size = q->num;
            // A layout outside guest memory leaves the queue disabled; the driver sees
            // QueueReady read back 0 and DEVICE_NEEDS_RESET.
            if (q->ring.configure(m_memory, q->layout, m_readonly))
                q->enabled = true;
            else
                m_status |= kStatusNeedsReset;
        } else if (value == 0) {
            q->enabled = false;
            q->ring.reset();
        }
        break;
    case kQueueNotify:
        if (value < m_device.queue_count() && m_queues[value].enabled && driver_ok()) {
            m_device.queue_notify(*this, value);
            check_broken();
        }
        break;
    case kInterruptAck:
        m_interrupt_status &= ~value;
        update_irq();
        break;
    case kStatus:
        if (value == 0) {
            reset();
            break;
        }
        // FEATURES_OK only for a subset of what was offered, and only with VERSION_1 (no
        // legacy interface here).
        if ((value & kStatusFeaturesOk) && !(m_status & kStatusFeaturesOk)) {
            uint64_t offered = m_device.features() | kFeatureVersion1;
            if ((m_driver_features & ~offered) || !(m_driver_features & kFeatureVersion1))
                value &= ~kStatusFeaturesOk;
        }
        {
            bool became_ok = (value & kStatusDriverOk) && !(m_status & kStatusDriverOk);
            m_status = value | (m_status & kStatusNeedsReset);
            if (became_ok && driver_ok()) {
                for (unsigned i = 0; i < m_device.queue_count(); i++)
                    if (m_queues[i].enabled) m_device.queue_notify(*this, i);
                check_broken();
            }
        }
        break;
    default: break;
    }
}

void VirtioMmio::notify_used(unsigned index) {
    if (index >= m_device.queue_count() || !m_queues[index].ring.wants_interrupt()) return;
    m_interrupt_status |= kInterruptUsedBuffer;
    update_irq();
}

void VirtioMmio::check_broken() {
    for (unsigned i = 0; i < m_device.queue_count(); i++) {
        if (m_queues[i].ring.broken() && !(m_status & kStatusNeedsReset)) {
            // Worth a line: it is a kernel bug, and the device stops working.
            std::fprintf(stderr, "wisp: virtio device at 0x%llx: the driver corrupted queue %u; "
                                 "the device needs a reset\n",
                         static_cast<unsigned long long>(m_base), i);
            m_status |= kStatusNeedsReset;
            m_interrupt_status |= 2; // configuration change notification (§2.1.2)
            update_irq();
        }
    }
}

void VirtioMmio::reset() {
    for (Queue& q : m_queues)
        q = Queue{};
    m_queue_select = m_device_features_select = m_driver_features_select = 0;
    m_driver_features = 0;
    m_status = 0;
    m_interrupt_status = 0;
    update_irq();
    m_device.reset();
}

void VirtioMmio::update_irq() {
    bool level = m_interrupt_status != 0;
    if (level == m_irq_level) return;
    m_irq_level = level;
    if (m_set_irq) m_set_irq(level);
}

} // namespace wisp::vmm
