// SPDX-License-Identifier: MIT
#pragma once

// The application's buffer of a read or write — one range, or an iovec list — as the
// fs::IoBuffer file systems copy into and out of. Copies go straight between the file's storage
// and application memory; bad addresses give EFAULT (never a kernel fault).
#include <stddef.h>
#include <stdint.h>

#include "fs/io_buffer.h"
#include "linux/syscalls.h"
#include "linux/user_ptr.h"

namespace wisp::linux {

// Linux caps one read or write at MAX_RW_COUNT (INT_MAX rounded down to a page).
inline constexpr uint64_t kMaxIoBytes = 0x7fff'f000;
// UIO_MAXIOV
inline constexpr int kMaxIoVecs = 1024;

class UserBuffer final : public fs::IoBuffer {
  public:
    // One range; the caller has checked it lies in user space.
    UserBuffer(uint64_t address, size_t length);
    // An iovec list already copied into the kernel (the caller keeps it alive); `total` is the
    // sum of the lengths, capped.
    UserBuffer(const IoVec* iov, int count, size_t total);

    Result<void> store(size_t at, const void* source, size_t length) override;
    Result<void> store_zeros(size_t at, size_t length) override;
    Result<void> load(void* destination, size_t at, size_t length) override;
    Result<size_t> stream(size_t at, size_t length, fs::ByteSink& sink) override;

  private:
    // Calls fn(user_address, bytes, done) for the pieces of [at, at + length).
    template<typename Fn>
    Result<void> each_piece(size_t at, size_t length, Fn&& fn);
    // After a failed copy of [at, at + length) at `address`: copies it again page by page to
    // find (and move) the bytes before the fault, and notes where the fault is.
    Result<void> fault_in_store(size_t at, uint64_t address, const char* source, size_t length);
    Result<void> fault_in_load(size_t at, char* destination, uint64_t address, size_t length);

    IoVec m_single;
    const IoVec* m_iov;
    int m_count;
    // Where the last access ended (sequential access is the common case).
    int m_cursor_index = 0;
    size_t m_cursor_start = 0; // buffer offset of segment m_cursor_index
};

// Copies and checks an iovec array as readv/writev do: EINVAL for a count beyond UIO_MAXIOV or
// negative, or lengths whose sum overflows ssize_t; EFAULT for an unreadable array. The total is
// capped at kMaxIoBytes (the tail beyond is not transferred, as Linux does).
class UserIoVecs {
  public:
    UserIoVecs() = default;
    UserIoVecs(const UserIoVecs&) = delete;
    UserIoVecs& operator=(const UserIoVecs&) = delete;
    ~UserIoVecs();
    Result<void> copy_in(UserPtr<const IoVec> iov, int count);
    const IoVec* data() const { return m_vecs; }
    int count() const { return m_count; }
    size_t total() const { return m_total; }

  private:
    static constexpr int kInline = 8; // UIO_FASTIOV
    IoVec m_inline[kInline];
    IoVec* m_vecs = m_inline;
    int m_count = 0;
    size_t m_total = 0;
};

} // namespace wisp::linux
