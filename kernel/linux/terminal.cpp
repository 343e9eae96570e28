// SPDX-License-Identifier: MIT
#include "linux/terminal.h"

#include "drivers/virtio/console.h"
#include "lib/log.h"
#include "linux/process.h"
#include "linux/signals.h"
#include "linux/user_ptr.h"

namespace wisp::linux {
namespace {

// Terminal ioctl requests (include/uapi/asm-generic/ioctls.h).
constexpr uint32_t kTcgets = 0x5401, kTcsets = 0x5402, kTcsetsw = 0x5403, kTcsetsf = 0x5404,
                   kTcsbrk = 0x5409, kTcxonc = 0x540a, kTcflsh = 0x540b, kTiocexcl = 0x540c,
                   kTiocnxcl = 0x540d, kTiocsctty = 0x540e, kTiocgpgrp = 0x540f,
                   kTiocspgrp = 0x5410, kTiocoutq = 0x5411, kTiocgwinsz = 0x5413,
                   kTiocswinsz = 0x5414, kTiocnotty = 0x5422, kTiocsetd = 0x5423,
                   kTiocgetd = 0x5424, kTcsbrkp = 0x5425, kTiocgsid = 0x5429,
                   kTiocgexcl = 0x80045440;
constexpr int kSigHup = 1, kSigCont = 18, kSigWinch = 28;
constexpr int kTcsanow = 0, kTcsadrain = 1, kTcsaflush = 2;
constexpr int kTcion = 3, kTciflush = 0, kTcioflush = 2; // TCOOFF 0 .. TCION 3

bool parse_number(std::string_view& text, uint32_t limit, uint32_t& out) {
    size_t i = 0;
    uint64_t value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        value = value * 10 + static_cast<uint64_t>(text[i] - '0');
        if (value > limit) return false;
        i++;
    }
    if (i == 0) return false;
    out = static_cast<uint32_t>(value);
    text.remove_prefix(i);
    return true;
}

bool take_comma(std::string_view& text) {
    if (text.empty() || text[0] != ',') return false;
    text.remove_prefix(1);
    return true;
}

void send_to_process(int signal) {
    SignalInfo info;
    info.signal = signal;
    info.code = kSiKernel;
    send_signal(info);
}

Terminal g_terminal;

// Input the terminal received and nobody read yet (only when stdin is the terminal: otherwise
// the console's input is a pipe's or a file's, not the terminal's).
void discard_input() {
    auto* console = drivers::virtio::stdout_console();
    if (console && g_terminal.is_terminal_fd(0)) console->discard_input();
}

} // namespace

Terminal& terminal() {
    return g_terminal;
}

bool parse_window_size(std::string_view text, abi::WindowSize& out) {
    uint32_t v[4];
    for (int i = 0; i < 4; i++) {
        if (i > 0 && !take_comma(text)) return false;
        if (!parse_number(text, 0xffff, v[i])) return false;
    }
    if (!text.empty()) return false;
    out = {static_cast<uint16_t>(v[0]), static_cast<uint16_t>(v[1]), static_cast<uint16_t>(v[2]),
           static_cast<uint16_t>(v[3])};
    return true;
}

bool Terminal::configure(std::string_view value) {
    uint32_t fds;
    if (!parse_number(value, 7, fds) || fds == 0 || !take_comma(value)) return false;
    // ROWS,COLS,XPIXEL,YPIXEL,TERMIOS: the size is the part before the fourth comma.
    size_t commas = 0, end = 0;
    while (end < value.size() && commas < 4)
        if (value[end++] == ',') commas++;
    if (commas < 4) return false;
    if (!parse_window_size(value.substr(0, end - 1), m_size)) return false;
    value.remove_prefix(end);
    if (!abi::termios_from_hex(value.data(), value.size(), m_termios)) return false;
    m_fds = fds;
    m_session = m_foreground = Process::kPid;
    m_present = true;
    return true;
}

void Terminal::send_termios(int action) {
    char hex[2 * abi::kTermiosSize];
    abi::termios_to_hex(m_termios, hex);
    control("tty.termios=%d,%.*s\n", action, static_cast<int>(sizeof hex), hex);
}

Result<long> Terminal::set_termios(uint64_t argument, int action) {
    abi::Termios wanted = TRY(UserPtr<const abi::Termios>(argument).read());
    wanted.c_line = m_termios.c_line; // Linux's set_termios() keeps the line discipline
    m_termios = wanted;
    // Output is synchronous (a write returns when the device has it): nothing to drain.
    if (action == kTcsaflush) discard_input();
    send_termios(action);
    return 0;
}

void Terminal::resize(const abi::WindowSize& size) {
    if (!m_present) return;
    bool changed = size.rows != m_size.rows || size.cols != m_size.cols ||
                   size.xpixel != m_size.xpixel || size.ypixel != m_size.ypixel;
    m_size = size;
    if (changed && m_foreground != 0) send_to_process(kSigWinch);
}

// Linux drivers/tty/tty_io.c tty_ioctl(), tty_jobctrl.c, n_tty.c n_tty_ioctl(), tty_ioctl.c.
// (FIONREAD, alias TIOCINQ, is sys_ioctl's: FileOps::input_available.)
Result<long> Terminal::ioctl(fs::OpenFile&, uint32_t request, uint64_t argument) {
    switch (request) {
    case kTcgets:
        TRY(UserPtr<abi::Termios>(argument).write(m_termios));
        return 0;
    case kTcsets:
        return set_termios(argument, kTcsanow);
    case kTcsetsw:
        return set_termios(argument, kTcsadrain);
    case kTcsetsf:
        return set_termios(argument, kTcsaflush);
    case kTiocgwinsz:
        TRY(UserPtr<abi::WindowSize>(argument).write(m_size));
        return 0;
    case kTiocswinsz: {
        // The application's own idea of the size (a pty slave's); the host window keeps its own.
        abi::WindowSize size = TRY(UserPtr<const abi::WindowSize>(argument).read());
        resize(size);
        return 0;
    }
    case kTiocoutq:
        TRY(UserPtr<int>(argument).write(0)); // output reaches the host before write() returns
        return 0;
    case kTcsbrk:
    case kTcsbrkp:
        return 0; // tcdrain/tcsendbreak: nothing is queued
    case kTcxonc:
        // tcflow: output is never held back here, and input flow is the host terminal's.
        if (argument > static_cast<uint64_t>(kTcion)) return Errno::INVAL;
        return 0;
    case kTcflsh:
        if (argument > static_cast<uint64_t>(kTcioflush)) return Errno::INVAL;
        if (argument == kTciflush || argument == kTcioflush) discard_input();
        return 0;
    case kTiocgetd:
        TRY(UserPtr<int>(argument).write(m_termios.c_line));
        return 0;
    case kTiocsetd: {
        int discipline = TRY(UserPtr<const int>(argument).read());
        if (discipline < 0 || discipline >= 30) return Errno::INVAL;
        if (discipline != 0) return Errno::NOTTY; // only N_TTY is built in (no modules)
        return 0;
    }
    case kTiocexcl:
    case kTiocnxcl:
        m_exclusive = request == kTiocexcl;
        return 0;
    case kTiocgexcl:
        TRY(UserPtr<int>(argument).write(m_exclusive ? 1 : 0));
        return 0;
    case kTiocgpgrp:
        // Only the caller's controlling terminal has a foreground group for it.
        if (m_session != Process::kPid) return Errno::NOTTY;
        TRY(UserPtr<int>(argument).write(m_foreground));
        return 0;
    case kTiocspgrp: {
        if (m_session != Process::kPid) return Errno::NOTTY;
        int group = TRY(UserPtr<const int>(argument).read());
        if (group < 0) return Errno::INVAL;
        if (group != Process::kPid) return Errno::SRCH; // the only process group there is
        m_foreground = group;
        return 0;
    }
    case kTiocgsid:
        if (m_session != Process::kPid) return Errno::NOTTY;
        TRY(UserPtr<int>(argument).write(m_session));
        return 0;
    case kTiocsctty:
        // The process is a session leader; it may take the terminal when nobody has it.
        if (m_session == Process::kPid) return 0;
        if (m_session != 0) return Errno::PERM;
        m_session = m_foreground = Process::kPid;
        return 0;
    case kTiocnotty:
        if (m_session != Process::kPid) return Errno::NOTTY;
        // A session leader giving up its terminal hangs up its foreground group
        // (disassociate_ctty(0)): SIGHUP, then SIGCONT.
        m_session = m_foreground = 0;
        send_to_process(kSigHup);
        send_to_process(kSigCont);
        return 0;
    default:
        return Errno::NOTTY;
    }
}

} // namespace wisp::linux
