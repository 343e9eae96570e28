// SPDX-License-Identifier: MIT
#include "fs/page_tree.h"

#include "fs/system.h"

namespace wisp::fs {

namespace {
constexpr int kBits = 9;
constexpr uint64_t kFanout = 1u << kBits;

uintptr_t* node_of(uintptr_t entry) {
    return reinterpret_cast<uintptr_t*>(entry);
}
} // namespace

uintptr_t PageTree::get(uint64_t index) const {
    if (index >= capacity(m_height)) return 0;
    uintptr_t entry = m_root;
    for (int level = m_height; level > 0 && entry; level--)
        entry = node_of(entry)[(index >> (kBits * (level - 1))) & (kFanout - 1)];
    return entry;
}

Result<uintptr_t*> PageTree::slot(uint64_t index) {
    if (index >= max_pages()) return Errno::FBIG;
    while (index >= capacity(m_height)) {
        if (m_root) {
            auto* node = static_cast<uintptr_t*>(allocate_page(true));
            if (!node) return Errno::NOMEM;
            node[0] = m_root;
            m_root = reinterpret_cast<uintptr_t>(node);
        }
        m_height++;
    }
    uintptr_t* slot = &m_root;
    for (int level = m_height; level > 0; level--) {
        if (!*slot) {
            void* node = allocate_page(true);
            if (!node) return Errno::NOMEM;
            *slot = reinterpret_cast<uintptr_t>(node);
        }
        slot = &node_of(*slot)[(index >> (kBits * (level - 1))) & (kFanout - 1)];
    }
    return slot;
}

void PageTree::drop_node(uintptr_t* slot, int height, uint64_t base, uint64_t first, Dropped& out) {
    if (!*slot || base + capacity(height) <= first) return;
    if (height == 0) {
        out.present++;
        if (!is_borrowed(*slot)) {
            free_page(reinterpret_cast<void*>(*slot));
            out.owned++;
        }
        *slot = 0;
        return;
    }
    uintptr_t* node = node_of(*slot);
    uint64_t step = capacity(height - 1);
    for (uint64_t i = 0; i < kFanout; i++)
        drop_node(&node[i], height - 1, base + i * step, first, out);
    if (base >= first) {
        free_page(node);
        *slot = 0;
    }
}

PageTree::Dropped PageTree::drop_from(uint64_t first) {
    Dropped out;
    drop_node(&m_root, m_height, 0, first, out);
    if (!m_root) m_height = 0;
    return out;
}

uint64_t PageTree::find_in(uintptr_t entry, int height, uint64_t base, uint64_t from,
                           uint64_t limit, bool present) const {
    uint64_t end = base + capacity(height);
    if (end <= from || base >= limit) return limit;
    if (!entry) return present ? limit : (base > from ? base : from);
    if (height == 0) return present ? (base > from ? base : from) : limit;
    uint64_t step = capacity(height - 1);
    uint64_t first = from > base ? (from - base) / step : 0;
    for (uint64_t i = first; i < kFanout; i++) {
        uint64_t r = find_in(node_of(entry)[i], height - 1, base + i * step, from, limit, present);
        if (r < limit) return r;
    }
    return limit;
}

uint64_t PageTree::find(uint64_t from, uint64_t limit, bool present) const {
    if (from >= limit) return limit;
    uint64_t covered = capacity(m_height);
    uint64_t r = find_in(m_root, m_height, 0, from, limit, present);
    if (r < limit) return r;
    // Beyond the tree everything is absent.
    if (!present && covered < limit) return from > covered ? from : covered;
    return limit;
}

} // namespace wisp::fs
