// SPDX-License-Identifier: MIT
#include "devices/host_input.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vmm.h"

namespace wisp::vmm {
namespace {

// The signal handler's only job: write the signal number into this pipe (async-signal-safe).
// One monitor per process, so one pipe.
std::atomic<int> g_signal_pipe_write{-1};
int g_signal_pipe_read = -1;

void forward_signal(int signal) {
    int saved = errno;
    unsigned char byte = static_cast<unsigned char>(signal);
    int fd = g_signal_pipe_write.load();
    if (fd >= 0) {
        ssize_t ignored = ::write(fd, &byte, 1);
        (void)ignored;
    }
    errno = saved;
}

} // namespace

HostInput::HostInput(int fd, std::mutex& lock, Hooks hooks, std::vector<int> signals)
    : m_fd(fd), m_lock(lock), m_hooks(std::move(hooks)), m_signals(std::move(signals)) {
    m_wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_wake_fd < 0)
        throw UserError(std::string("wisp: cannot create an eventfd: ") + std::strerror(errno));
    if (g_signal_pipe_read < 0) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
            throw UserError(std::string("wisp: cannot create a pipe: ") + std::strerror(errno));
        g_signal_pipe_read = fds[0];
        g_signal_pipe_write = fds[1];
    }
    m_old_actions.resize(m_signals.size());
    for (size_t i = 0; i < m_signals.size(); i++) {
        struct sigaction action {};
        action.sa_handler = forward_signal;
        action.sa_flags = SA_RESTART;
        sigemptyset(&action.sa_mask);
        ::sigaction(m_signals[i], &action, &m_old_actions[i]);
    }
    // Wait until the thread runs: its start-up system calls (rseq, set_robust_list) must come
    // before the caller enters the seccomp sandbox.
    std::atomic<bool> started{false};
    m_thread = std::thread([this, &started] {
        started = true;
        started.notify_one();
        run();
    });
    started.wait(false);
}

HostInput::~HostInput() {
    m_stop = true;
    poke();
    m_thread.join();
    for (size_t i = 0; i < m_signals.size(); i++)
        ::sigaction(m_signals[i], &m_old_actions[i], nullptr);
    ::close(m_wake_fd);
}

void HostInput::poke() {
    uint64_t one = 1;
    ssize_t ignored = ::write(m_wake_fd, &one, sizeof one);
    (void)ignored;
}

void HostInput::input_taken() {
    if (m_paused.load(std::memory_order_relaxed)) poke();
}

void HostInput::run() {
    // Signals are the main thread's business; this thread only reads the pipe.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);

    bool reading = m_fd >= 0;
    if (!reading) {
        std::lock_guard guard(m_lock);
        m_hooks.on_end();
    }
    static char buffer[64 * 1024];
    while (!m_stop) {
        bool room;
        {
            std::lock_guard guard(m_lock);
            room = m_hooks.backlog() < kBacklogLimit;
        }
        m_paused = reading && !room;
        pollfd fds[3] = {{g_signal_pipe_read, POLLIN, 0},
                         {m_wake_fd, POLLIN, 0},
                         {reading && room ? m_fd : -1, POLLIN, 0}};
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[0].revents & POLLIN) {
            unsigned char signals[16];
            ssize_t n = ::read(g_signal_pipe_read, signals, sizeof signals);
            std::lock_guard guard(m_lock);
            for (ssize_t i = 0; i < n; i++)
                m_hooks.on_signal(signals[i]);
        }
        if (fds[1].revents & POLLIN) {
            uint64_t value;
            ssize_t ignored = ::read(m_wake_fd, &value, sizeof value);
            (void)ignored;
        }
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(m_fd, buffer, sizeof buffer);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            std::lock_guard guard(m_lock);
            if (n > 0) {
                m_hooks.on_data({buffer, static_cast<size_t>(n)});
            } else if (n == 0 && m_hooks.on_terminal_eof && !(fds[2].revents & POLLHUP)) {
                m_hooks.on_terminal_eof(); // the terminal goes on after its EOF key
            } else {
                reading = false; // EOF, or an error that ends the input the same way
                m_hooks.on_end();
            }
        }
    }
}

} // namespace wisp::vmm
