// SPDX-License-Identifier: MIT
#include "qemu.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wisp/abi/platform.h>

#include "exit_status.h"
#include "vmm.h"

namespace wisp::cli {

using vmm::UserError;

namespace {

std::string hex(uint16_t port) {
    char buffer[16];
    snprintf(buffer, sizeof(buffer), "0x%x", port);
    return buffer;
}

uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                since)
        .count();
}

// A pipe whose ends close themselves.
struct Pipe {
    int read_end = -1, write_end = -1;
    Pipe() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            throw UserError(std::string("cannot create a pipe for QEMU: ") + strerror(errno));
        read_end = fds[0];
        write_end = fds[1];
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    void close_read() {
        if (read_end >= 0) close(read_end);
        read_end = -1;
    }
    void close_write() {
        if (write_end >= 0) close(write_end);
        write_end = -1;
    }
};

// What QEMU gets as fds 3.. : COM1 and COM2 (pipes, output only), COM3 (the control channel) and
// the two virtio consoles, stdin+stdout and stderr (sockets).
constexpr int kChannels = 5;
enum Channel { kCom1, kCom2, kCom3, kConsole, kErrors };

// Where QEMU's microvm puts the first virtio-mmio device: its transports are 512 bytes apart
// from 0xfeb00000 and a device goes to the last free one of eight (index 7, measured with
// auto-kernel-cmdline, which appends such a token after our argv — hence our own copy). Its
// interrupt is IOAPIC input 16 + index with ACPI on and the second IOAPIC off (QEMU 7.2,
// hw/i386/microvm.c: virtio_irq_base; 5 + index without ACPI, 24 + index on the second IOAPIC).
// The second device (the stderr console) takes index 6. The kernel takes the first console
// announced as stdin/stdout, the second as stderr.
constexpr const char* kQemuConsoleTokens =
    "virtio_mmio.device=512@0xfeb00e00:23 virtio_mmio.device=512@0xfeb00c00:22";

// Ctrl-C while QEMU runs: the handler only writes the signal number here.
int g_signal_pipe[2] = {-1, -1};
void forward_signal(int signal) {
    int saved = errno;
    unsigned char byte = static_cast<unsigned char>(signal);
    ssize_t ignored = write(g_signal_pipe[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

// Searches PATH like execvp, before fork (the child may only make async-signal-safe calls).
std::string find_executable(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
        if (colon == std::string_view::npos) break;
        dirs.remove_prefix(colon + 1);
    }
    throw UserError(name + " not found; install QEMU (apt-get install qemu-system-x86, or "
                           "scripts/setup.sh)");
}

// Starts QEMU with stdin from /dev/null, stdout and stderr on our stderr (its own messages never
// mix with the app's stdout) and channel_fd[i] as fd 3 + i, in a process group of its own (a
// Ctrl-C on the terminal is ours to forward to the app, not a reason for QEMU to quit). fork/exec rather than posix_spawn for
// PR_SET_PDEATHSIG: if wisp dies (killed by a test timeout, say) QEMU dies with it instead of
// running a hung guest forever.
pid_t spawn_qemu(const std::string& qemu, std::vector<char*>& argv,
                 const int channel_fd[kChannels]) {
    std::string path = find_executable(qemu);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) throw UserError(std::string("cannot open /dev/null: ") + strerror(errno));
    // exec failures come back over this pipe (close-on-exec: EOF means exec succeeded).
    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) != 0) {
        close(null_fd);
        throw UserError(std::string("cannot start QEMU: ") + strerror(errno));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127); // the parent is already gone
        setpgid(0, 0);
        // dup2 clears close-on-exec on the new descriptor; channel_fd are >= 10: no clobbering.
        bool ok = dup2(null_fd, 0) == 0 && dup2(2, 1) == 1;
        for (int i = 0; ok && i < kChannels; i++)
            ok = dup2(channel_fd[i], 3 + i) == 3 + i;
        if (ok) execv(path.c_str(), argv.data());
        int error = errno;
        ssize_t ignored = write(status_pipe[1], &error, sizeof(error));
        (void)ignored;
        _exit(127);
    }
    int fork_error = errno;
    close(null_fd);
    close(status_pipe[1]);
    if (pid < 0) {
        close(status_pipe[0]);
        throw UserError(std::string("cannot start QEMU: ") + strerror(fork_error));
    }
    int exec_error = 0;
    ssize_t n;
    do {
        n = read(status_pipe[0], &exec_error, sizeof(exec_error));
    } while (n < 0 && errno == EINTR);
    close(status_pipe[0]);
    if (n == sizeof(exec_error)) {
        waitpid(pid, nullptr, 0);
        throw UserError("cannot start " + path + ": " + strerror(exec_error));
    }
    return pid;
}

} // namespace

std::vector<std::string> qemu_argv(const QemuConfig& config) {
    // Memory in MiB, rounded up: QEMU's -m takes MiB by default.
    uint64_t mib = (config.memory_bytes + (1ull << 20) - 1) >> 20;
    // Flags and their values in pairs, one pair a line.
    // clang-format off
    std::vector<std::string> argv = {
        config.qemu,
        "-M", "microvm,x-option-roms=off,rtc=off,ioapic2=off",
        "-accel", config.kvm ? "kvm" : "tcg",
        "-cpu", config.cpu,
        "-m", std::to_string(mib) + "M",
        "-smp", std::to_string(config.cpus),
        "-nodefaults", "-no-user-config", "-nographic",
        // A triple fault must end the run, not reboot the guest into the same failure.
        "-no-reboot",
        "-kernel", config.kernel_path,
    };
    if (!config.image_path.empty()) argv.insert(argv.end(), {"-initrd", config.image_path});
    argv.insert(argv.end(), {"-append", std::string(kQemuConsoleTokens) + " " + config.cmdline});
    // The serial ports and debug-exit port of abi/platform.h.
    argv.insert(argv.end(), {
        "-chardev", "file,id=com1,path=" + config.com1_path,
        "-serial", "chardev:com1",
        "-chardev", "file,id=com2,path=" + config.com2_path,
        "-device", "isa-serial,chardev=com2,iobase=" + hex(abi::kPortCom2) + ",irq=3",
        "-chardev", "socket,id=com3,fd=" + std::to_string(config.com3_fd),
        "-device", "isa-serial,chardev=com3,iobase=" + hex(abi::kPortCom3) + ",irq=4",
        "-device", "isa-debug-exit,iobase=" + hex(abi::kPortDebugExit) + ",iosize=2",
        // The consoles (stdin and stdout; stderr): virtio-console on virtio-mmio, the modern
        // interface, one virtio-serial device each (the kernel drives port 0 only).
        "-global", "virtio-mmio.force-legacy=false",
        "-chardev", "socket,id=console,fd=" + std::to_string(config.console_fd),
        "-device", "virtio-serial-device,id=serial0,max_ports=1",
        "-device", "virtconsole,chardev=console,bus=serial0.0",
        "-chardev", "socket,id=errors,fd=" + std::to_string(config.errors_fd),
        "-device", "virtio-serial-device,id=serial1,max_ports=1",
        "-device", "virtconsole,chardev=errors,bus=serial1.0",
    });
    // clang-format on
    return argv;
}

QemuResult run_qemu(QemuConfig config, const std::function<void(std::string_view)>& on_stdout,
                    const std::function<void(std::string_view)>& on_stderr) {
    auto start = std::chrono::steady_clock::now();
    QemuResult result;
    Pipe com[2];
    int sockets[3][2]; // COM3 and the consoles: [0] ours, [1] QEMU's
    for (auto& pair : sockets)
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
            throw UserError(std::string("cannot create a socket pair for QEMU: ") +
                            strerror(errno));

    // In the child the write ends become fds 3, 4 (QEMU opens them as /dev/fd/N, a fresh open
    // of the same pipe), the sockets fds 5, 6 and 7. Everything else we hold is close-on-exec.
    config.com1_path = "/dev/fd/3";
    config.com2_path = "/dev/fd/4";
    config.com3_fd = 5;
    config.console_fd = 6;
    config.errors_fd = 7;
    std::vector<std::string> args = qemu_argv(config);
    std::vector<char*> argv;
    for (std::string& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    // dup2 into 3..6 could clobber another descriptor that happens to sit there: move QEMU's
    // ends out of the way first.
    int high_fd[kChannels];
    int* qemu_end[kChannels] = {&com[0].write_end, &com[1].write_end, &sockets[0][1],
                                &sockets[1][1], &sockets[2][1]};
    for (int i = 0; i < kChannels; i++) {
        high_fd[i] = fcntl(*qemu_end[i], F_DUPFD_CLOEXEC, 10);
        if (high_fd[i] < 0) throw UserError(std::string("cannot start QEMU: ") + strerror(errno));
        close(*qemu_end[i]);
        *qemu_end[i] = high_fd[i];
    }
    pid_t pid = spawn_qemu(config.qemu, argv, high_fd);
    result.ns_started = elapsed_ns(start);
    for (int i = 0; i < kChannels; i++) {
        close(*qemu_end[i]);
        *qemu_end[i] = -1;
    }
    int our_end[kChannels] = {com[0].read_end, com[1].read_end, sockets[0][0], sockets[1][0],
                              sockets[2][0]};
    for (int fd : {sockets[0][0], sockets[1][0], sockets[2][0]})
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    // Ctrl-C becomes a `signal=2` record for the kernel while QEMU runs (and, with a terminal,
    // Ctrl-\ `signal=3`, a window resize `tty.winsize=...`).
    std::vector<struct sigaction> old_actions(config.forward_signals.size());
    bool forwarding =
        !config.forward_signals.empty() && pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) == 0;
    if (forwarding) {
        struct sigaction action {};
        action.sa_handler = forward_signal;
        action.sa_flags = SA_RESTART;
        sigemptyset(&action.sa_mask);
        for (size_t i = 0; i < config.forward_signals.size(); i++)
            sigaction(config.forward_signals[i], &action, &old_actions[i]);
    }
    result.control.on_record = config.on_control_record;

    // The host's stdin goes to the console; its end, with the total, to COM3 (`stdin.eof=N`:
    // virtio-console cannot say "end of input").
    std::string to_console, to_control;
    bool reading_stdin = config.stdin_fd >= 0;
    uint64_t stdin_bytes = 0;
    if (!reading_stdin) to_control += "stdin.eof=0\n";
    auto send_some = [](int fd, std::string& pending) {
        ssize_t n = send(fd, pending.data(), pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) pending.erase(0, static_cast<size_t>(n));
        else if (n < 0 && errno != EAGAIN && errno != EINTR) pending.clear(); // QEMU is gone
    };

    // Forward until QEMU has closed all the channels (it exits; nothing else holds them).
    static char buffer[65536];
    bool open[kChannels] = {true, true, true, true, true};
    int open_count = kChannels;
    while (open_count > 0) {
        pollfd fds[kChannels + 2];
        for (int i = 0; i < kChannels; i++)
            fds[i] = {open[i] ? our_end[i] : -1, POLLIN, 0};
        if (!to_control.empty()) fds[kCom3].events |= POLLOUT;
        if (!to_console.empty()) fds[kConsole].events |= POLLOUT;
        bool room = to_console.size() < 256 * 1024;
        fds[kChannels] = {reading_stdin && room ? config.stdin_fd : -1, POLLIN, 0};
        fds[kChannels + 1] = {forwarding ? g_signal_pipe[0] : -1, POLLIN, 0};
        if (poll(fds, kChannels + 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[kChannels + 1].revents & POLLIN) {
            unsigned char signals[16];
            ssize_t n = read(g_signal_pipe[0], signals, sizeof signals);
            for (ssize_t i = 0; i < n; i++) {
                if (!config.signal_records) {
                    to_control += "signal=" + std::to_string(signals[i]) + "\n";
                    continue;
                }
                for (const std::string& record : config.signal_records(signals[i]))
                    to_control += record + "\n";
            }
        }
        if (fds[kChannels].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(config.stdin_fd, buffer, sizeof buffer);
            if (n > 0) {
                to_console.append(buffer, static_cast<size_t>(n));
                stdin_bytes += static_cast<uint64_t>(n);
            } else if (n == 0 && config.stdin_is_terminal &&
                       !(fds[kChannels].revents & POLLHUP)) {
                // The terminal's end-of-file key: one EOF, and the terminal goes on.
                to_control += "tty.eof=" + std::to_string(stdin_bytes) + "\n";
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                reading_stdin = false;
                to_control += "stdin.eof=" + std::to_string(stdin_bytes) + "\n";
            }
        }
        if (open[kCom3] && (fds[kCom3].revents & POLLOUT)) send_some(our_end[kCom3], to_control);
        if (open[kConsole] && (fds[kConsole].revents & POLLOUT))
            send_some(our_end[kConsole], to_console);
        for (int i = 0; i < kChannels; i++) {
            if (!open[i] || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(our_end[i], buffer, sizeof buffer);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) {
                open[i] = false;
                open_count--;
                continue;
            }
            std::string_view chunk(buffer, static_cast<size_t>(n));
            if (i == kCom1 || i == kConsole)
                on_stdout(chunk);
            else if (i == kCom2 || i == kErrors)
                on_stderr(chunk);
            else
                result.control.feed(chunk);
        }
    }
    if (forwarding) {
        for (size_t i = 0; i < config.forward_signals.size(); i++)
            sigaction(config.forward_signals[i], &old_actions[i], nullptr);
        close(g_signal_pipe[0]);
        close(g_signal_pipe[1]);
        g_signal_pipe[0] = g_signal_pipe[1] = -1;
    }
    for (auto& pair : sockets)
        close(pair[0]);
    result.control.finish();
    while (waitpid(pid, &result.wait_status, 0) < 0 && errno == EINTR) {
    }
    result.ns_exited = elapsed_ns(start);
    return result;
}

int qemu_exit_status(const QemuResult& result) {
    auto records = result.control.latest();
    if (auto value = control_number(records, "exit"))
        return exit_status_from_value(static_cast<uint32_t>(*value));
    int status = result.wait_status;
    std::string how = WIFSIGNALED(status)
                          ? std::string("was killed by signal ") + strsignal(WTERMSIG(status))
                          : "exited with status " + std::to_string(WEXITSTATUS(status));
    fprintf(stderr, "wisp: the VM stopped without reporting an exit status (QEMU %s)\n",
            how.c_str());
    return abi::kStatusKernelPanic;
}

} // namespace wisp::cli
