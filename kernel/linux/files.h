// SPDX-License-Identifier: MIT
#pragma once

// The process's files (Linux files_struct + fs_struct): the VFS with its mounts, the root and
// working directories, the umask, and the descriptor table; and what the file system calls
// share — path arguments, *at() starting points, the deadlock report.
#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "fs/erofs.h"
#include "fs/vfs.h"
#include "linux/fd_table.h"
#include "linux/user_ptr.h"

namespace wisp::linux {

struct Files {
    fs::Vfs vfs;
    fs::FsContext context;
    FdTable fds;
};

// The one process's files (constructed on first use).
Files& files();
inline fs::Vfs& vfs() {
    return files().vfs;
}

// Boot: the image as "/" — an overlay that makes it writable in memory — with /dev, /proc,
// /sys, /tmp, /run and /dev/shm mounted on first use, and descriptors 0, 1, 2 on the console.
Result<void> init_files(const fs::erofs::Image& image);

// *at() flags (include/uapi/linux/fcntl.h).
inline constexpr int kAtSymlinkNoFollow = 0x100;
inline constexpr int kAtRemoveDir = 0x200;
inline constexpr int kAtEaccess = 0x200;
inline constexpr int kAtSymlinkFollow = 0x400;
inline constexpr int kAtNoAutomount = 0x800;
inline constexpr int kAtEmptyPathFlag = 0x1000;
inline constexpr int kAtStatxSyncType = 0x6000;
inline constexpr int kAtFdCwdValue = -100;

// A path argument, copied whole from the application: EFAULT for a bad pointer, ENAMETOOLONG
// when it does not end within PATH_MAX bytes.
class PathArg {
  public:
    Result<void> copy(UserPtr<const char> user);
    std::string_view view() const { return {m_text, m_length}; }
    bool empty() const { return m_length == 0; }

  private:
    char m_text[fs::kPathMax];
    size_t m_length = 0;
};

// Where a walk of `path` starts for a call given `dirfd`: the working directory for AT_FDCWD,
// else dirfd's file (EBADF when not open). Absolute paths ignore dirfd altogether.
Result<fs::Path> start_for(int dirfd, std::string_view path);
// The path of an open file (for fchdir, AT_EMPTY_PATH, /proc/self/fd).
fs::Path path_of_file(const fs::OpenFile& file);

// The open file description of `fd`: EBADF when none.
Result<fs::RefPtr<fs::OpenFile>> file_for(int fd);

// A blocking operation that could only be completed by another thread (reading an empty pipe
// whose writer is this process...): with one thread it would wait forever. Reports it and
// kills the process (SIGKILL semantics, status 137) — a hang helps nobody.
[[noreturn]] void die_of_deadlock(const char* what);

// Blocks the calling thread on `queue` until it is woken through it (true) or by a signal
// (false: the call ends with EINTR). Without another thread, or without a queue, nothing could
// wake it: die_of_deadlock(what).
bool wait_on(fs::WaitQueue* queue, const char* what);

} // namespace wisp::linux
