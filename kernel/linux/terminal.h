// SPDX-License-Identifier: MIT
#pragma once

// The console as a terminal, when the host's stdin/stdout/stderr is one (abi/terminal.h). The
// host's line discipline does the terminal's work — echo, line editing, Ctrl-C — on the host's
// terminal; this side keeps what the application sees (termios, window size, the controlling
// terminal's session and foreground process group) and reports termios changes to the host,
// which applies them to its terminal. The application starts as a session leader with the
// console as its controlling terminal, like a container's first process under `docker -it`.
#include <stdint.h>

#include <string_view>

#include <wisp/abi/terminal.h>

#include "fs/open_file.h"
#include "lib/result.h"

namespace wisp::linux {

// c_lflag and c_cc indices (include/uapi/asm-generic/termbits.h).
inline constexpr uint32_t kIsig = 0x1, kIcanon = 0x2, kEcho = 0x8;
inline constexpr unsigned kVtime = 5, kVmin = 6;

class Terminal {
  public:
    // The console.tty boot option's value; false (and no terminal) when it is malformed.
    bool configure(std::string_view value);
    bool present() const { return m_present; }
    // The host's descriptor `fd` (0, 1 or 2) is the terminal.
    bool is_terminal_fd(int fd) const { return m_present && (m_fds >> fd & 1); }
    const abi::Termios& termios() const { return m_termios; }
    // The controlling terminal of the (one) session: /dev/tty opens it.
    bool is_controlling() const { return m_present && m_session != 0; }

    // A terminal request (TCGETS, TIOCGWINSZ...) on a descriptor of the terminal.
    Result<long> ioctl(fs::OpenFile& file, uint32_t request, uint64_t argument);
    // The host's window changed size: SIGWINCH to the foreground process group, as Linux's
    // tty_do_resize() (only when the size differs).
    void resize(const abi::WindowSize& size);
    // The host terminal's settings changed behind the application's back (a `tty.termios`
    // record: the shell had the terminal while wisp was stopped).
    void host_changed(const abi::Termios& termios) { m_termios = termios; }

  private:
    Result<long> set_termios(uint64_t argument, int action);
    void send_termios(int action);

    abi::Termios m_termios{};
    abi::WindowSize m_size{};
    unsigned m_fds = 0;
    int m_session = 0;    // whose controlling terminal (0: nobody's)
    int m_foreground = 0; // the foreground process group
    bool m_present = false;
    bool m_exclusive = false; // TIOCEXCL (only root opens it then: everyone, here)
};

Terminal& terminal();

// "ROWS,COLS,XPIXEL,YPIXEL" (the tty.winsize record, the tail of console.tty).
bool parse_window_size(std::string_view text, abi::WindowSize& out);

} // namespace wisp::linux
