// SPDX-License-Identifier: MIT
// Input and output on the console descriptors. Until the VFS exists (static-programs issue),
// descriptors 0, 1 and 2 are the only open files: 0 reads as an empty pipe, 1 and 2 write to
// the host's stdout and stderr. They present themselves as pipes (S_IFIFO, ENOTTY), which is
// what the same program sees natively under a test harness.
#include <string.h>

#include "linux/abi_types.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mm/address_space.h"
#include "mm/frames.h"

namespace wisp::linux {
namespace {

constexpr uint64_t kMaxIo = 0x7fff'f000; // Linux caps one read/write at MAX_RW_COUNT

bool is_console(int fd) { return fd >= 0 && fd <= 2; }

// Writes user memory to the console without copying it: each page is made present (resolving
// lazy mappings), then written straight from its user address with one `rep outsb`.
Result<long> console_write(int fd, uint64_t address, uint64_t count) {
    if (count > kMaxIo) count = kMaxIo;
    if (!user_range_ok(address, count)) return Errno::FAULT;
    auto channel = fd == 2 ? platform::Channel::Stderr : platform::Channel::Stdout;
    uint64_t done = 0;
    while (done < count) {
        uint64_t at = address + done;
        uint64_t page = at & ~(mm::kPageSize - 1);
        uint64_t chunk = page + mm::kPageSize - at;
        if (chunk > count - done) chunk = count - done;
        if (platform::user_page_phys(page) == 0 &&
            !mm::address_space().handle_fault(at, false, false, false)) {
            if (done == 0) return Errno::FAULT;
            break;
        }
        platform::write(channel, reinterpret_cast<const char*>(at), chunk);
        done += chunk;
    }
    return static_cast<long>(done);
}

Result<long> vector_io(int fd, UserPtr<const IoVec> iov, int count, bool write) {
    if (count < 0 || count > 1024) return Errno::INVAL;
    if (!is_console(fd)) return Errno::BADF;
    long total = 0;
    for (int i = 0; i < count; i++) {
        IoVec v = TRY(iov.offset(i).read());
        if (v.length == 0) continue;
        if (!write) return total; // stdin is empty
        auto r = console_write(fd, v.base, v.length);
        if (r.is_error()) {
            if (total > 0) return total;
            return r.error();
        }
        total += r.value();
        if (static_cast<uint64_t>(r.value()) < v.length) break;
    }
    return total;
}

Stat console_stat(int fd) {
    Stat st{};
    st.st_dev = 0xc;
    st.st_ino = 1000 + fd;
    st.st_nlink = 1;
    st.st_mode = kModeFifo | 0600;
    st.st_blksize = 4096;
    return st;
}

Result<long> readlink_common(UserPtr<const char> path, UserPtr<char> buffer, uint64_t size) {
    char name[4096];
    TRY(copy_string_from_user(name, path.address(), sizeof(name)));
    if (static_cast<int64_t>(size) <= 0) return Errno::INVAL;
    if (strcmp(name, "/proc/self/exe") != 0) return Errno::NOENT; // FIXME: the VFS
    const char* target = process().exe_path;
    uint64_t length = strlen(target);
    if (length > size) length = size;
    TRY(copy_to_user(buffer.address(), target, length));
    return static_cast<long>(length);
}

} // namespace

Result<long> sys_read(int fd, UserPtr<char>, uint64_t) {
    if (!is_console(fd)) return Errno::BADF;
    return 0; // FIXME: stdin from the host (static-programs issue)
}

Result<long> sys_write(int fd, UserPtr<const char> buffer, uint64_t count) {
    if (!is_console(fd)) return Errno::BADF;
    if (fd == 0) return Errno::BADF; // stdin is open read-only
    if (count == 0) return 0;
    return console_write(fd, buffer.address(), count);
}

Result<long> sys_writev(int fd, UserPtr<const IoVec> iov, int count) {
    if (fd == 0) return Errno::BADF;
    return vector_io(fd, iov, count, true);
}

Result<long> sys_readv(int fd, UserPtr<const IoVec> iov, int count) {
    if (fd == 1 || fd == 2) return Errno::BADF;
    return vector_io(fd, iov, count, false);
}

Result<long> sys_close(int fd) {
    if (!is_console(fd)) return Errno::BADF;
    return 0; // FIXME: descriptor table (static-programs issue)
}

Result<long> sys_ioctl(int fd, uint64_t, uint64_t) {
    if (!is_console(fd)) return Errno::BADF;
    return Errno::NOTTY;
}

Result<long> sys_lseek(int fd, int64_t, int) {
    if (!is_console(fd)) return Errno::BADF;
    return Errno::SPIPE;
}

Result<long> sys_fstat(int fd, UserPtr<char> stat) {
    if (!is_console(fd)) return Errno::BADF;
    Stat st = console_stat(fd);
    TRY(copy_to_user(stat.address(), &st, sizeof(st)));
    return 0;
}

Result<long> sys_newfstatat(int dirfd, UserPtr<const char> path, UserPtr<char> stat, int flags) {
    char name[4096];
    TRY(copy_string_from_user(name, path.address(), sizeof(name)));
    if (name[0] == '\0') {
        if (!(flags & kAtEmptyPath)) return Errno::NOENT;
        return sys_fstat(dirfd, stat);
    }
    return Errno::NOENT; // FIXME: the VFS
}

Result<long> sys_readlink(UserPtr<const char> path, UserPtr<char> buffer, uint64_t size) {
    return readlink_common(path, buffer, size);
}

Result<long> sys_readlinkat(int, UserPtr<const char> path, UserPtr<char> buffer, uint64_t size) {
    return readlink_common(path, buffer, size);
}

} // namespace wisp::linux
