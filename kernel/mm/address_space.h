// SPDX-License-Identifier: MIT
#pragma once

// The application's address space: the list of virtual memory areas (VMAs) and the page-fault
// handler that populates them lazily.
//
//   0x0000'7fff'ffff'f000  stack top (randomized below this)
//                          stack VMA (grows down), guard gap
//   mmap base              mmap areas, allocated top-down
//   ...
//   brk                    heap VMA, after the program's highest segment (randomized gap)
//   program segments       ET_EXEC at their addresses, PIE at a randomized base
//   0x0000'0000'0001'0000  nothing below (page 0 never mapped)
//
// Image-backed VMAs map the image's own pages (zero copy) read-only; a write to a private
// writable one copies the page first. File-backed VMAs (files mmap()ed that are not in the
// image: tmpfs, copied-up files) ask the file for each page on fault: a private one copies it,
// a shared one maps the file's own page.
#include <stdint.h>

#include "lib/result.h"
#include "lib/vector.h"
#include "mm/heap.h"

namespace wisp::mm {

struct HeapAllocator {
    static void* allocate(size_t bytes) { return kmalloc(bytes); }
    static void free(void* p) { kfree(p); }
};

// Kernel: pages the kernel owns and lends read-only (the vDSO and its [vvar] data page): never
// freed, never written, present from the start.
enum class VmaKind : uint8_t { Anonymous, Image, File, Kernel };

// A file mmap() mapped (Linux vm_file), kept alive by the VMAs that map it (one reference each).
class MappedFile {
  public:
    virtual void hold() = 0;
    virtual void release() = 0;
    // Private mappings: copies the file's page at `offset` into `page` (4 KiB, zero past the end
    // of the file). False when the file cannot be read.
    virtual bool read_page(uint64_t offset, void* page) = 0;
    // Shared mappings: the physical address of the file's own page at `offset`, made writable
    // (unshared from the image) when `write`; 0 past the end of the file or out of memory.
    virtual uint64_t shared_page(uint64_t offset, bool write) = 0;
    // The file's size now (pages past it fault with SIGBUS, as on Linux).
    virtual uint64_t size() const = 0;
    // Whose pages shared_page() returns (file_pages_changing() names them by it).
    virtual const void* owner() const = 0;
    // For /proc/self/maps.
    virtual const char* path() const = 0;
    virtual uint64_t inode() const = 0;

  protected:
    ~MappedFile() = default;
};

struct Vma {
    uint64_t start, end; // page-aligned [start, end)
    uint32_t prot;       // platform::Prot bits
    VmaKind kind;
    bool grows_down;     // the stack: fault-around goes downwards
    bool shared;          // File: MAP_SHARED, the pages are the file's (never freed here)
    bool may_write;       // mprotect may add PROT_WRITE (false: shared mapping of a read-only fd)
    uint64_t image_paddr; // Image, Kernel: physical address backing `start`
    uint64_t file_end;    // Image: vaddr where file bytes end; zero-filled beyond
    uint64_t file_offset; // Image and File mappings made by mmap: file offset of `start`
    MappedFile* file;     // File (and mmap()ed Image areas): holds a reference
    const char* name;     // for /proc/self/maps: a path, "[stack]", "[heap]" or nullptr
};

inline constexpr uint64_t kUserEnd = 0x0000'8000'0000'0000;
inline constexpr uint64_t kUserMin = 0x10000;

class AddressSpace {
public:
    void set_image_range(uint64_t paddr, uint64_t size) {
        m_image_start = paddr;
        m_image_end = paddr + size;
    }

    Result<void> map_anonymous(uint64_t start, uint64_t length, uint32_t prot, const char* name,
                               bool grows_down = false);
    // Maps [start, start+length) backed by image bytes at image_paddr for the first file_bytes
    // bytes, zero beyond. image_paddr must be page-aligned (EROFS noinline_data file data is).
    // `file` (optional: mmap of an image file) names the area and is held while mapped.
    Result<void> map_image(uint64_t start, uint64_t length, uint32_t prot, uint64_t image_paddr,
                           uint64_t file_bytes, const char* name, MappedFile* file = nullptr,
                           uint64_t file_offset = 0, bool may_write = true);
    // Maps `pages` kernel pages from physical address `paddr` at `start`, present now; `prot`
    // may not include ProtWrite and mprotect cannot add it (EACCES).
    Result<void> map_kernel_pages(uint64_t start, uint64_t paddr, uint64_t pages, uint32_t prot,
                                  const char* name);
    // Maps [start, start+length) to `file` from `offset` (page-aligned): private copies of its
    // pages, or with `shared` the file's own pages. Takes a reference on `file`.
    Result<void> map_file(uint64_t start, uint64_t length, uint32_t prot, MappedFile& file,
                          uint64_t offset, bool shared, bool may_write);
    Result<void> unmap(uint64_t start, uint64_t length);
    // Unmaps every area (execve), area by area so sparse ones cost only their pages.
    void clear();
    // Errors as mprotect: NOMEM when part of the range is unmapped, ACCES when write access is
    // asked of a shared mapping of a file opened read-only.
    Result<void> protect(uint64_t start, uint64_t length, uint32_t prot);
    // Drops the pages of [start, start+length) but keeps the areas: the next touch sees zeroes
    // (anonymous) or the file's bytes again (MADV_DONTNEED).
    void discard(uint64_t start, uint64_t length);
    // mremap(2): resizes or moves the mapping at [old_start, old_start + old_length), which must
    // lie in one area (FAULT otherwise). `may_move`/`fixed_at`/`keep_old` are MREMAP_MAYMOVE,
    // MREMAP_FIXED (its address, else 0) and MREMAP_DONTUNMAP. Returns the new address.
    Result<uint64_t> remap(uint64_t old_start, uint64_t old_length, uint64_t new_length,
                           bool may_move, uint64_t fixed_at, bool keep_old);
    // mincore(2): one byte per page of [start, start+length) into `out` (1 = resident). NOMEM
    // when part of the range is unmapped.
    Result<void> residency(uint64_t start, uint64_t length, uint8_t* out) const;
    // The file `owner` (MappedFile::owner) is about to free or replace its pages at file offsets
    // [first, end): shared mappings of them are unmapped (the next access faults them in
    // again, or SIGBUS past the end of the file).
    void file_pages_changing(const void* owner, uint64_t first, uint64_t end);
    // True when every page of [start, start+length) belongs to some area.
    bool is_mapped(uint64_t start, uint64_t length) const;
    // A free range of `length` bytes, highest first below the mmap base.
    Result<uint64_t> find_free(uint64_t length) const;
    bool is_free(uint64_t start, uint64_t length) const;

    // Populates the page containing `address`.
    enum class Fault { Resolved, Invalid, OutOfMemory, BusError };
    Fault resolve_fault(uint64_t address, bool write, bool exec, bool present);
    bool handle_fault(uint64_t address, bool write, bool exec, bool present) {
        return resolve_fault(address, write, exec, present) == Fault::Resolved;
    }
    // Maps every whole image page of the area holding `start` that stays read-only now: no
    // frames, no copies, a PTE each — cheaper than the faults it saves (DESIGN.md §8).
    Result<void> map_image_pages_now(uint64_t start);
    // Makes the pages of [start, start+length) present now (avoids one fault per page).
    void populate(uint64_t start, uint64_t length, bool write);

    void set_mmap_base(uint64_t base) { m_mmap_base = base; }
    void set_brk_start(uint64_t start) { m_brk_start = m_brk = start; }
    uint64_t brk(uint64_t requested);

    const Vma* find(uint64_t address) const;
    const Vector<Vma, HeapAllocator>& vmas() const { return m_vmas; }

private:
    Result<void> insert(const Vma& vma);
    Result<void> split_at(uint64_t address);
    // Unmaps the pages of [start, end), all inside area `v`, freeing the ones it owns.
    void release_pages(const Vma& v, uint64_t start, uint64_t end);
    // release_pages for every area overlapping [start, end).
    void release_range(uint64_t start, uint64_t end);
    bool populate_page(Vma& vma, uint64_t page, bool write);
    // After a write fault at `page` of a private image area: copies the next pages too.
    void copy_ahead(Vma& vma, uint64_t page);
    size_t index_of(uint64_t address) const; // first VMA with end > address
    bool is_image_frame(uint64_t paddr) const {
        return paddr >= m_image_start && paddr < m_image_end;
    }

    Vector<Vma, HeapAllocator> m_vmas; // sorted by start, non-overlapping
    uint64_t m_image_start = 0, m_image_end = 0;
    uint64_t m_mmap_base = 0x7f00'0000'0000;
    uint64_t m_brk_start = 0, m_brk = 0;
};

// The one application's address space.
AddressSpace& address_space();

} // namespace wisp::mm
