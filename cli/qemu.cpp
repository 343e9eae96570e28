// SPDX-License-Identifier: MIT
#include "qemu.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
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
// mix with the app's stdout) and com_fd[i] as fd 3 + i. fork/exec rather than posix_spawn for
// PR_SET_PDEATHSIG: if wisp dies (killed by a test timeout, say) QEMU dies with it instead of
// running a hung guest forever.
pid_t spawn_qemu(const std::string& qemu, std::vector<char*>& argv, const int com_fd[3]) {
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
        // dup2 clears close-on-exec on the new descriptor; com_fd are >= 10, so no clobbering.
        bool ok = dup2(null_fd, 0) == 0 && dup2(2, 1) == 1;
        for (int i = 0; ok && i < 3; i++)
            ok = dup2(com_fd[i], 3 + i) == 3 + i;
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
        "-M", "microvm,x-option-roms=off,rtc=off",
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
    argv.insert(argv.end(), {"-append", config.cmdline});
    // The serial ports and debug-exit port of abi/platform.h.
    argv.insert(argv.end(), {
        "-chardev", "file,id=com1,path=" + config.com1_path,
        "-serial", "chardev:com1",
        "-chardev", "file,id=com2,path=" + config.com2_path,
        "-device", "isa-serial,chardev=com2,iobase=" + hex(abi::kPortCom2) + ",irq=3",
        "-chardev", "file,id=com3,path=" + config.com3_path,
        "-device", "isa-serial,chardev=com3,iobase=" + hex(abi::kPortCom3) + ",irq=4",
        "-device", "isa-debug-exit,iobase=" + hex(abi::kPortDebugExit) + ",iosize=2",
    });
    // clang-format on
    return argv;
}

QemuResult run_qemu(QemuConfig config, const std::function<void(std::string_view)>& on_stdout,
                    const std::function<void(std::string_view)>& on_stderr) {
    auto start = std::chrono::steady_clock::now();
    QemuResult result;
    Pipe com[3];

    // In the child the write ends become fds 3, 4, 5 and QEMU opens them as /dev/fd/N (a fresh
    // open of the same pipe). Everything else we hold is close-on-exec.
    config.com1_path = "/dev/fd/3";
    config.com2_path = "/dev/fd/4";
    config.com3_path = "/dev/fd/5";
    std::vector<std::string> args = qemu_argv(config);
    std::vector<char*> argv;
    for (std::string& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    // dup2 into 3..5 could clobber another pipe end that happens to sit there: move the write
    // ends out of the way first.
    int high_fd[3];
    for (int i = 0; i < 3; i++) {
        high_fd[i] = fcntl(com[i].write_end, F_DUPFD_CLOEXEC, 10);
        if (high_fd[i] < 0) throw UserError(std::string("cannot start QEMU: ") + strerror(errno));
        com[i].close_write();
        com[i].write_end = high_fd[i];
    }
    pid_t pid = spawn_qemu(config.qemu, argv, high_fd);
    result.ns_started = elapsed_ns(start);
    for (Pipe& p : com)
        p.close_write();

    // Forward until QEMU has closed all three ports (it exits; nothing else holds them).
    char buffer[65536];
    int open_count = 3;
    while (open_count > 0) {
        pollfd fds[3];
        for (int i = 0; i < 3; i++)
            fds[i] = {com[i].read_end, POLLIN, 0};
        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 3; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(com[i].read_end, buffer, sizeof(buffer));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                com[i].close_read();
                open_count--;
                continue;
            }
            std::string_view chunk(buffer, static_cast<size_t>(n));
            if (i == 0)
                on_stdout(chunk);
            else if (i == 1)
                on_stderr(chunk);
            else
                result.control.feed(chunk);
        }
    }
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
