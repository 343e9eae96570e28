// SPDX-License-Identifier: MIT
#include "fs/image_fs.h"

#include "fs/dentry.h" // LinkTarget holds a RefPtr<Dentry>

namespace wisp::fs {

namespace {

constexpr uint64_t kErofsMagic = 0xE0F5E1E2; // EROFS_SUPER_MAGIC_V1
constexpr uint64_t kStatfsReadOnly = 1;      // ST_RDONLY

DirentType dirent_type(erofs::FileType t) {
    switch (t) {
    case erofs::FileType::Regular:
        return DirentType::Regular;
    case erofs::FileType::Directory:
        return DirentType::Directory;
    case erofs::FileType::CharDevice:
        return DirentType::Char;
    case erofs::FileType::BlockDevice:
        return DirentType::Block;
    case erofs::FileType::Fifo:
        return DirentType::Fifo;
    case erofs::FileType::Socket:
        return DirentType::Socket;
    case erofs::FileType::Symlink:
        return DirentType::Symlink;
    default:
        return DirentType::Unknown;
    }
}

} // namespace

Result<Own<ImageFs>> ImageFs::create(const erofs::Image& image) {
    Own<ImageFs> fs(new (std::nothrow) ImageFs(image));
    if (!fs) return Errno::NOMEM;
    return fs;
}

Result<RefPtr<Vnode>> ImageFs::vnode_for(const erofs::Inode& inode) {
    RefPtr<Vnode> v(new (std::nothrow) ImageNode(*this, inode));
    if (!v) return Errno::NOMEM;
    return v;
}

Result<RefPtr<Vnode>> ImageFs::root() {
    return vnode_for(TRY(m_image.root()));
}

Result<void> ImageFs::statfs(FsStats& out) {
    out.type = kErofsMagic;
    out.block_size = m_image.block_size();
    out.blocks = m_image.block_count();
    out.blocks_free = out.blocks_available = 0;
    out.files = m_image.inode_count();
    out.files_free = 0;
    out.name_max = kNameMax;
    out.flags = kStatfsReadOnly;
    return {};
}

ImageNode::ImageNode(ImageFs& fs, const erofs::Inode& inode)
    : Vnode(fs, inode.mode), m_inode(inode) {
    if (!inode.is_regular() || inode.size == 0) return;
    auto extent = fs.image().map(inode, 0);
    if (!extent.is_error() && !extent->hole && extent->length >= inode.size)
        m_contiguous_at = extent->image_offset;
}

Result<void> ImageNode::getattr(Attributes& out) {
    out.ino = m_inode.nid; // Linux erofs: i_ino is the nid
    out.mode = m_inode.mode;
    out.nlink = m_inode.nlink;
    out.uid = m_inode.uid;
    out.gid = m_inode.gid;
    out.rdev = m_inode.rdev;
    out.size = m_inode.size;
    uint64_t block = image().block_size();
    out.blocks = m_inode.has_data() ? (m_inode.size + block - 1) / block * (block / 512) : 0;
    out.blksize = static_cast<uint32_t>(block);
    out.atime = out.mtime = out.ctime = {static_cast<int64_t>(m_inode.mtime), m_inode.mtime_nsec};
    out.btime = {};
    return {};
}

Result<RefPtr<Vnode>> ImageNode::lookup(std::string_view name) {
    erofs::Inode child = TRY(image().lookup(m_inode, name));
    return static_cast<ImageFs&>(fs()).vnode_for(child);
}

Result<uint64_t> ImageNode::readdir(uint64_t cookie, DirSink& sink) {
    uint64_t next = TRY(image().for_each_entry(m_inode, cookie, [&](const erofs::DirEntry& e) {
        if (e.name == "." || e.name == "..") return true; // the VFS adds its own
        uint64_t resume = e.next_cookie == erofs::kEndCookie ? kEndOfDirectory : e.next_cookie;
        return sink.emit(e.name, e.nid, dirent_type(e.type), resume);
    }));
    return next == erofs::kEndCookie ? kEndOfDirectory : next;
}

Result<LinkTarget> ImageNode::readlink(char*) {
    LinkTarget t;
    t.text = TRY(image().readlink(m_inode));
    return t;
}

Result<size_t> ImageNode::read(OpenFile&, uint64_t offset, IoBuffer& buffer) {
    if (m_inode.is_directory()) return Errno::ISDIR;
    if (!m_inode.has_data()) return Errno::INVAL;
    if (offset >= m_inode.size) return 0;
    size_t count = buffer.size();
    if (count > m_inode.size - offset) count = static_cast<size_t>(m_inode.size - offset);
    const uint8_t* bytes = image().bytes().data();
    if (m_contiguous_at != ~0ull) {
        TRY(buffer.store(0, bytes + m_contiguous_at + offset, count));
        return count;
    }
    size_t done = 0;
    while (done < count) {
        auto extent = image().map(m_inode, offset + done);
        if (extent.is_error()) {
            if (done) break;
            return extent.error();
        }
        size_t chunk =
            extent->length < count - done ? static_cast<size_t>(extent->length) : count - done;
        Result<void> r = extent->hole ? buffer.store_zeros(done, chunk)
                                      : buffer.store(done, bytes + extent->image_offset, chunk);
        if (r.is_error()) {
            if (done) break;
            return r.error();
        }
        done += chunk;
    }
    return done;
}

Result<uint64_t> ImageNode::seek_data(uint64_t offset, uint64_t size, bool hole) {
    if (offset >= size) return Errno::NXIO;
    // Chunk-based files can have holes; walk the extents.
    uint64_t at = offset;
    while (at < size) {
        auto extent = image().map(m_inode, at);
        if (extent.is_error()) return hole ? size : offset;
        if (extent->hole == hole) return at;
        at += extent->length;
    }
    if (hole) return size;
    return Errno::NXIO;
}

const void* ImageNode::direct_page(uint64_t offset) {
    if (image().block_size() != kPageSize || !m_inode.is_regular()) return nullptr;
    uint64_t length = m_inode.size - offset < kPageSize ? m_inode.size - offset : kPageSize;
    auto at = image().contiguous_offset(m_inode, offset, length);
    if (at.is_error()) return nullptr;
    return image().bytes().data() + at.value();
}

const void* ImageNode::direct_range(uint64_t offset, uint64_t length) {
    if (image().block_size() != kPageSize || !m_inode.is_regular() || offset % kPageSize != 0 ||
        offset >= m_inode.size || length == 0)
        return nullptr;
    if (length > m_inode.size - offset) length = m_inode.size - offset;
    if (m_contiguous_at != ~0ull) return image().bytes().data() + m_contiguous_at + offset;
    auto at = image().contiguous_offset(m_inode, offset, length);
    if (at.is_error()) return nullptr;
    return image().bytes().data() + at.value();
}

} // namespace wisp::fs
