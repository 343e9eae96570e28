// SPDX-License-Identifier: MIT
#pragma once

// The memory a read() fills or a write() drains, seen by file systems and devices as one byte
// range [0, size()). In the kernel it is the application's buffer or iovec list, so a file
// system copies straight between its storage (image pages, tmpfs pages) and the application:
// there is no intermediate kernel copy. Host tests use plain memory.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/result.h"

namespace wisp::fs {

// Receives bytes the buffer hands out directly (see IoBuffer::stream).
class ByteSink {
  public:
    virtual void put(const char* data, size_t length) = 0;

  protected:
    ~ByteSink() = default;
};

class IoBuffer {
  public:
    size_t size() const { return m_size; }

    // read direction: copies `length` kernel bytes into the buffer at `at`. EFAULT when the
    // buffer's memory is not writable; the caller then reports the bytes done so far.
    virtual Result<void> store(size_t at, const void* source, size_t length) = 0;
    virtual Result<void> store_zeros(size_t at, size_t length) = 0;
    // write direction: copies `length` bytes of the buffer at `at` into kernel memory.
    virtual Result<void> load(void* destination, size_t at, size_t length) = 0;
    // write direction, zero copy: hands [at, at + length) to `sink` in directly readable pieces
    // (for application memory: each page made present, then its own address). Returns the bytes
    // handed over: fewer than `length` (or EFAULT if none) when the memory ends early.
    virtual Result<size_t> stream(size_t at, size_t length, ByteSink& sink) = 0;

    // Where the buffer's memory first proved inaccessible (a store or load failed there), or
    // kNoFault. Linux moves every byte before such a fault and reports the short count; a file
    // system stops at its own chunk boundary instead, so the system call layer finishes the
    // transfer up to here.
    static constexpr size_t kNoFault = ~size_t{0};
    size_t fault_offset() const { return m_fault_offset; }

  protected:
    explicit IoBuffer(size_t size) : m_size(size) {}
    ~IoBuffer() = default;
    void note_fault(size_t at) {
        if (at < m_fault_offset) m_fault_offset = at;
    }
    size_t m_size;
    size_t m_fault_offset = kNoFault;
};

// The part [start, start + size) of another buffer (what a write still has to do after a short
// one).
class SubBuffer final : public IoBuffer {
  public:
    SubBuffer(IoBuffer& inner, size_t start, size_t size)
        : IoBuffer(size), m_inner(inner), m_start(start) {}
    Result<void> store(size_t at, const void* source, size_t length) override {
        return m_inner.store(m_start + at, source, length);
    }
    Result<void> store_zeros(size_t at, size_t length) override {
        return m_inner.store_zeros(m_start + at, length);
    }
    Result<void> load(void* destination, size_t at, size_t length) override {
        return m_inner.load(destination, m_start + at, length);
    }
    Result<size_t> stream(size_t at, size_t length, ByteSink& sink) override {
        return m_inner.stream(m_start + at, length, sink);
    }

  private:
    IoBuffer& m_inner;
    size_t m_start;
};

// An IoBuffer over kernel (or host test) memory.
class MemoryBuffer final : public IoBuffer {
  public:
    MemoryBuffer(void* data, size_t size) : IoBuffer(size), m_data(static_cast<char*>(data)) {}
    MemoryBuffer(const void* data, size_t size)
        : IoBuffer(size), m_data(const_cast<char*>(static_cast<const char*>(data))) {}

    Result<void> store(size_t at, const void* source, size_t length) override {
        VERIFY(at <= m_size && length <= m_size - at);
        memcpy(m_data + at, source, length);
        return {};
    }
    Result<void> store_zeros(size_t at, size_t length) override {
        VERIFY(at <= m_size && length <= m_size - at);
        memset(m_data + at, 0, length);
        return {};
    }
    Result<void> load(void* destination, size_t at, size_t length) override {
        VERIFY(at <= m_size && length <= m_size - at);
        memcpy(destination, m_data + at, length);
        return {};
    }
    Result<size_t> stream(size_t at, size_t length, ByteSink& sink) override {
        VERIFY(at <= m_size && length <= m_size - at);
        sink.put(m_data + at, length);
        return length;
    }

  private:
    char* m_data;
};

} // namespace wisp::fs
