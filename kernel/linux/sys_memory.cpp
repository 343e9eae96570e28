// SPDX-License-Identifier: MIT
// brk, mmap (anonymous and of files), munmap, mprotect, mremap, madvise, msync, mincore.
//
// A file in the image maps the image's own pages (read-only until written, then copied); any
// other file (tmpfs, a copied-up image file) is a mm::MappedFile: private mappings copy its
// pages on fault, shared ones map the file's own pages.
#include <string.h>

#include "fs/devices.h"
#include "fs/open_file.h"
#include "linux/files.h"
#include "linux/syscalls.h"
#include "linux/user_ptr.h"
#include "mm/address_space.h"
#include "mm/frames.h"
#include "mm/heap.h"
#include "platform/platform.h"

namespace wisp::linux {
namespace {

constexpr int kMapShared = 0x01, kMapPrivate = 0x02, kMapSharedValidate = 0x03;
constexpr int kMapFixed = 0x10, kMapAnonymous = 0x20, kMapGrowsDown = 0x100;
constexpr int kMapPopulate = 0x8000, kMapFixedNoReplace = 0x100000;
constexpr int kProtMask = 0x7;
constexpr int kMadvDontNeed = 4;
constexpr int kMremapMayMove = 1, kMremapFixed = 2, kMremapDontUnmap = 4;
constexpr int kMsAsync = 1, kMsInvalidate = 2, kMsSync = 4;

constexpr uint64_t page_up(uint64_t v) { return (v + mm::kPageSize - 1) & ~(mm::kPageSize - 1); }
bool aligned(uint64_t v) { return (v & (mm::kPageSize - 1)) == 0; }

// An open file as the address space maps it (Linux vm_file): holds the open file description
// and its path (for /proc/self/maps).
class FileMapping final : public mm::MappedFile {
  public:
    static FileMapping* create(fs::RefPtr<fs::OpenFile> file) {
        auto* m = new (std::nothrow) FileMapping(static_cast<fs::RefPtr<fs::OpenFile>&&>(file));
        if (!m) return nullptr;
        char buffer[fs::kPathMax];
        auto path = vfs().path_of(files().context, path_of_file(*m->m_file), buffer, sizeof buffer);
        std::string_view text = path.is_error() ? std::string_view("?") : path.value();
        m->m_path = static_cast<char*>(mm::kmalloc(text.size() + 1));
        if (!m->m_path) {
            delete m;
            return nullptr;
        }
        memcpy(m->m_path, text.data(), text.size());
        m->m_path[text.size()] = '\0';
        fs::Attributes attributes{};
        if (!m->m_file->vnode().getattr(attributes).is_error()) m->m_inode = attributes.ino;
        return m;
    }

    void hold() override { m_refs++; }
    void release() override {
        if (--m_refs == 0) delete this;
    }
    bool read_page(uint64_t offset, void* page) override {
        fs::MemoryBuffer buffer(page, mm::kPageSize);
        auto n = m_file->read(offset, buffer);
        if (n.is_error()) return false;
        if (n.value() < mm::kPageSize) memset(static_cast<char*>(page) + n.value(), 0, mm::kPageSize - n.value());
        return true;
    }
    uint64_t shared_page(uint64_t offset, bool write) override {
        void* page = m_file->vnode().shared_page(offset, write);
        return page ? platform::virt_to_phys(page) : 0;
    }
    uint64_t size() const override {
        fs::Attributes attributes{};
        return m_file->vnode().getattr(attributes).is_error() ? 0 : attributes.size;
    }
    const void* owner() const override { return m_file->vnode().page_owner(); }
    const char* path() const override { return m_path; }
    uint64_t inode() const override { return m_inode; }

  private:
    explicit FileMapping(fs::RefPtr<fs::OpenFile> file)
        : m_file(static_cast<fs::RefPtr<fs::OpenFile>&&>(file)) {}
    ~FileMapping() { mm::kfree(m_path); }

    fs::RefPtr<fs::OpenFile> m_file;
    char* m_path = nullptr;
    uint64_t m_inode = 0;
    uint32_t m_refs = 0;
};

// /dev/zero maps as anonymous memory (Linux: private zero pages, or shared anonymous memory —
// the same thing with one process). The fd must be open for reading.
Result<bool> is_zero_device(int fd) {
    auto file = TRY(file_for(fd));
    if (file->is_path_only() || file->vnode().type() != fs::kTypeChar) return false;
    fs::Attributes attributes{};
    TRY(file->vnode().getattr(attributes));
    if (attributes.rdev != fs::kDevZero) return false;
    if (!file->can_read()) return Errno::ACCES;
    return true;
}

// Maps `fd` at [start, start + size): the image's pages when the file is in the image (and
// the mapping cannot write to the file), else through a FileMapping.
Result<void> map_file(uint64_t start, uint64_t size, int prot, bool shared, int fd,
                      uint64_t offset) {
    auto file = TRY(file_for(fd));
    if (file->is_path_only()) return Errno::BADF;
    fs::Vnode& vnode = file->vnode();
    if (!vnode.is_regular()) {
        // FIXME: device mappings (/dev/zero as anonymous memory).
        return Errno::NODEV;
    }
    // Linux: the file must be open for reading; a shared writable mapping needs it open for
    // writing too (and without write access it can never become writable).
    if (!file->can_read()) return Errno::ACCES;
    if (shared && (prot & 2) && !file->can_write()) return Errno::ACCES;
    bool may_write = !shared || file->can_write();
    fs::Attributes attributes{};
    TRY(vnode.getattr(attributes));

    FileMapping* mapping = FileMapping::create(file);
    if (!mapping) return Errno::NOMEM;
    mapping->hold(); // ours until the address space takes its own
    Result<void> result = {};
    uint64_t file_bytes = attributes.size > offset ? attributes.size - offset : 0;
    if (file_bytes > size) file_bytes = size;
    const void* direct = file_bytes ? vnode.direct_range(offset, file_bytes) : nullptr;
    if (direct && (!shared || !file->can_write())) {
        // Zero copy. A read-only page cut by the end of the file maps whole (EROFS pads files
        // with zeros); a private writable one is copied with its tail zeroed when touched.
        uint64_t mapped_bytes = file_bytes;
        if (!(prot & 2)) mapped_bytes = page_up(file_bytes) < size ? page_up(file_bytes) : size;
        result = mm::address_space().map_image(start, size, static_cast<uint32_t>(prot),
                                               platform::virt_to_phys(direct), mapped_bytes,
                                               nullptr, mapping, offset, may_write);
        // Code (a library's text): present now, a PTE per page instead of a trap per 32 pages.
        if (!result.is_error() && (prot & 4) && !(prot & 2))
            result = mm::address_space().map_image_pages_now(start);
    } else {
        result = mm::address_space().map_file(start, size, static_cast<uint32_t>(prot), *mapping,
                                              offset, shared, may_write);
    }
    mapping->release();
    return result;
}

} // namespace

Result<long> sys_brk(uint64_t address) {
    return static_cast<long>(mm::address_space().brk(address));
}

Result<long> sys_mmap(uint64_t address, uint64_t length, int prot, int flags, int fd,
                      int64_t offset) {
    int type = flags & kMapSharedValidate;
    if (type != kMapShared && type != kMapPrivate && type != kMapSharedValidate)
        return Errno::INVAL;
    if (length == 0 || !aligned(static_cast<uint64_t>(offset))) return Errno::INVAL;
    prot &= kProtMask; // mmap ignores unknown protection bits (mprotect refuses them)
    uint64_t size = page_up(length);
    if (size == 0 || size >= mm::kUserEnd) return Errno::NOMEM;
    bool anonymous = flags & kMapAnonymous;
    if (!anonymous) {
        if (offset < 0) return Errno::INVAL;
        if (static_cast<uint64_t>(offset) > ~0ull - size) return Errno::OVERFLOW;
        if (TRY(is_zero_device(fd))) anonymous = true; // EBADF before any address checks
    }

    auto& as = mm::address_space();
    uint64_t start;
    if (flags & (kMapFixed | kMapFixedNoReplace)) {
        if (!aligned(address)) return Errno::INVAL;
        if (address < mm::kUserMin || address >= mm::kUserEnd || size > mm::kUserEnd - address)
            return Errno::NOMEM;
        if ((flags & kMapFixedNoReplace) && !(flags & kMapFixed) && !as.is_free(address, size))
            return Errno::EXIST;
        start = address;
    } else {
        uint64_t hint = address & ~(mm::kPageSize - 1);
        if (hint >= mm::kUserMin && hint < mm::kUserEnd && size <= mm::kUserEnd - hint &&
            as.is_free(hint, size))
            start = hint;
        else
            start = TRY(as.find_free(size));
    }
    if (anonymous) {
        TRY(as.map_anonymous(start, size, static_cast<uint32_t>(prot), nullptr,
                             (flags & kMapGrowsDown) != 0));
    } else {
        TRY(map_file(start, size, prot, type != kMapPrivate, fd, static_cast<uint64_t>(offset)));
    }
    if (flags & kMapPopulate) as.populate(start, size, (prot & 2) != 0);
    return static_cast<long>(start);
}

Result<long> sys_munmap(uint64_t address, uint64_t length) {
    if (!aligned(address) || length == 0) return Errno::INVAL;
    if (address >= mm::kUserEnd || page_up(length) > mm::kUserEnd - address) return Errno::INVAL;
    if (address < mm::kUserMin) {
        // Nothing is ever mapped below kUserMin: unmap only the part above it.
        if (address + page_up(length) <= mm::kUserMin) return 0;
        length = address + page_up(length) - mm::kUserMin;
        address = mm::kUserMin;
    }
    TRY(mm::address_space().unmap(address, length));
    return 0;
}

Result<long> sys_mprotect(uint64_t address, uint64_t length, int prot) {
    if (!aligned(address)) return Errno::INVAL;
    if (prot & ~kProtMask) return Errno::INVAL; // FIXME: PROT_GROWSDOWN/PROT_GROWSUP
    if (length == 0) return 0;
    if (address >= mm::kUserEnd || page_up(length) > mm::kUserEnd - address || address < mm::kUserMin)
        return Errno::NOMEM;
    TRY(mm::address_space().protect(address, length, static_cast<uint32_t>(prot)));
    return 0;
}

namespace {
// Whether VMAs cover all of [start, end).
bool fully_mapped(uint64_t start, uint64_t end) {
    uint64_t at = start;
    for (const mm::Vma& v : mm::address_space().vmas()) {
        if (v.end <= at) continue;
        if (v.start > at) break;
        at = v.end;
        if (at >= end) break;
    }
    return at >= end;
}
} // namespace

Result<long> sys_madvise(uint64_t address, uint64_t length, int advice) {
    if (!aligned(address)) return Errno::INVAL;
    uint64_t size = page_up(length);
    if (length != 0 && size == 0) return Errno::INVAL;
    if (address + size < address) return Errno::INVAL;
    if (size == 0) return 0;
    bool in_user_space = address >= mm::kUserMin && address < mm::kUserEnd &&
                         size <= mm::kUserEnd - address;
    if (advice == kMadvDontNeed && in_user_space) mm::address_space().discard(address, size);
    // Linux madvise_walk_vmas(): the advice applies to what is mapped; a hole anywhere in the
    // range (an address outside user space is one) makes the call ENOMEM. Other advice is a
    // hint here.
    if (!in_user_space || !fully_mapped(address, address + size)) return Errno::NOMEM;
    return 0;
}

Result<long> sys_mremap(uint64_t old_address, uint64_t old_length, uint64_t new_length, int flags,
                        uint64_t new_address) {
    if (!aligned(old_address)) return Errno::INVAL;
    if (flags & ~(kMremapMayMove | kMremapFixed | kMremapDontUnmap)) return Errno::INVAL;
    if ((flags & (kMremapFixed | kMremapDontUnmap)) && !(flags & kMremapMayMove))
        return Errno::INVAL;
    if (new_length == 0 || page_up(new_length) == 0 || page_up(old_length) < old_length)
        return Errno::INVAL;
    // FIXME: old_length 0 (a second mapping of a shared area).
    if (old_length == 0) return Errno::INVAL;
    if (old_address >= mm::kUserEnd || page_up(old_length) > mm::kUserEnd - old_address)
        return Errno::FAULT;
    uint64_t fixed_at = 0;
    if (flags & kMremapFixed) {
        if (!aligned(new_address) || new_address < mm::kUserMin) return Errno::INVAL;
        fixed_at = new_address;
    }
    uint64_t at = TRY(mm::address_space().remap(old_address, old_length, new_length,
                                                flags & kMremapMayMove, fixed_at,
                                                flags & kMremapDontUnmap));
    return static_cast<long>(at);
}

Result<long> sys_msync(uint64_t address, uint64_t length, int flags) {
    if (!aligned(address)) return Errno::INVAL;
    if (flags & ~(kMsAsync | kMsInvalidate | kMsSync)) return Errno::INVAL;
    if ((flags & kMsAsync) && (flags & kMsSync)) return Errno::INVAL;
    if (length == 0) return 0;
    if (address >= mm::kUserEnd || page_up(length) > mm::kUserEnd - address) return Errno::NOMEM;
    // Shared mappings are the files' own pages: nothing to write back.
    if (!mm::address_space().is_mapped(address, page_up(length))) return Errno::NOMEM;
    return 0;
}

Result<long> sys_mincore(uint64_t address, uint64_t length, UserPtr<uint8_t> vector) {
    if (!aligned(address)) return Errno::INVAL;
    if (address >= mm::kUserEnd || page_up(length) > mm::kUserEnd - address) return Errno::NOMEM;
    uint64_t pages = page_up(length) / mm::kPageSize;
    uint8_t chunk[256];
    for (uint64_t done = 0; done < pages;) {
        uint64_t n = pages - done < sizeof chunk ? pages - done : sizeof chunk;
        TRY(mm::address_space().residency(address + done * mm::kPageSize, n * mm::kPageSize, chunk));
        TRY(copy_to_user(vector.address() + done, chunk, n)); // checked: a user address
        done += n;
    }
    return 0;
}

} // namespace wisp::linux
