// SPDX-License-Identifier: MIT
#include "fs/pseudo_fs.h"

#include "fs/dentry.h" // LinkTarget holds a RefPtr<Dentry>
#include "fs/open_file.h"
#include "fs/system.h"
#include "lib/print.h"

namespace wisp::fs {

namespace {

// The snapshot an open pseudo file reads from.
class Snapshot final : public FileState {
  public:
    TextBuffer text;
};

bool parse_number(std::string_view name, uint64_t& out) {
    if (name.empty() || name.size() > 19 || (name.size() > 1 && name[0] == '0')) return false;
    uint64_t v = 0;
    for (char c : name) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    out = v;
    return true;
}

} // namespace

Result<Own<PseudoFs>> PseudoFs::create(const char* type_name, const PseudoEntry& root,
                                       uint64_t magic, uint64_t file_size, bool lookups_fail) {
    Own<PseudoFs> fs(new (std::nothrow) PseudoFs(type_name, root, magic, file_size));
    if (fs) fs->m_lookups_fail = lookups_fail;
    if (!fs) return Errno::NOMEM;
    return fs;
}

Result<RefPtr<Vnode>> PseudoFs::vnode_for(const PseudoEntry& entry, uint64_t arg) {
    RefPtr<Vnode> v(new (std::nothrow) PseudoNode(*this, entry, arg));
    if (!v) return Errno::NOMEM;
    return v;
}

Result<RefPtr<Vnode>> PseudoFs::root() {
    return vnode_for(m_root, 0);
}

Result<void> PseudoFs::statfs(FsStats& out) {
    out = {};
    out.type = m_magic;
    out.block_size = kPageSize;
    out.name_max = kNameMax;
    return {};
}

uint64_t PseudoNode::ino() const {
    // Stable for a given entry and number; the table address is as good as any.
    return (reinterpret_cast<uintptr_t>(&m_entry) >> 3 & 0xffffffff) ^ (m_arg << 32) ^ 0x1000;
}

Result<void> PseudoNode::getattr(Attributes& out) {
    out.ino = ino();
    out.mode = m_entry.mode;
    out.nlink = is_directory() ? 2 : 1;
    out.size = is_regular() ? pseudo().file_size() : 0;
    out.blksize = kPageSize;
    // Files of a pseudo file system are as old as the boot.
    static const Timestamp boot = current_time();
    out.atime = out.mtime = out.ctime = boot;
    return {};
}

Result<void> PseudoNode::setattr(const AttributeChange& change) {
    if (change.mask & AttributeChange::kSize) return is_regular() ? Result<void>() : Errno::INVAL;
    return Errno::PERM;
}

Result<RefPtr<Vnode>> PseudoNode::lookup(std::string_view name) {
    if (!is_directory()) return Errno::NOTDIR;
    for (size_t i = 0; i < m_entry.child_count; i++) {
        const PseudoEntry& child = m_entry.children[i];
        if (name == child.name) return pseudo().vnode_for(child, m_arg);
    }
    uint64_t n;
    if (m_entry.numbered && parse_number(name, n) && m_entry.numbered->next(n) == n)
        return pseudo().vnode_for(*m_entry.numbered->child, n);
    return Errno::NOENT;
}

Result<RefPtr<Vnode>> PseudoNode::create(std::string_view, const NewNode& node) {
    // procfs lookups of a missing name fail with ENOENT, so creating one does too; elsewhere
    // Linux gives EACCES for open(O_CREAT) (no ->create) and EPERM for mkdir and the rest.
    if (pseudo().lookups_fail()) return Errno::NOENT;
    return (node.mode & kTypeMask) == kTypeRegular ? Errno::ACCES : Errno::PERM;
}

Result<uint64_t> PseudoNode::readdir(uint64_t cookie, DirSink& sink) {
    if (!is_directory()) return Errno::NOTDIR;
    for (; cookie < m_entry.child_count; cookie++) {
        const PseudoEntry& child = m_entry.children[cookie];
        PseudoNode probe(pseudo(), child, m_arg);
        if (!sink.emit(child.name, probe.ino(), dirent_type_of_mode(child.mode), cookie + 1))
            return cookie;
    }
    if (!m_entry.numbered) return kEndOfDirectory;
    // Numbered children: cookie = child_count + number.
    for (uint64_t n = m_entry.numbered->next(cookie - m_entry.child_count); n != ~0ull;
         n = m_entry.numbered->next(n + 1)) {
        char digits[24];
        std::string_view name(digits, format_decimal(n, digits));
        PseudoNode probe(pseudo(), *m_entry.numbered->child, n);
        if (!sink.emit(name, probe.ino(), dirent_type_of_mode(m_entry.numbered->child->mode),
                       m_entry.child_count + n + 1))
            return m_entry.child_count + n;
    }
    return kEndOfDirectory;
}

Result<LinkTarget> PseudoNode::readlink(char* scratch) {
    if (!is_symlink() || !m_entry.link) return Errno::INVAL;
    return m_entry.link(scratch, m_arg);
}

Result<void> PseudoNode::open(OpenFile& file) {
    if (!is_regular() || !m_entry.generate || !file.can_read()) return {};
    Own<Snapshot> snapshot(new (std::nothrow) Snapshot());
    if (!snapshot) return Errno::NOMEM;
    TRY(m_entry.generate(snapshot->text, m_arg));
    file.state = static_cast<Own<Snapshot>&&>(snapshot);
    return {};
}

Result<size_t> PseudoNode::read(OpenFile& file, uint64_t offset, IoBuffer& buffer) {
    if (is_directory()) return Errno::ISDIR;
    auto* snapshot = static_cast<Snapshot*>(file.state.ptr());
    if (!snapshot) return 0;
    const TextBuffer& text = snapshot->text;
    if (offset >= text.size()) return 0;
    size_t n = text.size() - offset < buffer.size() ? text.size() - offset : buffer.size();
    TRY(buffer.store(0, text.data() + offset, n));
    return n;
}

Result<size_t> PseudoNode::write(OpenFile&, uint64_t, IoBuffer& buffer) {
    if (!m_entry.store) return Errno::IO; // proc_reg_write() without a ->write
    char data[256];
    size_t n = buffer.size() < sizeof(data) ? buffer.size() : sizeof(data);
    TRY(buffer.load(data, 0, n));
    return m_entry.store(data, n, m_arg);
}

} // namespace wisp::fs
