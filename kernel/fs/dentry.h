// SPDX-License-Identifier: MIT
#pragma once

// Dentries: the names of the VFS tree. A Dentry is one name in a directory, bound to its vnode;
// its parent is held by reference, so a live dentry keeps its whole path alive. The VFS keeps a
// dentry as long as something references it (an open file, the working directory, a mount, a
// child, a walk in progress, the DentryCache of recently looked-up names), and every live
// dentry is linked into its parent's list of children, so one name has at most one live dentry
// and one vnode: every holder of a path sees the same object (what the overlay's copy-up
// relies on).
#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "lib/list.h"
#include "fs/ref.h"
#include "fs/vnode.h"

namespace wisp::fs {

class Dentry : public RefCounted<Dentry> {
  public:
    // A file system's root (no parent) or a child of `parent`; null when out of memory.
    static RefPtr<Dentry> create(Dentry* parent, std::string_view name, RefPtr<Vnode> vnode);
    ~Dentry();

    std::string_view name() const { return {m_name, m_name_length}; }
    Dentry* parent() const { return m_parent.ptr(); }
    Vnode& vnode() const { return *m_vnode; }
    const RefPtr<Vnode>& vnode_ref() const { return m_vnode; }

    // The live child named `name`, if any.
    Dentry* find_child(std::string_view name) const;

    // The name was removed (unlink, rmdir, rename over it): the dentry leaves its parent's
    // children, so lookups no longer find it; holders keep the vnode.
    void detach();
    bool is_deleted() const { return m_deleted; }
    // rename: the dentry now is `name` in `new_parent`. NOMEM leaves it unchanged.
    Result<void> move_to(Dentry& new_parent, std::string_view name);
    bool is_ancestor_of(const Dentry& other) const; // or the same dentry

    // How many mounts sit on this dentry (the path walk checks this before looking for them).
    uint32_t mount_count = 0;

  private:
    friend class DentryCache;
    Dentry(RefPtr<Vnode> vnode) : m_vnode(static_cast<RefPtr<Vnode>&&>(vnode)) {}
    Result<void> set_name(std::string_view name);

    RefPtr<Dentry> m_parent;
    RefPtr<Vnode> m_vnode;
    char* m_name = m_inline_name;
    uint32_t m_name_length = 0;
    bool m_deleted = false;
    int16_t m_cache_slot = -1; // where the DentryCache holds this dentry, if it does
    char m_inline_name[40];
    ListLink<Dentry> m_sibling;
    IntrusiveList<Dentry, &Dentry::m_sibling> m_children;
};

// The names looked up last, kept alive after their last user lets go, so a path walked again
// (a program stat()s and opens the same files over and over) finds every component among its
// parent's children instead of asking the file system, building a vnode and a dentry, and
// freeing them again. A fixed number of slots replaced round-robin: a kept dentry also keeps
// its parents, so the cost is bounded by kSlots paths. Only names whose meaning cannot change
// behind the VFS's back belong here (not procfs's generated ones); a name that is removed must
// be forgotten, or the cache would keep an unlinked file's data alive.
class DentryCache {
  public:
    static constexpr size_t kSlots = 256;

    void keep(Dentry& dentry);
    void forget(Dentry& dentry);
    void clear();

  private:
    RefPtr<Dentry> m_slots[kSlots];
    size_t m_hand = 0;
};

} // namespace wisp::fs
