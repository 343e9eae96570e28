// SPDX-License-Identifier: MIT
// execve and execveat: the one process replaces its program. There is no fork, so this is what
// a shell does for its last command (`sh -c 'cmd'` ends in execve) and what busybox does to run
// a non-NOEXEC applet (execve("/proc/self/exe", ...)).
//
// The order follows Linux's do_execveat_common(): the file name is copied and opened first
// (EFAULT, ENOENT, EACCES...), then argv and envp are copied (EFAULT, E2BIG), and the program is
// checked — all while the old program can still get the error. Then the point of no return:
// close-on-exec descriptors close, handled signals reset, the address space is emptied, and the
// new program is loaded from the image the way the first one was (exec_program).
#include <string.h>

#include "fs/system.h"
#include "lib/log.h"
#include "linux/exec.h"
#include "linux/files.h"
#include "linux/process.h"
#include "linux/signals.h"
#include "linux/syscalls.h"
#include "mm/address_space.h"
#include "platform/platform.h"
#include "sched/thread.h"

namespace wisp::linux {
namespace {

// Linux's limits: each string at most MAX_ARG_STRLEN (32 pages), all of them at most a quarter
// of the stack limit (E2BIG). The strings are copied here because the old address space goes
// away before the new stack is built; one process, one exec at a time.
constexpr size_t kMaxArgString = 32 * 4096;
constexpr size_t kStringSpace = 512 * 1024;
constexpr size_t kMaxStrings = 16 * 1024;
char g_strings[kStringSpace];
std::string_view g_views[kMaxStrings];
char g_program_path[fs::kPathMax];
char g_execfn[fs::kPathMax];

struct StringCopier {
    size_t used = 0, count = 0;

    // Copies the NULL-terminated vector of strings at `user` (a null vector is empty, as Linux).
    Result<std::span<const std::string_view>> copy(UserPtr<const uint64_t> user) {
        size_t first = count;
        for (size_t i = 0; !user.is_null(); i++) {
            uint64_t string = TRY(user.offset(i).read());
            if (string == 0) break;
            if (count == kMaxStrings) return Errno::TOOBIG;
            size_t room = kStringSpace - used;
            if (room > kMaxArgString) room = kMaxArgString;
            auto length = copy_string_from_user(g_strings + used, string, room);
            if (length.is_error())
                return length.error().code == Errno::NAMETOOLONG ? Errno::TOOBIG : length.error();
            g_strings[used + length.value()] = '\0';
            g_views[count++] = {g_strings + used, length.value()};
            used += length.value() + 1;
        }
        return std::span<const std::string_view>(g_views + first, count - first);
    }
};

Result<long> execve_at(int dirfd, UserPtr<const char> user_path, UserPtr<const uint64_t> user_argv,
                       UserPtr<const uint64_t> user_envp, int flags) {
    if (flags & ~(kAtSymlinkNoFollow | kAtEmptyPathFlag)) return Errno::INVAL;
    PathArg path;
    TRY(path.copy(user_path));
    fs::FsContext& ctx = files().context;
    fs::Path base = TRY(start_for(dirfd, path.view()));
    unsigned walk = (flags & kAtSymlinkNoFollow ? 0 : fs::kFollow) |
                    (flags & kAtEmptyPathFlag ? fs::kEmptyPath : 0);
    fs::Path file = TRY(vfs().resolve(ctx, base, path.view(), walk));
    if (file.vnode().is_symlink()) return Errno::LOOP; // AT_SYMLINK_NOFOLLOW on a symlink
    if (!file.vnode().is_regular()) return Errno::ACCES;
    fs::Attributes attributes;
    TRY(vfs().stat(file, attributes));
    if ((attributes.mode & 0111) == 0) return Errno::ACCES; // root too needs an x bit

    char buffer[fs::kPathMax];
    std::string_view canonical = TRY(vfs().path_of(ctx, file, buffer, sizeof(buffer), false));
    if (canonical.size() >= sizeof(g_program_path)) return Errno::NAMETOOLONG;

    StringCopier strings;
    auto argv = TRY(strings.copy(user_argv));
    auto envp = TRY(strings.copy(user_envp));

    const char* reason = nullptr;
    auto program = prepare_program(boot_image(), canonical, &reason);
    if (program.is_error()) {
        // Only the image's own files can be loaded (mapped from its pages); a program written
        // to /tmp at run time is refused with a note naming why.
        if (program.error().code != Errno::NOEXEC)
            log("wisp: execve %.*s: %s\n", static_cast<int>(canonical.size()), canonical.data(),
                reason);
        return program.error().code == Errno::NOENT ? Errno::ACCES : program.error();
    }
    if (sched::live_threads() > 1) {
        // FIXME: Linux ends the other threads (de_thread); until the scheduler can, refuse.
        log("wisp: execve from a process with several threads is not supported yet\n");
        return Errno::AGAIN;
    }

    memcpy(g_program_path, canonical.data(), canonical.size());
    g_program_path[canonical.size()] = '\0';
    // AT_EXECFN and the thread name come from the name the caller used, as on Linux.
    std::string_view execfn = path.view();
    if (flags & kAtEmptyPathFlag && execfn.empty()) execfn = canonical;
    memcpy(g_execfn, execfn.data(), execfn.size());
    g_execfn[execfn.size()] = '\0';

    // ---- the point of no return ----
    files().fds.close_on_exec();
    reset_signals_for_exec();
    sched::LinuxThread& self = sched::current()->linux;
    self.robust_list = self.robust_list_len = 0;
    self.clear_child_tid = 0;
    platform::set_user_tls(0);
    mm::address_space().clear();
    ExecFailure failure = load_program(program.value(), {g_program_path, canonical.size()},
                                       {g_execfn, execfn.size()}, argv, envp);
    // The old program is gone: Linux forces SIGSEGV here (e.g. out of memory for the stack).
    kill_process(11, failure.reason);
}

} // namespace

Result<long> sys_execve(UserPtr<const char> path, UserPtr<const uint64_t> argv,
                        UserPtr<const uint64_t> envp) {
    return execve_at(kAtFdCwdValue, path, argv, envp, 0);
}

Result<long> sys_execveat(int dirfd, UserPtr<const char> path, UserPtr<const uint64_t> argv,
                          UserPtr<const uint64_t> envp, int flags) {
    return execve_at(dirfd, path, argv, envp, flags);
}

} // namespace wisp::linux
