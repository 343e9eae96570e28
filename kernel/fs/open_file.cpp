// SPDX-License-Identifier: MIT
#include "fs/open_file.h"

#include "fs/flock.h"
#include "fs/record_locks.h"

namespace wisp::fs {

Result<RefPtr<OpenFile>> OpenFile::create(Mount* mount, RefPtr<Dentry> dentry, RefPtr<Vnode> vnode,
                                          int flags, FileOps* ops, RefPtr<Vnode> ops_owner) {
    RefPtr<OpenFile> file(new (std::nothrow) OpenFile(mount, static_cast<RefPtr<Dentry>&&>(dentry),
                                                      static_cast<RefPtr<Vnode>&&>(vnode), flags));
    if (!file) return Errno::NOMEM;
    file->m_ops = ops ? ops : static_cast<FileOps*>(file->m_vnode.ptr());
    file->m_ops_owner = static_cast<RefPtr<Vnode>&&>(ops_owner);
    if (!file->is_path_only()) {
        TRY(file->m_ops->open(*file));
        file->m_opened = true;
    }
    return file;
}

OpenFile::~OpenFile() {
    if (m_flocked) unlock_flock(*this);
    if (m_range_locked) drop_range_locks(*m_vnode, LockOwner{this});
    m_released.wake_all();
    if (m_opened) m_ops->release(*this);
}

} // namespace wisp::fs
