// SPDX-License-Identifier: MIT
#include "fs/pipe.h"

#include "fs/open_file.h"
#include "fs/system.h"

namespace wisp::fs {

namespace {
constexpr uint64_t kPipefsMagic = 0x50495045;
}

Result<void> AnonFs::statfs(FsStats& out) {
    out = {};
    out.type = kPipefsMagic;
    out.block_size = kPageSize;
    out.name_max = kNameMax;
    return {};
}

Pipe::Pipe(AnonFs& fs) : Vnode(fs, kTypeFifo), m_ino(fs.next_ino()), m_time(current_time()) {}

Pipe::~Pipe() {
    for (void* page : m_pages)
        free_page(page);
}

Result<void> Pipe::getattr(Attributes& out) {
    out.ino = m_ino;
    out.mode = kTypeFifo | 0600;
    out.nlink = 1;
    out.size = 0;
    out.blksize = kPageSize;
    out.atime = out.mtime = out.ctime = m_time;
    return {};
}

Result<void> Pipe::open(OpenFile& file) {
    bool read = file.can_read(), write = file.can_write();
    bool waits = m_fifo && !(read && write);
    if (waits && write && !read && m_readers == 0 && file.non_blocking()) return Errno::NXIO;
    // Count this end first, so that the other end, opened meanwhile, sees it (Linux
    // fifo_open()).
    if (read) m_readers++, m_read_opens++;
    if (write) m_writers++, m_write_opens++;
    m_opened.wake_all();
    if (!waits || file.non_blocking()) return {};
    // Wait until the other end has been opened — counted in opens, not in open ends, because
    // it may be closed again before this thread runs (Linux's r_counter/w_counter).
    uint64_t reads = m_read_opens, writes = m_write_opens;
    while ((read && m_writers == 0 && writes == m_write_opens) ||
           (write && m_readers == 0 && reads == m_read_opens)) {
        if (!m_block || !m_block(m_opened)) {
            if (read) m_readers--;
            if (write) m_writers--;
            // A signal: EINTR, or the open runs again after an SA_RESTART handler.
            return m_block ? Errno::RESTARTSYS : Errno::AGAIN;
        }
    }
    return {};
}

void Pipe::release(OpenFile& file) {
    if (file.can_read() && --m_readers == 0) m_writable.wake_all();  // writers now get EPIPE
    if (file.can_write() && --m_writers == 0) m_readable.wake_all(); // readers now see EOF
}

// Linux pipe_poll(): readable with data, hung up without writers; writable with room, an
// error without readers.
uint32_t Pipe::poll_events(OpenFile& file) {
    constexpr uint32_t kIn = 0x1 | 0x40, kOut = 0x4 | 0x100, kErr = 0x8, kHup = 0x10;
    uint32_t events = 0;
    if (file.can_read()) {
        if (m_size > 0) events |= kIn;
        if (m_writers == 0) events |= kHup;
    }
    if (file.can_write()) {
        if (m_size < kCapacity) events |= kOut;
        if (m_readers == 0) events |= kErr;
    }
    return events;
}

Result<size_t> Pipe::read(OpenFile&, uint64_t, IoBuffer& buffer) {
    if (buffer.size() == 0) return 0;
    if (m_size == 0) return m_writers == 0 ? Result<size_t>(0) : Result<size_t>(Errno::AGAIN);
    size_t count = buffer.size() < m_size ? buffer.size() : m_size;
    size_t done = 0;
    while (done < count) {
        size_t at = (m_head + done) % kCapacity;
        size_t chunk = kPageSize - at % kPageSize;
        if (chunk > count - done) chunk = count - done;
        auto r =
            buffer.store(done, static_cast<char*>(m_pages[at / kPageSize]) + at % kPageSize, chunk);
        if (r.is_error()) {
            if (done == 0) return r.error();
            break;
        }
        done += chunk;
    }
    m_head = (m_head + done) % kCapacity;
    m_size -= done;
    if (m_size == 0) m_head = 0;
    m_time = current_time();
    m_writable.wake_all();
    return done;
}

Result<size_t> Pipe::write(OpenFile&, uint64_t, IoBuffer& buffer) {
    size_t count = buffer.size();
    if (count == 0) return 0;
    if (m_readers == 0) return Errno::PIPE;
    size_t space = kCapacity - m_size;
    if (space == 0 || (count <= kAtomicWrite && count > space)) return Errno::AGAIN;
    if (count > space) count = space;
    size_t done = 0;
    while (done < count) {
        size_t at = (m_head + m_size + done) % kCapacity;
        size_t page = at / kPageSize;
        if (!m_pages[page] && !(m_pages[page] = allocate_page(false))) {
            if (done == 0) return Errno::NOMEM;
            break;
        }
        size_t chunk = kPageSize - at % kPageSize;
        if (chunk > count - done) chunk = count - done;
        auto r = buffer.load(static_cast<char*>(m_pages[page]) + at % kPageSize, done, chunk);
        if (r.is_error()) {
            if (done == 0) return r.error();
            break;
        }
        done += chunk;
    }
    m_size += done;
    m_time = current_time();
    m_readable.wake_all();
    return done;
}

} // namespace wisp::fs
