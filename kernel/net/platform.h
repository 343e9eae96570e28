// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

// The stack's only view of the machine. The kernel implements these over virtio-net,
// kvmclock/TSC, its CSPRNG and its page allocator; host tests and tools implement them over
// an in-memory link, a fake clock, a seeded generator and malloc. Nothing in net/ includes
// anything from arch/ or drivers/.
//
// Destructors are protected and non-virtual: the stack never owns or deletes these objects.
namespace wisp::net {

class Packet;

// A network interface: the stack hands it complete Ethernet frames. Received frames go the
// other way, by the driver calling Stack::receive_frame().
class Nic {
public:
    virtual MacAddress mac_address() const = 0;
    // Largest IP packet (Ethernet payload) the link carries: 1500 for Ethernet.
    virtual uint16_t mtu() const = 0;
    // Bytes the driver needs in front of the Ethernet header (e.g. virtio_net_hdr, 12);
    // every frame the stack transmits has at least this much headroom.
    virtual uint16_t tx_headroom() const { return 0; }
    // Takes ownership of the frame. The driver may keep the buffer until the device is done
    // with it (zero copy) and then drop the Packet, which returns it to its pool. A full
    // transmit queue drops the frame, as a full NIC ring would.
    virtual void transmit(Packet&& frame) = 0;

protected:
    ~Nic() = default;
};

// Monotonic time. Microseconds since an arbitrary epoch; must never go backwards.
class Clock {
public:
    virtual uint64_t now_us() const = 0;

protected:
    ~Clock() = default;
};

// Unpredictable random bits (the kernel's CSPRNG). Used for the SipHash keys behind ISNs,
// ephemeral ports and hash buckets, and for DHCP transaction ids.
class RandomSource {
public:
    virtual void fill(void* buffer, size_t length) = 0;

protected:
    ~RandomSource() = default;
};

// Memory for the stack's pools. The stack asks for memory only to grow a pool (in blocks of
// at least 16 KiB), never once per packet; every pool has a fixed budget in StackConfig.
class MemorySource {
public:
    // Returns zeroed or unzeroed memory aligned to `alignment`, or nullptr.
    virtual void* allocate(size_t size, size_t alignment) = 0;
    virtual void release(void* memory, size_t size) = 0;

protected:
    ~MemorySource() = default;
};

} // namespace wisp::net
