// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <new>
#include <utility>

#include "lib/verify.h"
#include "net/platform.h"

// Fixed-size objects (sockets, connection blocks) from slabs taken from a MemorySource, up to
// a maximum count. create() fails (nullptr) at the limit: a SYN flood or a socket leak hits
// the budget, never the kernel's general allocator.
namespace wisp::net {

template<typename T>
class ObjectPool {
public:
    ObjectPool(MemorySource& memory, size_t max_objects)
        : m_memory(memory), m_max(max_objects) {}
    ~ObjectPool() {
        VERIFY(m_in_use == 0);
        while (m_slabs) {
            Slab* next = m_slabs->next;
            m_memory.release(m_slabs, m_slabs->bytes);
            m_slabs = next;
        }
    }
    ObjectPool(const ObjectPool&) = delete;
    ObjectPool& operator=(const ObjectPool&) = delete;

    template<typename... Args>
    T* create(Args&&... args) {
        if (m_in_use >= m_max) return nullptr;
        if (!m_free && !grow()) return nullptr;
        FreeSlot* slot = m_free;
        m_free = slot->next;
        m_in_use++;
        return new (slot) T(std::forward<Args>(args)...);
    }
    void destroy(T* object) {
        object->~T();
        auto* slot = reinterpret_cast<FreeSlot*>(object);
        slot->next = m_free;
        m_free = slot;
        m_in_use--;
    }
    size_t in_use() const { return m_in_use; }
    size_t limit() const { return m_max; }

private:
    struct FreeSlot {
        FreeSlot* next;
    };
    struct Slab {
        Slab* next;
        size_t bytes;
    };
    static constexpr size_t kSlotSize =
        (sizeof(T) > sizeof(FreeSlot) ? sizeof(T) : sizeof(FreeSlot)) + alignof(T) - 1 &
        ~(alignof(T) - 1);
    static constexpr size_t kSlabBytes = 64 * 1024;
    static constexpr size_t kHeader = (sizeof(Slab) + alignof(T) - 1) & ~(alignof(T) - 1);

    bool grow() {
        size_t count = (kSlabBytes - kHeader) / kSlotSize;
        if (count == 0) count = 1;
        size_t bytes = kHeader + count * kSlotSize;
        auto* memory = static_cast<uint8_t*>(m_memory.allocate(bytes, alignof(T) < 16 ? 16 : alignof(T)));
        if (!memory) return false;
        auto* slab = reinterpret_cast<Slab*>(memory);
        slab->next = m_slabs;
        slab->bytes = bytes;
        m_slabs = slab;
        for (size_t i = 0; i < count; i++) {
            auto* slot = reinterpret_cast<FreeSlot*>(memory + kHeader + i * kSlotSize);
            slot->next = m_free;
            m_free = slot;
        }
        return true;
    }

    MemorySource& m_memory;
    size_t m_max;
    size_t m_in_use = 0;
    FreeSlot* m_free = nullptr;
    Slab* m_slabs = nullptr;
};

} // namespace wisp::net
