// SPDX-License-Identifier: MIT
#include "terminal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wisp::cli {

namespace {

// What wisp tells the guardian: restore if I die (the settings changed), or I have restored.
constexpr char kArmed = 'a', kDone = 'd';

void tell(int fd, char message) {
    ssize_t ignored = write(fd, &message, 1);
    (void)ignored;
}

// The kernel's struct termios is what TCGETS/TCSETS pass on Linux x86-64 (abi/terminal.h);
// glibc's own struct termios is larger.
bool get_termios(int fd, abi::Termios& out) {
    return ioctl(fd, TCGETS, &out) == 0;
}

abi::WindowSize window_size(int fd) {
    winsize size{};
    ioctl(fd, TIOCGWINSZ, &size);
    return {size.ws_row, size.ws_col, size.ws_xpixel, size.ws_ypixel};
}

std::string size_text(const abi::WindowSize& size) {
    return std::to_string(size.rows) + "," + std::to_string(size.cols) + "," +
           std::to_string(size.xpixel) + "," + std::to_string(size.ypixel);
}

} // namespace

std::unique_ptr<HostTerminal> HostTerminal::detect() {
    int first = -1;
    dev_t device = 0;
    unsigned fds = 0;
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;
        if (!isatty(fd) || fstat(fd, &st) != 0) continue;
        if (first < 0) {
            first = fd;
            device = st.st_rdev;
        }
        if (st.st_rdev == device) fds |= 1u << fd; // another terminal stays a stream
    }
    if (first < 0) return nullptr;
    int own = fcntl(first, F_DUPFD_CLOEXEC, 3);
    if (own < 0) return nullptr;
    std::unique_ptr<HostTerminal> terminal(new HostTerminal(own, fds));
    if (!get_termios(own, terminal->m_saved)) return nullptr;
    terminal->start_guardian();
    return terminal;
}

HostTerminal::HostTerminal(int fd, unsigned fds) : m_fd(fd), m_fds(fds) {}

HostTerminal::~HostTerminal() {
    if (m_changed) ioctl(m_fd, TCSETSW, &m_saved);
    if (m_guardian_pipe >= 0) {
        tell(m_guardian_pipe, kDone);
        close(m_guardian_pipe);
        while (waitpid(m_guardian, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    close(m_fd);
}

// The guardian: a child in a session of its own (so the terminal's signals and a kill of
// wisp's process group leave it alone, and it may set the terminal without being its
// foreground) that holds the saved settings and waits for wisp to close the pipe. EOF after
// kArmed without kDone means wisp died with the settings changed: it restores them then.
void HostTerminal::start_guardian() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        setsid();
        for (int signal :
             {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP, SIGTERM, SIGPIPE, SIGWINCH})
            ::signal(signal, SIG_IGN);
        for (int fd = 0; fd < 1024; fd++)
            if (fd != fds[0] && fd != m_fd) close(fd);
        bool armed = false;
        for (;;) {
            char message;
            ssize_t n = read(fds[0], &message, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n == 1 && message == kArmed) {
                armed = true;
                continue;
            }
            if (n == 0 && armed) ioctl(m_fd, TCSETS, &m_saved);
            _exit(0);
        }
    }
    close(fds[0]);
    m_guardian = pid;
    m_guardian_pipe = fds[1];
}

std::string HostTerminal::boot_option() const {
    abi::Termios now{};
    get_termios(m_fd, now);
    char hex[2 * abi::kTermiosSize];
    abi::termios_to_hex(now, hex);
    return std::string(abi::kTtyBootOption) + "=" + std::to_string(m_fds) + "," +
           size_text(window_size(m_fd)) + "," + std::string(hex, sizeof hex);
}

bool HostTerminal::apply(std::string_view value) {
    if (value.size() < 2 || value[1] != ',') return false;
    static constexpr unsigned long kRequests[] = {TCSETS, TCSETSW, TCSETSF};
    unsigned action = static_cast<unsigned>(value[0] - '0');
    if (action > 2) return false;
    abi::Termios termios;
    value.remove_prefix(2);
    if (!abi::termios_from_hex(value.data(), value.size(), termios)) return false;
    if (!m_changed && m_guardian_pipe >= 0) tell(m_guardian_pipe, kArmed);
    m_changed = true;
    return ioctl(m_fd, kRequests[action], &termios) == 0;
}

std::string HostTerminal::termios_record() const {
    abi::Termios now{};
    get_termios(m_fd, now);
    char hex[2 * abi::kTermiosSize];
    abi::termios_to_hex(now, hex);
    return "tty.termios=" + std::string(hex, sizeof hex);
}

std::string HostTerminal::size_record() const {
    return "tty.winsize=" + size_text(window_size(m_fd));
}

} // namespace wisp::cli
