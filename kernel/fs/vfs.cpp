// SPDX-License-Identifier: MIT
#include "fs/vfs.h"

#include <string.h>

#include "fs/system.h"
#include "lib/print.h"

namespace wisp::fs {

namespace {

bool is_dot(std::string_view name) {
    return name.size() == 1 && name[0] == '.';
}
bool is_dot_dot(std::string_view name) {
    return name.size() == 2 && name[0] == '.' && name[1] == '.';
}

// Files whose data lives in the file system: writing them needs a writable mount. Devices,
// fifos and sockets on a read-only mount can still be written.
bool stored_data(uint32_t type) {
    return type == kTypeRegular || type == kTypeDirectory || type == kTypeSymlink;
}

} // namespace

// One path walk: the components still to go, as a stack of texts (the path, then the targets of
// the symlinks being followed), and where the walk is.
class Walk {
  public:
    Walk(Vfs& vfs, const FsContext& ctx) : m_vfs(vfs), m_ctx(ctx) {}
    ~Walk() {
        while (m_depth > 0)
            pop();
        delete[] m_scratch;
        for (int i = 0; i < m_owned_count; i++)
            delete[] m_owned[i];
    }
    Walk(const Walk&) = delete;
    Walk& operator=(const Walk&) = delete;

    void start(const Path& base, std::string_view path) {
        m_current = !path.empty() && path[0] == '/' ? m_ctx.root : base;
        m_frames[0] = {path.data(), path.data() + path.size(), nullptr};
        m_depth = 1;
    }

    // Walks every component but the last. Afterwards current() is the directory holding the
    // last component, last() its name, kind() what it is (Root: the path named no component).
    Result<void> to_last();

    // Continues the walk through the symlink `link`, found as the last component.
    Result<void> follow(Vnode& link);

    Path& current() { return m_current; }
    std::string_view last() const { return m_last; }
    LastKind kind() const { return m_kind; }
    bool trailing_slash() const { return m_trailing_slash; }
    // A trailing slash anywhere on the way to the final object demands a directory.
    bool wants_directory() const { return m_wants_directory; }
    // The walk ended by jumping to an object (a procfs magic link): current() is the result.
    bool jumped() const { return m_jumped; }

  private:
    // Frames above m_depth are raw memory: a walk constructs only what it uses (most walks
    // follow no symlink, and zeroing and destroying all kMaxSymlinks frames cost more
    // instructions than the walk itself).
    struct Frame {
        const char* position;
        const char* end;
        Vnode* hold; // a reference that keeps a symlink's stored text alive
    };
    void pop() {
        Frame& f = m_frames[--m_depth];
        if (f.hold) f.hold->unref();
    }

    void skip_slashes(Frame& f) {
        while (f.position < f.end && *f.position == '/')
            f.position++;
    }
    bool more_after_top() const {
        for (int i = m_depth - 2; i >= 0; i--) {
            const Frame& f = m_frames[i];
            for (const char* p = f.position; p < f.end; p++)
                if (*p != '/') return true;
        }
        return false;
    }
    Result<void> require_directory() {
        return m_current.vnode().is_directory() ? Result<void>() : Result<void>(Errno::NOTDIR);
    }

    Vfs& m_vfs;
    const FsContext& m_ctx;
    Path m_current;
    Frame m_frames[kMaxSymlinks + 2];
    int m_depth = 0;
    int m_links = 0;
    char* m_scratch = nullptr;
    char* m_owned[kMaxSymlinks + 1]; // copies of generated link texts
    int m_owned_count = 0;
    std::string_view m_last;
    LastKind m_kind = LastKind::Normal;
    bool m_trailing_slash = false;
    bool m_wants_directory = false;
    bool m_jumped = false;
};

Result<void> Walk::to_last() {
    for (;;) {
        // Drop the texts that are used up (after their last component has been dealt with).
        while (m_depth > 0) {
            skip_slashes(m_frames[m_depth - 1]);
            if (m_frames[m_depth - 1].position < m_frames[m_depth - 1].end) break;
            if (m_depth == 1) break;
            pop();
        }
        Frame& top = m_frames[m_depth - 1];
        if (top.position == top.end) {
            // Nothing named at all: "/" (or a symlink to it).
            m_kind = LastKind::Root;
            m_last = {};
            m_trailing_slash = false;
            return {};
        }
        m_jumped = false;
        const char* begin = top.position;
        while (top.position < top.end && *top.position != '/')
            top.position++;
        std::string_view name(begin, static_cast<size_t>(top.position - begin));
        bool slash_follows = top.position < top.end;
        skip_slashes(top);
        bool last = top.position == top.end && !more_after_top();

        TRY(require_directory());
        if (last) {
            m_last = name;
            m_trailing_slash = slash_follows;
            m_wants_directory |= slash_follows;
            if (is_dot(name))
                m_kind = LastKind::Dot;
            else if (is_dot_dot(name))
                m_kind = LastKind::DotDot;
            else if (name.size() > kNameMax)
                return Errno::NAMETOOLONG;
            else
                m_kind = LastKind::Normal;
            return {};
        }
        if (is_dot(name)) continue;
        if (is_dot_dot(name)) {
            m_vfs.go_up(m_ctx, m_current);
            continue;
        }
        if (name.size() > kNameMax) return Errno::NAMETOOLONG;
        RefPtr<Dentry> child = TRY(m_vfs.lookup_child(m_current, name));
        if (child->vnode().is_symlink()) {
            TRY(follow(child->vnode()));
            continue;
        }
        m_current.dentry = child;
        m_vfs.follow_mounts(m_current);
    }
}

Result<void> Walk::follow(Vnode& link) {
    if (++m_links > kMaxSymlinks) return Errno::LOOP;
    if (!m_scratch) {
        m_scratch = new (std::nothrow) char[kPathMax];
        if (!m_scratch) return Errno::NOMEM;
    }
    LinkTarget target = TRY(link.readlink(m_scratch));
    if (target.jump_dentry) {
        m_current = {target.jump_mount, target.jump_dentry};
        m_jumped = true;
        return {};
    }
    if (target.text.empty()) return Errno::NOENT;
    if (m_depth >= static_cast<int>(sizeof(m_frames) / sizeof(m_frames[0]))) return Errno::LOOP;
    // Generated text lives in m_scratch, which the next generated link would overwrite: keep
    // its own copy in the frame then. Stored text stays valid while `hold` keeps the vnode.
    const char* text = target.text.data();
    if (text >= m_scratch && text < m_scratch + kPathMax) {
        char* copy = new (std::nothrow) char[target.text.size()];
        if (!copy) return Errno::NOMEM;
        memcpy(copy, text, target.text.size());
        m_owned[m_owned_count++] = copy;
        text = copy;
    }
    link.ref();
    m_frames[m_depth++] = {text, text + target.text.size(), &link};
    if (text[0] == '/') m_current = m_ctx.root;
    return {};
}

// ---------------------------------------------------------------------------------------------

Vfs::~Vfs() {
    m_dentries.clear(); // its dentries hold vnodes of the file systems that go below
    for (Fifo& f : m_fifos)
        f = {};
    for (size_t i = m_mount_count; i-- > 0;) {
        Mount& m = m_mounts[i];
        if (m.mountpoint) m.mountpoint->mount_count--;
        m.mountpoint = nullptr;
        m.root = nullptr;
        m.fs = nullptr;
    }
}

Result<Mount*> Vfs::add_mount(Own<FileSystem> fs, unsigned flags, const char* source) {
    if (m_mount_count == kMaxMounts) return Errno::NOMEM;
    RefPtr<Vnode> root_vnode = TRY(fs->root());
    if (!root_vnode->is_directory()) return Errno::NOTDIR;
    RefPtr<Dentry> root = Dentry::create(nullptr, "/", root_vnode);
    if (!root) return Errno::NOMEM;
    fs->set_dev(make_dev(0, m_next_dev_minor++));
    Mount& m = m_mounts[m_mount_count];
    m.fs = static_cast<Own<FileSystem>&&>(fs);
    m.root = root;
    m.flags = flags;
    m.id = static_cast<uint32_t>(20 + m_mount_count);
    m.source = source;
    m_mount_count++;
    return &m;
}

Result<void> Vfs::add_automount(const Automount& automount) {
    if (m_automount_count == kMaxAutomounts) return Errno::NOMEM;
    m_automounts[m_automount_count++] = automount;
    m_automounts_pending++;
    return {};
}

void Vfs::trigger_automounts(const Path& dir, std::string_view name) {
    for (size_t i = 0; i < m_automount_count; i++) {
        Automount& a = m_automounts[i];
        if (a.done || (!name.empty() && name != a.name)) continue;
        if (strcmp(a.parent_path, dir.mount->path) != 0) continue;
        a.done = true;
        m_automounts_pending--;
        std::string_view child_name(a.name);
        RefPtr<Dentry> child;
        if (Dentry* cached = dir.dentry->find_child(child_name)) {
            child = cached;
        } else {
            RefPtr<Vnode> vnode;
            auto found = dir.vnode().lookup(child_name);
            if (!found.is_error()) {
                vnode = found.release_value();
            } else {
                NewNode node;
                node.mode = kTypeDirectory | a.mode;
                auto made = dir.vnode().create(child_name, node);
                if (made.is_error()) continue;
                vnode = made.release_value();
            }
            child = Dentry::create(dir.dentry.ptr(), child_name, vnode);
        }
        if (!child || !child->vnode().is_directory()) continue;
        if (a.only_if_empty) {
            class Probe final : public DirSink {
              public:
                bool emit(std::string_view, uint64_t, DirentType, uint64_t) override {
                    found = true;
                    return false;
                }
                bool found = false;
            } probe;
            if (child->vnode().readdir(0, probe).is_error() || probe.found) continue;
        }
        auto fs = a.make();
        if (fs.is_error()) continue;
        auto m = mount(fs.release_value(), {dir.mount, child}, a.flags, a.source);
        if (m.is_error()) continue;
        // The mount's path: the parent's, then "/name" ("/" alone for the root's children).
        char* path = m.value()->path;
        size_t at = strlen(dir.mount->path);
        if (at == 1) at = 0;
        size_t name_length = strlen(a.name);
        if (at + 1 + name_length < sizeof(m.value()->path)) {
            memcpy(path, dir.mount->path, at);
            path[at] = '/';
            memcpy(path + at + 1, a.name, name_length + 1);
        }
    }
}

Result<Mount*> Vfs::mount_root(Own<FileSystem> fs, unsigned flags, const char* source) {
    VERIFY(m_mount_count == 0);
    Mount* m = TRY(add_mount(static_cast<Own<FileSystem>&&>(fs), flags, source));
    m->path[0] = '/';
    return m;
}

Result<Mount*> Vfs::mount(Own<FileSystem> fs, const Path& at, unsigned flags, const char* source) {
    if (!at.vnode().is_directory()) return Errno::NOTDIR;
    Mount* m = TRY(add_mount(static_cast<Own<FileSystem>&&>(fs), flags, source));
    m->parent = at.mount;
    m->mountpoint = at.dentry;
    at.dentry->mount_count++;
    return m;
}

Path Vfs::root_path() const {
    VERIFY(m_mount_count > 0);
    return {const_cast<Mount*>(&m_mounts[0]), m_mounts[0].root};
}

void Vfs::follow_mounts(Path& path) const {
    while (path.mount && path.dentry->mount_count > 0) {
        const Mount* found = nullptr;
        for (size_t i = m_mount_count; i-- > 0;) {
            const Mount& m = m_mounts[i];
            if (m.parent == path.mount && m.mountpoint == path.dentry) {
                found = &m;
                break;
            }
        }
        if (!found) return;
        path.mount = const_cast<Mount*>(found);
        path.dentry = found->root;
    }
}

void Vfs::go_up(const FsContext& ctx, Path& path) const {
    if (!path.mount) return; // an anonymous file (reached by a magic link)
    for (;;) {
        if (path == ctx.root) return;
        if (path.dentry == path.mount->root) {
            if (!path.mount->parent) return;
            Mount* parent = path.mount->parent;
            path.dentry = path.mount->mountpoint;
            path.mount = parent;
            continue;
        }
        if (path.dentry->parent()) path.dentry = path.dentry->parent();
        break;
    }
    follow_mounts(path);
}

Result<RefPtr<Dentry>> Vfs::lookup_child(const Path& at, std::string_view name) {
    if (m_automounts_pending && at.mount && at.dentry == at.mount->root)
        trigger_automounts(at, name);
    Dentry& dir = *at.dentry;
    if (Dentry* cached = dir.find_child(name)) return RefPtr<Dentry>(cached);
    if (!dir.vnode().is_directory()) return Errno::NOTDIR;
    if (dir.is_deleted()) return Errno::NOENT;
    RefPtr<Vnode> vnode = TRY(dir.vnode().lookup(name));
    RefPtr<Dentry> child = Dentry::create(&dir, name, static_cast<RefPtr<Vnode>&&>(vnode));
    if (!child) return Errno::NOMEM;
    if (at.mount && at.mount->fs->names_are_stable()) m_dentries.keep(*child);
    return child;
}

void Vfs::remove_name(Dentry& dentry) {
    m_dentries.forget(dentry);
    dentry.detach();
}

Result<Path> Vfs::resolve(const FsContext& ctx, const Path& base, std::string_view path,
                          unsigned flags) {
    if (path.empty()) {
        if (!(flags & kEmptyPath)) return Errno::NOENT;
        if ((flags & kDirectory) && !base.vnode().is_directory()) return Errno::NOTDIR;
        return Path(base);
    }
    Walk walk(*this, ctx);
    walk.start(base, path);
    for (;;) {
        TRY(walk.to_last());
        Path result = walk.current();
        switch (walk.kind()) {
        case LastKind::Root:
        case LastKind::Dot:
            break;
        case LastKind::DotDot:
            go_up(ctx, result);
            break;
        case LastKind::Normal: {
            RefPtr<Dentry> child = TRY(lookup_child(result, walk.last()));
            if (child->vnode().is_symlink() && ((flags & kFollow) || walk.wants_directory())) {
                TRY(walk.follow(child->vnode()));
                continue;
            }
            result.dentry = child;
            follow_mounts(result);
            break;
        }
        }
        if ((walk.wants_directory() || (flags & kDirectory)) && !result.vnode().is_directory())
            return Errno::NOTDIR;
        return result;
    }
}

Result<ParentAndName> Vfs::resolve_parent(const FsContext& ctx, const Path& base,
                                          std::string_view path) {
    if (path.empty()) return Errno::NOENT;
    Walk walk(*this, ctx);
    walk.start(base, path);
    TRY(walk.to_last());
    ParentAndName out;
    out.parent = walk.current();
    out.name = walk.last();
    out.kind = walk.kind();
    out.trailing_slash = walk.trailing_slash();
    return out;
}

// ---- open ------------------------------------------------------------------------------------

Result<void> Vfs::register_device(uint64_t rdev, FileOps& device) {
    if (m_device_count == kMaxDevices) return Errno::NOMEM;
    m_devices[m_device_count++] = {rdev, &device};
    return {};
}

Result<RefPtr<OpenFile>> Vfs::open_fifo(const Path& path, int flags) {
    Fifo* slot = nullptr;
    for (Fifo& f : m_fifos) {
        if (f.node && f.pipe->readers() == 0 && f.pipe->writers() == 0 && f.pipe->ref_count() == 1)
            f = {}; // no end open any more
        if (f.node == path.dentry->vnode_ref()) slot = &f;
    }
    if (!slot) {
        for (Fifo& f : m_fifos)
            if (!f.node) {
                slot = &f;
                break;
            }
        if (!slot) return Errno::NFILE;
        RefPtr<Pipe> pipe(new (std::nothrow) Pipe(m_anon));
        if (!pipe) return Errno::NOMEM;
        pipe->set_fifo(true);
        pipe->set_block(m_fifo_block);
        *slot = {path.dentry->vnode_ref(), pipe};
    }
    RefPtr<Pipe> pipe = slot->pipe;
    return OpenFile::create(path.mount, path.dentry, path.dentry->vnode_ref(), flags, pipe.ptr(),
                            RefPtr<Vnode>(pipe.ptr()));
}

Result<RefPtr<OpenFile>> Vfs::open_existing(const Path& path, int flags) {
    Vnode& vnode = path.vnode();
    int access = flags & kOpenAccessMask;
    bool write = access != kOpenReadOnly || (flags & kOpenTruncate);
    if (vnode.is_directory() && write) return Errno::ISDIR;
    if (write && stored_data(vnode.type()) && path.mount && path.mount->read_only())
        return Errno::ROFS;
    int kept =
        (flags & ~(kOpenCreate | kOpenExclusive | kOpenNoCtty | kOpenTruncate | kOpenCloexec)) |
        kOpenLargeFile;
    if (vnode.type() == kTypeChar || vnode.type() == kTypeBlock) {
        if (path.mount && (path.mount->flags & Mount::kNoDev)) return Errno::ACCES;
        Attributes a;
        TRY(vnode.getattr(a));
        FileOps* device = nullptr;
        for (size_t i = 0; i < m_device_count && vnode.type() == kTypeChar; i++)
            if (m_devices[i].rdev == a.rdev) device = m_devices[i].ops;
        if (!device) return Errno::NXIO;
        return OpenFile::create(path.mount, path.dentry, path.dentry->vnode_ref(), kept, device);
    }
    // A fifo node of a file system reaches its pipe; anonymous files open as themselves.
    if (vnode.type() == kTypeFifo && !vnode.is_pipe() && path.mount) return open_fifo(path, kept);
    if (vnode.type() == kTypeSocket) return Errno::NXIO;
    RefPtr<OpenFile> file =
        TRY(OpenFile::create(path.mount, path.dentry, path.dentry->vnode_ref(), kept));
    if ((flags & kOpenTruncate) && vnode.is_regular()) {
        AttributeChange change;
        Timestamp now = current_time();
        change.mask = AttributeChange::kSize | AttributeChange::kMtime | AttributeChange::kCtime;
        change.mtime = change.ctime = now;
        TRY(vnode.setattr(change));
    }
    return file;
}

Result<RefPtr<OpenFile>> Vfs::open(const FsContext& ctx, const Path& base, std::string_view path,
                                   int flags, uint32_t mode) {
    if (flags & kOpenPath) {
        flags &= kOpenPath | kOpenDirectory | kOpenNoFollow;
        unsigned walk_flags =
            (flags & kOpenNoFollow ? 0 : kFollow) | (flags & kOpenDirectory ? kDirectory : 0);
        Path p = TRY(resolve(ctx, base, path, walk_flags));
        return OpenFile::create(p.mount, p.dentry, p.dentry->vnode_ref(), flags);
    }
    if ((flags & kOpenTmpfile) == kOpenTmpfile) return Errno::OPNOTSUPP; // FIXME: O_TMPFILE
    if (!(flags & kOpenCreate)) {
        unsigned walk_flags =
            (flags & kOpenNoFollow ? 0 : kFollow) | (flags & kOpenDirectory ? kDirectory : 0);
        Path p = TRY(resolve(ctx, base, path, walk_flags));
        if (p.vnode().is_symlink()) return Errno::LOOP; // O_NOFOLLOW on a symlink
        return open_existing(p, flags);
    }

    // O_CREAT: the last component may name nothing yet, or a symlink to follow first.
    if (path.empty()) return Errno::NOENT;
    Walk walk(*this, ctx);
    walk.start(base, path);
    for (;;) {
        TRY(walk.to_last());
        if (walk.kind() == LastKind::Root && walk.jumped()) { // /dev/stdout -> /proc/self/fd/1
            if (flags & kOpenExclusive) return Errno::EXIST;
            if (walk.current().vnode().is_directory()) return Errno::ISDIR;
            return open_existing(walk.current(), flags);
        }
        if (walk.kind() != LastKind::Normal || walk.trailing_slash()) return Errno::ISDIR;
        Path& dir = walk.current();
        auto child = lookup_child(dir, walk.last());
        if (child.is_error()) {
            if (child.error().code != Errno::NOENT) return child.error();
            if (dir.mount->read_only()) return Errno::ROFS;
            NewNode node;
            node.mode = kTypeRegular | (mode & kPermissionMask & ~ctx.umask);
            RefPtr<Vnode> created = TRY(dir.vnode().create(walk.last(), node));
            RefPtr<Dentry> dentry = Dentry::create(dir.dentry.ptr(), walk.last(), created);
            if (!dentry) return Errno::NOMEM;
            int kept = (flags & ~(kOpenCreate | kOpenExclusive | kOpenNoCtty | kOpenTruncate |
                                  kOpenCloexec)) |
                       kOpenLargeFile;
            return OpenFile::create(dir.mount, dentry, created, kept);
        }
        if (flags & kOpenExclusive) return Errno::EXIST;
        RefPtr<Dentry> found = child.release_value();
        if (found->vnode().is_symlink()) {
            if (flags & kOpenNoFollow) return Errno::LOOP;
            TRY(walk.follow(found->vnode()));
            continue;
        }
        Path p{dir.mount, found};
        follow_mounts(p);
        if (p.vnode().is_directory()) return Errno::ISDIR;
        if ((flags & kOpenDirectory)) return Errno::NOTDIR;
        return open_existing(p, flags);
    }
}

// ---- creating and removing names ------------------------------------------------------------

// The common part of mknod, mkdir, symlink and link: the parent and an absent last name. An
// existing name is EEXIST even on a read-only mount (Linux filename_create()).
Result<ParentAndName> Vfs::prepare_create(const FsContext& ctx, const Path& base,
                                          std::string_view path, bool directory) {
    ParentAndName pn = TRY(resolve_parent(ctx, base, path));
    if (pn.kind != LastKind::Normal) return Errno::EXIST;
    auto existing = lookup_child(pn.parent, pn.name);
    if (!existing.is_error()) return Errno::EXIST;
    if (existing.error().code != Errno::NOENT) return existing.error();
    if (pn.trailing_slash && !directory) return Errno::NOENT;
    if (pn.parent.mount->read_only()) return Errno::ROFS;
    return pn;
}

Result<void> Vfs::mknod(const FsContext& ctx, const Path& base, std::string_view path,
                        uint32_t mode, uint64_t rdev) {
    uint32_t type = mode & kTypeMask;
    if (type == 0) type = kTypeRegular;
    if (type == kTypeDirectory || type == kTypeSymlink) return Errno::INVAL;
    if (type != kTypeRegular && type != kTypeChar && type != kTypeBlock && type != kTypeFifo &&
        type != kTypeSocket)
        return Errno::INVAL;
    ParentAndName pn = TRY(prepare_create(ctx, base, path, false));
    NewNode node;
    node.mode = type | (mode & kPermissionMask & ~ctx.umask);
    node.rdev = (type == kTypeChar || type == kTypeBlock) ? rdev : 0;
    TRY(pn.parent.vnode().create(pn.name, node));
    return {};
}

Result<void> Vfs::mkdir(const FsContext& ctx, const Path& base, std::string_view path,
                        uint32_t mode) {
    ParentAndName pn = TRY(prepare_create(ctx, base, path, true));
    NewNode node;
    node.mode = kTypeDirectory | (mode & 01777 & ~ctx.umask);
    TRY(pn.parent.vnode().create(pn.name, node));
    return {};
}

Result<void> Vfs::symlink(const FsContext& ctx, std::string_view target, const Path& base,
                          std::string_view path) {
    if (target.empty()) return Errno::NOENT;
    ParentAndName pn = TRY(prepare_create(ctx, base, path, false));
    NewNode node;
    node.mode = kTypeSymlink | 0777;
    node.link_target = target;
    TRY(pn.parent.vnode().create(pn.name, node));
    return {};
}

Result<void> Vfs::link(const FsContext& ctx, const Path& old_base, std::string_view old_path,
                       const Path& new_base, std::string_view new_path, unsigned old_flags) {
    Path old = TRY(resolve(ctx, old_base, old_path, old_flags));
    ParentAndName pn = TRY(prepare_create(ctx, new_base, new_path, false));
    if (old.mount != pn.parent.mount) return Errno::XDEV;
    if (old.vnode().is_directory()) return Errno::PERM;
    if (old.dentry->is_deleted()) return Errno::NOENT;
    return pn.parent.vnode().link(pn.name, old.vnode());
}

Result<void> Vfs::unlink(const FsContext& ctx, const Path& base, std::string_view path) {
    ParentAndName pn = TRY(resolve_parent(ctx, base, path));
    if (pn.kind != LastKind::Normal) return Errno::ISDIR;
    if (pn.parent.mount->read_only()) return Errno::ROFS;
    auto child = lookup_child(pn.parent, pn.name);
    if (child.is_error()) return child.error();
    Dentry& victim = *child.value();
    if (pn.trailing_slash) return victim.vnode().is_directory() ? Errno::ISDIR : Errno::NOTDIR;
    if (victim.vnode().is_directory()) return Errno::ISDIR;
    if (victim.mount_count > 0) return Errno::BUSY;
    TRY(pn.parent.vnode().unlink(pn.name, victim.vnode()));
    remove_name(victim);
    return {};
}

Result<void> Vfs::rmdir(const FsContext& ctx, const Path& base, std::string_view path) {
    ParentAndName pn = TRY(resolve_parent(ctx, base, path));
    switch (pn.kind) {
    case LastKind::Dot:
        return Errno::INVAL;
    case LastKind::DotDot:
        return Errno::NOTEMPTY;
    case LastKind::Root:
        return Errno::BUSY;
    case LastKind::Normal:
        break;
    }
    if (pn.parent.mount->read_only()) return Errno::ROFS;
    auto child = lookup_child(pn.parent, pn.name);
    if (child.is_error()) return child.error();
    Dentry& victim = *child.value();
    if (!victim.vnode().is_directory()) return Errno::NOTDIR;
    if (victim.mount_count > 0) return Errno::BUSY;
    TRY(pn.parent.vnode().rmdir(pn.name, victim.vnode()));
    remove_name(victim);
    return {};
}

Result<void> Vfs::rename(const FsContext& ctx, const Path& old_base, std::string_view old_path,
                         const Path& new_base, std::string_view new_path, unsigned flags) {
    if (flags & ~(kRenameNoReplace | kRenameExchange | kRenameWhiteout)) return Errno::INVAL;
    if ((flags & kRenameExchange) && (flags & (kRenameNoReplace | kRenameWhiteout)))
        return Errno::INVAL;
    if (flags & kRenameWhiteout) return Errno::OPNOTSUPP;
    ParentAndName from = TRY(resolve_parent(ctx, old_base, old_path));
    ParentAndName to = TRY(resolve_parent(ctx, new_base, new_path));
    if (from.parent.mount != to.parent.mount) return Errno::XDEV;
    if (from.kind != LastKind::Normal) return Errno::BUSY;
    if (to.kind != LastKind::Normal) return (flags & kRenameNoReplace) ? Errno::EXIST : Errno::BUSY;
    if (from.parent.mount->read_only()) return Errno::ROFS;
    auto old_child = lookup_child(from.parent, from.name);
    if (old_child.is_error()) return old_child.error();
    RefPtr<Dentry> moved = old_child.release_value();
    RefPtr<Dentry> replaced;
    auto new_child = lookup_child(to.parent, to.name);
    if (!new_child.is_error())
        replaced = new_child.release_value();
    else if (new_child.error().code != Errno::NOENT)
        return new_child.error();

    if ((flags & kRenameNoReplace) && replaced) return Errno::EXIST;
    bool exchange = flags & kRenameExchange;
    if (exchange) {
        if (!replaced) return Errno::NOENT;
        if (!replaced->vnode().is_directory() && to.trailing_slash) return Errno::NOTDIR;
    }
    bool moved_is_dir = moved->vnode().is_directory();
    if (!moved_is_dir) {
        if (from.trailing_slash) return Errno::NOTDIR;
        if (!exchange && to.trailing_slash) return Errno::NOTDIR;
    }
    // A directory cannot move below itself; nor can its target be one of its ancestors.
    if (moved->is_ancestor_of(*to.parent.dentry)) return Errno::INVAL;
    if (replaced && replaced->is_ancestor_of(*from.parent.dentry))
        return exchange ? Errno::INVAL : Errno::NOTEMPTY;
    if (moved == replaced) return {};
    if (replaced) {
        Attributes a, b;
        TRY(stat(moved->vnode(), a));
        TRY(stat(replaced->vnode(), b));
        if (a.ino == b.ino && a.dev == b.dev) return {}; // two names of one file: nothing to do
        bool replaced_is_dir = replaced->vnode().is_directory();
        if (!exchange) {
            if (moved_is_dir && !replaced_is_dir) return Errno::NOTDIR;
            if (!moved_is_dir && replaced_is_dir) return Errno::ISDIR;
        }
    }
    if (moved->mount_count > 0 || (replaced && replaced->mount_count > 0)) return Errno::BUSY;

    TRY(from.parent.vnode().rename(from.name, moved->vnode(), to.parent.vnode(), to.name,
                                   replaced ? &replaced->vnode() : nullptr, flags));
    // The names changed: move the dentries (forget them when that cannot be done).
    if (exchange) {
        if (moved->move_to(*to.parent.dentry, to.name).is_error()) remove_name(*moved);
        if (replaced->move_to(*from.parent.dentry, from.name).is_error()) remove_name(*replaced);
    } else {
        if (replaced) remove_name(*replaced);
        if (moved->move_to(*to.parent.dentry, to.name).is_error()) remove_name(*moved);
    }
    return {};
}

// ---- attributes ------------------------------------------------------------------------------

Result<void> Vfs::stat(Vnode& vnode, Attributes& out) {
    TRY(vnode.getattr(out));
    out.dev = vnode.fs().dev();
    return {};
}

Result<void> Vfs::stat(const Path& path, Attributes& out) {
    return stat(path.vnode(), out);
}

Result<void> Vfs::setattr(Mount* mount, Vnode& vnode, const AttributeChange& change) {
    if (mount && mount->read_only()) return Errno::ROFS;
    return vnode.setattr(change);
}

Result<void> Vfs::access(const Path& path, int mode) {
    Vnode& vnode = path.vnode();
    if ((mode & 2) && stored_data(vnode.type()) && path.mount->read_only()) return Errno::ROFS;
    if ((mode & 1) && !vnode.is_directory()) {
        Attributes a;
        TRY(stat(vnode, a));
        if (!(a.mode & 0111)) return Errno::ACCES;
    }
    return {};
}

Result<void> Vfs::check_directory(const Path& path) {
    return path.vnode().is_directory() ? Result<void>() : Result<void>(Errno::NOTDIR);
}

Result<size_t> Vfs::readlink(const FsContext& ctx, const Path& link, char* out, size_t capacity) {
    if (!link.vnode().is_symlink()) return Errno::INVAL;
    char* scratch = new (std::nothrow) char[kPathMax];
    if (!scratch) return Errno::NOMEM;
    auto target = link.vnode().readlink(scratch);
    if (target.is_error()) {
        delete[] scratch;
        return target.error();
    }
    std::string_view text = target->text;
    if (target->jump_dentry) {
        auto p = path_of(ctx, {target->jump_mount, target->jump_dentry}, scratch, kPathMax);
        if (p.is_error()) {
            delete[] scratch;
            return p.error();
        }
        text = p.value();
    }
    size_t n = text.size() < capacity ? text.size() : capacity;
    memcpy(out, text.data(), n);
    delete[] scratch;
    return n;
}

Result<std::string_view> Vfs::path_of(const FsContext& ctx, const Path& path, char* buffer,
                                      size_t capacity, bool mark_deleted) {
    char* end = buffer + capacity;
    char* p = end;
    auto prepend = [&](std::string_view s) -> bool {
        if (static_cast<size_t>(p - buffer) < s.size()) return false;
        p -= s.size();
        memcpy(p, s.data(), s.size());
        return true;
    };
    if (mark_deleted && path.dentry->is_deleted() && !prepend(" (deleted)"))
        return Errno::NAMETOOLONG;
    Path at = path;
    bool named = false;
    if (!at.mount) { // anonymous files are named like "pipe:[4321]"
        if (!prepend(at.dentry->name())) return Errno::NAMETOOLONG;
        return std::string_view(p, static_cast<size_t>(end - p));
    }
    for (;;) {
        if (at == ctx.root) break;
        if (at.dentry == at.mount->root) {
            if (!at.mount->parent) break;
            Mount* parent = at.mount->parent;
            at.dentry = at.mount->mountpoint;
            at.mount = parent;
            continue;
        }
        if (!prepend(at.dentry->name()) || !prepend("/")) return Errno::NAMETOOLONG;
        named = true;
        if (!at.dentry->parent()) break;
        at.dentry = at.dentry->parent();
    }
    if (!named && !prepend("/")) return Errno::NAMETOOLONG;
    return std::string_view(p, static_cast<size_t>(end - p));
}

// ---- directories -----------------------------------------------------------------------------

namespace {

// Positions of a directory's open file description: 0 ".", 1 "..", then the file system's
// cookies shifted by 2, and kEnd when done.
constexpr uint64_t kFirstCookiePosition = 2;
constexpr uint64_t kEndPosition = 0x7fff'ffff'ffff'ffffull;

class ShiftingSink final : public DirSink {
  public:
    explicit ShiftingSink(DirSink& inner) : m_inner(inner) {}
    bool emit(std::string_view name, uint64_t ino, DirentType type, uint64_t next) override {
        uint64_t position =
            next == Vnode::kEndOfDirectory ? kEndPosition : next + kFirstCookiePosition;
        return m_inner.emit(name, ino, type, position);
    }

  private:
    DirSink& m_inner;
};

} // namespace

Result<void> Vfs::readdir(OpenFile& file, DirSink& sink) {
    Vnode& dir = file.vnode();
    if (!dir.is_directory()) return Errno::NOTDIR;
    if (m_automounts_pending && file.mount() && file.dentry() == file.mount()->root.ptr())
        trigger_automounts({file.mount(), file.dentry_ref()}, {});
    // A removed directory lists nothing: ENOENT (Linux iterate_dir() on a dead directory).
    if (file.dentry() && file.dentry()->is_deleted()) return Errno::NOENT;
    if (file.offset == kEndPosition) return {};
    if (file.offset == 0) {
        Attributes a;
        TRY(stat(dir, a));
        if (!sink.emit(".", a.ino, DirentType::Directory, 1)) return {};
        file.offset = 1;
    }
    if (file.offset == 1) {
        uint64_t ino = 0;
        Attributes a;
        Dentry* d = file.dentry();
        Mount* m = file.mount();
        // ".." of a mount's root is the parent of the directory it is mounted on.
        while (d && m && d == m->root.ptr() && m->parent) {
            d = m->mountpoint.ptr();
            m = m->parent;
        }
        Vnode& parent = d && d->parent() ? d->parent()->vnode() : dir;
        TRY(stat(parent, a));
        ino = a.ino;
        if (!sink.emit("..", ino, DirentType::Directory, kFirstCookiePosition)) return {};
        file.offset = kFirstCookiePosition;
    }
    ShiftingSink shifting(sink);
    uint64_t next = TRY(dir.readdir(file.offset - kFirstCookiePosition, shifting));
    file.offset = next == Vnode::kEndOfDirectory ? kEndPosition : next + kFirstCookiePosition;
    return {};
}

} // namespace wisp::fs
