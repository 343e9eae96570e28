// SPDX-License-Identifier: MIT
#include "fs/overlay.h"

#include <string.h>

#include "fs/dentry.h" // LinkTarget holds a RefPtr<Dentry>
#include "fs/open_file.h"
#include "fs/system.h"

namespace wisp::fs {

namespace {

constexpr uint64_t kOverlayMagic = 0x794c7630; // OVERLAYFS_SUPER_MAGIC
// readdir cookies: the upper directory's below this, the lower one's (shifted) from here on.
constexpr uint64_t kLowerCookieBase = 1ull << 61;

TmpfsNode& upper_of(Vnode& v) {
    return static_cast<TmpfsNode&>(v);
}

} // namespace

// ---- OverlayFs -------------------------------------------------------------------------------

OverlayFs::OverlayFs(Own<Tmpfs> upper, Own<FileSystem> lower)
    : FileSystem(false), m_upper(static_cast<Own<Tmpfs>&&>(upper)),
      m_lower(static_cast<Own<FileSystem>&&>(lower)) {}

OverlayFs::~OverlayFs() {
    m_root = nullptr;
}

Result<Own<OverlayFs>> OverlayFs::create(Own<Tmpfs> upper, Own<FileSystem> lower) {
    RefPtr<Vnode> lower_root = TRY(lower->root());
    Own<OverlayFs> fs(new (std::nothrow) OverlayFs(static_cast<Own<Tmpfs>&&>(upper),
                                                   static_cast<Own<FileSystem>&&>(lower)));
    if (!fs) return Errno::NOMEM;
    Attributes a;
    TRY(lower_root->getattr(a));
    fs->m_upper->root_node().copy_attributes(a, true);
    fs->m_root = RefPtr<OverlayNode>(new (std::nothrow) OverlayNode(
        *fs, kTypeDirectory, RefPtr<TmpfsNode>(&fs->m_upper->root_node()), lower_root, nullptr));
    if (!fs->m_root) return Errno::NOMEM;
    return fs;
}

Result<RefPtr<Vnode>> OverlayFs::root() {
    return RefPtr<Vnode>(m_root.ptr());
}

Result<void> OverlayFs::statfs(FsStats& out) {
    TRY(m_upper->statfs(out));
    out.type = kOverlayMagic;
    return {};
}

// ---- OverlayNode: structure --------------------------------------------------------------------

OverlayNode::OverlayNode(OverlayFs& fs, uint32_t type, RefPtr<TmpfsNode> upper, RefPtr<Vnode> lower,
                         OverlayNode* parent)
    : Vnode(fs, type), m_upper(static_cast<RefPtr<TmpfsNode>&&>(upper)),
      m_lower(static_cast<RefPtr<Vnode>&&>(lower)), m_parent(parent) {}

OverlayNode::~OverlayNode() {
    if (m_name != m_inline_name) delete[] m_name;
}

Result<void> OverlayNode::set_name(std::string_view name) {
    char* storage = m_inline_name;
    if (name.size() >= sizeof(m_inline_name)) {
        storage = new (std::nothrow) char[name.size() + 1];
        if (!storage) return Errno::NOMEM;
    }
    memmove(storage, name.data(), name.size());
    storage[name.size()] = '\0';
    if (m_name != m_inline_name && m_name != storage) delete[] m_name;
    m_name = storage;
    m_name_length = name.size();
    return {};
}

void OverlayNode::orphan() {
    m_parent = nullptr;
}

bool OverlayNode::lower_has(std::string_view name) {
    if (!lower_visible()) return false;
    return !m_lower->lookup(name).is_error();
}

Result<void> OverlayNode::make_whiteout(std::string_view name) {
    NewNode whiteout;
    whiteout.mode = kTypeChar;
    whiteout.rdev = 0;
    TRY(m_upper->create(name, whiteout));
    return {};
}

Result<bool> OverlayNode::remove_whiteout(std::string_view name) {
    if (!m_upper) return false;
    auto found = m_upper->lookup(name);
    if (found.is_error() || !upper_of(*found.value()).is_whiteout()) return false;
    TRY(m_upper->unlink(name, *found.value()));
    return true;
}

Result<void> OverlayNode::copy_up() {
    if (m_upper) return {};
    if (!m_parent) return Errno::NOENT; // removed meanwhile: nowhere to copy to
    TRY(m_parent->copy_up());
    Attributes a;
    TRY(m_lower->getattr(a));
    NewNode spec;
    spec.mode = a.mode;
    spec.uid = a.uid;
    spec.gid = a.gid;
    spec.rdev = a.rdev;
    char* scratch = nullptr;
    if (is_symlink()) {
        scratch = new (std::nothrow) char[kPathMax];
        if (!scratch) return Errno::NOMEM;
        auto target = m_lower->readlink(scratch);
        if (target.is_error()) {
            delete[] scratch;
            return target.error();
        }
        spec.link_target = target->text;
    }
    std::string_view name(m_name, m_name_length);
    auto created = m_parent->m_upper->create(name, spec);
    delete[] scratch;
    if (created.is_error()) return created.error();
    RefPtr<TmpfsNode> upper(&upper_of(*created.value()));

    if (is_regular()) {
        // Lend the image's pages; copy only what is not stored page by page.
        Result<void> copied = {};
        void* bounce = nullptr;
        RefPtr<OpenFile> reader;
        for (uint64_t offset = 0; offset < a.size && !copied.is_error(); offset += kPageSize) {
            if (const void* page = m_lower->direct_page(offset)) {
                copied = upper->borrow_page(offset / kPageSize, page);
                continue;
            }
            if (!reader) {
                auto opened = OpenFile::create(nullptr, nullptr, m_lower, kOpenReadOnly);
                if (opened.is_error()) {
                    copied = opened.error();
                    break;
                }
                reader = opened.release_value();
            }
            if (!bounce && !(bounce = allocate_page(false))) {
                copied = Errno::NOMEM;
                break;
            }
            size_t length = a.size - offset < kPageSize ? a.size - offset : kPageSize;
            MemoryBuffer buffer(bounce, length);
            auto n = reader->read(offset, buffer);
            if (n.is_error())
                copied = n.error();
            else if (upper->write_bytes(offset, bounce, n.value()).is_error())
                copied = Errno::NOSPC;
        }
        free_page(bounce);
        if (!copied.is_error()) {
            AttributeChange size;
            size.mask = AttributeChange::kSize;
            size.size = a.size;
            copied = upper->setattr(size);
        }
        if (copied.is_error()) {
            (void)m_parent->m_upper->unlink(name, *upper);
            return copied.error();
        }
    }
    // The copy keeps the image file's inode number (the upper layer's numbers start far above
    // the image's), so st_ino does not change under the application's feet.
    upper->copy_attributes(a, true);
    m_upper = upper;
    return {};
}

// ---- metadata ----------------------------------------------------------------------------------

Result<void> OverlayNode::getattr(Attributes& out) {
    if (!m_upper) return m_lower->getattr(out);
    TRY(m_upper->getattr(out));
    if (m_lower && is_directory()) out.nlink = 1; // merged: unknown, as overlayfs reports it
    return {};
}

Result<void> OverlayNode::setattr(const AttributeChange& change) {
    TRY(copy_up());
    return m_upper->setattr(change);
}

// ---- directories ---------------------------------------------------------------------------

Result<RefPtr<Vnode>> OverlayNode::lookup(std::string_view name) {
    if (!is_directory()) return Errno::NOTDIR;
    RefPtr<TmpfsNode> upper;
    if (m_upper) {
        auto u = m_upper->lookup(name);
        if (!u.is_error()) {
            upper = &upper_of(*u.value());
            if (upper->is_whiteout()) return Errno::NOENT;
        } else if (u.error().code != Errno::NOENT) {
            return u.error();
        }
    }
    RefPtr<Vnode> lower;
    if (lower_visible() && (!upper || (upper->is_directory() && !upper->opaque()))) {
        auto l = m_lower->lookup(name);
        if (!l.is_error()) {
            lower = l.release_value();
            if (upper && !lower->is_directory()) lower = nullptr;
        } else if (l.error().code != Errno::NOENT) {
            return l.error();
        }
    }
    if (!upper && !lower) return Errno::NOENT;
    uint32_t type = upper ? upper->type() : lower->type();
    RefPtr<OverlayNode> node(new (std::nothrow) OverlayNode(overlay(), type, upper, lower, this));
    if (!node) return Errno::NOMEM;
    TRY(node->set_name(name));
    return RefPtr<Vnode>(node.ptr());
}

Result<RefPtr<Vnode>> OverlayNode::create(std::string_view name, const NewNode& spec) {
    TRY(copy_up());
    bool had_whiteout = TRY(remove_whiteout(name));
    auto created = m_upper->create(name, spec);
    if (created.is_error()) {
        if (had_whiteout) (void)make_whiteout(name);
        return created.error();
    }
    RefPtr<TmpfsNode> upper(&upper_of(*created.value()));
    // A new directory where a lower one was deleted must not show the old contents.
    if (upper->is_directory() && (had_whiteout || lower_has(name))) upper->set_opaque(true);
    RefPtr<OverlayNode> node(new (std::nothrow)
                                 OverlayNode(overlay(), upper->type(), upper, nullptr, this));
    if (!node) return Errno::NOMEM;
    TRY(node->set_name(name));
    return RefPtr<Vnode>(node.ptr());
}

Result<void> OverlayNode::link(std::string_view name, Vnode& target_vnode) {
    auto& target = static_cast<OverlayNode&>(target_vnode);
    TRY(copy_up());
    TRY(target.copy_up());
    bool had_whiteout = TRY(remove_whiteout(name));
    auto r = m_upper->link(name, *target.m_upper);
    if (r.is_error() && had_whiteout) (void)make_whiteout(name);
    return r;
}

Result<void> OverlayNode::unlink(std::string_view name, Vnode& victim_vnode) {
    auto& victim = static_cast<OverlayNode&>(victim_vnode);
    TRY(copy_up());
    bool whiteout = lower_has(name);
    if (victim.m_upper) TRY(m_upper->unlink(name, *victim.m_upper));
    if (whiteout) TRY(make_whiteout(name));
    victim.orphan();
    return {};
}

Result<bool> OverlayNode::is_empty() {
    if (m_upper && m_upper->visible_entries() > 0) return false;
    if (!lower_visible()) return true;
    // Every lower name must be hidden by an upper whiteout.
    class Probe final : public DirSink {
      public:
        explicit Probe(TmpfsNode* upper) : m_upper(upper) {}
        bool emit(std::string_view name, uint64_t, DirentType, uint64_t) override {
            if (m_upper && !m_upper->lookup(name).is_error()) return true;
            found = true;
            return false;
        }
        bool found = false;

      private:
        TmpfsNode* m_upper;
    } probe(m_upper.ptr());
    TRY(m_lower->readdir(0, probe));
    return !probe.found;
}

Result<void> OverlayNode::rmdir(std::string_view name, Vnode& victim_vnode) {
    auto& victim = static_cast<OverlayNode&>(victim_vnode);
    if (!TRY(victim.is_empty())) return Errno::NOTEMPTY;
    TRY(copy_up());
    bool whiteout = lower_has(name);
    if (victim.m_upper) {
        victim.m_upper->remove_whiteouts();
        TRY(m_upper->rmdir(name, *victim.m_upper));
    }
    if (whiteout) TRY(make_whiteout(name));
    victim.orphan();
    return {};
}

Result<void> OverlayNode::rename(std::string_view old_name, Vnode& moved_vnode,
                                 Vnode& new_dir_vnode, std::string_view new_name,
                                 Vnode* replaced_vnode, unsigned flags) {
    auto& moved = static_cast<OverlayNode&>(moved_vnode);
    auto& new_dir = static_cast<OverlayNode&>(new_dir_vnode);
    auto* replaced = static_cast<OverlayNode*>(replaced_vnode);
    bool exchange = flags & kRenameExchange;
    if (moved.is_directory() && moved.m_lower) return Errno::XDEV;
    if (exchange && replaced->is_directory() && replaced->m_lower) return Errno::XDEV;
    if (replaced && replaced->is_directory() && !exchange && !TRY(replaced->is_empty()))
        return Errno::NOTEMPTY;
    TRY(copy_up());
    TRY(new_dir.copy_up());
    TRY(moved.copy_up());
    if (exchange) TRY(replaced->copy_up());

    bool old_needs_whiteout = !exchange && lower_has(old_name);
    bool target_below = new_dir.lower_has(new_name);
    bool had_whiteout = TRY(new_dir.remove_whiteout(new_name));
    TmpfsNode* replaced_upper = replaced ? replaced->m_upper.ptr() : nullptr;
    if (replaced_upper && replaced_upper->is_directory()) replaced_upper->remove_whiteouts();
    auto r = m_upper->rename(old_name, *moved.m_upper, *new_dir.m_upper, new_name, replaced_upper,
                             flags);
    if (r.is_error()) {
        if (had_whiteout) (void)new_dir.make_whiteout(new_name);
        return r;
    }
    if (moved.is_directory() && (target_below || had_whiteout)) moved.m_upper->set_opaque(true);
    if (old_needs_whiteout) TRY(make_whiteout(old_name));

    // Keep the nodes' names in step for later copy-ups.
    if (exchange) {
        TRY(replaced->set_name(old_name));
        replaced->m_parent = this;
    } else if (replaced) {
        replaced->orphan();
    }
    TRY(moved.set_name(new_name));
    moved.m_parent = &new_dir;
    return {};
}

Result<uint64_t> OverlayNode::readdir(uint64_t cookie, DirSink& sink) {
    if (!is_directory()) return Errno::NOTDIR;
    if (cookie < kLowerCookieBase && m_upper) {
        class UpperFilter final : public DirSink {
          public:
            UpperFilter(TmpfsNode& dir, DirSink& out) : m_dir(dir), m_out(out) {}
            bool emit(std::string_view name, uint64_t ino, DirentType type,
                      uint64_t next) override {
                if (type == DirentType::Char) { // maybe a whiteout
                    auto v = m_dir.lookup(name);
                    if (!v.is_error() && upper_of(*v.value()).is_whiteout()) return true;
                }
                if (next == kEndOfDirectory) next = kLowerCookieBase;
                return m_out.emit(name, ino, type, next);
            }

          private:
            TmpfsNode& m_dir;
            DirSink& m_out;
        } filter(*m_upper, sink);
        uint64_t next = TRY(m_upper->readdir(cookie, filter));
        if (next != kEndOfDirectory) return next;
        cookie = kLowerCookieBase;
    }
    if (!lower_visible()) return kEndOfDirectory;
    if (cookie < kLowerCookieBase) cookie = kLowerCookieBase;
    class LowerFilter final : public DirSink {
      public:
        LowerFilter(TmpfsNode* upper, DirSink& out) : m_upper(upper), m_out(out) {}
        bool emit(std::string_view name, uint64_t ino, DirentType type, uint64_t next) override {
            if (m_upper && !m_upper->lookup(name).is_error()) return true; // shown or hidden above
            return m_out.emit(name, ino, type,
                              next == kEndOfDirectory ? next : next + kLowerCookieBase);
        }

      private:
        TmpfsNode* m_upper;
        DirSink& m_out;
    } filter(m_upper.ptr(), sink);
    uint64_t next = TRY(m_lower->readdir(cookie - kLowerCookieBase, filter));
    return next == kEndOfDirectory ? next : next + kLowerCookieBase;
}

Result<LinkTarget> OverlayNode::readlink(char* scratch) {
    return m_upper ? m_upper->readlink(scratch) : m_lower->readlink(scratch);
}

// ---- data --------------------------------------------------------------------------------------

Result<void> OverlayNode::open(OpenFile& file) {
    if (file.can_write() && is_regular()) TRY(copy_up());
    return {};
}

Result<size_t> OverlayNode::read(OpenFile& file, uint64_t offset, IoBuffer& buffer) {
    return m_upper ? m_upper->read(file, offset, buffer) : m_lower->read(file, offset, buffer);
}

Result<size_t> OverlayNode::write(OpenFile& file, uint64_t offset, IoBuffer& buffer) {
    TRY(copy_up());
    return m_upper->write(file, offset, buffer);
}

Result<uint64_t> OverlayNode::seek_data(uint64_t offset, uint64_t size, bool hole) {
    return m_upper ? m_upper->seek_data(offset, size, hole)
                   : m_lower->seek_data(offset, size, hole);
}

Result<void> OverlayNode::allocate(uint64_t offset, uint64_t length) {
    TRY(copy_up());
    return m_upper->allocate(offset, length);
}

const void* OverlayNode::direct_page(uint64_t offset) {
    return m_upper ? nullptr : m_lower->direct_page(offset);
}

const void* OverlayNode::direct_range(uint64_t offset, uint64_t length) {
    return m_upper ? nullptr : m_lower->direct_range(offset, length);
}

void* OverlayNode::shared_page(uint64_t offset, bool write) {
    // Opening for writing copied the file up; a read-only shared mapping of a lower file maps
    // the image directly (mmap asks direct_range first).
    return m_upper ? m_upper->shared_page(offset, write) : nullptr;
}

} // namespace wisp::fs
