// SPDX-License-Identifier: MIT
#pragma once

// The pages of a tmpfs file: a radix tree of 512-entry nodes (one page each), growing in height
// only as far as the highest page written, so a small file costs no node at all.
//
// An entry is 0 (a hole: reads as zeros), the address of a page the tree owns, or — with bit 0
// set — the address of a borrowed page (an image page shared by an overlay copy-up) that must be
// copied before it is written.
#include <stddef.h>
#include <stdint.h>

#include "lib/result.h"

namespace wisp::fs {

class PageTree {
  public:
    static constexpr int kMaxHeight = 4; // 512^4 pages: files up to 256 TiB
    static constexpr uintptr_t kBorrowed = 1;

    PageTree() = default;
    PageTree(const PageTree&) = delete;
    PageTree& operator=(const PageTree&) = delete;
    ~PageTree() { clear(); }

    static uint64_t max_pages() { return 1ull << (9 * kMaxHeight); }

    // The entry for page `index` (0 when absent).
    uintptr_t get(uint64_t index) const;
    // The slot for page `index`, creating nodes as needed. NOMEM, or FBIG beyond max_pages().
    Result<uintptr_t*> slot(uint64_t index);
    // Removes the pages from `first` on, freeing the owned ones.
    struct Dropped {
        uint64_t present = 0, owned = 0;
    };
    Dropped drop_from(uint64_t first);
    void clear() { drop_from(0); }
    // The first index >= `from` whose entry is present (`present`) or absent (!present), or
    // `limit` when there is none below it.
    uint64_t find(uint64_t from, uint64_t limit, bool present) const;

    static bool is_borrowed(uintptr_t entry) { return entry & kBorrowed; }
    static const void* page_of(uintptr_t entry) {
        return reinterpret_cast<const void*>(entry & ~kBorrowed);
    }

  private:
    static uint64_t capacity(int height) { return 1ull << (9 * height); }
    void drop_node(uintptr_t* slot, int height, uint64_t base, uint64_t first, Dropped& out);
    uint64_t find_in(uintptr_t entry, int height, uint64_t base, uint64_t from, uint64_t limit,
                     bool present) const;

    uintptr_t m_root = 0; // height 0: the entry of page 0; else a node
    int m_height = 0;
};

} // namespace wisp::fs
