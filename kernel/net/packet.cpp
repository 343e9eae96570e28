// SPDX-License-Identifier: MIT
#include "net/packet.h"

#include <string.h>

#include "net/platform.h"

namespace wisp::net {

void Packet::reset() {
    PacketBuffer* b = m_buffer;
    m_buffer = nullptr;
    while (b) {
        PacketBuffer* next = b->chain_next;
        b->pool->release(b);
        b = next;
    }
}

size_t Packet::total_length() const {
    size_t n = 0;
    for (PacketBuffer* b = m_buffer; b; b = b->chain_next) n += size_t(b->tail - b->head);
    return n;
}

void Packet::trim_front(size_t n) {
    while (n > 0 && m_buffer) {
        size_t here = size_t(m_buffer->tail - m_buffer->head);
        if (n < here) {
            m_buffer->head = uint16_t(m_buffer->head + n);
            return;
        }
        n -= here;
        if (!m_buffer->chain_next) {
            m_buffer->head = m_buffer->tail;
            return;
        }
        // Free the emptied first buffer, keeping the packet's metadata on the new head.
        PacketBuffer* first = m_buffer;
        m_buffer = first->chain_next;
        m_buffer->meta = first->meta;
        m_buffer->queue_next = first->queue_next;
        first->chain_next = nullptr;
        first->pool->release(first);
    }
}

void Packet::truncate(size_t total) {
    PacketBuffer* b = m_buffer;
    size_t seen = 0;
    while (b) {
        size_t here = size_t(b->tail - b->head);
        if (seen + here >= total) {
            b->tail = uint16_t(b->head + (total - seen));
            PacketBuffer* rest = b->chain_next;
            b->chain_next = nullptr;
            while (rest) {
                PacketBuffer* next = rest->chain_next;
                rest->pool->release(rest);
                rest = next;
            }
            return;
        }
        seen += here;
        b = b->chain_next;
    }
}

void Packet::append_chain(Packet&& tail) {
    PacketBuffer* t = tail.release();
    if (!t) return;
    if (!m_buffer) {
        m_buffer = t;
        return;
    }
    PacketBuffer* b = m_buffer;
    while (b->chain_next) b = b->chain_next;
    b->chain_next = t;
}

size_t Packet::copy_out(size_t offset, uint8_t* dst, size_t length) const {
    size_t copied = 0;
    for (PacketBuffer* b = m_buffer; b && copied < length; b = b->chain_next) {
        size_t here = size_t(b->tail - b->head);
        if (offset >= here) {
            offset -= here;
            continue;
        }
        size_t n = here - offset;
        if (n > length - copied) n = length - copied;
        memcpy(dst + copied, b->storage() + b->head + offset, n);
        copied += n;
        offset = 0;
    }
    return copied;
}

void PacketQueue::push_back(Packet&& p) {
    PacketBuffer* b = p.release();
    VERIFY(b);
    b->queue_next = nullptr;
    if (m_tail)
        m_tail->queue_next = b;
    else
        m_head = b;
    m_tail = b;
    m_count++;
}

Packet PacketQueue::pop_front() {
    PacketBuffer* b = m_head;
    if (!b) return Packet();
    m_head = b->queue_next;
    if (!m_head) m_tail = nullptr;
    b->queue_next = nullptr;
    m_count--;
    return Packet(b);
}

void PacketQueue::trim_front_packet(size_t n) {
    PacketBuffer* next = m_head->queue_next;
    bool was_tail = m_head == m_tail;
    Packet p(m_head);
    p.trim_front(n);
    PacketBuffer* b = p.release();
    b->queue_next = next;
    m_head = b;
    if (was_tail) m_tail = b;
}

void PacketQueue::clear() {
    while (!empty()) pop_front();
}

// Slabs of 32 blocks (64 KiB): few enough MemorySource calls, small enough not to overshoot
// a tight budget by much.
static constexpr size_t kBlocksPerSlab = 32;

PacketPool::PacketPool(MemorySource& memory, size_t budget_bytes)
    : m_memory(memory), m_max_buffers(budget_bytes / kPacketBlockSize) {}

PacketPool::~PacketPool() {
    // Every buffer must be back: a leak here is a bug in a layer that owned a packet.
    VERIFY(m_in_use == 0);
    while (m_slabs) {
        Slab* next = m_slabs->next;
        m_memory.release(m_slabs, m_slabs->bytes);
        m_slabs = next;
    }
}

bool PacketPool::grow() {
    size_t blocks = kBlocksPerSlab;
    if (m_allocated + blocks > m_max_buffers) blocks = m_max_buffers - m_allocated;
    if (blocks == 0) return false;
    // The slab header takes the first block, so every packet block stays 2 KiB aligned.
    size_t bytes = (blocks + 1) * kPacketBlockSize;
    auto* memory = static_cast<uint8_t*>(m_memory.allocate(bytes, kPacketBlockSize));
    if (!memory) return false;
    auto* slab = reinterpret_cast<Slab*>(memory);
    slab->next = m_slabs;
    slab->bytes = bytes;
    m_slabs = slab;
    for (size_t i = 1; i <= blocks; i++) {
        auto* b = reinterpret_cast<PacketBuffer*>(memory + i * kPacketBlockSize);
        b->queue_next = m_free;
        m_free = b;
    }
    m_allocated += blocks;
    m_free_count += blocks;
    return true;
}

Packet PacketPool::allocate(size_t headroom) {
    if (!m_free && !grow()) {
        m_failures++;
        return Packet();
    }
    PacketBuffer* b = m_free;
    m_free = b->queue_next;
    m_free_count--;
    m_in_use++;
    b->chain_next = nullptr;
    b->queue_next = nullptr;
    b->pool = this;
    b->capacity = uint16_t(kPacketStorage);
    b->head = b->tail = uint16_t(headroom < kPacketStorage ? headroom : kPacketStorage);
    b->meta = PacketMeta{};
    return Packet(b);
}

void PacketPool::release(PacketBuffer* b) {
    VERIFY(b->pool == this);
    b->chain_next = nullptr;
    b->queue_next = m_free;
    m_free = b;
    m_free_count++;
    m_in_use--;
}

} // namespace wisp::net
