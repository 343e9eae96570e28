// SPDX-License-Identifier: MIT
#include "drivers/virtio/mmio.h"

#include "platform/platform.h"

namespace wisp::drivers::virtio {
namespace {

// Register offsets (virtio 1.2 §4.2.2).
enum : uint32_t {
    kMagic = 0x000, kVersion = 0x004, kDeviceId = 0x008,
    kDeviceFeatures = 0x010, kDeviceFeaturesSel = 0x014,
    kDriverFeatures = 0x020, kDriverFeaturesSel = 0x024,
    kQueueSel = 0x030, kQueueNumMax = 0x034, kQueueNum = 0x038, kQueueReady = 0x044,
    kInterruptStatus = 0x060, kInterruptAck = 0x064, kStatus = 0x070,
    kQueueDescLow = 0x080, kQueueDescHigh = 0x084, kQueueDriverLow = 0x090,
    kQueueDriverHigh = 0x094, kQueueDeviceLow = 0x0a0, kQueueDeviceHigh = 0x0a4,
};
constexpr uint32_t kMagicValue = 0x74726976;
constexpr uint32_t kAcknowledge = 1, kDriver = 2, kDriverOk = 4, kFeaturesOk = 8;
constexpr uint64_t kFeatureVersion1 = 1ull << 32;

} // namespace

uint32_t MmioTransport::read(uint32_t offset) const {
    return *static_cast<volatile uint32_t*>(platform::phys_to_virt(m_base + offset));
}

void MmioTransport::write(uint32_t offset, uint32_t value) const {
    *static_cast<volatile uint32_t*>(platform::phys_to_virt(m_base + offset)) = value;
}

Result<void> MmioTransport::open(const MmioParam& where, uint32_t device_id,
                                 uint64_t wanted_features) {
    // Only inside the direct map and outside RAM the kernel manages (the MMIO gap).
    if (where.size < 0x100 || where.base < 0xc000'0000 || where.base >= 0x1'0000'0000)
        return Errno::NODEV;
    m_base = where.base;
    m_irq = where.irq;
    if (read(kMagic) != kMagicValue || read(kVersion) != 2 || read(kDeviceId) != device_id)
        return Errno::NODEV;
    write(kStatus, 0);
    write(kStatus, kAcknowledge | kDriver);
    write(kDeviceFeaturesSel, 1);
    uint64_t offered = uint64_t{read(kDeviceFeatures)} << 32;
    write(kDeviceFeaturesSel, 0);
    offered |= read(kDeviceFeatures);
    if (!(offered & kFeatureVersion1)) return Errno::NODEV; // legacy devices are not driven
    uint64_t accepted = (wanted_features & offered) | kFeatureVersion1;
    write(kDriverFeaturesSel, 1);
    write(kDriverFeatures, static_cast<uint32_t>(accepted >> 32));
    write(kDriverFeaturesSel, 0);
    write(kDriverFeatures, static_cast<uint32_t>(accepted));
    write(kStatus, kAcknowledge | kDriver | kFeaturesOk);
    if (!(read(kStatus) & kFeaturesOk)) return Errno::NODEV;
    return {};
}

Result<void> MmioTransport::setup_queue(unsigned index, Virtqueue& queue) {
    write(kQueueSel, index);
    if (read(kQueueReady) != 0) return Errno::BUSY;
    uint32_t max = read(kQueueNumMax);
    if (max == 0) return Errno::NODEV;
    uint16_t size = Virtqueue::kMaxSize;
    while (size > max) size /= 2;
    TRY(queue.init(size));
    write(kQueueNum, size);
    write(kQueueDescLow, static_cast<uint32_t>(queue.desc_paddr()));
    write(kQueueDescHigh, static_cast<uint32_t>(queue.desc_paddr() >> 32));
    write(kQueueDriverLow, static_cast<uint32_t>(queue.avail_paddr()));
    write(kQueueDriverHigh, static_cast<uint32_t>(queue.avail_paddr() >> 32));
    write(kQueueDeviceLow, static_cast<uint32_t>(queue.used_paddr()));
    write(kQueueDeviceHigh, static_cast<uint32_t>(queue.used_paddr() >> 32));
    write(kQueueReady, 1);
    return {};
}

void MmioTransport::ready() { write(kStatus, kAcknowledge | kDriver | kFeaturesOk | kDriverOk); }

uint32_t MmioTransport::acknowledge_interrupt() {
    uint32_t status = read(kInterruptStatus);
    if (status) write(kInterruptAck, status);
    return status;
}

} // namespace wisp::drivers::virtio
