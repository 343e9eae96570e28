// SPDX-License-Identifier: MIT
#include "fs/tmpfs.h"

#include <string.h>

#include "fs/dentry.h" // LinkTarget holds a RefPtr<Dentry>
#include "fs/system.h"

namespace wisp::fs {

namespace {

constexpr uint64_t kTmpfsMagic = 0x01021994;
// Linux shmem counts a directory's size in bogus 20-byte entries, "." and ".." included.
constexpr uint64_t kBogoDirentSize = 20;
// Writes stop here (the page tree's reach); truncate may go further (a hole).
const uint64_t kMaxWritable = PageTree::max_pages() * kPageSize;

uint32_t hash_name(std::string_view name) {
    uint32_t h = 2166136261u; // FNV-1a
    for (char c : name)
        h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
    return h;
}

uint64_t page_up(uint64_t v) {
    return (v + kPageSize - 1) / kPageSize;
}

} // namespace

// ---- Tmpfs -----------------------------------------------------------------------------------

Tmpfs::Tmpfs(const Options& options)
    : FileSystem(false), m_name(options.name),
      m_max_pages(options.max_pages ? options.max_pages : total_page_estimate() / 2),
      m_next_ino(options.first_ino) {}

Tmpfs::~Tmpfs() {
    m_root = nullptr;
}

Result<Own<Tmpfs>> Tmpfs::create(const Options& options) {
    Own<Tmpfs> fs(new (std::nothrow) Tmpfs(options));
    if (!fs) return Errno::NOMEM;
    NewNode root;
    root.mode = kTypeDirectory | (options.root_mode & kPermissionMask);
    fs->m_root = TRY(fs->make_node(root));
    fs->m_root->m_nlink = 2;
    return fs;
}

Result<RefPtr<TmpfsNode>> Tmpfs::make_node(const NewNode& spec) {
    RefPtr<TmpfsNode> node(new (std::nothrow) TmpfsNode(*this, spec.mode, m_next_ino));
    if (!node) return Errno::NOMEM;
    m_next_ino++;
    node->m_uid = spec.uid;
    node->m_gid = spec.gid;
    if ((spec.mode & kTypeMask) == kTypeChar || (spec.mode & kTypeMask) == kTypeBlock)
        node->m_rdev = spec.rdev;
    if (node->is_symlink()) {
        node->m_target = new (std::nothrow) char[spec.link_target.size() + 1];
        if (!node->m_target) return Errno::NOMEM;
        memcpy(node->m_target, spec.link_target.data(), spec.link_target.size());
        node->m_target[spec.link_target.size()] = '\0';
        node->m_target_length = spec.link_target.size();
    }
    return node;
}

Result<void> Tmpfs::statfs(FsStats& out) {
    out.type = kTmpfsMagic;
    out.block_size = kPageSize;
    out.blocks = m_max_pages;
    out.blocks_free = out.blocks_available = m_max_pages - m_used_pages;
    out.files = m_max_pages;
    out.files_free = m_max_pages > m_node_count ? m_max_pages - m_node_count : 0;
    out.name_max = kNameMax;
    return {};
}

// ---- TmpfsNode: basics -------------------------------------------------------------------------

TmpfsNode::TmpfsNode(Tmpfs& fs, uint32_t mode, uint64_t ino)
    : Vnode(fs, mode), m_ino(ino), m_mode(mode) {
    m_atime = m_mtime = m_ctime = m_btime = current_time();
    fs.m_node_count++;
}

TmpfsNode::~TmpfsNode() {
    tmpfs().uncharge_pages(m_pages.drop_from(0).owned);
    for (size_t i = 0; i < m_entry_count; i++) {
        delete[] m_entries[i].name;
        m_entries[i].node->unref();
    }
    ::operator delete(m_entries);
    delete[] m_target;
    tmpfs().m_node_count--;
}

Tmpfs& TmpfsNode::tmpfs() const {
    return static_cast<Tmpfs&>(fs());
}

void TmpfsNode::touch_modified() {
    m_mtime = m_ctime = current_time();
}
void TmpfsNode::touch_changed() {
    m_ctime = current_time();
}

Result<void> TmpfsNode::getattr(Attributes& out) {
    out.ino = m_ino;
    out.mode = m_mode;
    out.nlink = m_nlink;
    out.uid = m_uid;
    out.gid = m_gid;
    out.rdev = m_rdev;
    switch (type()) {
    case kTypeRegular:
        out.size = m_size;
        break;
    case kTypeDirectory:
        out.size = kBogoDirentSize * (2 + m_entry_count);
        break;
    case kTypeSymlink:
        out.size = m_target_length;
        break;
    default:
        out.size = 0;
    }
    out.blocks = m_present_pages * (kPageSize / 512);
    out.blksize = kPageSize;
    out.atime = m_atime;
    out.mtime = m_mtime;
    out.ctime = m_ctime;
    out.btime = m_btime;
    return {};
}

Result<void> TmpfsNode::setattr(const AttributeChange& change) {
    if (change.mask & AttributeChange::kSize) {
        if (!is_regular()) return is_directory() ? Errno::ISDIR : Errno::INVAL;
        TRY(truncate(change.size));
    }
    if (change.mask & AttributeChange::kMode) m_mode = type() | (change.mode & kPermissionMask);
    if (change.mask & AttributeChange::kUid) m_uid = change.uid;
    if (change.mask & AttributeChange::kGid) m_gid = change.gid;
    if (change.mask & AttributeChange::kAtime) m_atime = change.atime;
    if (change.mask & AttributeChange::kMtime) m_mtime = change.mtime;
    m_ctime = (change.mask & AttributeChange::kCtime) ? change.ctime : current_time();
    return {};
}

void TmpfsNode::copy_attributes(const Attributes& from, bool keep_ino) {
    if (keep_ino) m_ino = from.ino;
    m_mode = type() | (from.mode & kPermissionMask);
    m_uid = from.uid;
    m_gid = from.gid;
    m_atime = from.atime;
    m_mtime = from.mtime;
    m_ctime = from.ctime;
}

// ---- directories ---------------------------------------------------------------------------

Result<void> TmpfsNode::check_live_directory() const {
    if (!is_directory()) return Errno::NOTDIR;
    if (m_dead) return Errno::NOENT;
    return {};
}

TmpfsNode::Entry* TmpfsNode::find(std::string_view name) {
    uint32_t h = hash_name(name);
    for (size_t i = 0; i < m_entry_count; i++) {
        Entry& e = m_entries[i];
        if (e.hash == h && e.length == name.size() && memcmp(e.name, name.data(), name.size()) == 0)
            return &e;
    }
    return nullptr;
}

Result<void> TmpfsNode::reserve(size_t count) {
    if (count <= m_entry_capacity) return {};
    size_t capacity = m_entry_capacity ? m_entry_capacity * 2 : 8;
    while (capacity < count)
        capacity *= 2;
    auto* entries = static_cast<Entry*>(::operator new(capacity * sizeof(Entry), std::nothrow));
    if (!entries) return Errno::NOMEM;
    if (m_entry_count)
        memcpy(static_cast<void*>(entries), m_entries, m_entry_count * sizeof(Entry));
    ::operator delete(m_entries);
    m_entries = entries;
    m_entry_capacity = capacity;
    return {};
}

Result<void> TmpfsNode::add_entry(std::string_view name, TmpfsNode& node) {
    TRY(reserve(m_entry_count + 1));
    char* copy = new (std::nothrow) char[name.size() + 1];
    if (!copy) return Errno::NOMEM;
    memcpy(copy, name.data(), name.size());
    copy[name.size()] = '\0';
    node.ref();
    m_entries[m_entry_count++] = {m_next_cookie++, &node, copy, hash_name(name),
                                  static_cast<uint16_t>(name.size())};
    return {};
}

void TmpfsNode::remove_entry(size_t index) {
    VERIFY(index < m_entry_count);
    Entry e = m_entries[index];
    memmove(static_cast<void*>(&m_entries[index]), &m_entries[index + 1],
            (m_entry_count - index - 1) * sizeof(Entry));
    m_entry_count--;
    delete[] e.name;
    e.node->unref();
}

size_t TmpfsNode::visible_entries() const {
    size_t n = 0;
    for (size_t i = 0; i < m_entry_count; i++)
        if (!m_entries[i].node->is_whiteout()) n++;
    return n;
}

void TmpfsNode::remove_whiteouts() {
    for (size_t i = m_entry_count; i-- > 0;)
        if (m_entries[i].node->is_whiteout()) remove_entry(i);
}

Result<RefPtr<Vnode>> TmpfsNode::lookup(std::string_view name) {
    TRY(check_live_directory());
    Entry* e = find(name);
    if (!e) return Errno::NOENT;
    return RefPtr<Vnode>(e->node);
}

Result<RefPtr<Vnode>> TmpfsNode::create(std::string_view name, const NewNode& spec) {
    TRY(check_live_directory());
    if (find(name)) return Errno::EXIST;
    TRY(reserve(m_entry_count + 1));
    RefPtr<TmpfsNode> node = TRY(tmpfs().make_node(spec));
    TRY(add_entry(name, *node));
    node->m_nlink = node->is_directory() ? 2 : 1;
    if (node->is_directory()) m_nlink++;
    touch_modified();
    return RefPtr<Vnode>(node.ptr());
}

Result<void> TmpfsNode::link(std::string_view name, Vnode& target_vnode) {
    auto& target = static_cast<TmpfsNode&>(target_vnode);
    TRY(check_live_directory());
    if (target.m_nlink == 0) return Errno::NOENT;
    if (find(name)) return Errno::EXIST;
    TRY(add_entry(name, target));
    target.m_nlink++;
    target.touch_changed();
    touch_modified();
    return {};
}

Result<void> TmpfsNode::unlink(std::string_view name, Vnode&) {
    TRY(check_live_directory());
    Entry* e = find(name);
    if (!e) return Errno::NOENT;
    TmpfsNode& victim = *e->node;
    if (victim.is_directory()) return Errno::ISDIR;
    victim.m_nlink--;
    victim.touch_changed();
    remove_entry(index_of(e));
    touch_modified();
    return {};
}

Result<void> TmpfsNode::rmdir(std::string_view name, Vnode&) {
    TRY(check_live_directory());
    Entry* e = find(name);
    if (!e) return Errno::NOENT;
    TmpfsNode& victim = *e->node;
    if (!victim.is_directory()) return Errno::NOTDIR;
    if (victim.m_entry_count > 0) return Errno::NOTEMPTY;
    victim.m_dead = true;
    victim.m_nlink = 0;
    victim.touch_changed();
    m_nlink--;
    remove_entry(index_of(e));
    touch_modified();
    return {};
}

Result<void> TmpfsNode::rename(std::string_view old_name, Vnode& moved_vnode, Vnode& new_dir_vnode,
                               std::string_view new_name, Vnode*, unsigned flags) {
    auto& new_dir = static_cast<TmpfsNode&>(new_dir_vnode);
    TRY(check_live_directory());
    TRY(new_dir.check_live_directory());
    Entry* from = find(old_name);
    if (!from) return Errno::NOENT;
    TmpfsNode& moved = *from->node;
    VERIFY(&moved == &moved_vnode);
    Entry* to = new_dir.find(new_name);

    if (flags & kRenameExchange) {
        if (!to) return Errno::NOENT;
        TmpfsNode& other = *to->node;
        from->node = &other;
        to->node = &moved;
        if (this != &new_dir && moved.is_directory() != other.is_directory()) {
            if (moved.is_directory()) {
                m_nlink--;
                new_dir.m_nlink++;
            } else {
                new_dir.m_nlink--;
                m_nlink++;
            }
        }
        moved.touch_changed();
        other.touch_changed();
        touch_modified();
        new_dir.touch_modified();
        return {};
    }

    if (to) {
        // Replace in place: the target entry now names `moved`; the old entry goes.
        TmpfsNode& victim = *to->node;
        if (victim.is_directory()) {
            if (victim.m_entry_count > 0) return Errno::NOTEMPTY;
            victim.m_dead = true;
            victim.m_nlink = 0;
            new_dir.m_nlink--;
        } else {
            victim.m_nlink--;
        }
        victim.touch_changed();
        moved.ref();
        to->node = &moved;
        victim.unref();
        remove_entry(index_of(from));
    } else {
        size_t index = index_of(from);
        TRY(new_dir.add_entry(new_name, moved)); // may move this directory's table: use the index
        remove_entry(index);
    }
    if (moved.is_directory() && this != &new_dir) {
        m_nlink--;
        new_dir.m_nlink++;
    }
    moved.touch_changed();
    touch_modified();
    new_dir.touch_modified();
    return {};
}

Result<uint64_t> TmpfsNode::readdir(uint64_t cookie, DirSink& sink) {
    if (!is_directory()) return Errno::NOTDIR;
    if (m_dead) return kEndOfDirectory;
    // Entries are in cookie order: find the first at or after `cookie`.
    size_t lo = 0, hi = m_entry_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m_entries[mid].cookie < cookie)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < m_entry_count; i++) {
        const Entry& e = m_entries[i];
        if (!sink.emit({e.name, e.length}, e.node->m_ino, dirent_type_of_mode(e.node->m_mode),
                       e.cookie + 1))
            return e.cookie;
    }
    return kEndOfDirectory;
}

Result<LinkTarget> TmpfsNode::readlink(char*) {
    if (!is_symlink()) return Errno::INVAL;
    LinkTarget t;
    t.text = {m_target, m_target_length};
    return t;
}

// ---- file data ---------------------------------------------------------------------------------

Result<uintptr_t*> TmpfsNode::writable_page(uint64_t index, bool whole) {
    uintptr_t* slot = TRY(m_pages.slot(index));
    if (*slot && !PageTree::is_borrowed(*slot)) return slot;
    if (!tmpfs().charge_page()) return Errno::NOSPC;
    if (*slot) file_pages_changing(*this, index, index + 1); // the lent page is replaced
    void* page = allocate_page(!whole && !*slot);
    if (!page) {
        tmpfs().uncharge_pages(1);
        return Errno::NOMEM;
    }
    if (*slot) { // borrowed: copy before writing
        if (!whole) memcpy(page, PageTree::page_of(*slot), kPageSize);
    } else {
        m_present_pages++;
    }
    *slot = reinterpret_cast<uintptr_t>(page);
    return slot;
}

Result<size_t> TmpfsNode::read(OpenFile&, uint64_t offset, IoBuffer& buffer) {
    if (is_directory()) return Errno::ISDIR;
    if (offset >= m_size) return 0;
    size_t count = buffer.size();
    if (count > m_size - offset) count = static_cast<size_t>(m_size - offset);
    size_t done = 0;
    while (done < count) {
        uint64_t at = offset + done;
        size_t in_page = static_cast<size_t>(at % kPageSize);
        size_t chunk = kPageSize - in_page;
        if (chunk > count - done) chunk = count - done;
        uintptr_t entry = m_pages.get(at / kPageSize);
        Result<void> r =
            entry ? buffer.store(done, static_cast<const char*>(PageTree::page_of(entry)) + in_page,
                                 chunk)
                  : buffer.store_zeros(done, chunk);
        if (r.is_error()) {
            if (done) break;
            return r.error();
        }
        done += chunk;
    }
    return done;
}

Result<size_t> TmpfsNode::write(OpenFile&, uint64_t offset, IoBuffer& buffer) {
    return write_at(offset, buffer);
}

Result<size_t> TmpfsNode::write_at(uint64_t offset, IoBuffer& buffer) {
    if (!is_regular()) return Errno::INVAL;
    size_t count = buffer.size();
    if (count == 0) return 0;
    if (offset >= kMaxWritable) return Errno::FBIG;
    if (count > kMaxWritable - offset) count = static_cast<size_t>(kMaxWritable - offset);
    size_t done = 0;
    Errno failure = Errno::IO;
    while (done < count) {
        uint64_t at = offset + done;
        size_t in_page = static_cast<size_t>(at % kPageSize);
        size_t chunk = kPageSize - in_page;
        if (chunk > count - done) chunk = count - done;
        bool fresh = !m_pages.get(at / kPageSize);
        auto slot = writable_page(at / kPageSize, chunk == kPageSize);
        if (slot.is_error()) {
            failure = slot.error().code;
            break;
        }
        char* page = reinterpret_cast<char*>(*slot.value());
        if (buffer.load(page + in_page, done, chunk).is_error()) {
            if (fresh && chunk == kPageSize) memset(page, 0, kPageSize); // was never cleared
            failure = Errno::FAULT;
            break;
        }
        done += chunk;
    }
    if (done == 0) return failure;
    if (offset + done > m_size) m_size = offset + done;
    touch_modified();
    return done;
}

Result<size_t> TmpfsNode::write_bytes(uint64_t offset, const void* data, size_t length) {
    MemoryBuffer buffer(data, length);
    return write_at(offset, buffer);
}

Result<void> TmpfsNode::truncate(uint64_t size) {
    if (size < m_size) {
        file_pages_changing(*this, page_up(size), ~0ull);
        PageTree::Dropped dropped = m_pages.drop_from(page_up(size));
        m_present_pages -= dropped.present;
        tmpfs().uncharge_pages(dropped.owned);
        // The rest of the last page must read as zeros if the file grows again.
        size_t tail = static_cast<size_t>(size % kPageSize);
        if (tail && m_pages.get(size / kPageSize)) {
            uintptr_t* slot = TRY(writable_page(size / kPageSize, false));
            memset(reinterpret_cast<char*>(*slot) + tail, 0, kPageSize - tail);
        }
    }
    m_size = size;
    return {};
}

void* TmpfsNode::shared_page(uint64_t offset, bool write) {
    // Truncating (and unsharing a lent page) first makes shared mappings let go of the pages
    // (file_pages_changing); the mapping holds the file open, so unlinking is safe.
    if (!is_regular() || offset % kPageSize != 0 || offset / kPageSize >= page_up(m_size))
        return nullptr;
    uintptr_t entry = m_pages.get(offset / kPageSize);
    if (entry && (!write || !PageTree::is_borrowed(entry)))
        return const_cast<void*>(PageTree::page_of(entry));
    auto slot = writable_page(offset / kPageSize, false);
    if (slot.is_error()) return nullptr;
    return reinterpret_cast<void*>(*slot.value());
}

Result<void> TmpfsNode::borrow_page(uint64_t index, const void* page) {
    uintptr_t* slot = TRY(m_pages.slot(index));
    VERIFY(*slot == 0);
    *slot = reinterpret_cast<uintptr_t>(page) | PageTree::kBorrowed;
    m_present_pages++;
    return {};
}

Result<uint64_t> TmpfsNode::seek_data(uint64_t offset, uint64_t, bool hole) {
    if (offset >= m_size) return Errno::NXIO;
    uint64_t pages = page_up(m_size);
    uint64_t index = m_pages.find(offset / kPageSize, pages, !hole);
    uint64_t position = index * kPageSize;
    if (position < offset) position = offset;
    if (hole) return position < m_size ? position : m_size;
    if (index >= pages) return Errno::NXIO;
    return position;
}

Result<void> TmpfsNode::allocate(uint64_t offset, uint64_t length) {
    if (!is_regular()) return is_directory() ? Errno::ISDIR : Errno::NODEV;
    if (offset + length > kMaxWritable) return Errno::FBIG;
    for (uint64_t index = offset / kPageSize; index < page_up(offset + length); index++)
        if (!m_pages.get(index)) TRY(writable_page(index, false));
    if (offset + length > m_size) m_size = offset + length;
    touch_changed();
    return {};
}

} // namespace wisp::fs
