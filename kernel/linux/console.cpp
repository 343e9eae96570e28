// SPDX-License-Identifier: MIT
#include "linux/console.h"

#include <wisp/abi/platform.h>

#include "drivers/interrupts.h"
#include "drivers/virtio/console.h"
#include "fs/devices.h"
#include "fs/open_file.h"
#include "fs/system.h"
#include "lib/log.h"
#include "lib/print.h"
#include "linux/blocking.h"
#include "linux/files.h"
#include "linux/signals.h"
#include "linux/terminal.h"
#include "platform/platform.h"
#include "platform/traps.h"

namespace wisp::linux {

namespace {

class ChannelSink final : public fs::ByteSink {
  public:
    explicit ChannelSink(platform::Channel channel) : m_channel(channel) {}
    void put(const char* data, size_t length) override { platform::write(m_channel, data, length); }

  private:
    platform::Channel m_channel;
};

using drivers::virtio::Console;

// Output goes to the virtio console when there is one (a VM exit per write), else to the
// serial port (on KVM a VM exit per byte: `rep outsb` is emulated one element at a time).
Result<size_t> write_to(platform::Channel channel, fs::IoBuffer& buffer) {
    if (buffer.size() == 0) return 0;
    Console* console = channel == platform::Channel::Stderr ? drivers::virtio::stderr_console()
                                                            : drivers::virtio::stdout_console();
    if (console) return console->write(buffer);
    ChannelSink sink(channel);
    return buffer.stream(0, buffer.size(), sink);
}

// The host's stdin: what the virtio console received, then EOF. Blocks (interruptibly, like a
// pipe) while nothing has arrived; without a virtio console there is no input: EOF at once.
Result<size_t> read_stdin(fs::OpenFile& file, fs::IoBuffer& buffer) {
    Console* console = drivers::virtio::stdout_console();
    if (!console || buffer.size() == 0) return 0;
    for (;;) {
        size_t n = TRY(console->read(buffer));
        if (n > 0) return n;
        if (console->at_end()) return 0;
        if (file.non_blocking()) return Errno::AGAIN;
        TRY(wait_for(console->readable_queue(), 0, nullptr)); // the host ends this wait
    }
}

constexpr uint32_t kPollIn = 0x1, kPollOut = 0x4, kPollHup = 0x10, kPollRdNorm = 0x40,
                   kPollWrNorm = 0x100;

uint32_t input_events();

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
    Result<size_t> read(fs::OpenFile& file, uint64_t, fs::IoBuffer& buffer) override {
        return m_fd == 0 ? read_stdin(file, buffer) : Result<size_t>(0);
    }
    uint32_t poll_events(fs::OpenFile&) override {
        if (m_fd != 0) return kPollOut | kPollWrNorm;
        return input_events();
    }
    // FIONREAD as on a pipe: what is buffered (the write ends see none).
    Result<size_t> input_available(fs::OpenFile&) override {
        Console* console = drivers::virtio::stdout_console();
        return m_fd == 0 && console ? console->available() : 0;
    }
    fs::WaitQueue* read_queue() override {
        Console* console = drivers::virtio::stdout_console();
        return m_fd == 0 && console ? &console->readable_queue() : nullptr;
    }
    Result<size_t> write(fs::OpenFile&, uint64_t, fs::IoBuffer& buffer) override {
        return write_to(m_fd == 2 ? platform::Channel::Stderr : platform::Channel::Stdout, buffer);
    }
    bool is_stream() const override { return true; }

  private:
    int m_fd;
    uint64_t m_ino;
    fs::Timestamp m_time;
};

// The terminal's input (the host terminal's line discipline did the editing): a canonical read
// returns at most one line, or 0 once at an end-of-file key; a non-canonical one follows
// VMIN/VTIME (termios(3) "Noncanonical mode", Linux n_tty_read()).
// FIXME: the host forwards its terminal's keyboard only as its stdin; when stdin is something
// else (`cmd | wisp run less`), the terminal has no input here and reads end at once.
Result<size_t> read_terminal(fs::OpenFile& file, fs::IoBuffer& buffer) {
    Console* console = drivers::virtio::stdout_console();
    if (!console || buffer.size() == 0 || !terminal().is_terminal_fd(0)) return 0;
    const abi::Termios& t = terminal().termios();
    bool canonical = t.c_lflag & kIcanon;
    size_t vmin = canonical ? 1 : t.c_cc[kVmin];
    uint64_t vtime_ns = canonical ? 0 : uint64_t{t.c_cc[kVtime]} * 100'000'000;
    if (vmin > buffer.size()) vmin = buffer.size();
    // VMIN = 0: the timer runs from the call; VMIN > 0: between bytes, from the first one.
    uint64_t deadline = vmin == 0 && vtime_ns ? deadline_after(vtime_ns) : 0;
    size_t seen = 0;
    for (;;) {
        if (console->take_eof_mark()) return 0;
        size_t available = console->available();
        bool timed_out = deadline != 0 && platform::monotonic_ns() >= deadline;
        if (available >= vmin || (available > 0 && (timed_out || canonical)) ||
            (vmin == 0 && (vtime_ns == 0 || timed_out)))
            return console->read(buffer, canonical);
        if (console->at_end()) return console->read(buffer, canonical);
        if (file.non_blocking()) return Errno::AGAIN;
        if (vmin > 0 && vtime_ns && available != seen) {
            seen = available;
            deadline = deadline_after(vtime_ns);
        }
        TRY(wait_for(console->readable_queue(), deadline, nullptr)); // the host ends this wait
    }
}

uint32_t input_events() {
    Console* console = drivers::virtio::stdout_console();
    if (console && console->input_ready()) return kPollIn | kPollRdNorm;
    // Like a pipe whose writer closed: readable (EOF) shows as a hang-up.
    if (!console || console->at_end()) return kPollHup;
    return 0;
}

// /dev/console: the host's stdout; when the host's stdin/stdout is a terminal, that terminal
// (the descriptors 0, 1, 2 that are the host's terminal are opens of this device).
class ConsoleDevice final : public fs::FileOps {
  public:
    Result<size_t> read(fs::OpenFile& file, uint64_t, fs::IoBuffer& buffer) override {
        return terminal().present() ? read_terminal(file, buffer) : Result<size_t>(0);
    }
    Result<size_t> write(fs::OpenFile&, uint64_t, fs::IoBuffer& buffer) override {
        return write_to(platform::Channel::Stdout, buffer);
    }
    bool is_stream() const override { return true; }
    bool is_terminal() const override { return terminal().present(); }
    uint32_t poll_events(fs::OpenFile&) override {
        if (!terminal().is_terminal_fd(0)) return kPollIn | kPollOut | kPollRdNorm | kPollWrNorm;
        return input_events() | kPollOut | kPollWrNorm;
    }
    fs::WaitQueue* read_queue() override {
        Console* console = drivers::virtio::stdout_console();
        return terminal().is_terminal_fd(0) && console ? &console->readable_queue() : nullptr;
    }
    Result<size_t> input_available(fs::OpenFile&) override {
        Console* console = drivers::virtio::stdout_console();
        if (!terminal().present()) return Errno::NOTTY;
        return console && terminal().is_terminal_fd(0) ? console->available() : 0;
    }
};

ConsoleDevice g_console_device;

// /dev/tty: the controlling terminal — the console when the host's is a terminal, otherwise
// none (ENXIO, as Linux for a process without one).
class TtyDevice final : public fs::FileOps {
  public:
    Result<void> open(fs::OpenFile&) override {
        if (!terminal().is_controlling()) return Errno::NXIO;
        return {};
    }
    Result<size_t> read(fs::OpenFile& file, uint64_t offset, fs::IoBuffer& buffer) override {
        return g_console_device.read(file, offset, buffer);
    }
    Result<size_t> write(fs::OpenFile& file, uint64_t offset, fs::IoBuffer& buffer) override {
        return g_console_device.write(file, offset, buffer);
    }
    bool is_stream() const override { return true; }
    bool is_terminal() const override { return terminal().present(); }
    uint32_t poll_events(fs::OpenFile& file) override {
        return g_console_device.poll_events(file);
    }
    fs::WaitQueue* read_queue() override { return g_console_device.read_queue(); }
    Result<size_t> input_available(fs::OpenFile& file) override {
        return g_console_device.input_available(file);
    }
};

TtyDevice g_tty_device;

// A record from the host on the control channel (abi/platform.h).
void control_record(std::string_view record) {
    size_t equals = record.find('=');
    if (equals == std::string_view::npos) return;
    std::string_view key(record.data(), equals);
    std::string_view text(record.data() + equals + 1, record.size() - equals - 1);
    if (key == "tty.termios") {
        abi::Termios termios;
        if (abi::termios_from_hex(text.data(), text.size(), termios))
            terminal().host_changed(termios);
        return;
    }
    if (key == "tty.winsize") {
        abi::WindowSize size;
        if (parse_window_size(text, size)) terminal().resize(size);
        return;
    }
    uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9' || value > (1ull << 48)) return;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (key == "signal" && value >= 1 && value <= static_cast<uint64_t>(kSignalCount)) {
        // What a terminal's Ctrl-C sends: si_code SI_KERNEL, no sender.
        SignalInfo info;
        info.signal = static_cast<int>(value);
        info.code = kSiKernel;
        send_signal(info);
    } else if (key == "stdin.eof") {
        if (Console* console = drivers::virtio::stdout_console()) console->set_input_end(value);
    } else if (key == "tty.eof") {
        if (Console* console = drivers::virtio::stdout_console()) console->add_eof_mark(value);
    }
}

void control_interrupt(void*) {
    static char line[128]; // the longest record: tty.termios (84 bytes)
    static size_t length = 0;
    static bool overlong = false;
    for (int c; (c = platform::read_control_byte()) >= 0;) {
        if (c == '\n') {
            if (!overlong) control_record({line, length});
            length = 0;
            overlong = false;
        } else if (length < sizeof line) {
            line[length++] = static_cast<char>(c);
        } else {
            overlong = true;
        }
    }
}

} // namespace

void init_console(std::span<const std::string_view> virtio_params, std::string_view tty) {
    drivers::virtio::probe_consoles(virtio_params);
    // Without a console device there is no terminal input: the descriptors stay streams.
    if (!tty.empty() && drivers::virtio::stdout_console() && !terminal().configure(tty))
        log("wisp: ignoring a malformed console.tty option\n");
    // Without an interrupt controller there is no Ctrl-C from the host; everything else works.
    if (drivers::attach_interrupt(abi::kGsiControl, false, control_interrupt, nullptr))
        platform::enable_control_input();
}

Result<void> open_console_descriptors(fs::Vfs& vfs) {
    fs::RefPtr<fs::OpenFile> tty;
    if (terminal().present()) {
        // One open file description for all of them, as a shell's dup()s of its terminal.
        fs::Path root = vfs.root_path();
        fs::FsContext context;
        context.root = context.cwd = root;
        tty = TRY(vfs.open(context, root, "/dev/console", fs::kOpenReadWrite, 0));
    }
    for (int fd = 0; fd < 3; fd++) {
        if (terminal().is_terminal_fd(fd)) {
            TRY(files().fds.install(fd, tty, false));
            continue;
        }
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

namespace wisp {
// Signals a device interrupt raised (Ctrl-C on the host) reach a program that is busy in user
// mode on the way back to it; a blocked one was woken by send_signal.
void after_device_interrupt(TrapFrame& frame) {
    if (frame.from_user()) linux::deliver_pending_signals(frame);
}
} // namespace wisp
