// SPDX-License-Identifier: MIT
#include "fs/erofs.h"

#include <string.h>

#include <array>

namespace wisp::fs::erofs {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "EROFS fields are read as little-endian");

namespace {

// EROFS on-disk format constants (Linux fs/erofs/erofs_fs.h).
constexpr uint32_t kSuperMagic = 0xE0F5E1E2;
constexpr uint64_t kSuperOffset = 1024;
constexpr uint64_t kSuperSize = 128;
constexpr uint32_t kInodeSlotSize = 32; // nid -> byte offset: meta area + nid * 32
constexpr uint32_t kCompactInodeSize = 32;
constexpr uint32_t kExtendedInodeSize = 64;
constexpr uint32_t kXattrIbodyHeaderSize = 12;
constexpr uint32_t kDirentSize = 12;
constexpr uint32_t kNullBlock = 0xffffffff; // EROFS_NULL_ADDR: a chunk that is a hole

// Superblock field offsets (struct erofs_super_block).
constexpr size_t kSbMagic = 0, kSbChecksum = 4, kSbFeatureCompat = 8, kSbBlkszbits = 12,
                 kSbRootNid = 14, kSbInos = 16, kSbBuildTime = 24, kSbBuildTimeNsec = 32,
                 kSbBlocks = 36, kSbMetaBlkaddr = 40, kSbFeatureIncompat = 80, kSbExtraDevices = 86,
                 kSbDirblkbits = 90;

constexpr uint32_t kFeatureCompatSbChecksum = 0x1;
// Incompatible features: an image with any bit we do not know how to read is refused.
constexpr uint32_t kIncompatZeroPadding = 0x01; // compressed data only: harmless here
constexpr uint32_t kIncompatCompression = 0x02; // COMPR_CFGS / BIG_PCLUSTER
constexpr uint32_t kIncompatChunkedFile = 0x04;
constexpr uint32_t kIncompatDeviceTable = 0x08; // also COMPR_HEAD2
constexpr uint32_t kIncompatZtailpacking = 0x10;
constexpr uint32_t kIncompatFragments = 0x20;     // also DEDUPE
constexpr uint32_t kIncompatXattrPrefixes = 0x40; // xattrs only, which this reader skips
constexpr uint32_t kIncompatSupported =
    kIncompatZeroPadding | kIncompatChunkedFile | kIncompatXattrPrefixes;

// Inode i_format bits.
constexpr uint16_t kFormatVersionMask = 0x1; // 0 compact, 1 extended
constexpr uint16_t kFormatLayoutShift = 1;
constexpr uint16_t kFormatLayoutMask = 0x7;
constexpr uint16_t kFormatAllBits = 0xf;

// Chunk format (erofs_inode_chunk_info.format).
constexpr uint16_t kChunkBlkbitsMask = 0x1f;
constexpr uint16_t kChunkIndexes = 0x20; // 8-byte erofs_inode_chunk_index, else 4-byte blkaddr
constexpr uint16_t kChunkFormatAll = kChunkBlkbitsMask | kChunkIndexes;

// Sizes beyond this are refused as corrupt: keeps all offset arithmetic far from overflow.
constexpr uint64_t kMaxFileSize = 1ull << 62;

// Unaligned little-endian loads. __builtin_memcpy of a constant size is one mov; the kernel is
// built -ffreestanding, where a plain memcpy stays a call to the out-of-line copy loop.
inline uint16_t load16(const uint8_t* p) {
    uint16_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
inline uint32_t load32(const uint8_t* p) {
    uint32_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
inline uint64_t load64(const uint8_t* p) {
    uint64_t v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

uint64_t round_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) & ~(alignment - 1);
}

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as EROFS uses for the superblock: the
// register starts at ~0 and is not inverted at the end (Linux crc32c() convention).
constexpr std::array<uint32_t, 256> make_crc32c_table() {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = i;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
        table[i] = crc;
    }
    return table;
}
constexpr std::array<uint32_t, 256> kCrc32cTable = make_crc32c_table();

uint32_t crc32c_update(uint32_t crc, const uint8_t* data, size_t length) {
    for (size_t i = 0; i < length; i++)
        crc = kCrc32cTable[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    return crc;
}

void set_reason(const char** reason, const char* text) {
    if (reason) *reason = text;
}

} // namespace

FileType file_type_of_mode(uint16_t mode) {
    switch (mode & kModeTypeMask) {
    case kModeRegular:
        return FileType::Regular;
    case kModeDirectory:
        return FileType::Directory;
    case kModeSymlink:
        return FileType::Symlink;
    case kModeCharDevice:
        return FileType::CharDevice;
    case kModeBlockDevice:
        return FileType::BlockDevice;
    case kModeFifo:
        return FileType::Fifo;
    case kModeSocket:
        return FileType::Socket;
    default:
        return FileType::Unknown;
    }
}

Result<Image> Image::open(std::span<const uint8_t> bytes, const char** reason) {
    if (bytes.size() < kSuperOffset + kSuperSize) {
        set_reason(reason, "EROFS image too small for a superblock");
        return Errno::INVAL;
    }
    const uint8_t* sb = bytes.data() + kSuperOffset;
    if (load32(sb + kSbMagic) != kSuperMagic) {
        set_reason(reason, "not an EROFS image (bad superblock magic)");
        return Errno::INVAL;
    }
    Image image;
    image.m_bytes = bytes;
    // 4 KiB blocks only: that is what mkfs.erofs builds here and what page mapping needs.
    if (sb[kSbBlkszbits] != 12) {
        set_reason(reason, "unsupported EROFS block size (only 4096 is supported)");
        return Errno::INVAL;
    }
    image.m_block_bits = sb[kSbBlkszbits];
    uint32_t incompat = load32(sb + kSbFeatureIncompat);
    if (incompat & ~kIncompatSupported) {
        if (incompat & (kIncompatCompression | kIncompatZtailpacking | kIncompatFragments))
            set_reason(reason, "compressed EROFS images are not supported (build without -z)");
        else if (incompat & kIncompatDeviceTable)
            set_reason(reason, "multi-device EROFS images are not supported");
        else
            set_reason(reason, "EROFS image uses an unsupported incompatible feature");
        return Errno::OPNOTSUPP;
    }
    if (load16(sb + kSbExtraDevices) != 0) {
        set_reason(reason, "multi-device EROFS images are not supported");
        return Errno::OPNOTSUPP;
    }
    if (sb[kSbDirblkbits] != 0) {
        set_reason(reason, "EROFS directory block size differs from block size: unsupported");
        return Errno::OPNOTSUPP;
    }
    image.m_feature_compat = load32(sb + kSbFeatureCompat);
    image.m_root_nid = load16(sb + kSbRootNid);
    image.m_inode_count = load64(sb + kSbInos);
    image.m_build_time = load64(sb + kSbBuildTime);
    image.m_build_time_nsec = load32(sb + kSbBuildTimeNsec);
    image.m_block_count = load32(sb + kSbBlocks);
    if (image.m_block_count > (bytes.size() >> image.m_block_bits)) {
        set_reason(reason, "EROFS image is truncated (superblock counts more blocks)");
        return Errno::IO;
    }
    image.m_meta_offset = uint64_t(load32(sb + kSbMetaBlkaddr)) << image.m_block_bits;
    if (image.m_meta_offset >= bytes.size()) {
        set_reason(reason, "corrupt EROFS superblock (metadata area outside the image)");
        return Errno::IO;
    }
    auto root = image.decode_inode(image.m_root_nid, image.m_root);
    if (root.is_error() || !image.m_root.is_directory()) {
        set_reason(reason, "corrupt EROFS image (root is not a readable directory)");
        return root.is_error() ? root.error() : Error(Errno::IO);
    }
    return image;
}

Result<void> Image::verify_checksum() const {
    if (!(m_feature_compat & kFeatureCompatSbChecksum)) return {};
    // The checksum covers the superblock's block from the superblock on, with the checksum
    // field itself taken as zero.
    const uint64_t end = block_size();
    if (!in_image(kSuperOffset, end - kSuperOffset)) return Errno::IO;
    const uint8_t* sb = m_bytes.data() + kSuperOffset;
    const uint8_t zeros[4] = {};
    uint32_t crc = ~0u;
    crc = crc32c_update(crc, sb, kSbChecksum);
    crc = crc32c_update(crc, zeros, sizeof zeros);
    crc = crc32c_update(crc, sb + kSbChecksum + 4, end - kSuperOffset - kSbChecksum - 4);
    if (crc != load32(sb + kSbChecksum)) return Errno::IO;
    return {};
}

Result<Inode> Image::inode(uint64_t nid) const {
    Inode inode;
    TRY(decode_inode(nid, inode));
    return inode;
}

Result<void> Image::decode_inode(uint64_t nid, Inode& inode) const {
    // erofs iloc(): meta_blkaddr * block_size + nid * 32.
    if (nid > (m_bytes.size() - m_meta_offset) / kInodeSlotSize) return Errno::IO;
    const uint64_t offset = m_meta_offset + nid * kInodeSlotSize;
    if (!in_image(offset, kCompactInodeSize)) return Errno::IO;
    const uint8_t* raw = m_bytes.data() + offset;

    const uint16_t format = load16(raw);
    if (format & ~kFormatAllBits) return Errno::OPNOTSUPP;
    const bool extended = format & kFormatVersionMask;
    const uint16_t layout = (format >> kFormatLayoutShift) & kFormatLayoutMask;
    inode.nid = nid;
    inode.mode = load16(raw + 4);
    uint32_t inode_size;
    uint32_t data_word; // i_u: raw_blkaddr, rdev or chunk info
    if (extended) {
        // struct erofs_inode_extended (64 bytes)
        inode_size = kExtendedInodeSize;
        if (!in_image(offset, inode_size)) return Errno::IO;
        inode.size = load64(raw + 8);
        data_word = load32(raw + 16);
        inode.ino = load32(raw + 20);
        inode.uid = load32(raw + 24);
        inode.gid = load32(raw + 28);
        inode.mtime = load64(raw + 32);
        inode.mtime_nsec = load32(raw + 40);
        inode.nlink = load32(raw + 44);
    } else {
        // struct erofs_inode_compact (32 bytes). Its time is the build time plus the i_mtime
        // delta that newer mkfs stores in what older formats call i_reserved (0 there).
        inode_size = kCompactInodeSize;
        inode.nlink = load16(raw + 6);
        inode.size = load32(raw + 8);
        inode.mtime = m_build_time + load32(raw + 12);
        inode.mtime_nsec = m_build_time_nsec;
        data_word = load32(raw + 16);
        inode.ino = load32(raw + 20);
        inode.uid = load16(raw + 24);
        inode.gid = load16(raw + 26);
    }
    const uint16_t xattr_icount = load16(raw + 2);
    const uint32_t xattr_size =
        xattr_icount == 0 ? 0 : kXattrIbodyHeaderSize + 4u * (xattr_icount - 1u);
    inode.meta_end = offset + inode_size + xattr_size;
    if (!in_image(offset, inode_size + xattr_size)) return Errno::IO;
    inode.rdev = 0;
    inode.layout = DataLayout::FlatPlain;
    inode.raw_blkaddr = 0;
    inode.chunk_format = 0;

    switch (inode.mode & kModeTypeMask) {
    case kModeRegular:
    case kModeDirectory:
    case kModeSymlink:
        break;
    case kModeCharDevice:
    case kModeBlockDevice:
    case kModeFifo:
    case kModeSocket:
        // No data: i_u holds the device number (0 for fifos and sockets).
        inode.rdev = data_word;
        inode.size = 0;
        return {};
    default:
        return Errno::IO;
    }

    if (inode.size > kMaxFileSize) return Errno::IO;
    const uint64_t bs = block_size();
    switch (layout) {
    case uint16_t(DataLayout::FlatPlain): {
        inode.layout = DataLayout::FlatPlain;
        inode.raw_blkaddr = data_word;
        if (inode.size > 0 && !in_image(uint64_t(data_word) << m_block_bits, inode.size))
            return Errno::IO;
        return {};
    }
    case uint16_t(DataLayout::FlatInline): {
        inode.layout = DataLayout::FlatInline;
        inode.raw_blkaddr = data_word;
        if (inode.size == 0) return {};
        const uint64_t full = round_up(inode.size, bs) - bs; // bytes in whole blocks
        const uint64_t tail = inode.size - full;
        if (full > 0 && !in_image(uint64_t(data_word) << m_block_bits, full)) return Errno::IO;
        // The tail must sit in the same block as the end of the inode (Linux
        // erofs_map_blocks: "inline data cross block boundary" is corruption).
        if ((inode.meta_end & (bs - 1)) + tail > bs) return Errno::IO;
        if (!in_image(inode.meta_end, tail)) return Errno::IO;
        return {};
    }
    case uint16_t(DataLayout::ChunkBased): {
        inode.layout = DataLayout::ChunkBased;
        inode.chunk_format = static_cast<uint16_t>(data_word & 0xffff);
        if (inode.chunk_format & ~kChunkFormatAll) return Errno::OPNOTSUPP;
        const uint32_t chunk_bits = m_block_bits + (inode.chunk_format & kChunkBlkbitsMask);
        const uint64_t unit = (inode.chunk_format & kChunkIndexes) ? 8 : 4;
        const uint64_t chunks = (inode.size + (1ull << chunk_bits) - 1) >> chunk_bits;
        const uint64_t table = round_up(inode.meta_end, unit);
        if (chunks > m_bytes.size() / unit || !in_image(table, chunks * unit)) return Errno::IO;
        return {};
    }
    case 1:
    case 3:
        return Errno::OPNOTSUPP; // compressed layouts
    default:
        return Errno::IO;
    }
}

// map(), inlined into the directory walk (where it runs once per block looked at).
[[gnu::always_inline]] inline Result<Extent> Image::map_extent(const Inode& file,
                                                               uint64_t offset) const {
    if (!file.has_data() || offset >= file.size || file.size > kMaxFileSize) return Errno::INVAL;
    const uint64_t bs = block_size();
    Extent extent;
    switch (file.layout) {
    case DataLayout::FlatPlain:
        extent.image_offset = (uint64_t(file.raw_blkaddr) << m_block_bits) + offset;
        extent.length = file.size - offset;
        break;
    case DataLayout::FlatInline: {
        const uint64_t full = round_up(file.size, bs) - bs;
        if (offset < full) {
            extent.image_offset = (uint64_t(file.raw_blkaddr) << m_block_bits) + offset;
            extent.length = full - offset;
        } else {
            extent.image_offset = file.meta_end + (offset - full);
            extent.length = file.size - offset;
            extent.is_inline = true;
        }
        break;
    }
    case DataLayout::ChunkBased: {
        if (file.chunk_format & ~kChunkFormatAll) return Errno::OPNOTSUPP;
        const uint32_t chunk_bits = m_block_bits + (file.chunk_format & kChunkBlkbitsMask);
        const uint64_t unit = (file.chunk_format & kChunkIndexes) ? 8 : 4;
        const uint64_t chunk = offset >> chunk_bits;
        const uint64_t entry = round_up(file.meta_end, unit) + chunk * unit;
        if (chunk > m_bytes.size() || !in_image(entry, unit)) return Errno::IO;
        // erofs_inode_chunk_index { le16 advise; le16 device_id; le32 blkaddr } or a bare le32.
        // device_id can only name the primary device: multi-device images are refused at open.
        const uint32_t blkaddr = load32(m_bytes.data() + entry + (unit == 8 ? 4 : 0));
        const uint64_t chunk_start = chunk << chunk_bits;
        const uint64_t chunk_end = chunk_start + (1ull << chunk_bits);
        extent.length = (chunk_end < file.size ? chunk_end : file.size) - offset;
        if (blkaddr == kNullBlock) {
            extent.hole = true;
            return extent;
        }
        extent.image_offset = (uint64_t(blkaddr) << m_block_bits) + (offset - chunk_start);
        break;
    }
    default:
        return Errno::IO;
    }
    if (!in_image(extent.image_offset, extent.length)) return Errno::IO;
    return extent;
}

Result<Extent> Image::map(const Inode& file, uint64_t offset) const {
    return map_extent(file, offset);
}

Result<size_t> Image::read(const Inode& file, uint64_t offset, std::span<uint8_t> out) const {
    if (!file.has_data()) return Errno::INVAL;
    if (offset >= file.size) return size_t(0);
    uint64_t remaining = file.size - offset;
    size_t total = out.size() < remaining ? out.size() : static_cast<size_t>(remaining);
    size_t done = 0;
    while (done < total) {
        Extent extent = TRY(map(file, offset + done));
        size_t n = extent.length < total - done ? static_cast<size_t>(extent.length) : total - done;
        if (extent.hole)
            memset(out.data() + done, 0, n);
        else
            memcpy(out.data() + done, m_bytes.data() + extent.image_offset, n);
        done += n;
    }
    return total;
}

Result<std::string_view> Image::readlink(const Inode& link) const {
    if (!link.is_symlink()) return Errno::INVAL;
    if (link.size == 0) return std::string_view();
    if (link.size >= kPathMax) return Errno::IO; // Linux symlinks are shorter than PATH_MAX
    Extent extent = TRY(map(link, 0));
    if (extent.hole || extent.length < link.size) return Errno::IO;
    return std::string_view(reinterpret_cast<const char*>(m_bytes.data() + extent.image_offset),
                            static_cast<size_t>(link.size));
}

Result<uint64_t> Image::contiguous_offset(const Inode& file, uint64_t offset,
                                          uint64_t length) const {
    const uint64_t bs = block_size();
    if (!file.has_data() || length == 0 || (offset & (bs - 1)) != 0) return Errno::INVAL;
    const uint64_t limit = round_up(file.size, bs); // end of the file's last block
    if (offset >= limit || length > limit - offset) return Errno::INVAL;
    const uint64_t end = offset + length;
    uint64_t first = 0, expected = 0;
    for (uint64_t pos = offset; pos < end;) {
        Extent extent = TRY(map(file, pos));
        if (extent.hole || extent.is_inline) return Errno::OPNOTSUPP;
        if (pos == offset)
            first = expected = extent.image_offset;
        else if (extent.image_offset != expected)
            return Errno::OPNOTSUPP;
        // An extent reaching end of file also owns the rest of its last block.
        uint64_t step = extent.length;
        if (pos + step == file.size) step = limit - pos;
        pos += step;
        expected += step;
    }
    // The whole blocks must lie inside the image, not just the file bytes map() checked.
    if (!in_image(first, round_up(length, bs))) return Errno::IO;
    return first;
}

uint64_t Image::dir_block_count(const Inode& dir) const {
    return (dir.size + block_size() - 1) >> m_block_bits;
}

Result<Image::DirBlock> Image::dir_block(const Inode& dir, uint64_t block) const {
    return dir_block_inline(dir, block);
}

// dir_block(), inlined into the lookup's binary search.
[[gnu::always_inline]] inline Result<Image::DirBlock>
Image::dir_block_inline(const Inode& dir, uint64_t block) const {
    const uint64_t start = block << m_block_bits;
    if (start >= dir.size) return Errno::INVAL;
    const Extent extent = TRY(map_extent(dir, start));
    const uint64_t left = dir.size - start;
    DirBlock b;
    b.size = static_cast<uint32_t>(left < block_size() ? left : block_size());
    if (extent.hole || extent.length < b.size || b.size < kDirentSize) return Errno::IO;
    b.data = m_bytes.data() + extent.image_offset;
    // The first dirent's name offset is where the dirent array ends (Linux erofs_readdir).
    const uint16_t first_name = load16(b.data + 8);
    if (first_name < kDirentSize || first_name >= b.size) return Errno::IO;
    b.count = first_name / kDirentSize;
    return b;
}

// The name of entry `index` (below block.count), its bounds checked: an empty view means a
// corrupt entry (no name is empty). Inlined into the lookup's binary search.
[[gnu::always_inline]] inline std::string_view Image::dirent_name(const DirBlock& block,
                                                                  uint32_t index) const {
    // struct erofs_dirent { le64 nid; le16 nameoff; u8 file_type; u8 reserved; }
    const uint8_t* d = block.data + index * kDirentSize;
    const uint32_t name_start = load16(d + 8);
    uint32_t name_end;
    if (index + 1 < block.count) {
        name_end = load16(d + kDirentSize + 8);
    } else {
        // The last name runs to the end of the block's data or to NUL padding: look for the
        // NUL a word at a time while a whole word is left (the lowest 0x80 of the classic
        // has-zero-byte expression marks the first zero byte exactly), then byte by byte.
        name_end = name_start;
        while (name_end + 8 <= block.size) {
            const uint64_t word = load64(block.data + name_end);
            const uint64_t zero = (word - 0x0101010101010101ull) & ~word & 0x8080808080808080ull;
            if (zero != 0) {
                // The index of the lowest marked byte, without bsf/tzcnt: multiplying the
                // marked byte's 1 moves the index table's matching byte to the top.
                const uint64_t lowest = (zero & (0 - zero)) >> 7;
                name_end += static_cast<uint32_t>((lowest * 0x0001020304050607ull) >> 56);
                goto found_end;
            }
            name_end += 8;
        }
        while (name_end < block.size && block.data[name_end] != 0)
            name_end++;
    }
found_end:
    if (name_start < block.count * kDirentSize || name_end > block.size || name_end <= name_start ||
        name_end - name_start > kNameMax)
        return {};
    return std::string_view(reinterpret_cast<const char*>(block.data + name_start),
                            name_end - name_start);
}

Result<DirEntry> Image::dir_entry(const DirBlock& block, uint32_t index) const {
    if (index >= block.count) return Errno::INVAL;
    DirEntry entry;
    entry.name = dirent_name(block, index);
    if (entry.name.empty()) return Errno::IO;
    const uint8_t* d = block.data + index * kDirentSize;
    entry.nid = load64(d);
    entry.type = d[10] <= uint8_t(FileType::Symlink) ? FileType(d[10]) : FileType::Unknown;
    entry.next_cookie = 0;
    return entry;
}

namespace {

// The sign of a.compare(b) (bytes compared unsigned, then lengths), eight bytes per step: the
// byte-swapped words order as the bytes do.
int compare_names(std::string_view a, std::string_view b) {
    const size_t common = a.size() < b.size() ? a.size() : b.size();
    const auto* x = reinterpret_cast<const uint8_t*>(a.data());
    const auto* y = reinterpret_cast<const uint8_t*>(b.data());
    size_t i = 0;
    for (; i + 8 <= common; i += 8) {
        const uint64_t wx = load64(x + i), wy = load64(y + i);
        if (wx != wy) return __builtin_bswap64(wx) < __builtin_bswap64(wy) ? -1 : 1;
    }
    for (; i < common; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

} // namespace

Result<uint64_t> Image::find_nid(const Inode& dir, std::string_view name) const {
    if (!dir.is_directory()) return Errno::NOTDIR;
    if (name.size() > kNameMax) return Errno::NAMETOOLONG;
    if (name.empty()) return Errno::NOENT;
    // Names are sorted across the directory's blocks too: binary search over blocks, then
    // within the block (as Linux erofs_namei does). An unsorted (corrupt) directory can only
    // make this miss, never loop: the ranges shrink every step.
    uint64_t low = 0, high = dir_block_count(dir); // blocks [low, high)
    while (low < high) {
        const uint64_t mid = low + (high - low) / 2;
        const DirBlock block = TRY(dir_block_inline(dir, mid));
        uint32_t first = 0, last = block.count; // entries [first, last)
        while (first < last) {
            const uint32_t probe = first + (last - first) / 2;
            const std::string_view entry = dirent_name(block, probe);
            if (entry.empty()) return Errno::IO;
            const int order = compare_names(name, entry);
            if (order == 0) return load64(block.data + probe * kDirentSize);
            if (order < 0)
                last = probe;
            else
                first = probe + 1;
        }
        // A miss: before this block's first name, after its last, or in between (nowhere).
        if (first == 0)
            high = mid;
        else if (first == block.count)
            low = mid + 1;
        else
            break;
    }
    return Errno::NOENT;
}

Result<Inode> Image::lookup(const Inode& dir, std::string_view name) const {
    const uint64_t nid = TRY(find_nid(dir, name));
    return inode(nid);
}

Result<Inode> Image::resolve(std::string_view path, bool follow_final_symlink) const {
    if (path.empty()) return Errno::NOENT;
    if (path[0] != '/') return Errno::INVAL;
    if (path.size() >= kPathMax) return Errno::NAMETOOLONG;

    // The text still to walk is a stack: the caller's path at the bottom, and on top the target
    // of each symlink being followed (views into the image: nothing is copied). Each push is a
    // follow, so 40 follows bound the depth. The top is walked in `text`; a level below keeps
    // what is left of its text and, as of when it was pushed, whether everything under it is
    // only slashes (`below_final`) and whether any slash is left there (`below_slash`): that
    // decides whether a component is the final one and whether a slash follows it.
    struct Level {
        const char* text;
        size_t left;
        bool below_final, below_slash;
    };
    Level saved[kMaxSymlinkFollows]; // plain data: nothing to initialise
    size_t depth = 0;                // levels in `saved`
    const char* text = path.data();
    size_t left = path.size();
    bool below_final = true, below_slash = false;

    // The walk alternates between two decoded inodes: `next` is always the one `current` is not
    // (the root lives in the Image).
    union Slot {
        Slot() {} // left undecoded: decode_inode() writes every field before any use
        Inode inode;
    } slots[2];
    const Inode* current = &m_root;
    int follows = 0;
    bool must_be_directory = false;
    for (;;) {
        while (left > 0 && *text == '/') {
            text++;
            left--;
        }
        if (left == 0) {
            if (depth == 0) break;
            const Level& level = saved[--depth];
            text = level.text;
            left = level.left;
            below_final = level.below_final;
            below_slash = level.below_slash;
            continue;
        }
        size_t length = 0;
        while (length < left && text[length] != '/')
            length++;
        const std::string_view component(text, length);
        size_t slashes = 0;
        while (length + slashes < left && text[length + slashes] == '/')
            slashes++;
        text += length + slashes;
        left -= length + slashes;

        // Final component: nothing but slashes left here and in every level below.
        const bool final = left == 0 && below_final;
        const bool slash_follows = slashes > 0 || below_slash; // meaningful when final

        if (!current->is_directory()) return Errno::NOTDIR;
        if (component.size() > kNameMax) return Errno::NAMETOOLONG;
        if (component == ".") {
            if (final && slash_follows) must_be_directory = true;
            continue;
        }
        Inode* next = current == &slots[0].inode ? &slots[1].inode : &slots[0].inode;
        const uint64_t nid = TRY(find_nid(*current, component));
        TRY(decode_inode(nid, *next));
        if (next->is_symlink() && (!final || follow_final_symlink || slash_follows)) {
            if (++follows > kMaxSymlinkFollows || depth == kMaxSymlinkFollows) return Errno::LOOP;
            const std::string_view target = TRY(readlink(*next));
            if (target.empty()) return Errno::NOENT;
            if (target.front() == '/') current = &m_root;
            saved[depth++] = Level{text, left, below_final, below_slash};
            text = target.data();
            left = target.size();
            below_final = final;
            below_slash = slash_follows;
            continue;
        }
        if (final && slash_follows) must_be_directory = true;
        current = next;
    }
    if (must_be_directory && !current->is_directory()) return Errno::NOTDIR;
    return *current;
}

} // namespace wisp::fs::erofs
