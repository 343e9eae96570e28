// SPDX-License-Identifier: MIT
#pragma once

// Pipes: a byte queue of up to 64 KiB (Linux's default pipe capacity) in pages taken as
// needed, with counts of open read and write ends. pipe(2) makes one as an anonymous file;
// opening a fifo gives its pipe.
//
// Nothing here blocks: where Linux would wait (reading an empty pipe with a writer, writing a
// full one with a reader, opening one end of a fifo without the other), the operation fails
// with AGAIN and the caller decides — EAGAIN for O_NONBLOCK, otherwise it waits on the pipe's
// read or write queue (fs/wait_queue.h), which every change that could end the wait wakes.
#include <stddef.h>
#include <stdint.h>

#include "fs/vnode.h"

namespace wisp::fs {

// Anonymous files — pipes, the console streams — belong to this file system (Linux pipefs).
class AnonFs final : public FileSystem {
  public:
    constexpr AnonFs() : FileSystem(false) { set_dev(make_dev(0, 12)); }
    const char* type_name() const override { return "pipefs"; }
    Result<RefPtr<Vnode>> root() override { return Errno::NOTDIR; }
    Result<void> statfs(FsStats& out) override;
    uint64_t next_ino() { return m_next_ino++; }

  private:
    uint64_t m_next_ino = 10000;
};

class Pipe final : public Vnode {
  public:
    static constexpr size_t kCapacity = 65536;
    static constexpr size_t kAtomicWrite = 4096; // PIPE_BUF

    explicit Pipe(AnonFs& fs);
    ~Pipe() override;

    Result<void> getattr(Attributes& out) override;
    Result<void> setattr(const AttributeChange&) override { return {}; }
    // Opening an end: counts it. A fifo opened for reading only (or writing only) waits until
    // the other end is opened (NXIO for a non-blocking writer without a reader), as fifo(7).
    Result<void> open(OpenFile& file) override;
    void release(OpenFile& file) override;
    // 0 at end of file (empty, no writers); AGAIN when empty with a writer.
    Result<size_t> read(OpenFile& file, uint64_t offset, IoBuffer& buffer) override;
    // PIPE without readers; AGAIN when it does not fit (all of it, for up to PIPE_BUF bytes).
    Result<size_t> write(OpenFile& file, uint64_t offset, IoBuffer& buffer) override;
    bool is_stream() const override { return true; }
    bool is_pipe() const override { return true; }
    uint32_t poll_events(OpenFile& file) override;
    WaitQueue* read_queue() override { return &m_readable; }
    WaitQueue* write_queue() override { return &m_writable; }

    size_t available() const { return m_size; }
    uint32_t readers() const { return m_readers; }
    uint32_t writers() const { return m_writers; }
    uint64_t ino() const { return m_ino; }
    // Whether the next open is of an anonymous pipe (pipe(2), /proc/self/fd) or a fifo.
    void set_fifo(bool fifo) { m_fifo = fifo; }
    // How a blocking fifo open waits for the other end (the kernel blocks the thread; false:
    // interrupted). Without one, such an open fails with AGAIN.
    using BlockFn = bool (*)(WaitQueue& queue);
    void set_block(BlockFn block) { m_block = block; }

  private:
    static constexpr size_t kPages = kCapacity / kPageSize;
    uint64_t m_ino;
    void* m_pages[kPages] = {};
    size_t m_head = 0; // position of the first byte in the ring
    size_t m_size = 0;
    uint32_t m_readers = 0, m_writers = 0;
    uint64_t m_read_opens = 0, m_write_opens = 0; // ends ever opened (fifo open waits)
    bool m_fifo = false;
    Timestamp m_time;
    WaitQueue m_readable; // readers waiting for data or the last writer to go
    WaitQueue m_writable; // writers waiting for space or the last reader to go
    WaitQueue m_opened;   // fifo opens waiting for the other end
    BlockFn m_block = nullptr;
};

} // namespace wisp::fs
