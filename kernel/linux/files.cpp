// SPDX-License-Identifier: MIT
#include "linux/files.h"

#include "fs/devices.h"
#include "fs/image_fs.h"
#include "fs/overlay.h"
#include "fs/tmpfs.h"
#include "lib/log.h"
#include "linux/console.h"
#include "linux/process.h"
#include "linux/procfs.h"
#include "sched/thread.h"

namespace wisp::linux {

using fs::Own;

namespace {

// Upper-layer inode numbers start far above the image's (its nids), so they never collide.
constexpr uint64_t kUpperFirstIno = 1ull << 32;

Result<fs::Own<fs::FileSystem>> make_tmpfs(uint32_t root_mode) {
    fs::Tmpfs::Options options;
    options.root_mode = root_mode;
    return Own<fs::FileSystem>(TRY(fs::Tmpfs::create(options)).leak());
}

Result<fs::Own<fs::FileSystem>> make_tmp() {
    return make_tmpfs(01777);
}
Result<fs::Own<fs::FileSystem>> make_run() {
    return make_tmpfs(0755);
}

// devtmpfs: a tmpfs holding the device nodes, the standard symlinks and /dev/shm, /dev/pts.
Result<fs::Own<fs::FileSystem>> make_dev() {
    fs::Tmpfs::Options options;
    options.root_mode = 0755;
    options.name = "devtmpfs";
    Own<fs::Tmpfs> dev = TRY(fs::Tmpfs::create(options));
    fs::TmpfsNode& root = dev->root_node();
    struct Node {
        const char* name;
        uint32_t mode;
        uint64_t rdev;
        const char* target;
    };
    static constexpr Node kNodes[] = {
        {"null", fs::kTypeChar | 0666, fs::kDevNull, nullptr},
        {"zero", fs::kTypeChar | 0666, fs::kDevZero, nullptr},
        {"full", fs::kTypeChar | 0666, fs::kDevFull, nullptr},
        {"random", fs::kTypeChar | 0666, fs::kDevRandom, nullptr},
        {"urandom", fs::kTypeChar | 0666, fs::kDevUrandom, nullptr},
        {"tty", fs::kTypeChar | 0666, fs::kDevTty, nullptr},
        {"console", fs::kTypeChar | 0600, fs::kDevConsole, nullptr},
        {"fd", fs::kTypeSymlink | 0777, 0, "/proc/self/fd"},
        {"stdin", fs::kTypeSymlink | 0777, 0, "/proc/self/fd/0"},
        {"stdout", fs::kTypeSymlink | 0777, 0, "/proc/self/fd/1"},
        {"stderr", fs::kTypeSymlink | 0777, 0, "/proc/self/fd/2"},
        {"pts", fs::kTypeDirectory | 0755, 0, nullptr},
    };
    for (const Node& n : kNodes) {
        fs::NewNode node;
        node.mode = n.mode;
        node.rdev = n.rdev;
        if (n.target) node.link_target = n.target;
        TRY(root.create(n.name, node));
    }
    return Own<fs::FileSystem>(dev.leak());
}

Result<fs::Own<fs::FileSystem>> make_shm() {
    return make_tmpfs(01777);
}

} // namespace

namespace {
// Constant-initialized (no code runs to construct it: the tables arrive as zero and constant
// data in the kernel image) and never destroyed (the kernel does not exit through destructors).
union FilesStorage {
    Files files;
    constexpr FilesStorage() : files() {}
    ~FilesStorage() {}
};
constinit FilesStorage g_files;
} // namespace

Files& files() {
    return g_files.files;
}

Result<void> init_files(const fs::erofs::Image& image) {
    Files& f = files();
    fs::Tmpfs::Options upper_options;
    upper_options.first_ino = kUpperFirstIno;
    Own<fs::Tmpfs> upper = TRY(fs::Tmpfs::create(upper_options));
    Own<fs::ImageFs> lower = TRY(fs::ImageFs::create(image));
    Own<fs::OverlayFs> root = TRY(fs::OverlayFs::create(static_cast<Own<fs::Tmpfs>&&>(upper),
                                                        Own<fs::FileSystem>(lower.leak())));
    TRY(f.vfs.mount_root(Own<fs::FileSystem>(root.leak()), 0, "overlay"));
    f.context.root = f.context.cwd = f.vfs.root_path();
    f.context.umask = 022;

    using fs::Mount;
    const fs::Vfs::Automount automounts[] = {
        {"/", "dev", &make_dev, Mount::kNoSuid, "udev", 0755},
        {"/", "proc", &make_procfs, Mount::kNoSuid | Mount::kNoDev | Mount::kNoExec, "proc", 0555},
        {"/", "sys", &make_sysfs, Mount::kNoSuid | Mount::kNoDev | Mount::kNoExec, "sysfs", 0555},
        {"/", "tmp", &make_tmp, Mount::kNoSuid | Mount::kNoDev, "tmpfs", 01777, true},
        {"/", "run", &make_run, Mount::kNoSuid | Mount::kNoDev, "tmpfs", 0755, true},
        {"/dev", "shm", &make_shm, Mount::kNoSuid | Mount::kNoDev, "tmpfs", 01777},
    };
    for (const auto& a : automounts)
        TRY(f.vfs.add_automount(a));
    f.vfs.set_fifo_block([](fs::WaitQueue& q) {
        return wait_on(&q, "open of a fifo whose other end nobody opens");
    });
    TRY(fs::register_memory_devices(f.vfs));
    TRY(register_console_devices(f.vfs));
    TRY(open_console_descriptors(f.vfs));
    return {};
}

Result<void> PathArg::copy(UserPtr<const char> user) {
    m_length = TRY(copy_string_from_user(m_text, user.address(), sizeof(m_text)));
    return {};
}

fs::Path path_of_file(const fs::OpenFile& file) {
    return {file.mount(), file.dentry_ref()};
}

Result<fs::RefPtr<fs::OpenFile>> file_for(int fd) {
    return files().fds.file(fd);
}

Result<fs::Path> start_for(int dirfd, std::string_view path) {
    if (!path.empty() && path[0] == '/') return files().context.root;
    if (dirfd == kAtFdCwdValue) return files().context.cwd;
    fs::OpenFile* file = files().fds.get(dirfd);
    if (!file) return Errno::BADF;
    if (!file->dentry()) return Errno::NOTDIR;
    return path_of_file(*file);
}

bool wait_on(fs::WaitQueue* queue, const char* what) {
    if (!queue || sched::live_threads() <= 1) die_of_deadlock(what);
    sched::Thread* self = sched::current();
    fs::Waiter waiter;
    waiter.context = self;
    waiter.wake = [](fs::Waiter& w) { sched::wake(static_cast<sched::Thread*>(w.context)); };
    queue->add(waiter);
    self->linux.interruptible = true;
    sched::block(0);
    self->linux.interruptible = false;
    if (waiter.queued) queue->remove(waiter);
    return waiter.woken;
}

void die_of_deadlock(const char* what) {
    log("wisp: deadlock: %s with no other thread to end the wait\n", what);
    kill_process(9, "(deadlock)");
}

} // namespace wisp::linux
