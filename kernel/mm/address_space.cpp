// SPDX-License-Identifier: MIT
#include "mm/address_space.h"

#include <string.h>

#include <algorithm>

#include "mm/frames.h"
#include "platform/platform.h"
#include "platform/traps.h"

namespace wisp::mm {
namespace {

constexpr uint64_t page_down(uint64_t a) { return a & ~(kPageSize - 1); }
constexpr uint64_t page_up(uint64_t a) { return (a + kPageSize - 1) & ~(kPageSize - 1); }

// Fault-around: pages made present per fault. Anonymous pages cost a frame each, image pages
// cost nothing but the PTE.
constexpr uint64_t kAnonymousFaultAround = 16;
constexpr uint64_t kImageFaultAround = 32;
// Copy-on-write fault-around: a dynamic linker relocating a library writes its data pages one
// after another (python3 startup: ~300 copy-on-write faults), so a write fault on a private
// image page copies the next few too. A trap costs more than a page copy here (DESIGN.md §8).
constexpr uint64_t kCopyAhead = 7;

bool valid_range(uint64_t start, uint64_t length) {
    return (start & (kPageSize - 1)) == 0 && length != 0 && start >= kUserMin &&
           start < kUserEnd && length <= kUserEnd - start;
}

AddressSpace g_address_space;

} // namespace

AddressSpace& address_space() { return g_address_space; }

size_t AddressSpace::index_of(uint64_t address) const {
    size_t lo = 0, hi = m_vmas.size();
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m_vmas[mid].end <= address) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

const Vma* AddressSpace::find(uint64_t address) const {
    size_t i = index_of(address);
    if (i < m_vmas.size() && m_vmas[i].start <= address) return &m_vmas[i];
    return nullptr;
}

bool AddressSpace::is_free(uint64_t start, uint64_t length) const {
    size_t i = index_of(start);
    return i == m_vmas.size() || m_vmas[i].start >= start + length;
}

Result<void> AddressSpace::insert(const Vma& vma) {
    return m_vmas.try_insert(index_of(vma.start), vma);
}

Result<void> AddressSpace::split_at(uint64_t address) {
    size_t i = index_of(address);
    if (i == m_vmas.size() || m_vmas[i].start >= address) return {};
    Vma upper = m_vmas[i];
    upper.start = address;
    if (upper.kind == VmaKind::Image || upper.kind == VmaKind::Kernel) upper.image_paddr += address - m_vmas[i].start;
    upper.file_offset += address - m_vmas[i].start;
    TRY(m_vmas.try_insert(i + 1, upper));
    if (upper.file) upper.file->hold();
    m_vmas[i].end = address;
    return {};
}

Result<void> AddressSpace::map_anonymous(uint64_t start, uint64_t length, uint32_t prot,
                                         const char* name, bool grows_down) {
    length = page_up(length);
    if (!valid_range(start, length)) return Errno::INVAL;
    if (!is_free(start, length)) TRY(unmap(start, length));
    return insert(Vma{start, start + length, prot, VmaKind::Anonymous, grows_down, false, true, 0, 0,
                      0, nullptr, name});
}

Result<void> AddressSpace::map_image(uint64_t start, uint64_t length, uint32_t prot,
                                     uint64_t image_paddr, uint64_t file_bytes, const char* name,
                                     MappedFile* file, uint64_t file_offset, bool may_write) {
    length = page_up(length);
    if (!valid_range(start, length) || (image_paddr & (kPageSize - 1)) != 0) return Errno::INVAL;
    if (!is_free(start, length)) TRY(unmap(start, length));
    TRY(insert(Vma{start, start + length, prot, VmaKind::Image, false, false, may_write, image_paddr,
                   start + file_bytes, file_offset, file, file ? file->path() : name}));
    if (file) file->hold();
    return {};
}

Result<void> AddressSpace::map_kernel_pages(uint64_t start, uint64_t paddr, uint64_t pages,
                                            uint32_t prot, const char* name) {
    uint64_t length = pages * kPageSize;
    if (!valid_range(start, length) || (paddr & (kPageSize - 1)) != 0 ||
        (prot & platform::ProtWrite))
        return Errno::INVAL;
    if (!is_free(start, length)) TRY(unmap(start, length));
    TRY(insert(Vma{start, start + length, prot, VmaKind::Kernel, false, false, false, paddr, 0, 0,
                   nullptr, name}));
    return platform::map_user_range(start, paddr, pages, prot);
}

Result<void> AddressSpace::map_file(uint64_t start, uint64_t length, uint32_t prot,
                                    MappedFile& file, uint64_t offset, bool shared,
                                    bool may_write) {
    length = page_up(length);
    if (!valid_range(start, length) || (offset & (kPageSize - 1)) != 0) return Errno::INVAL;
    if (!is_free(start, length)) TRY(unmap(start, length));
    TRY(insert(Vma{start, start + length, prot, VmaKind::File, false, shared, may_write, 0, 0,
                   offset, &file, file.path()}));
    file.hold();
    return {};
}

void AddressSpace::release_pages(const Vma& v, uint64_t start, uint64_t end) {
    if ((v.kind == VmaKind::File && v.shared) || v.kind == VmaKind::Kernel) {
        // The file's (or the kernel's) own pages: their owner keeps them.
        platform::unmap_user_range(start, end, nullptr, nullptr);
        return;
    }
    platform::unmap_user_range(
        start, end,
        [](uint64_t paddr, void* ctx) {
            if (!static_cast<AddressSpace*>(ctx)->is_image_frame(paddr)) frames().free(paddr);
        },
        this);
}

void AddressSpace::release_range(uint64_t start, uint64_t end) {
    for (size_t i = index_of(start); i < m_vmas.size() && m_vmas[i].start < end; i++) {
        const Vma& v = m_vmas[i];
        release_pages(v, std::max(start, v.start), std::min(end, v.end));
    }
}

void AddressSpace::discard(uint64_t start, uint64_t length) {
    release_range(start, start + length);
}

Result<void> AddressSpace::unmap(uint64_t start, uint64_t length) {
    length = page_up(length);
    if (!valid_range(start, length)) return Errno::INVAL;
    uint64_t end = start + length;
    TRY(split_at(start));
    TRY(split_at(end));
    size_t i = index_of(start);
    while (i < m_vmas.size() && m_vmas[i].start < end) {
        release_pages(m_vmas[i], m_vmas[i].start, m_vmas[i].end);
        MappedFile* file = m_vmas[i].file;
        m_vmas.remove(i);
        if (file) file->release();
    }
    return {};
}

void AddressSpace::clear() {
    while (!m_vmas.empty()) {
        release_pages(m_vmas[0], m_vmas[0].start, m_vmas[0].end);
        MappedFile* file = m_vmas[0].file;
        m_vmas.remove(0);
        if (file) file->release();
    }
}

void AddressSpace::file_pages_changing(const void* owner, uint64_t first, uint64_t end) {
    for (const Vma& v : m_vmas) {
        if (v.kind != VmaKind::File || !v.shared || v.file->owner() != owner) continue;
        uint64_t area_first = v.file_offset, area_end = v.file_offset + (v.end - v.start);
        uint64_t from = std::max(first, area_first), to = std::min(end, area_end);
        if (from >= to) continue;
        platform::unmap_user_range(v.start + (from - area_first), v.start + (to - area_first),
                                   nullptr, nullptr);
    }
}

bool AddressSpace::is_mapped(uint64_t start, uint64_t length) const {
    for (uint64_t a = start; a < start + length;) {
        const Vma* v = find(a);
        if (v == nullptr) return false;
        a = v->end;
    }
    return true;
}

Result<uint64_t> AddressSpace::remap(uint64_t old_start, uint64_t old_length, uint64_t new_length,
                                     bool may_move, uint64_t fixed_at, bool keep_old) {
    old_length = page_up(old_length);
    new_length = page_up(new_length);
    size_t i = index_of(old_start);
    if (i == m_vmas.size() || m_vmas[i].start > old_start || old_length > m_vmas[i].end - old_start)
        return Errno::FAULT;
    const uint64_t old_end = old_start + old_length;
    // Linux: MREMAP_DONTUNMAP only moves private anonymous memory, size unchanged.
    if (keep_old && (m_vmas[i].kind != VmaKind::Anonymous || old_length != new_length))
        return Errno::INVAL;
    if (fixed_at == 0 && !keep_old) {
        if (new_length <= old_length) {
            if (new_length < old_length) TRY(unmap(old_start + new_length, old_length - new_length));
            return old_start;
        }
        // Grow in place when the area ends here and the space after it is free.
        uint64_t grow = new_length - old_length;
        if (old_end == m_vmas[i].end && grow <= kUserEnd - old_end && is_free(old_end, grow)) {
            m_vmas[i].end = old_start + new_length;
            return old_start;
        }
        if (!may_move) return Errno::NOMEM;
    }

    uint64_t target;
    if (fixed_at != 0) {
        if (!valid_range(fixed_at, new_length)) return Errno::INVAL;
        if (fixed_at < old_end && old_start < fixed_at + new_length) return Errno::INVAL;
        TRY(unmap(fixed_at, new_length));
        target = fixed_at;
    } else {
        target = TRY(find_free(new_length));
    }
    if (new_length < old_length) {
        TRY(unmap(old_start + new_length, old_length - new_length));
        old_length = new_length;
    }
    TRY(split_at(old_start));
    TRY(split_at(old_start + old_length));
    i = index_of(old_start);
    Vma moved = m_vmas[i]; // exactly [old_start, old_start + old_length) now
    moved.start = target;
    moved.end = target + new_length;
    if (moved.kind == VmaKind::Image)
        moved.file_end = moved.file_end > old_start ? target + (moved.file_end - old_start) : target;
    TRY(insert(moved));
    if (moved.file) moved.file->hold();
    if (platform::move_user_range(old_start, old_start + old_length, target).is_error()) {
        // Out of page-table memory: undo what can be undone and report it.
        (void)unmap(target, new_length);
        return Errno::NOMEM;
    }
    if (!keep_old) {
        i = index_of(old_start);
        MappedFile* file = m_vmas[i].file;
        m_vmas.remove(i); // its pages moved: nothing to release
        if (file) file->release();
    }
    return target;
}

Result<void> AddressSpace::residency(uint64_t start, uint64_t length, uint8_t* out) const {
    length = page_up(length);
    if (!is_mapped(start, length)) return Errno::NOMEM;
    size_t n = 0;
    for (uint64_t page = start; page < start + length; page += kPageSize, n++) {
        const Vma* v = find(page);
        // File pages are resident when the file has them (the image is in memory, tmpfs files
        // are memory), as Linux reports page-cache pages; anonymous ones when touched.
        bool in_file = (v->kind == VmaKind::Image && page < page_up(v->file_end)) ||
                       v->kind == VmaKind::File || v->kind == VmaKind::Kernel;
        out[n] = in_file || platform::user_page_phys(page) != 0 ? 1 : 0;
    }
    return {};
}

Result<void> AddressSpace::protect(uint64_t start, uint64_t length, uint32_t prot) {
    length = page_up(length);
    if (!valid_range(start, length)) return Errno::INVAL;
    uint64_t end = start + length;
    // Linux: ENOMEM when any page of the range is unmapped.
    for (uint64_t a = start; a < end;) {
        const Vma* v = find(a);
        if (v == nullptr) return Errno::NOMEM;
        if ((prot & platform::ProtWrite) && !v->may_write) return Errno::ACCES;
        a = v->end;
    }
    TRY(split_at(start));
    TRY(split_at(end));
    for (size_t i = index_of(start); i < m_vmas.size() && m_vmas[i].start < end; i++) {
        Vma& v = m_vmas[i];
        v.prot = prot;
        // Image pages stay read-only in the page tables: a write must fault and copy.
        uint32_t pte_prot = prot;
        if (v.kind == VmaKind::Image || (v.kind == VmaKind::File && v.shared)) {
            // Present pages that are private copies (or the file's own writable pages) could
            // keep write access, but telling them apart needs a walk per page; the next write
            // fault restores it.
            pte_prot &= ~platform::ProtWrite;
        }
        platform::protect_user_range(v.start, v.end, pte_prot);
    }
    return {};
}

Result<uint64_t> AddressSpace::find_free(uint64_t length) const {
    length = page_up(length);
    if (length == 0 || length > m_mmap_base) return Errno::NOMEM;
    uint64_t candidate_end = m_mmap_base;
    for (size_t i = index_of(m_mmap_base - 1) + 1; i-- > 0;) {
        if (i >= m_vmas.size()) continue;
        const Vma& v = m_vmas[i];
        if (v.start >= candidate_end) continue;
        if (v.end <= candidate_end - length) break; // the gap above v fits
        candidate_end = v.start;
        if (candidate_end < length + kUserMin) return Errno::NOMEM;
    }
    if (candidate_end < length + kUserMin) return Errno::NOMEM;
    return candidate_end - length;
}

bool AddressSpace::populate_page(Vma& v, uint64_t page, bool write) {
    uint32_t prot = v.prot;
    if (v.kind == VmaKind::Kernel)
        return !platform::map_user_page(page, v.image_paddr + (page - v.start), prot).is_error();
    if (v.kind == VmaKind::File) {
        uint64_t offset = v.file_offset + (page - v.start);
        if (v.shared) {
            bool writable = write && (prot & platform::ProtWrite);
            uint64_t paddr = v.file->shared_page(offset, writable);
            if (paddr == 0) return false;
            return !platform::map_user_page(page, paddr, writable ? prot : prot & ~platform::ProtWrite)
                        .is_error();
        }
        uint64_t frame = frames().allocate();
        if (frame == 0) return false;
        if (!v.file->read_page(offset, platform::phys_to_virt(frame)) ||
            platform::map_user_page(page, frame, prot).is_error()) {
            frames().free(frame);
            return false;
        }
        return true;
    }
    if (v.kind == VmaKind::Anonymous || page >= v.file_end) {
        uint64_t frame = frames().allocate_zeroed();
        if (frame == 0) return false;
        return !platform::map_user_page(page, frame, prot).is_error();
    }
    uint64_t source = v.image_paddr + (page - v.start);
    if (page + kPageSize > v.file_end || (write && (prot & platform::ProtWrite))) {
        // A private copy: the page is written, or the file ends inside it (zero the tail).
        uint64_t frame = page + kPageSize > v.file_end ? frames().allocate_zeroed()
                                                        : frames().allocate();
        if (frame == 0) return false;
        uint64_t bytes = page + kPageSize > v.file_end ? v.file_end - page : kPageSize;
        memcpy(platform::phys_to_virt(frame), platform::phys_to_virt(source), bytes);
        return !platform::map_user_page(page, frame, prot).is_error();
    }
    return !platform::map_user_page(page, source, prot & ~platform::ProtWrite).is_error();
}

AddressSpace::Fault AddressSpace::resolve_fault(uint64_t address, bool write, bool exec, bool present) {
    size_t i = index_of(address);
    if (i == m_vmas.size() || m_vmas[i].start > address) return Fault::Invalid;
    Vma& v = m_vmas[i];
    if (write && !(v.prot & platform::ProtWrite)) return Fault::Invalid;
    if (exec && !(v.prot & platform::ProtExec)) return Fault::Invalid;
    if (v.prot == 0) return Fault::Invalid;
    // Every failure below this point is a frame or page-table allocation that failed.
    uint64_t page = page_down(address);

    if (present) {
        // Only a write to a page kept read-only for copy-on-write gets here legitimately.
        uint32_t mapped_prot = 0;
        uint64_t paddr = platform::user_page_phys(page, &mapped_prot);
        if (!write || paddr == 0 || (mapped_prot & platform::ProtWrite)) return Fault::Invalid;
        if (!is_image_frame(paddr)) {
            // Our own private copy, write-protected by a later mprotect: just re-enable writes.
            return platform::protect_user_page(page, v.prot) ? Fault::Resolved : Fault::Invalid;
        }
        if (!populate_page(v, page, true)) return Fault::OutOfMemory;
        if (v.kind == VmaKind::Image) copy_ahead(v, page);
        return Fault::Resolved;
    }

    // Kernel pages are present from the start; after MADV_DONTNEED they come back the same.
    if (v.kind == VmaKind::Kernel) {
        return platform::map_user_page(page, v.image_paddr + (page - v.start), v.prot).is_error()
                   ? Fault::OutOfMemory
                   : Fault::Resolved;
    }
    // File pages come one at a time: each is a copy or a lookup in the file.
    if (v.kind == VmaKind::File) {
        if (v.file_offset + (page - v.start) >= page_up(v.file->size())) return Fault::BusError;
        return populate_page(v, page, write) ? Fault::Resolved : Fault::OutOfMemory;
    }
    // An image file mmap()ed past its end (exec's areas go on with .bss there).
    if (v.kind == VmaKind::Image && v.file && page >= page_up(v.file_end)) return Fault::BusError;

    bool image = v.kind == VmaKind::Image && page < v.file_end;
    if (image && (write || page + kPageSize > v.file_end)) {
        // A private copy (a write, or the page the file ends in).
        if (!populate_page(v, page, write)) return Fault::OutOfMemory;
        if (write) copy_ahead(v, page);
        return Fault::Resolved;
    }

    // Fault-around: the run of neighbours in the same page table and VMA, in the direction the
    // area is used, made present with one page-table walk.
    constexpr uint64_t kTable = 512 * kPageSize;
    uint64_t pages = image ? kImageFaultAround : kAnonymousFaultAround;
    uint64_t first = page, last = page + pages * kPageSize; // [first, last)
    if (v.grows_down) {
        first = page >= (pages - 1) * kPageSize ? page - (pages - 1) * kPageSize : 0;
        last = page + kPageSize;
    }
    first = std::max({first, v.start, page & ~(kTable - 1)});
    last = std::min({last, v.end, (page & ~(kTable - 1)) + kTable});
    if (image) last = std::min(last, page_down(v.file_end)); // the cut page is copied on demand

    struct Source {
        uint64_t image_paddr; // 0 for anonymous memory
    } source{image ? v.image_paddr + (first - v.start) : 0};
    auto frame_for = [](void* ctx, size_t index) -> uint64_t {
        auto* s = static_cast<Source*>(ctx);
        if (s->image_paddr != 0) return s->image_paddr + index * kPageSize;
        return frames().allocate_zeroed();
    };
    uint32_t prot = image ? v.prot & ~platform::ProtWrite : v.prot;
    platform::map_user_run(first, (last - first) / kPageSize, prot, frame_for, &source);
    return platform::user_page_phys(page) != 0 ? Fault::Resolved : Fault::OutOfMemory;
}

void AddressSpace::copy_ahead(Vma& v, uint64_t page) {
    constexpr uint64_t kTable = 512 * kPageSize;
    uint64_t limit = std::min({v.end, page_down(v.file_end), page + (kCopyAhead + 1) * kPageSize,
                               (page & ~(kTable - 1)) + kTable});
    for (uint64_t next = page + kPageSize; next < limit; next += kPageSize) {
        uint64_t paddr = platform::user_page_phys(next);
        if (paddr != 0 && !is_image_frame(paddr)) break; // already a private copy
        if (!populate_page(v, next, true)) break;
    }
}

Result<void> AddressSpace::map_image_pages_now(uint64_t start) {
    size_t i = index_of(start);
    if (i == m_vmas.size() || m_vmas[i].start > start) return Errno::INVAL;
    const Vma& v = m_vmas[i];
    if (v.kind != VmaKind::Image || (v.prot & platform::ProtWrite)) return Errno::INVAL;
    uint64_t whole_pages = (page_down(v.file_end) - v.start) / kPageSize; // not the zeroed tail
    return platform::map_user_range(v.start, v.image_paddr, whole_pages, v.prot);
}

void AddressSpace::populate(uint64_t start, uint64_t length, bool write) {
    for (uint64_t page = page_down(start); page < start + length; page += kPageSize) {
        size_t i = index_of(page);
        if (i == m_vmas.size() || m_vmas[i].start > page) continue;
        if (platform::user_page_phys(page) != 0) continue;
        populate_page(m_vmas[i], page, write);
    }
}

uint64_t AddressSpace::brk(uint64_t requested) {
    if (requested < m_brk_start) return m_brk;
    uint64_t old_end = page_up(m_brk), new_end = page_up(requested);
    if (new_end > old_end) {
        if (!is_free(old_end, new_end - old_end)) return m_brk;
        size_t i = old_end > m_brk_start ? index_of(old_end - 1) : m_vmas.size();
        if (i < m_vmas.size() && m_vmas[i].end == old_end && m_vmas[i].start >= m_brk_start &&
            m_vmas[i].kind == VmaKind::Anonymous) {
            m_vmas[i].end = new_end; // grow the heap VMA in place
        } else if (map_anonymous(old_end, new_end - old_end,
                                 platform::ProtRead | platform::ProtWrite, "[heap]")
                       .is_error()) {
            return m_brk;
        }
    } else if (new_end < old_end) {
        if (unmap(new_end, old_end - new_end).is_error()) return m_brk;
    }
    m_brk = requested;
    return m_brk;
}

} // namespace wisp::mm

namespace wisp {
FaultResolution handle_user_page_fault(uint64_t address, bool write, bool exec, bool present) {
    switch (mm::address_space().resolve_fault(address, write, exec, present)) {
    case mm::AddressSpace::Fault::Resolved: return FaultResolution::Resolved;
    case mm::AddressSpace::Fault::OutOfMemory: return FaultResolution::OutOfMemory;
    case mm::AddressSpace::Fault::BusError: return FaultResolution::BusError;
    default: return FaultResolution::Invalid;
    }
}
} // namespace wisp
