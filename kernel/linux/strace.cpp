// SPDX-License-Identifier: MIT
#include "linux/strace.h"

#include <stdarg.h>
#include <string.h>

#include "platform/platform.h"
#include "lib/print.h"
#include "linux/syscall.h"
#include "linux/user_ptr.h"

namespace wisp::linux {
namespace {

// How to print one argument.
enum class Arg : uint8_t {
    None,     // no more arguments
    Int,      // signed decimal
    Unsigned, // unsigned decimal
    Hex,      // 0x...
    Fd,       // a descriptor (AT_FDCWD by name)
    Path,     // a NUL-terminated string read from user memory
    InBuf,    // a buffer the caller passes in; its length is the next argument
    OutBuf,   // a buffer the kernel fills; printed after the call, length = the result
    OpenFlags,
    Prot,
    MapFlags,
    Signal,
    Whence,
};

struct Signature {
    uint16_t number;
    Arg args[6];
};

using A = Arg;
constexpr Signature kSignatures[] = {
    {0, {A::Fd, A::OutBuf, A::Unsigned}},             // read
    {1, {A::Fd, A::InBuf, A::Unsigned}},              // write
    {2, {A::Path, A::OpenFlags, A::Hex}},             // open
    {3, {A::Fd}},                                     // close
    {4, {A::Path, A::Hex}},                           // stat
    {5, {A::Fd, A::Hex}},                             // fstat
    {6, {A::Path, A::Hex}},                           // lstat
    {8, {A::Fd, A::Int, A::Whence}},                  // lseek
    {9, {A::Hex, A::Unsigned, A::Prot, A::MapFlags, A::Fd, A::Hex}}, // mmap
    {10, {A::Hex, A::Unsigned, A::Prot}},             // mprotect
    {11, {A::Hex, A::Unsigned}},                      // munmap
    {25, {A::Hex, A::Unsigned, A::Unsigned, A::Hex, A::Hex}}, // mremap
    {12, {A::Hex}},                                   // brk
    {13, {A::Signal, A::Hex, A::Hex, A::Unsigned}},   // rt_sigaction
    {14, {A::Int, A::Hex, A::Hex, A::Unsigned}},      // rt_sigprocmask
    {16, {A::Fd, A::Hex, A::Hex}},                    // ioctl
    {17, {A::Fd, A::OutBuf, A::Unsigned, A::Int}},    // pread64
    {18, {A::Fd, A::InBuf, A::Unsigned, A::Int}},     // pwrite64
    {19, {A::Fd, A::Hex, A::Int}},                    // readv
    {20, {A::Fd, A::Hex, A::Int}},                    // writev
    {21, {A::Path, A::Hex}},                          // access
    {22, {A::Hex}},                                   // pipe
    {32, {A::Fd}},                                    // dup
    {33, {A::Fd, A::Fd}},                             // dup2
    {35, {A::Hex, A::Hex}},                           // nanosleep
    {37, {A::Unsigned}},                              // alarm
    {59, {A::Path, A::Hex, A::Hex}},                  // execve
    {60, {A::Int}},                                   // exit
    {62, {A::Int, A::Signal}},                        // kill
    {72, {A::Fd, A::Int, A::Hex}},                    // fcntl
    {78, {A::Fd, A::Hex, A::Unsigned}},               // getdents
    {79, {A::OutBuf, A::Unsigned}},                   // getcwd
    {80, {A::Path}},                                  // chdir
    {82, {A::Path, A::Path}},                         // rename
    {83, {A::Path, A::Hex}},                          // mkdir
    {84, {A::Path}},                                  // rmdir
    {87, {A::Path}},                                  // unlink
    {89, {A::Path, A::OutBuf, A::Unsigned}},          // readlink
    {158, {A::Hex, A::Hex}},                          // arch_prctl
    {200, {A::Int, A::Signal}},                       // tkill
    {217, {A::Fd, A::Hex, A::Unsigned}},              // getdents64
    {228, {A::Int, A::Hex}},                          // clock_gettime
    {231, {A::Int}},                                  // exit_group
    {234, {A::Int, A::Int, A::Signal}},               // tgkill
    {257, {A::Fd, A::Path, A::OpenFlags, A::Hex}},    // openat
    {258, {A::Fd, A::Path, A::Hex}},                  // mkdirat
    {262, {A::Fd, A::Path, A::Hex, A::Hex}},          // newfstatat
    {263, {A::Fd, A::Path, A::Hex}},                  // unlinkat
    {264, {A::Fd, A::Path, A::Fd, A::Path}},          // renameat
    {267, {A::Fd, A::Path, A::OutBuf, A::Unsigned}},  // readlinkat
    {269, {A::Fd, A::Path, A::Hex}},                  // faccessat
    {318, {A::Hex, A::Unsigned, A::Hex}},             // getrandom
    {322, {A::Fd, A::Path, A::Hex, A::Hex, A::Hex}},  // execveat
    {332, {A::Fd, A::Path, A::Hex, A::Hex, A::Hex}},  // statx
    {439, {A::Fd, A::Path, A::Hex, A::Hex}},          // faccessat2
    {15, {}}, {24, {}}, {34, {}}, {39, {}}, {102, {}}, {104, {}}, {107, {}}, {108, {}},
    {110, {}}, {186, {}},                             // no arguments
    {63, {A::Hex}},                                   // uname
    {127, {A::Hex, A::Unsigned}},                     // rt_sigpending
    {130, {A::Hex, A::Unsigned}},                     // rt_sigsuspend
    {131, {A::Hex, A::Hex}},                          // sigaltstack
    {218, {A::Hex}},                                  // set_tid_address
    {273, {A::Hex, A::Unsigned}},                     // set_robust_list
    {302, {A::Int, A::Int, A::Hex, A::Hex}},          // prlimit64
    {334, {A::Hex, A::Unsigned, A::Int, A::Hex}},     // rseq
};

const Signature* signature_of(uint64_t number) {
    for (const Signature& s : kSignatures)
        if (s.number == number) return &s;
    return nullptr;
}

const char* errno_name(long error) {
    static const char* const names[] = {
        "0", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF",
        "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV",
        "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG",
        "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK",
        "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP"};
    if (error > 0 && error < static_cast<long>(sizeof(names) / sizeof(names[0]))) return names[error];
    switch (error) { // kernel-internal: the call is restarted or becomes EINTR (as strace shows)
    case 512: return "ERESTARTSYS";
    case 513: return "ERESTARTNOINTR";
    case 514: return "ERESTARTNOHAND";
    case 516: return "ERESTART_RESTARTBLOCK";
    }
    return nullptr;
}

// Appends `text` to the line being built, as a C string literal with escapes, at most 32 bytes
// of it followed by "..." like strace's default -s 32.
struct Line {
    char text[768];
    size_t length = 0;
    void add(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
        va_list args;
        va_start(args, fmt);
        length += vformat(text + length, sizeof(text) - length, fmt, args);
        va_end(args);
    }
    void add_quoted(const char* bytes, size_t n, bool truncated) {
        add("\"");
        for (size_t i = 0; i < n; i++) {
            unsigned char c = static_cast<unsigned char>(bytes[i]);
            if (c == '\n') add("\\n");
            else if (c == '\t') add("\\t");
            else if (c == '"' || c == '\\') add("\\%c", c);
            else if (c >= 0x20 && c < 0x7f) add("%c", c);
            else add("\\%o", c);
        }
        add(truncated ? "\"..." : "\"");
    }
};

constexpr size_t kShown = 32;

void add_user_buffer(Line& line, uint64_t address, uint64_t length) {
    char bytes[kShown];
    size_t n = length < kShown ? length : kShown;
    if (copy_from_user(bytes, address, n).is_error()) {
        line.add("0x%lx", address);
        return;
    }
    line.add_quoted(bytes, n, length > kShown);
}

void add_flags(Line& line, uint64_t value, const char* const* names, const uint64_t* bits, size_t count,
               const char* zero) {
    bool any = false;
    for (size_t i = 0; i < count; i++) {
        if ((value & bits[i]) == bits[i] && bits[i] != 0) {
            line.add("%s%s", any ? "|" : "", names[i]);
            value &= ~bits[i];
            any = true;
        }
    }
    if (value != 0 || !any) {
        if (any) line.add("|0x%lx", value);
        else if (value == 0) line.add("%s", zero);
        else line.add("0x%lx", value);
    }
}

void add_argument(Line& line, Arg kind, const uint64_t* args, int index, long result, bool exit) {
    uint64_t v = args[index];
    switch (kind) {
    case Arg::Int: line.add("%ld", static_cast<long>(v)); break;
    case Arg::Unsigned: line.add("%lu", v); break;
    case Arg::Fd:
        if (static_cast<int>(v) == -100) line.add("AT_FDCWD");
        else line.add("%d", static_cast<int>(v));
        break;
    case Arg::Path: {
        char path[kShown + 1];
        auto n = copy_string_from_user(path, v, sizeof(path));
        if (n.is_error() && n.error().code != Errno::NAMETOOLONG) line.add("0x%lx", v);
        else line.add_quoted(path, n.is_error() ? kShown : n.value(), n.is_error());
        break;
    }
    case Arg::InBuf: add_user_buffer(line, v, args[index + 1]); break;
    case Arg::OutBuf:
        if (!exit || result < 0) line.add("0x%lx", v);
        else add_user_buffer(line, v, static_cast<uint64_t>(result));
        break;
    case Arg::OpenFlags: {
        static const char* const names[] = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_NOCTTY",
                                            "O_TRUNC", "O_APPEND", "O_NONBLOCK", "O_DIRECTORY",
                                            "O_NOFOLLOW", "O_CLOEXEC", "O_PATH", "O_TMPFILE"};
        static const uint64_t bits[] = {01, 02, 0100, 0200, 0400, 01000, 02000, 04000, 0200000,
                                        0400000, 02000000, 010000000, 020200000};
        if ((v & 3) == 0) {
            line.add("O_RDONLY");
            if (v & ~uint64_t{3}) line.add("|");
            if (v & ~uint64_t{3}) add_flags(line, v & ~uint64_t{3}, names, bits, 13, "");
        } else {
            add_flags(line, v, names, bits, 13, "O_RDONLY");
        }
        break;
    }
    case Arg::Prot: {
        static const char* const names[] = {"PROT_READ", "PROT_WRITE", "PROT_EXEC"};
        static const uint64_t bits[] = {1, 2, 4};
        add_flags(line, v, names, bits, 3, "PROT_NONE");
        break;
    }
    case Arg::MapFlags: {
        static const char* const names[] = {"MAP_SHARED", "MAP_PRIVATE", "MAP_FIXED", "MAP_ANONYMOUS",
                                            "MAP_GROWSDOWN", "MAP_NORESERVE", "MAP_POPULATE",
                                            "MAP_STACK", "MAP_FIXED_NOREPLACE"};
        static const uint64_t bits[] = {1, 2, 0x10, 0x20, 0x100, 0x4000, 0x8000, 0x20000, 0x100000};
        add_flags(line, v, names, bits, 9, "0");
        break;
    }
    case Arg::Signal: {
        static const char* const names[] = {"0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP",
                                            "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
                                            "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
                                            "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
                                            "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ",
                                            "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
                                            "SIGSYS"};
        if (v < 32) line.add("%s", names[v]);
        else line.add("SIGRT_%lu", v - 32);
        break;
    }
    case Arg::Whence: {
        static const char* const names[] = {"SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"};
        if (v < 5) line.add("%s", names[v]);
        else line.add("%lu", v);
        break;
    }
    default: line.add("0x%lx", v); break;
    }
}

} // namespace

void trace_syscall_entry(uint64_t number, const uint64_t args[6]) {
    // exit and exit_group never return: print them now, as strace does ("= ?").
    if (number != 60 && number != 231) return;
    Line line;
    line.add("%s(%d) = ?\n", syscall_name(number), static_cast<int>(args[0]));
    platform::write(platform::Channel::Stderr, line.text, line.length);
}

void trace_syscall_exit(uint64_t number, const uint64_t args[6], long result) {
    // Everything is decoded after the call: output buffers hold their data by then, and input
    // arguments are unchanged.
    Line line;
    line.add("%s(", syscall_name(number));
    const Signature* signature = signature_of(number);
    for (int i = 0; i < 6; i++) {
        Arg kind = signature != nullptr ? signature->args[i] : Arg::Hex;
        if (kind == Arg::None) break;
        if (i > 0) line.add(", ");
        add_argument(line, kind, args, i, result, true);
        if (kind == Arg::InBuf || kind == Arg::OutBuf) {
            // The length argument follows; print it here and skip it.
            if (i + 1 < 6 && signature->args[i + 1] != Arg::None) {
                line.add(", %lu", args[i + 1]);
                i++;
            }
        }
    }
    const char* name = result < 0 && result > -4096 ? errno_name(-result) : nullptr;
    if (name != nullptr) line.add(") = -1 %s\n", name);
    else if (number == 9 || number == 12) line.add(") = 0x%lx\n", static_cast<uint64_t>(result));
    else line.add(") = %ld\n", result);
    platform::write(platform::Channel::Stderr, line.text, line.length);
}

} // namespace wisp::linux
