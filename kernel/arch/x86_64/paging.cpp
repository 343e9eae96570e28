// SPDX-License-Identifier: MIT
// x86-64 4-level page tables for the user half. The kernel half (direct map, kernel image) is the
// boot page tables' 2 MiB mappings, shared by the one address space.
#include <wisp/abi/platform.h>

#include "arch/x86_64/smp.h"
#include "platform/platform.h"

extern "C" uint64_t boot_pml4[];

namespace wisp::platform {
namespace {

constexpr uint64_t kPresent = 1, kWritable = 2, kUser = 4, kHuge = 0x80;
constexpr uint64_t kNoExecute = 1ull << 63;
constexpr uint64_t kAddressMask = 0x000f'ffff'ffff'f000;
constexpr uint64_t kUserEnd = 0x0000'8000'0000'0000;

PageTableFrames g_frames;

uint64_t* table(uint64_t paddr) { return static_cast<uint64_t*>(phys_to_virt(paddr)); }

// The leaf PTE for vaddr; creates intermediate tables when `create`. nullptr if absent.
uint64_t* walk(uint64_t vaddr, bool create) {
    uint64_t* level = table(reinterpret_cast<uint64_t>(boot_pml4));
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t& entry = level[(vaddr >> shift) & 511];
        if (!(entry & kPresent)) {
            if (!create || g_frames.allocate_zeroed == nullptr) return nullptr;
            uint64_t frame = g_frames.allocate_zeroed();
            if (frame == 0) return nullptr;
            entry = frame | kPresent | kWritable | kUser;
        }
        level = table(entry & kAddressMask);
    }
    return &level[(vaddr >> 12) & 511];
}

uint64_t pte_flags(uint32_t prot) {
    uint64_t flags = kPresent | kUser;
    if (prot & ProtWrite) flags |= kWritable;
    if (!(prot & ProtExec)) flags |= kNoExecute;
    return flags;
}

void invalidate(uint64_t vaddr) { asm volatile("invlpg (%0)" : : "r"(vaddr) : "memory"); }

} // namespace

void* phys_to_virt(uint64_t paddr) { return reinterpret_cast<void*>(abi::kDirectMapBase + paddr); }

uint64_t virt_to_phys(const void* vaddr) {
    auto v = reinterpret_cast<uint64_t>(vaddr);
    if (v >= abi::kKernelVirtBase) return v - abi::kKernelVirtBase;
    return v - abi::kDirectMapBase;
}

void set_page_table_frames(const PageTableFrames& frames) { g_frames = frames; }

Result<void> map_user_page(uint64_t vaddr, uint64_t paddr, uint32_t prot) {
    VERIFY(vaddr < kUserEnd && (vaddr & 0xfff) == 0 && (paddr & 0xfff) == 0);
    uint64_t* pte = walk(vaddr, true);
    if (pte == nullptr) return Errno::NOMEM;
    bool was_present = *pte & kPresent;
    *pte = paddr | pte_flags(prot);
    if (was_present) {
        invalidate(vaddr);
        x86::shoot_down_user_tlb();
    }
    return {};
}

Result<void> map_user_range(uint64_t vaddr, uint64_t paddr, uint64_t count, uint32_t prot) {
    VERIFY((vaddr & 0xfff) == 0 && (paddr & 0xfff) == 0 && count <= (kUserEnd - vaddr) >> 12);
    uint64_t flags = pte_flags(prot);
    bool replaced = false;
    while (count > 0) {
        uint64_t* pte = walk(vaddr, true);
        if (pte == nullptr) return Errno::NOMEM;
        // The rest of this page table: PTEs are consecutive until the 2 MiB boundary.
        uint64_t in_table = 512 - ((vaddr >> 12) & 511);
        uint64_t n = count < in_table ? count : in_table;
        for (uint64_t i = 0; i < n; i++) {
            bool was_present = pte[i] & kPresent;
            pte[i] = (paddr + (i << 12)) | flags;
            if (was_present) invalidate(vaddr + (i << 12));
            replaced |= was_present;
        }
        vaddr += n << 12;
        paddr += n << 12;
        count -= n;
    }
    if (replaced) x86::shoot_down_user_tlb();
    return {};
}

size_t map_user_run(uint64_t vaddr, size_t count, uint32_t prot,
                    uint64_t (*frame_for)(void* ctx, size_t index), void* ctx) {
    VERIFY((vaddr & 0xfff) == 0 && count <= 512 - ((vaddr >> 12) & 511));
    uint64_t* pte = walk(vaddr, true);
    if (pte == nullptr) return 0;
    uint64_t flags = pte_flags(prot);
    size_t mapped = 0;
    for (size_t i = 0; i < count; i++) {
        if (pte[i] & kPresent) continue;
        uint64_t frame = frame_for(ctx, i);
        if (frame == 0) break;
        pte[i] = frame | flags; // was absent: nothing to invalidate
        mapped++;
    }
    return mapped;
}

uint64_t unmap_user_page(uint64_t vaddr) {
    uint64_t* pte = walk(vaddr, false);
    if (pte == nullptr || !(*pte & kPresent)) return 0;
    uint64_t paddr = *pte & kAddressMask;
    *pte = 0;
    invalidate(vaddr);
    x86::shoot_down_user_tlb(); // before the caller frees the frame
    return paddr;
}

bool protect_user_page(uint64_t vaddr, uint32_t prot) {
    uint64_t* pte = walk(vaddr, false);
    if (pte == nullptr || !(*pte & kPresent)) return false;
    *pte = (*pte & kAddressMask) | pte_flags(prot);
    invalidate(vaddr);
    x86::shoot_down_user_tlb();
    return true;
}

uint64_t user_page_phys(uint64_t vaddr, uint32_t* prot) {
    uint64_t* pte = walk(vaddr, false);
    if (pte == nullptr || !(*pte & kPresent)) return 0;
    if (prot != nullptr) {
        *prot = ProtRead | ((*pte & kWritable) ? uint32_t{ProtWrite} : 0u) |
                ((*pte & kNoExecute) ? 0u : uint32_t{ProtExec});
    }
    return *pte & kAddressMask;
}

namespace {

// Visits the present leaf PTEs in [start, end) of the table at `level_paddr` (shift = the bit
// position its index starts at), skipping absent subtrees.
template<typename Fn>
void for_each_present(uint64_t level_paddr, int shift, uint64_t base, uint64_t start, uint64_t end,
                      Fn&& fn) {
    uint64_t* entries = table(level_paddr);
    uint64_t span = 1ull << shift;
    uint64_t first = start > base ? (start - base) >> shift : 0;
    for (uint64_t i = first; i < 512; i++) {
        uint64_t lo = base + i * span;
        if (lo >= end) break;
        uint64_t& e = entries[i];
        if (!(e & kPresent)) continue;
        if (shift == 12) {
            fn(lo, e);
        } else {
            for_each_present(e & kAddressMask, shift - 9, lo, start, end, fn);
        }
    }
}

} // namespace

void unmap_user_range(uint64_t start, uint64_t end, void (*on_page)(uint64_t, void*), void* ctx) {
    if (cpu_count() == 1) {
        for_each_present(reinterpret_cast<uint64_t>(boot_pml4), 39, 0, start, end,
                         [&](uint64_t vaddr, uint64_t& pte) {
                             uint64_t paddr = pte & kAddressMask;
                             pte = 0;
                             invalidate(vaddr);
                             if (on_page != nullptr) on_page(paddr, ctx);
                         });
        return;
    }
    // Other CPUs may still reach a removed page through their TLB until the shootdown: hand
    // the frames back only after it, a batch at a time.
    constexpr size_t kBatch = 64;
    uint64_t batch[kBatch];
    size_t pending = 0;
    auto release = [&] {
        x86::shoot_down_user_tlb();
        if (on_page != nullptr)
            for (size_t i = 0; i < pending; i++) on_page(batch[i], ctx);
        pending = 0;
    };
    bool any = false;
    for_each_present(reinterpret_cast<uint64_t>(boot_pml4), 39, 0, start, end,
                     [&](uint64_t vaddr, uint64_t& pte) {
                         batch[pending++] = pte & kAddressMask;
                         pte = 0;
                         invalidate(vaddr);
                         any = true;
                         if (pending == kBatch) release();
                     });
    if (any) release();
}

void protect_user_range(uint64_t start, uint64_t end, uint32_t prot) {
    bool any = false;
    for_each_present(reinterpret_cast<uint64_t>(boot_pml4), 39, 0, start, end,
                     [&](uint64_t vaddr, uint64_t& pte) {
                         pte = (pte & kAddressMask) | pte_flags(prot);
                         invalidate(vaddr);
                         any = true;
                     });
    if (any) x86::shoot_down_user_tlb();
}

Result<void> move_user_range(uint64_t start, uint64_t end, uint64_t to) {
    bool failed = false;
    for_each_present(reinterpret_cast<uint64_t>(boot_pml4), 39, 0, start, end,
                     [&](uint64_t vaddr, uint64_t& pte) {
                         if (failed) return;
                         uint64_t* target = walk(to + (vaddr - start), true);
                         if (target == nullptr) {
                             failed = true;
                             return;
                         }
                         *target = pte; // was absent: nothing to invalidate
                         pte = 0;
                         invalidate(vaddr);
                     });
    x86::shoot_down_user_tlb();
    if (failed) return Errno::NOMEM;
    return {};
}

} // namespace wisp::platform
