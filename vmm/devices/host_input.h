// SPDX-License-Identifier: MIT
#pragma once

// What flows from the host into a running guest: the bytes of the host's stdin and the signals
// the monitor process receives (Ctrl-C). A thread of its own waits for them in poll(), so
// neither a vCPU nor the host CPU spins while the guest waits for input, and hands them to the
// devices under the devices' lock. Reading stops while `backlog()` (bytes not yet taken by the
// guest) is above a limit: a large file on stdin is streamed, not slurped.
#include <signal.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace wisp::vmm {

class HostInput {
  public:
    struct Hooks {
        std::function<void(std::string_view)> on_data; // called with the lock held
        std::function<void()> on_end;                  // stdin ended (EOF or error)
        // A terminal's end-of-file key (a read of 0 bytes without a hang-up); unset: the end.
        std::function<void()> on_terminal_eof;
        std::function<void(int)> on_signal;            // a forwarded signal arrived
        std::function<size_t()> backlog;               // input bytes the guest has not taken
    };
    static constexpr size_t kBacklogLimit = 256 * 1024;

    // Reads `fd` (-1: no input, the end comes at once) and forwards `signals`, whose handlers
    // are replaced until destruction.
    HostInput(int fd, std::mutex& lock, Hooks hooks, std::vector<int> signals);
    ~HostInput();
    HostInput(const HostInput&) = delete;
    HostInput& operator=(const HostInput&) = delete;

    // The guest took input: read more if reading was paused for the backlog.
    void input_taken();

  private:
    void run();
    void poke();

    int m_fd;
    std::mutex& m_lock;
    Hooks m_hooks;
    std::vector<int> m_signals;
    std::vector<struct ::sigaction> m_old_actions;
    int m_wake_fd = -1; // eventfd: stop, or the guest took input
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_paused{false};
    std::thread m_thread;
};

} // namespace wisp::vmm
