// SPDX-License-Identifier: MIT
#pragma once

// The file descriptor table: small integers naming open file descriptions, each with its own
// close-on-exec flag. New descriptors take the lowest free number (POSIX); the table holds at
// most RLIMIT_NOFILE of them (EMFILE beyond).
#include <stddef.h>
#include <stdint.h>

#include "fs/open_file.h"
#include "fs/ref.h"
#include "lib/result.h"

namespace wisp::linux {

class FdTable {
  public:
    static constexpr int kLimit = 1024; // RLIMIT_NOFILE (soft and what the table holds)

    FdTable() = default;
    FdTable(const FdTable&) = delete;
    FdTable& operator=(const FdTable&) = delete;
    ~FdTable();

    // The open file description of `fd`, or null (the caller says EBADF).
    fs::OpenFile* get(int fd) const {
        return fd >= 0 && fd < m_capacity ? m_slots[fd].file.ptr() : nullptr;
    }
    Result<fs::RefPtr<fs::OpenFile>> file(int fd) const {
        fs::OpenFile* f = get(fd);
        if (!f) return Errno::BADF;
        return fs::RefPtr<fs::OpenFile>(f);
    }
    // The lowest free descriptor >= min_fd now naming `file`. EMFILE when none below the limit
    // (EINVAL for a min_fd at or beyond it, as F_DUPFD reports).
    Result<int> allocate(fs::RefPtr<fs::OpenFile> file, bool cloexec, int min_fd = 0);
    // Makes `fd` name `file`, closing what it named before (dup2/dup3). EBADF beyond the limit.
    Result<void> install(int fd, fs::RefPtr<fs::OpenFile> file, bool cloexec);
    Result<void> close(int fd);
    // close_range(2): closes (or marks close-on-exec) every open descriptor in [first, last].
    void close_range(unsigned first, unsigned last, bool cloexec_only);
    // execve: closes every descriptor marked close-on-exec.
    void close_on_exec();

    bool cloexec(int fd) const { return get(fd) && m_slots[fd].cloexec; }
    void set_cloexec(int fd, bool on) {
        if (get(fd)) m_slots[fd].cloexec = on;
    }
    // The highest descriptor that may be open + 1 (for iterating).
    int end() const { return m_capacity; }
    // What Linux calls the table's max_fds: 64 (NR_OPEN_DEFAULT) or more as the table grew;
    // select(2) looks no further.
    int max_fds() const { return m_capacity > 64 ? m_capacity : 64; }
    int open_count() const { return m_open; }
    // Whether allocate() would find a descriptor (open(2) fails with EMFILE before anything).
    bool has_free() const { return m_lowest_free < kLimit; }

  private:
    struct Slot {
        fs::RefPtr<fs::OpenFile> file;
        bool cloexec = false;
    };
    Result<void> grow_to(int needed);

    Slot* m_slots = nullptr;
    int m_capacity = 0;
    int m_open = 0;
    int m_lowest_free = 0; // no free descriptor below this
};

} // namespace wisp::linux
