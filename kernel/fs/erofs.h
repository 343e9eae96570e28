// SPDX-License-Identifier: MIT
#pragma once

// EROFS reader for the application's root filesystem image (DESIGN.md §2 Filesystems, §4).
//
// The image is built by `mkfs.erofs -E noinline_data`: uncompressed, 4 KiB blocks, regular file
// data block-aligned. It reaches the reader as one contiguous byte range (the first PVH module in
// the guest; an mmap'ed or read file on the host). The image is untrusted input: every on-disk
// field is bounds-checked against that range before use, and a corrupt or truncated image gives
// Errno::IO (or INVAL/OPNOTSUPP), never an out-of-bounds read. Nothing here allocates.
//
// On-disk format (Linux fs/erofs/erofs_fs.h, all fields little-endian):
//
//   byte 0        1024            1152
//   +-------------+---------------+---- ... ----+--------------------------------------------+
//   | (unused)    | superblock    |             | meta area at meta_blkaddr * block_size:     |
//   |             | 128 bytes     |             | inodes at nid * 32, each followed by inline |
//   +-------------+---------------+---- ... ----+ xattrs and inline tail data / chunk indexes |
//                                               +--------------------------------------------+
//   data blocks anywhere: file data (FLAT_PLAIN), directory blocks = dirents + names.
#include <stddef.h>
#include <stdint.h>

#include <span>
#include <string_view>

#include "lib/result.h"

namespace wisp::fs::erofs {

// Directory entry file types (EROFS_FT_*, the generic Linux FT_* numbering; DT_* differs).
enum class FileType : uint8_t {
    Unknown = 0,
    Regular = 1,
    Directory = 2,
    CharDevice = 3,
    BlockDevice = 4,
    Fifo = 5,
    Socket = 6,
    Symlink = 7,
};

// Inode data layouts this reader supports (erofs_fs.h EROFS_INODE_*). The compressed layouts
// (1 and 3) are rejected with Errno::OPNOTSUPP.
enum class DataLayout : uint8_t {
    FlatPlain = 0,  // data in consecutive blocks from raw_blkaddr
    FlatInline = 2, // full blocks from raw_blkaddr, the tail right after the inode
    ChunkBased = 4, // a table of per-chunk block addresses after the inode; holes read as zeros
};

// st_mode file type bits (the Linux values; this header must not depend on host <sys/stat.h>).
inline constexpr uint16_t kModeTypeMask = 0170000;
inline constexpr uint16_t kModeSocket = 0140000;
inline constexpr uint16_t kModeSymlink = 0120000;
inline constexpr uint16_t kModeRegular = 0100000;
inline constexpr uint16_t kModeBlockDevice = 0060000;
inline constexpr uint16_t kModeDirectory = 0040000;
inline constexpr uint16_t kModeCharDevice = 0020000;
inline constexpr uint16_t kModeFifo = 0010000;

inline constexpr size_t kNameMax = 255;       // EROFS_NAME_LEN, also Linux NAME_MAX
inline constexpr size_t kPathMax = 4096;      // Linux PATH_MAX, including the terminating NUL
inline constexpr int kMaxSymlinkFollows = 40; // Linux MAXSYMLINKS
// for_each_entry's cookie once a directory is exhausted. Positive as a signed 64-bit value so it
// can be handed out as a getdents64 d_off / directory lseek position.
inline constexpr uint64_t kEndCookie = 0x7fffffffffffffffull;

FileType file_type_of_mode(uint16_t mode);

// A decoded, validated on-disk inode. Values are copies; the Image stays the owner of the data.
struct Inode {
    uint64_t nid = 0;  // node number: its position in the meta area, in 32-byte slots
    uint16_t mode = 0; // file type and permission bits, as st_mode
    uint64_t size = 0;
    uint32_t uid = 0, gid = 0, nlink = 0;
    uint64_t mtime = 0;
    uint32_t mtime_nsec = 0;
    uint32_t ino = 0;  // i_ino: the 32-bit serial number mkfs assigned (for st_ino)
    uint32_t rdev = 0; // character/block devices: Linux new_encode_dev() form
    // Where the data is (meaningful only for regular files, directories and symlinks).
    DataLayout layout = DataLayout::FlatPlain;
    uint32_t raw_blkaddr = 0;  // flat layouts: block of the first byte
    uint16_t chunk_format = 0; // chunk-based: EROFS_CHUNK_FORMAT_* (chunk size bits, index kind)
    uint64_t meta_end = 0;     // image offset just past the inode and its inline xattrs

    FileType type() const { return file_type_of_mode(mode); }
    bool is_directory() const { return (mode & kModeTypeMask) == kModeDirectory; }
    bool is_regular() const { return (mode & kModeTypeMask) == kModeRegular; }
    bool is_symlink() const { return (mode & kModeTypeMask) == kModeSymlink; }
    // Regular files, directories and symlinks have data; devices, fifos and sockets do not.
    bool has_data() const { return is_regular() || is_directory() || is_symlink(); }
};

// The run of a file's bytes that starts at some offset and is stored in one piece.
struct Extent {
    uint64_t length = 0;       // bytes of the file from the requested offset (> 0)
    uint64_t image_offset = 0; // where those bytes are in the image (unused for holes)
    bool hole = false;         // not stored: reads as zeros
    bool is_inline = false;    // tail packed after the inode: not block-aligned
};

// One directory entry, as handed to for_each_entry's callback.
struct DirEntry {
    std::string_view name; // points into the image
    uint64_t nid;
    FileType type;
    uint64_t next_cookie; // resume position just after this entry (getdents64 d_off)
};

class Image {
  public:
    // Validates the superblock and the root directory. `reason`, when given, receives a static
    // one-line English explanation on failure (e.g. which feature is unsupported).
    static Result<Image> open(std::span<const uint8_t> bytes, const char** reason = nullptr);

    uint32_t block_size() const { return 1u << m_block_bits; }
    uint64_t root_nid() const { return m_root_nid; }
    uint64_t inode_count() const { return m_inode_count; } // for statfs f_files
    uint64_t block_count() const { return m_block_count; } // for statfs f_blocks
    uint64_t build_time() const { return m_build_time; }
    std::span<const uint8_t> bytes() const { return m_bytes; }

    // The superblock's crc32c (when the image has one). Not done by open(): at CPL0 under the
    // emulator (DESIGN.md §8) hashing 3 KiB costs milliseconds; host tools call it.
    Result<void> verify_checksum() const;

    Result<Inode> root() const { return m_root; }
    Result<Inode> inode(uint64_t nid) const;

    // One path component; "." and ".." are looked up as the entries mkfs stores. Errors: NOTDIR,
    // NOENT, NAMETOOLONG (> 255 bytes), IO (corrupt directory).
    Result<Inode> lookup(const Inode& dir, std::string_view name) const;

    // Walks an absolute path from the root: '/', '.', '..', symlinks (at most 40 followed, else
    // LOOP). The final component is followed when it is a symlink only if follow_final_symlink
    // or the path ends in '/', which also requires a directory. Errors: INVAL (relative path),
    // NOENT, NOTDIR, NAMETOOLONG, LOOP, IO.
    Result<Inode> resolve(std::string_view absolute_path, bool follow_final_symlink) const;

    // Reads from a regular file, directory or symlink; a short count at end of file, 0 past it.
    Result<size_t> read(const Inode& file, uint64_t offset, std::span<uint8_t> out) const;

    // A symlink's target, pointing into the image (zero copy).
    Result<std::string_view> readlink(const Inode& link) const;

    // Where the file byte at `offset` is stored, and how many following bytes are in one piece.
    // Errors: INVAL for offset >= size or an inode without data, IO for corrupt mappings.
    Result<Extent> map(const Inode& file, uint64_t offset) const;

    // Zero copy: if the file range [offset, offset + length) is stored contiguously in whole
    // blocks of the image, the image offset of its first byte (block-aligned), so the kernel can
    // map image pages straight into the application. `offset` must be block-aligned; the range
    // may run into the last block past end of file (mkfs zero-fills that block's tail, but an
    // untrusted image may not: the bytes there are whatever the image holds). Errors: INVAL
    // (misaligned, empty, or beyond the last block), OPNOTSUPP (a hole, inline tail data, or
    // discontiguous chunks in the range: copy instead), IO (corrupt).
    Result<uint64_t> contiguous_offset(const Inode& file, uint64_t offset, uint64_t length) const;

    // Directory iteration without allocation, resumable: calls fn(const DirEntry&) for each
    // entry from `cookie` on (0 = first; "." and ".." included, in on-disk order, which is
    // sorted by name). fn returns true to go on, false to stop before consuming that entry.
    // Returns the cookie to resume from: the stopped entry's, or kEndCookie when exhausted.
    template<typename Fn>
    Result<uint64_t> for_each_entry(const Inode& dir, uint64_t cookie, Fn&& fn) const;

  private:
    // One directory block: dirents then names (erofs_fs.h struct erofs_dirent).
    struct DirBlock {
        const uint8_t* data = nullptr;
        uint32_t size = 0;  // bytes of this block that belong to the directory
        uint32_t count = 0; // number of dirents
    };

    Image() = default;
    // inode() into a caller's Inode (every field written), so a path walk needs no copies.
    Result<void> decode_inode(uint64_t nid, Inode& out) const;
    Result<Extent> map_extent(const Inode& file, uint64_t offset) const;
    uint64_t dir_block_count(const Inode& dir) const;
    Result<DirBlock> dir_block(const Inode& dir, uint64_t block) const;
    Result<DirBlock> dir_block_inline(const Inode& dir, uint64_t block) const;
    std::string_view dirent_name(const DirBlock& block, uint32_t index) const;
    Result<DirEntry> dir_entry(const DirBlock& block, uint32_t index) const;
    // lookup() up to the entry: the node number of `name` in `dir`, not yet decoded.
    Result<uint64_t> find_nid(const Inode& dir, std::string_view name) const;
    bool in_image(uint64_t offset, uint64_t length) const {
        return offset <= m_bytes.size() && length <= m_bytes.size() - offset;
    }

    std::span<const uint8_t> m_bytes;
    uint32_t m_block_bits = 12;
    uint64_t m_meta_offset = 0; // byte offset of the meta area (nid 0)
    uint64_t m_root_nid = 0;
    uint64_t m_inode_count = 0;
    uint64_t m_block_count = 0;
    uint64_t m_build_time = 0;
    uint32_t m_build_time_nsec = 0;
    uint32_t m_feature_compat = 0;
    Inode m_root; // decoded and checked once by open(): the image never changes
};

template<typename Fn>
Result<uint64_t> Image::for_each_entry(const Inode& dir, uint64_t cookie, Fn&& fn) const {
    if (!dir.is_directory()) return Errno::NOTDIR;
    if (cookie == kEndCookie) return kEndCookie;
    constexpr uint32_t kDirentSize = 12;
    const uint64_t block_mask = block_size() - 1;
    if ((cookie & block_mask) % kDirentSize != 0) return Errno::INVAL;
    uint64_t block = cookie >> m_block_bits;
    uint32_t index = static_cast<uint32_t>((cookie & block_mask) / kDirentSize);
    const uint64_t blocks = dir_block_count(dir);
    for (; block < blocks; block++, index = 0) {
        DirBlock b = TRY(dir_block(dir, block));
        for (; index < b.count; index++) {
            DirEntry entry = TRY(dir_entry(b, index));
            entry.next_cookie = index + 1 < b.count
                                    ? (block << m_block_bits) + (index + 1) * kDirentSize
                                    : (block + 1) << m_block_bits;
            if (!fn(static_cast<const DirEntry&>(entry)))
                return (block << m_block_bits) + index * kDirentSize;
        }
    }
    return kEndCookie;
}

} // namespace wisp::fs::erofs
