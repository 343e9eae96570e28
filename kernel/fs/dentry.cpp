// SPDX-License-Identifier: MIT
#include "fs/dentry.h"

#include <string.h>

namespace wisp::fs {

RefPtr<Dentry> Dentry::create(Dentry* parent, std::string_view name, RefPtr<Vnode> vnode) {
    RefPtr<Dentry> d(new (std::nothrow) Dentry(static_cast<RefPtr<Vnode>&&>(vnode)));
    if (!d || d->set_name(name).is_error()) return nullptr;
    if (parent) {
        d->m_parent = parent;
        parent->m_children.push_front(d.ptr());
    }
    return d;
}

Dentry::~Dentry() {
    if (m_parent && !m_deleted) m_parent->m_children.remove(this);
    if (m_name != m_inline_name) delete[] m_name;
}

Result<void> Dentry::set_name(std::string_view name) {
    char* storage = m_inline_name;
    if (name.size() >= sizeof(m_inline_name)) {
        storage = new (std::nothrow) char[name.size() + 1];
        if (!storage) return Errno::NOMEM;
    }
    memcpy(storage, name.data(), name.size());
    storage[name.size()] = '\0';
    if (m_name != m_inline_name && m_name != storage) delete[] m_name;
    m_name = storage;
    m_name_length = static_cast<uint32_t>(name.size());
    return {};
}

Dentry* Dentry::find_child(std::string_view name) const {
    for (Dentry* c = m_children.front(); c; c = decltype(m_children)::next(c))
        if (c->m_name_length == name.size() && memcmp(c->m_name, name.data(), name.size()) == 0)
            return c;
    return nullptr;
}

void Dentry::detach() {
    if (m_deleted) return;
    m_deleted = true;
    if (m_parent) m_parent->m_children.remove(this);
}

Result<void> Dentry::move_to(Dentry& new_parent, std::string_view name) {
    TRY(set_name(name));
    if (m_parent && !m_deleted) m_parent->m_children.remove(this);
    m_deleted = false;
    new_parent.m_children.push_front(this);
    m_parent = &new_parent; // may drop the old parent's last reference: after the relink
    return {};
}

bool Dentry::is_ancestor_of(const Dentry& other) const {
    for (const Dentry* d = &other; d; d = d->m_parent.ptr())
        if (d == this) return true;
    return false;
}

void DentryCache::keep(Dentry& dentry) {
    if (dentry.m_cache_slot >= 0) return;
    size_t slot = m_hand;
    m_hand = (m_hand + 1) % kSlots;
    if (m_slots[slot]) m_slots[slot]->m_cache_slot = -1;
    dentry.m_cache_slot = static_cast<int16_t>(slot);
    m_slots[slot] = &dentry; // may free the dentry evicted from the slot (and its parents)
}

void DentryCache::forget(Dentry& dentry) {
    if (dentry.m_cache_slot < 0) return;
    size_t slot = static_cast<size_t>(dentry.m_cache_slot);
    dentry.m_cache_slot = -1;
    m_slots[slot] = nullptr; // may free the dentry: the caller holds its own reference
}

void DentryCache::clear() {
    for (RefPtr<Dentry>& slot : m_slots) {
        if (slot) slot->m_cache_slot = -1;
        slot = nullptr;
    }
}

} // namespace wisp::fs
