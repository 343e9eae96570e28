// SPDX-License-Identifier: MIT
#include "linux/fd_table.h"

#include "fs/record_locks.h"

namespace wisp::linux {

FdTable::~FdTable() {
    delete[] m_slots;
}

Result<void> FdTable::grow_to(int needed) {
    if (needed <= m_capacity) return {};
    int capacity = m_capacity ? m_capacity : 16;
    while (capacity < needed)
        capacity *= 2;
    if (capacity > kLimit) capacity = kLimit;
    Slot* slots = new (std::nothrow) Slot[capacity];
    if (!slots) return Errno::NOMEM;
    for (int i = 0; i < m_capacity; i++) {
        slots[i].file = static_cast<fs::RefPtr<fs::OpenFile>&&>(m_slots[i].file);
        slots[i].cloexec = m_slots[i].cloexec;
    }
    delete[] m_slots;
    m_slots = slots;
    m_capacity = capacity;
    return {};
}

Result<int> FdTable::allocate(fs::RefPtr<fs::OpenFile> file, bool cloexec, int min_fd) {
    if (min_fd < 0 || min_fd >= kLimit) return Errno::INVAL;
    int fd = min_fd > m_lowest_free ? min_fd : m_lowest_free;
    while (fd < m_capacity && m_slots[fd].file)
        fd++;
    if (fd >= kLimit) return Errno::MFILE;
    TRY(grow_to(fd + 1));
    m_slots[fd].file = static_cast<fs::RefPtr<fs::OpenFile>&&>(file);
    m_slots[fd].cloexec = cloexec;
    m_open++;
    if (fd == m_lowest_free) {
        m_lowest_free++;
        while (m_lowest_free < m_capacity && m_slots[m_lowest_free].file)
            m_lowest_free++;
    }
    return fd;
}

Result<void> FdTable::install(int fd, fs::RefPtr<fs::OpenFile> file, bool cloexec) {
    if (fd < 0 || fd >= kLimit) return Errno::BADF;
    TRY(grow_to(fd + 1));
    fs::RefPtr<fs::OpenFile> old = static_cast<fs::RefPtr<fs::OpenFile>&&>(m_slots[fd].file);
    m_slots[fd].file = static_cast<fs::RefPtr<fs::OpenFile>&&>(file);
    m_slots[fd].cloexec = cloexec;
    if (!old) m_open++;
    else fs::drop_range_locks(old->vnode(), fs::LockOwner{}); // POSIX: any close drops them
    if (fd == m_lowest_free) {
        while (m_lowest_free < m_capacity && m_slots[m_lowest_free].file)
            m_lowest_free++;
    }
    return {}; // `old` closes here, after the slot is consistent again
}

Result<void> FdTable::close(int fd) {
    if (!get(fd)) return Errno::BADF;
    fs::RefPtr<fs::OpenFile> old = static_cast<fs::RefPtr<fs::OpenFile>&&>(m_slots[fd].file);
    m_slots[fd].cloexec = false;
    m_open--;
    fs::drop_range_locks(old->vnode(), fs::LockOwner{}); // POSIX: any close drops them
    if (fd < m_lowest_free) m_lowest_free = fd;
    return {};
}

void FdTable::close_on_exec() {
    for (int fd = 0; fd < m_capacity; fd++)
        if (m_slots[fd].file && m_slots[fd].cloexec) (void)close(fd);
}

void FdTable::close_range(unsigned first, unsigned last, bool cloexec_only) {
    for (unsigned fd = first; fd <= last && fd < static_cast<unsigned>(m_capacity); fd++) {
        if (!m_slots[fd].file) continue;
        if (cloexec_only)
            m_slots[fd].cloexec = true;
        else
            (void)close(static_cast<int>(fd));
    }
}

} // namespace wisp::linux
