// SPDX-License-Identifier: MIT
// brk, anonymous mmap, munmap, mprotect, madvise. File mappings come with the dynamic-executables
// issue (they need the VFS).
#include "linux/syscalls.h"
#include "mm/address_space.h"
#include "mm/frames.h"

namespace wisp::linux {
namespace {

constexpr int kMapShared = 0x01, kMapPrivate = 0x02, kMapSharedValidate = 0x03;
constexpr int kMapFixed = 0x10, kMapAnonymous = 0x20, kMapGrowsDown = 0x100;
constexpr int kMapPopulate = 0x8000, kMapFixedNoReplace = 0x100000;
constexpr int kProtMask = 0x7;
constexpr int kMadvDontNeed = 4;

constexpr uint64_t page_up(uint64_t v) { return (v + mm::kPageSize - 1) & ~(mm::kPageSize - 1); }
bool aligned(uint64_t v) { return (v & (mm::kPageSize - 1)) == 0; }

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
    if (!(flags & kMapAnonymous)) {
        // FIXME: file-backed mappings (dynamic-executables issue).
        return fd >= 0 && fd <= 2 ? Errno::NODEV : Errno::BADF;
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
    TRY(as.map_anonymous(start, size, static_cast<uint32_t>(prot), nullptr,
                         (flags & kMapGrowsDown) != 0));
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

Result<long> sys_madvise(uint64_t address, uint64_t length, int advice) {
    if (!aligned(address)) return Errno::INVAL;
    if (length == 0) return 0;
    if (advice == kMadvDontNeed) {
        if (address < mm::kUserMin || address >= mm::kUserEnd ||
            page_up(length) > mm::kUserEnd - address)
            return Errno::INVAL;
        mm::address_space().discard(address, page_up(length));
    }
    return 0; // other advice is a hint
}

} // namespace wisp::linux
