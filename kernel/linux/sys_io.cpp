// SPDX-License-Identifier: MIT
// Reading and writing open files: read/write and their positioned and vectored forms, lseek,
// ioctl, sendfile, copy_file_range, fsync, ftruncate, fallocate. Data moves straight between
// the file's storage and the application's memory (linux/user_buffer.h); the console writes
// application pages to the host without a copy.
#include "fs/system.h"
#include "linux/abi_types.h"
#include "linux/files.h"
#include "linux/process.h"
#include "linux/signals.h"
#include "linux/syscalls.h"
#include "linux/terminal.h"
#include "linux/user_buffer.h"

namespace wisp::linux {

namespace {

using fs::OpenFile;

constexpr int kSeekSet = 0, kSeekCur = 1, kSeekEnd = 2, kSeekData = 3, kSeekHole = 4;
constexpr int kSigPipe = 13;

// Most calls refuse O_PATH descriptors as if they were not open (Linux fdget()).
Result<fs::RefPtr<OpenFile>> io_file(int fd) {
    OpenFile* file = files().fds.get(fd);
    if (!file || file->is_path_only()) return Errno::BADF;
    return fs::RefPtr<OpenFile>(file);
}

// The hot calls: the description of `fd` if it can be read (written), else null (EBADF).
OpenFile* readable_file(int fd) {
    OpenFile* file = files().fds.get(fd);
    return file && file->can_read() ? file : nullptr;
}
OpenFile* writable_file(int fd) {
    OpenFile* file = files().fds.get(fd);
    return file && file->can_write() ? file : nullptr;
}

// A transfer whose buffer ran into inaccessible memory after `done` bytes: the file system
// stopped at its own chunk boundary, Linux at the fault, so move the bytes in between with
// `op(at, part_of_buffer)`. Streams are left alone (what a pipe handed over is gone).
template<typename Op>
size_t complete_to_fault(fs::IoBuffer& buffer, size_t done, Op&& op) {
    size_t fault = buffer.fault_offset();
    if (fault == fs::IoBuffer::kNoFault || fault <= done) return done;
    fs::SubBuffer part(buffer, done, fault - done);
    auto r = op(done, part);
    return r.is_error() ? done : done + r.value();
}

// `position` < 0: at (and advancing) the file's offset; else pread/pwrite at `position`.
// AGAIN from the file means the call would block: EAGAIN for a non-blocking description,
// otherwise the thread waits on the file's queue and tries again.
Result<long> read_at(OpenFile& file, fs::IoBuffer& buffer, int64_t position) {
    fs::FileOps& ops = file.ops();
    if (file.vnode().is_directory()) return Errno::ISDIR;
    bool stream = ops.is_stream();
    uint64_t offset = position >= 0 ? static_cast<uint64_t>(position) : stream ? 0 : file.offset;
    for (;;) {
        auto r = file.read(offset, buffer);
        if (!r.is_error() || r.error().code != Errno::AGAIN || file.non_blocking()) {
            size_t n = 0;
            if (!r.is_error()) n = r.value();
            else if (r.error().code != Errno::FAULT || stream) return r.error();
            if (!stream)
                n = complete_to_fault(buffer, n, [&](size_t at, fs::IoBuffer& part) {
                    return file.read(offset + at, part);
                });
            if (n == 0 && r.is_error()) return r.error();
            if (position < 0 && !stream) file.offset = offset + n;
            return static_cast<long>(n);
        }
        if (!wait_on(ops.read_queue(), "read from an empty pipe")) return Errno::RESTARTSYS;
    }
}

Result<long> write_at(OpenFile& file, fs::IoBuffer& buffer, int64_t position) {
    fs::FileOps& ops = file.ops();
    bool stream = ops.is_stream();
    uint64_t offset = position >= 0 ? static_cast<uint64_t>(position) : stream ? 0 : file.offset;
    if ((file.flags() & fs::kOpenAppend) && !stream) {
        // O_APPEND writes at the end, even pwrite (a documented Linux bug kept for ABI).
        fs::Attributes a;
        TRY(file.vnode().getattr(a));
        offset = a.size;
    }
    // A blocking write to a pipe goes on until everything is written (pipe(7)).
    size_t done = 0;
    Errno failure{};
    for (;;) {
        fs::SubBuffer rest(buffer, done, buffer.size() - done);
        auto r = file.write(offset + done, rest);
        if (!r.is_error()) {
            done += r.value();
            if (done == buffer.size() || !ops.is_pipe() || file.non_blocking()) break;
            continue;
        }
        Errno e = r.error().code;
        if (e == Errno::PIPE) {
            SignalInfo info;
            info.signal = kSigPipe;
            info.code = kSiUser;
            info.pid = Process::kPid;
            send_signal(info);
        }
        if (e == Errno::AGAIN && !file.non_blocking()) {
            if (wait_on(ops.write_queue(), "write to a full pipe")) continue;
            e = Errno::RESTARTSYS; // EINTR, or the write runs again after an SA_RESTART handler
        }
        failure = e;
        break;
    }
    if (!stream)
        done = complete_to_fault(buffer, done, [&](size_t at, fs::IoBuffer& part) {
            return file.write(offset + at, part);
        });
    if (done == 0 && failure != Errno(0)) return failure;
    if (position < 0 && !stream) file.offset = offset + done;
    return static_cast<long>(done);
}

Result<fs::RefPtr<OpenFile>> readable(int fd) {
    fs::RefPtr<OpenFile> file = TRY(io_file(fd));
    if (!file->can_read()) return Errno::BADF;
    return file;
}

Result<fs::RefPtr<OpenFile>> writable(int fd) {
    fs::RefPtr<OpenFile> file = TRY(io_file(fd));
    if (!file->can_write()) return Errno::BADF;
    return file;
}

Result<long> vector_read(int fd, UserPtr<const IoVec> iov, int count, int64_t position) {
    fs::RefPtr<OpenFile> file = TRY(readable(fd));
    if (position >= 0 && file->ops().is_stream()) return Errno::SPIPE;
    UserIoVecs vecs;
    TRY(vecs.copy_in(iov, count));
    if (vecs.total() == 0) return 0;
    UserBuffer buffer(vecs.data(), vecs.count(), vecs.total());
    return read_at(*file, buffer, position);
}

Result<long> vector_write(int fd, UserPtr<const IoVec> iov, int count, int64_t position) {
    fs::RefPtr<OpenFile> file = TRY(writable(fd));
    if (position >= 0 && file->ops().is_stream()) return Errno::SPIPE;
    UserIoVecs vecs;
    TRY(vecs.copy_in(iov, count));
    if (vecs.total() == 0) return 0;
    UserBuffer buffer(vecs.data(), vecs.count(), vecs.total());
    return write_at(*file, buffer, position);
}

// preadv2/pwritev2 flags (RWF_*): the ones Linux knows are accepted (they are hints here).
constexpr int kRwfKnown = 0x1f;

// Copies between two open files through one kernel page (sendfile, copy_file_range).
Result<long> copy_between(OpenFile& in, uint64_t* in_position, OpenFile& out,
                          uint64_t* out_position, uint64_t count) {
    if (count > kMaxIoBytes) count = kMaxIoBytes;
    void* page = fs::allocate_page(false);
    if (!page) return Errno::NOMEM;
    uint64_t done = 0;
    Errno failure = Errno(0);
    while (done < count) {
        size_t chunk = count - done < fs::kPageSize ? count - done : fs::kPageSize;
        fs::MemoryBuffer into(page, chunk);
        auto got = read_at(in, into, in_position ? static_cast<int64_t>(*in_position) : -1);
        if (got.is_error()) {
            failure = got.error().code;
            break;
        }
        if (got.value() == 0) break;
        if (in_position) *in_position += got.value();
        fs::MemoryBuffer from(page, static_cast<size_t>(got.value()));
        auto put = write_at(out, from, out_position ? static_cast<int64_t>(*out_position) : -1);
        if (put.is_error()) {
            failure = put.error().code;
            break;
        }
        if (out_position) *out_position += put.value();
        done += put.value();
        if (put.value() < got.value()) break;
    }
    fs::free_page(page);
    if (done == 0 && failure != Errno(0)) return failure;
    return static_cast<long>(done);
}

} // namespace

Result<long> sys_read(int fd, UserPtr<char> buffer, uint64_t count) {
    fs::RefPtr<OpenFile> file = readable_file(fd); // held: a blocked read may outlive the fd
    if (!file) return Errno::BADF;
    if (!user_range_ok(buffer.address(), count)) return Errno::FAULT;
    if (count > kMaxIoBytes) count = kMaxIoBytes;
    UserBuffer b(buffer.address(), count);
    return read_at(*file, b, -1);
}

Result<long> sys_write(int fd, UserPtr<const char> buffer, uint64_t count) {
    fs::RefPtr<OpenFile> file = writable_file(fd);
    if (!file) return Errno::BADF;
    if (!user_range_ok(buffer.address(), count)) return Errno::FAULT;
    if (count > kMaxIoBytes) count = kMaxIoBytes;
    UserBuffer b(buffer.address(), count);
    return write_at(*file, b, -1);
}

Result<long> sys_pread64(int fd, UserPtr<char> buffer, uint64_t count, int64_t position) {
    OpenFile* found = files().fds.get(fd);
    if (!found || found->is_path_only()) return Errno::BADF;
    fs::RefPtr<OpenFile> file = found;
    if (position < 0) return Errno::INVAL;
    if (file->ops().is_stream()) return Errno::SPIPE;
    if (!file->can_read()) return Errno::BADF;
    if (!user_range_ok(buffer.address(), count)) return Errno::FAULT;
    if (count > kMaxIoBytes) count = kMaxIoBytes;
    UserBuffer b(buffer.address(), count);
    return read_at(*file, b, position);
}

Result<long> sys_pwrite64(int fd, UserPtr<const char> buffer, uint64_t count, int64_t position) {
    OpenFile* found = files().fds.get(fd);
    if (!found || found->is_path_only()) return Errno::BADF;
    fs::RefPtr<OpenFile> file = found;
    if (position < 0) return Errno::INVAL;
    if (file->ops().is_stream()) return Errno::SPIPE;
    if (!file->can_write()) return Errno::BADF;
    if (!user_range_ok(buffer.address(), count)) return Errno::FAULT;
    if (count > kMaxIoBytes) count = kMaxIoBytes;
    UserBuffer b(buffer.address(), count);
    return write_at(*file, b, position);
}

Result<long> sys_readv(int fd, UserPtr<const IoVec> iov, int count) {
    return vector_read(fd, iov, count, -1);
}

Result<long> sys_writev(int fd, UserPtr<const IoVec> iov, int count) {
    return vector_write(fd, iov, count, -1);
}

Result<long> sys_preadv(int fd, UserPtr<const IoVec> iov, int count, int64_t position) {
    if (position < 0) return Errno::INVAL;
    return vector_read(fd, iov, count, position);
}

Result<long> sys_pwritev(int fd, UserPtr<const IoVec> iov, int count, int64_t position) {
    if (position < 0) return Errno::INVAL;
    return vector_write(fd, iov, count, position);
}

Result<long> sys_preadv2(int fd, UserPtr<const IoVec> iov, int count, int64_t position, uint64_t,
                         int flags) {
    if (flags & ~kRwfKnown) return Errno::OPNOTSUPP;
    if (position < -1) return Errno::INVAL;
    return vector_read(fd, iov, count, position);
}

Result<long> sys_pwritev2(int fd, UserPtr<const IoVec> iov, int count, int64_t position, uint64_t,
                          int flags) {
    if (flags & ~kRwfKnown) return Errno::OPNOTSUPP;
    if (position < -1) return Errno::INVAL;
    return vector_write(fd, iov, count, position);
}

Result<long> sys_lseek(int fd, int64_t offset, int whence) {
    fs::RefPtr<OpenFile> file = TRY(io_file(fd));
    if (whence < kSeekSet || whence > kSeekHole) return Errno::INVAL;
    fs::FileOps& ops = file->ops();
    if (ops.is_stream()) return Errno::SPIPE;
    if (ops.seeks_to_zero()) {
        file->offset = 0;
        return 0;
    }
    int64_t position;
    if (file->vnode().is_directory()) {
        // Directory positions are readdir cookies: set or keep them, nothing else.
        if (whence == kSeekSet)
            position = offset;
        else if (whence == kSeekCur && offset == 0)
            position = static_cast<int64_t>(file->offset);
        else
            return Errno::INVAL;
    } else {
        fs::Attributes a;
        TRY(file->vnode().getattr(a));
        int64_t size = static_cast<int64_t>(a.size);
        switch (whence) {
        case kSeekSet:
            position = offset;
            break;
        case kSeekCur:
            if (__builtin_add_overflow(static_cast<int64_t>(file->offset), offset, &position))
                return Errno::INVAL;
            break;
        case kSeekEnd:
            if (__builtin_add_overflow(size, offset, &position)) return Errno::INVAL;
            break;
        default: {
            if (offset < 0) return Errno::NXIO;
            uint64_t found =
                TRY(ops.seek_data(static_cast<uint64_t>(offset), a.size, whence == kSeekHole));
            position = static_cast<int64_t>(found);
        }
        }
    }
    if (position < 0) return Errno::INVAL;
    file->offset = static_cast<uint64_t>(position);
    return position;
}

Result<long> sys_ioctl(int fd, uint64_t request, uint64_t argument) {
    constexpr uint64_t kFionread = 0x541b, kFionbio = 0x5421, kFionclex = 0x5450, kFioclex = 0x5451,
                       kFioasync = 0x5452;
    fs::RefPtr<OpenFile> file = TRY(io_file(fd));
    switch (request & 0xffffffff) {
    case kFioclex:
        files().fds.set_cloexec(fd, true);
        return 0;
    case kFionclex:
        files().fds.set_cloexec(fd, false);
        return 0;
    case kFionbio: {
        int on = TRY(UserPtr<int>(argument).read());
        file->set_status_flags(on ? file->flags() | fs::kOpenNonBlock
                                  : file->flags() & ~fs::kOpenNonBlock);
        return 0;
    }
    case kFioasync: {
        int on = TRY(UserPtr<int>(argument).read());
        file->set_status_flags(on ? file->flags() | fs::kOpenAsync
                                  : file->flags() & ~fs::kOpenAsync);
        return 0;
    }
    case kFionread: {
        int available;
        if (file->ops().is_pipe()) {
            available = static_cast<int>(static_cast<fs::Pipe&>(file->ops()).available());
        } else if (file->vnode().is_regular()) {
            fs::Attributes a;
            TRY(file->vnode().getattr(a));
            available = a.size > file->offset ? static_cast<int>(a.size - file->offset) : 0;
        } else {
            available = static_cast<int>(TRY(file->ops().input_available(*file)));
        }
        TRY(UserPtr<int>(argument).write(available));
        return 0;
    }
    default:
        // Terminal requests (TCGETS, TIOCGWINSZ...): only the console, when the host's is one.
        if (file->ops().is_terminal())
            return terminal().ioctl(*file, static_cast<uint32_t>(request), argument);
        return Errno::NOTTY;
    }
}

Result<long> sys_sendfile(int out_fd, int in_fd, UserPtr<int64_t> offset, uint64_t count) {
    fs::RefPtr<OpenFile> in = TRY(readable(in_fd));
    fs::RefPtr<OpenFile> out = TRY(writable(out_fd));
    if (out->flags() & fs::kOpenAppend) return Errno::INVAL;
    if (in->vnode().is_directory()) return Errno::INVAL;
    if (offset.is_null()) return copy_between(*in, nullptr, *out, nullptr, count);
    int64_t start = TRY(offset.read());
    if (start < 0) return Errno::INVAL;
    if (in->ops().is_stream()) return Errno::SPIPE;
    uint64_t position = static_cast<uint64_t>(start);
    long n = TRY(copy_between(*in, &position, *out, nullptr, count));
    TRY(offset.write(static_cast<int64_t>(position)));
    return n;
}

Result<long> sys_copy_file_range(int in_fd, UserPtr<int64_t> in_offset, int out_fd,
                                 UserPtr<int64_t> out_offset, uint64_t length, unsigned flags) {
    if (flags != 0) return Errno::INVAL;
    fs::RefPtr<OpenFile> in = TRY(readable(in_fd));
    fs::RefPtr<OpenFile> out = TRY(writable(out_fd));
    if (!in->vnode().is_regular() || !out->vnode().is_regular())
        return in->vnode().is_directory() || out->vnode().is_directory() ? Errno::ISDIR
                                                                         : Errno::INVAL;
    if (out->flags() & fs::kOpenAppend) return Errno::BADF;
    uint64_t in_position = in->offset, out_position = out->offset;
    if (!in_offset.is_null()) {
        int64_t v = TRY(in_offset.read());
        if (v < 0) return Errno::INVAL;
        in_position = static_cast<uint64_t>(v);
    }
    if (!out_offset.is_null()) {
        int64_t v = TRY(out_offset.read());
        if (v < 0) return Errno::INVAL;
        out_position = static_cast<uint64_t>(v);
    }
    if (in->vnode_ref() == out->vnode_ref() && in_position < out_position + length &&
        out_position < in_position + length)
        return Errno::INVAL;
    long n = TRY(copy_between(*in, &in_position, *out, &out_position, length));
    if (in_offset.is_null())
        in->offset = in_position;
    else
        TRY(in_offset.write(static_cast<int64_t>(in_position)));
    if (out_offset.is_null())
        out->offset = out_position;
    else
        TRY(out_offset.write(static_cast<int64_t>(out_position)));
    return n;
}

Result<long> sys_fsync(int fd) {
    fs::RefPtr<OpenFile> file = TRY(io_file(fd));
    if (file->ops().is_stream()) return Errno::INVAL;
    return 0; // everything lives in memory: always on "disk"
}

Result<long> sys_fdatasync(int fd) {
    return sys_fsync(fd);
}

Result<long> sys_sync() {
    return 0;
}

Result<long> sys_syncfs(int fd) {
    TRY(io_file(fd));
    return 0;
}

Result<long> sys_sync_file_range(int fd, int64_t offset, int64_t length, unsigned flags) {
    if (flags & ~7u) return Errno::INVAL;
    if (offset < 0 || length < 0) return Errno::INVAL;
    fs::RefPtr<OpenFile> file = TRY(io_file(fd));
    if (!file->vnode().is_regular() && !file->vnode().is_directory() &&
        file->vnode().type() != fs::kTypeBlock && !file->vnode().is_symlink())
        return Errno::SPIPE;
    return 0;
}

Result<long> sys_fadvise64(int fd, int64_t, int64_t length, int advice) {
    fs::RefPtr<OpenFile> file = TRY(io_file(fd));
    if (file->ops().is_stream()) return Errno::SPIPE;
    if (advice < 0 || advice > 5 || length < 0) return Errno::INVAL;
    return 0; // POSIX_FADV_*: advice only
}

Result<long> sys_ftruncate(int fd, int64_t length) {
    if (length < 0) return Errno::INVAL;
    fs::RefPtr<OpenFile> file = TRY(io_file(fd));
    if (!file->vnode().is_regular() || !file->can_write()) return Errno::INVAL;
    fs::AttributeChange change;
    fs::Timestamp now = fs::current_time();
    change.mask =
        fs::AttributeChange::kSize | fs::AttributeChange::kMtime | fs::AttributeChange::kCtime;
    change.size = static_cast<uint64_t>(length);
    change.mtime = change.ctime = now;
    TRY(vfs().setattr(file->mount(), file->vnode(), change));
    return 0;
}

Result<long> sys_fallocate(int fd, int mode, int64_t offset, int64_t length) {
    constexpr int kKnownModes = 0x7f; // FALLOC_FL_*
    if (offset < 0 || length <= 0) return Errno::INVAL;
    if (mode & ~kKnownModes) return Errno::OPNOTSUPP;
    fs::RefPtr<OpenFile> file = TRY(io_file(fd));
    if (!file->can_write()) return Errno::BADF;
    fs::Vnode& v = file->vnode();
    if (v.is_directory()) return Errno::ISDIR;
    if (file->ops().is_stream()) return Errno::SPIPE;
    if (!v.is_regular()) return Errno::NODEV;
    if (mode != 0) return Errno::OPNOTSUPP; // FIXME: KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE
    int64_t end;
    if (__builtin_add_overflow(offset, length, &end)) return Errno::FBIG;
    TRY(v.allocate(static_cast<uint64_t>(offset), static_cast<uint64_t>(length)));
    return 0;
}

} // namespace wisp::linux
