// SPDX-License-Identifier: MIT
#pragma once

// The host's terminal while a VM runs, when wisp's stdin, stdout or stderr is one
// (abi/terminal.h): its state goes to the kernel on the command line, the application's termios
// changes come back as `tty.termios` records and are applied to it, window resizes (SIGWINCH)
// become `tty.winsize` records. The terminal's settings from before the run are put back when
// wisp ends — by the destructor, or, when wisp dies without running it (SIGKILL, a crash), by a
// small guardian process that waits for wisp's end.
#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include <wisp/abi/terminal.h>

namespace wisp::cli {

class HostTerminal {
  public:
    // The terminal on descriptors 0..2; nullptr when none is one.
    static std::unique_ptr<HostTerminal> detect();
    ~HostTerminal();
    HostTerminal(const HostTerminal&) = delete;
    HostTerminal& operator=(const HostTerminal&) = delete;

    bool stdin_is_terminal() const { return m_fds & 1; }
    // The `console.tty=...` kernel option describing it now.
    std::string boot_option() const;
    // Applies a `tty.termios` record's value from the kernel; false when it is malformed.
    bool apply(std::string_view value);
    // `tty.winsize=ROWS,COLS,XPIXEL,YPIXEL` for the window's size now.
    std::string size_record() const;
    // `tty.termios=TERMIOS` for its settings now.
    std::string termios_record() const;

  private:
    HostTerminal(int fd, unsigned fds);
    void start_guardian();

    int m_fd;       // our own descriptor of the terminal
    unsigned m_fds; // which of 0, 1, 2 are it
    abi::Termios m_saved{};
    // The application changed the settings: they are put back at the end. (A run that never
    // touched them leaves them alone: restoring from the background would stop wisp with
    // SIGTTOU, and the shell may have changed them meanwhile.)
    bool m_changed = false;
    pid_t m_guardian = -1;
    int m_guardian_pipe = -1; // its write end: kArmed, then kDone
};

} // namespace wisp::cli
