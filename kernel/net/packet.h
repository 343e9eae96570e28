// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <utility>

#include "lib/verify.h"
#include "net/addr.h"
#include "net/wire.h"

// Packet buffers.
//
// A PacketBuffer is one fixed 2 KiB block from a PacketPool: a small descriptor followed by
// storage. The packet's bytes are storage[head, tail); the room before `head` is headroom,
// where each layer on the transmit path prepends its header without copying the payload:
//
//   block: | descriptor | headroom ... | data (head..tail) | tailroom |
//
// A packet larger than one block (a reassembled IP datagram, a big UDP datagram) is a chain
// of buffers linked by `chain_next`. Queues (socket receive queues, ARP pending queues) link
// whole packets through `queue_next`. A received frame's buffer travels up the stack and into
// a TCP or UDP socket receive queue unchanged: only head/tail move (zero copy).
namespace wisp::net {

class PacketPool;

constexpr size_t kPacketBlockSize = 2048;

// Per-packet scratch space the layers use while a packet sits in one of their queues.
struct PacketMeta {
    uint32_t seq = 0;       // TCP: sequence number of the first data byte
    uint32_t value = 0;     // layer-specific
    Endpoint peer;          // UDP: datagram source
    uint8_t flags = 0;
};

enum PacketFlags : uint8_t {
    kPacketChecksumVerified = 1 << 0, // the NIC verified the TCP/UDP checksum (offload)
    kPacketTcpFin = 1 << 1,           // TCP: FIN follows the data (out-of-order queue)
    kPacketBroadcast = 1 << 2,        // arrived as a link-layer broadcast
};

struct PacketBuffer {
    PacketBuffer* chain_next;
    PacketBuffer* queue_next;
    PacketPool* pool;
    uint16_t head;
    uint16_t tail;
    uint16_t capacity;
    PacketMeta meta;

    uint8_t* storage() { return reinterpret_cast<uint8_t*>(this) + sizeof(PacketBuffer); }
    const uint8_t* storage() const {
        return reinterpret_cast<const uint8_t*>(this) + sizeof(PacketBuffer);
    }
};
static_assert(sizeof(PacketBuffer) <= 64);
constexpr size_t kPacketStorage = kPacketBlockSize - sizeof(PacketBuffer);

// Owning handle to a packet (a buffer chain). Move-only; dropping it returns every buffer of
// the chain to its pool.
class Packet {
public:
    Packet() = default;
    explicit Packet(PacketBuffer* b) : m_buffer(b) {}
    Packet(Packet&& o) : m_buffer(std::exchange(o.m_buffer, nullptr)) {}
    Packet& operator=(Packet&& o) {
        if (this != &o) {
            reset();
            m_buffer = std::exchange(o.m_buffer, nullptr);
        }
        return *this;
    }
    Packet(const Packet&) = delete;
    Packet& operator=(const Packet&) = delete;
    ~Packet() { reset(); }

    explicit operator bool() const { return m_buffer != nullptr; }
    PacketBuffer* buffer() const { return m_buffer; }
    PacketBuffer* release() { return std::exchange(m_buffer, nullptr); }
    void reset();

    // The first buffer's bytes.
    uint8_t* data() { return m_buffer->storage() + m_buffer->head; }
    const uint8_t* data() const { return m_buffer->storage() + m_buffer->head; }
    size_t length() const { return size_t(m_buffer->tail - m_buffer->head); }
    ByteView view() const { return ByteView(data(), length()); }
    size_t headroom() const { return m_buffer->head; }
    size_t tailroom() const { return size_t(m_buffer->capacity - m_buffer->tail); }
    bool is_chained() const { return m_buffer->chain_next != nullptr; }
    size_t total_length() const;
    PacketMeta& meta() { return m_buffer->meta; }
    const PacketMeta& meta() const { return m_buffer->meta; }

    // Prepends n bytes (a header) into the headroom; the caller checked headroom().
    uint8_t* push(size_t n) {
        VERIFY(n <= m_buffer->head);
        m_buffer->head = uint16_t(m_buffer->head - n);
        return data();
    }
    // Appends n bytes at the tail of the first buffer; the caller checked tailroom().
    uint8_t* put(size_t n) {
        VERIFY(n <= tailroom());
        uint8_t* p = m_buffer->storage() + m_buffer->tail;
        m_buffer->tail = uint16_t(m_buffer->tail + n);
        return p;
    }
    // Drops n bytes from the front, across the chain (buffers emptied entirely are freed).
    void trim_front(size_t n);
    // Keeps only the first `total` bytes, across the chain.
    void truncate(size_t total);
    // Appends another packet's buffers after this one's (IP reassembly, large datagrams).
    void append_chain(Packet&& tail);
    // Copies bytes [offset, offset + length) of the whole chain into dst; returns the count.
    size_t copy_out(size_t offset, uint8_t* dst, size_t length) const;
    // Sets the first buffer's data to [headroom, headroom) (an empty packet).
    void reset_to_headroom(size_t headroom) {
        VERIFY(headroom <= m_buffer->capacity);
        m_buffer->head = m_buffer->tail = uint16_t(headroom);
    }

private:
    PacketBuffer* m_buffer = nullptr;
};

// FIFO of packets, linked through queue_next. Owns its packets.
class PacketQueue {
public:
    PacketQueue() = default;
    PacketQueue(const PacketQueue&) = delete;
    PacketQueue& operator=(const PacketQueue&) = delete;
    ~PacketQueue() { clear(); }

    bool empty() const { return m_head == nullptr; }
    size_t count() const { return m_count; }
    PacketBuffer* front() const { return m_head; }
    PacketBuffer* back() const { return m_tail; }
    void push_back(Packet&& p);
    Packet pop_front();
    // Drops n bytes from the front packet, which must hold more than n bytes.
    void trim_front_packet(size_t n);
    void clear();

private:
    PacketBuffer* m_head = nullptr;
    PacketBuffer* m_tail = nullptr;
    size_t m_count = 0;
};

class MemorySource;

// A pool of packet blocks that grows in slabs from a MemorySource up to a byte budget, and
// never returns memory until it is destroyed. Exhaustion is an ordinary event (a NIC with no
// receive buffers drops frames; a socket with no send buffers reports EAGAIN/ENOBUFS).
class PacketPool {
public:
    PacketPool(MemorySource& memory, size_t budget_bytes);
    ~PacketPool();
    PacketPool(const PacketPool&) = delete;
    PacketPool& operator=(const PacketPool&) = delete;

    // An empty packet with `headroom` bytes reserved in front; a null Packet if exhausted.
    Packet allocate(size_t headroom);
    void release(PacketBuffer* buffer);

    size_t in_use() const { return m_in_use; }
    size_t free_count() const { return m_free_count; }
    size_t capacity() const { return m_max_buffers; }
    size_t available() const { return m_max_buffers - m_in_use; }
    uint64_t allocation_failures() const { return m_failures; }

private:
    bool grow();

    struct Slab {
        Slab* next;
        size_t bytes;
    };
    MemorySource& m_memory;
    size_t m_max_buffers;
    size_t m_allocated = 0; // buffers carved from slabs so far
    size_t m_in_use = 0;
    size_t m_free_count = 0;
    uint64_t m_failures = 0;
    PacketBuffer* m_free = nullptr;
    Slab* m_slabs = nullptr;
};

} // namespace wisp::net
