// SPDX-License-Identifier: MIT
#include "linux/console.h"

#include "fs/devices.h"
#include "fs/system.h"
#include "lib/print.h"
#include "linux/files.h"
#include "platform/platform.h"

namespace wisp::linux {

namespace {

class ChannelSink final : public fs::ByteSink {
  public:
    explicit ChannelSink(platform::Channel channel) : m_channel(channel) {}
    void put(const char* data, size_t length) override { platform::write(m_channel, data, length); }

  private:
    platform::Channel m_channel;
};

Result<size_t> write_to(platform::Channel channel, fs::IoBuffer& buffer) {
    if (buffer.size() == 0) return 0;
    ChannelSink sink(channel);
    return buffer.stream(0, buffer.size(), sink);
}

// One of the host streams the application starts with.
class ConsoleStream final : public fs::Vnode {
  public:
    ConsoleStream(fs::AnonFs& fs, int fd)
        : Vnode(fs, fs::kTypeFifo), m_fd(fd), m_ino(fs.next_ino()), m_time(fs::current_time()) {}

    Result<void> getattr(fs::Attributes& out) override {
        out.ino = m_ino;
        out.mode = fs::kTypeFifo | 0600;
        out.nlink = 1;
        out.blksize = 4096;
        out.atime = out.mtime = out.ctime = m_time;
        return {};
    }
    Result<void> setattr(const fs::AttributeChange&) override { return {}; }
    // FIXME: the host's stdin (issue 3, part 4); until the monitor forwards it, stdin is empty.
    Result<size_t> read(fs::OpenFile&, uint64_t, fs::IoBuffer&) override { return 0; }
    Result<size_t> write(fs::OpenFile&, uint64_t, fs::IoBuffer& buffer) override {
        return write_to(m_fd == 2 ? platform::Channel::Stderr : platform::Channel::Stdout, buffer);
    }
    bool is_stream() const override { return true; }

  private:
    int m_fd;
    uint64_t m_ino;
    fs::Timestamp m_time;
};

// /dev/console: the host's stdout.
class ConsoleDevice final : public fs::FileOps {
  public:
    Result<size_t> read(fs::OpenFile&, uint64_t, fs::IoBuffer&) override { return 0; }
    Result<size_t> write(fs::OpenFile&, uint64_t, fs::IoBuffer& buffer) override {
        return write_to(platform::Channel::Stdout, buffer);
    }
    bool is_stream() const override { return true; }
};

// /dev/tty: the controlling terminal, which a wisp application does not have.
class TtyDevice final : public fs::FileOps {
  public:
    Result<void> open(fs::OpenFile&) override { return Errno::NXIO; }
};

ConsoleDevice g_console_device;
TtyDevice g_tty_device;

} // namespace

Result<void> open_console_descriptors(fs::Vfs& vfs) {
    for (int fd = 0; fd < 3; fd++) {
        fs::RefPtr<fs::Vnode> stream(new (std::nothrow) ConsoleStream(vfs.anon(), fd));
        if (!stream) return Errno::NOMEM;
        fs::Attributes a;
        TRY(stream->getattr(a));
        char name[32];
        fs::RefPtr<fs::Dentry> dentry =
            fs::Dentry::create(nullptr, fs::anonymous_name(a.ino, name), stream);
        if (!dentry) return Errno::NOMEM;
        int flags = (fd == 0 ? fs::kOpenReadOnly : fs::kOpenWriteOnly) | fs::kOpenLargeFile;
        auto file = TRY(fs::OpenFile::create(nullptr, dentry, stream, flags));
        TRY(files().fds.install(fd, file, false));
    }
    return {};
}

Result<void> register_console_devices(fs::Vfs& vfs) {
    TRY(vfs.register_device(fs::kDevConsole, g_console_device));
    TRY(vfs.register_device(fs::kDevTty, g_tty_device));
    return {};
}

} // namespace wisp::linux
