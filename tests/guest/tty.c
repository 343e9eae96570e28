// SPDX-License-Identifier: MIT
// Terminal ioctls on the standard descriptors, /dev/tty and /dev/console.
//
//   tty            (diff.sh: stdin/stdout are no terminal) isatty, TCGETS, TIOCGWINSZ,
//                  TIOCGPGRP... fail with ENOTTY; /dev/tty without a controlling terminal is
//                  ENXIO.
//   tty pipe       stdin is a pipe holding "abc\n" (tests/vm/tty.py): FIONREAD counts it.
//   tty pty        under a pseudo-terminal of 37x101 (tests/vm/tty.py drives it through the
//                  markers it prints): termios, window size, process group and session,
//                  canonical reads, the EOF key, Ctrl-C, raw mode, a resize (SIGWINCH).
//   tty pty-kill   sets raw mode and waits to be killed (the host terminal must come back).
//   tty pty-stop   sets raw mode and waits for SIGCONT: stopped meanwhile, the harness puts
//                  the terminal back to its settings (as a shell does) and the program must see
//                  them after SIGCONT.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "fs_check.h"

static void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);
    fflush(stdout);
}

static void print_termios(const char* what, const struct termios* t) {
    say("%s: iflag %#o oflag %#o cflag %#o lflag %#o line %d cc", what, (unsigned)t->c_iflag,
        (unsigned)t->c_oflag, (unsigned)t->c_cflag, (unsigned)t->c_lflag, t->c_line);
    for (int i = 0; i < 17; i++)
        say(" %d", t->c_cc[i]);
    say("\n");
}

static void fail(const char* what) { say("%s: %s\n", what, errno_name(errno)); }

// Each request on one descriptor: the result, or the errno. (Whether it is a character device
// only under a terminal: natively diff.sh's stdin is /dev/null.)
static void probe_fd(const char* name, int fd, int show_type) {
    struct stat st;
    say("%s: isatty %d", name, isatty(fd));
    if (show_type && fstat(fd, &st) == 0) say(" chr %d", S_ISCHR(st.st_mode) ? 1 : 0);
    say("\n");
    struct termios t;
    T("TCGETS", ioctl(fd, TCGETS, &t));
    struct winsize w;
    if (ioctl(fd, TIOCGWINSZ, &w) == 0)
        say("TIOCGWINSZ: %d rows %d cols %d x %d px\n", w.ws_row, w.ws_col, w.ws_xpixel,
            w.ws_ypixel);
    else
        fail("TIOCGWINSZ");
    pid_t group;
    if (ioctl(fd, TIOCGPGRP, &group) == 0)
        say("TIOCGPGRP is getpgrp: %d\n", group == getpgrp());
    else
        fail("TIOCGPGRP");
    pid_t session;
    if (ioctl(fd, TIOCGSID, &session) == 0)
        say("TIOCGSID is getsid: %d\n", session == getsid(0));
    else
        fail("TIOCGSID");
    int line;
    if (ioctl(fd, TIOCGETD, &line) == 0)
        say("TIOCGETD: %d\n", line);
    else
        fail("TIOCGETD");
    int queued;
    if (ioctl(fd, TIOCOUTQ, &queued) == 0)
        say("TIOCOUTQ: %d\n", queued);
    else
        fail("TIOCOUTQ");
}

static void no_terminal(void) {
    // Natively the harness may run us inside a terminal's session: leave it, so that neither
    // side has a controlling terminal (inside wisp the process leads its session already).
    if (getsid(0) != getpid()) setsid();
    say("session leader: %d\n", getsid(0) == getpid());
    probe_fd("fd 0", 0, 0);
    probe_fd("fd 1", 1, 0);
    probe_fd("fd 2", 2, 0);
    T("open /dev/tty", open("/dev/tty", O_RDWR));
    T("TIOCSCTTY on fd 1", ioctl(1, TIOCSCTTY, 0));
    T("TIOCNOTTY on fd 1", ioctl(1, TIOCNOTTY));
    T("TCSETS on fd 1", ioctl(1, TCSETS, &(struct termios){0}));
    T("TCFLSH on fd 1", ioctl(1, TCFLSH, TCIFLUSH));
    T("setsid", setsid());
    T("setpgid 0 0", setpgid(0, 0));
    T("setpgid -1", setpgid(0, -1));
}

static void pipe_input(void) {
    struct pollfd p = {0, POLLIN, 0};
    T("poll stdin", poll(&p, 1, 10000));
    int n = -1;
    T("FIONREAD stdin", ioctl(0, FIONREAD, &n));
    say("FIONREAD stdin = %d\n", n);
    char buffer[16];
    say("read %zd\n", read(0, buffer, sizeof buffer));
    T("FIONREAD stdin again", ioctl(0, FIONREAD, &n));
    say("FIONREAD stdin = %d\n", n);
}

static volatile sig_atomic_t g_signal;
static void on_signal(int signal) { g_signal = signal; }

// Reads once and prints what came (visible bytes as is, others as \ooo) in one write: the
// harness sends the next input as soon as it sees the line.
static void read_once(const char* what) {
    char buffer[64];
    ssize_t n = read(0, buffer, sizeof buffer);
    if (n < 0) {
        say("%s: read: %s\n", what, errno_name(errno));
        return;
    }
    char line[512];
    size_t length = (size_t)snprintf(line, sizeof line, "%s: read %zd [", what, n);
    for (ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buffer[i];
        if (c >= 32 && c < 127)
            length += (size_t)snprintf(line + length, sizeof line - length, "%c", c);
        else
            length += (size_t)snprintf(line + length, sizeof line - length, "\\%03o", c);
    }
    say("%s]\n", line);
}

static void pty(void) {
    probe_fd("fd 0", 0, 1);
    probe_fd("fd 1", 1, 1);
    probe_fd("fd 2", 2, 1);
    say("session leader: %d\n", getsid(0) == getpid());
    int flags0 = fcntl(0, F_GETFL), flags1 = fcntl(1, F_GETFL);
    say("fd 0 and 1 share one open file: %d, O_RDWR %d\n", flags0 == flags1,
        (flags0 & O_ACCMODE) == O_RDWR);
    int tty = open("/dev/tty", O_RDWR);
    T("open /dev/tty", tty);
    if (tty >= 0) {
        probe_fd("/dev/tty", tty, 1);
        close(tty);
    }
    T("TIOCSCTTY (already ours)", ioctl(0, TIOCSCTTY, 0));
    pid_t group = getpgrp();
    T("TIOCSPGRP own group", ioctl(0, TIOCSPGRP, &group));
    group = 0x3fffffff;
    T("TIOCSPGRP no such group", ioctl(0, TIOCSPGRP, &group));
    group = -1;
    T("TIOCSPGRP -1", ioctl(0, TIOCSPGRP, &group));
    T("TCFLSH bad", ioctl(0, TCFLSH, 7));
    T("TCXONC bad", ioctl(0, TCXONC, 9));
    T("TCSBRK (tcdrain)", tcdrain(1));
    T("TCGETS NULL", ioctl(0, TCGETS, NULL));
    T("TCSETS NULL", ioctl(0, TCSETS, NULL));
    struct termios original;
    T("tcgetattr", tcgetattr(0, &original));
    print_termios("initial", &original);
    int n = -1;
    T("FIONREAD", ioctl(0, FIONREAD, &n));
    say("FIONREAD = %d\n", n);

    // Canonical input: one line per read, the EOF key, and the terminal goes on after it.
    // Waiting for the terminal in select and epoll first (they block until the host sends).
    say("@lines\n");
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(0, &readable);
    T("select stdin", select(1, &readable, NULL, NULL, NULL));
    read_once("line 1");
    read_once("line 2");
    read_once("eof");
    int ep = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN};
    T("epoll_ctl stdin", epoll_ctl(ep, EPOLL_CTL_ADD, 0, &event));
    T("epoll_wait stdin", epoll_wait(ep, &event, 1, -1));
    close(ep);
    read_once("after eof");

    // Ctrl-C with ISIG: SIGINT (a handler without SA_RESTART: the read is interrupted).
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGWINCH, &action, NULL);
    say("@intr\n");
    read_once("intr");
    say("signal %d\n", g_signal);
    g_signal = 0;

    // Raw mode: the host terminal must be raw too (the harness checks it and sends Ctrl-C,
    // which must now arrive as a byte).
    struct termios raw = original;
    cfmakeraw(&raw);
    raw.c_oflag |= OPOST; // keep \n -> \r\n so the transcript stays readable
    T("tcsetattr raw", tcsetattr(0, TCSANOW, &raw));
    struct termios now;
    T("tcgetattr raw", tcgetattr(0, &now));
    print_termios("raw", &now);
    say("@raw\n");
    read_once("raw");
    say("signal %d\n", g_signal);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    T("tcsetattr VMIN 0", tcsetattr(0, TCSANOW, &raw));
    read_once("VMIN 0, nothing there");
    raw.c_cc[VTIME] = 2;
    T("tcsetattr VTIME 2", tcsetattr(0, TCSANOW, &raw));
    read_once("VTIME 0.2 s, nothing there");
    T("tcsetattr restore (TCSAFLUSH)", tcsetattr(0, TCSAFLUSH, &original));
    T("tcgetattr restored", tcgetattr(0, &now));
    say("restored: %d\n", memcmp(&now, &original, sizeof now) == 0);
    say("@cooked\n");

    // A resize: SIGWINCH and the new size.
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGWINCH);
    sigprocmask(SIG_BLOCK, &block, &old);
    say("@winch\n");
    while (g_signal != SIGWINCH)
        sigsuspend(&old);
    struct winsize w;
    T("TIOCGWINSZ", ioctl(1, TIOCGWINSZ, &w));
    say("SIGWINCH: %d rows %d cols\n", w.ws_row, w.ws_col);

    // Leave the terminal raw: whoever ran us must put it back.
    T("tcsetattr raw again", tcsetattr(0, TCSANOW, &raw));
    say("@done\n");
}

static void pty_kill(void) {
    struct termios raw;
    tcgetattr(0, &raw);
    cfmakeraw(&raw);
    tcsetattr(0, TCSANOW, &raw);
    say("@raw\n");
    for (;;)
        pause();
}

static void pty_stop(void) {
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    sigaction(SIGCONT, &action, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCONT);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct termios t;
    tcgetattr(0, &t);
    struct termios raw = t;
    cfmakeraw(&raw);
    raw.c_oflag |= OPOST;
    tcsetattr(0, TCSANOW, &raw);
    say("@raw\n");
    while (g_signal != SIGCONT)
        sigsuspend(&old);
    tcgetattr(0, &t);
    say("after SIGCONT: icanon %d echo %d isig %d\n", !!(t.c_lflag & ICANON),
        !!(t.c_lflag & ECHO), !!(t.c_lflag & ISIG));
    say("@done\n");
}

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "pty") == 0)
        pty();
    else if (argc > 1 && strcmp(argv[1], "pty-kill") == 0)
        pty_kill();
    else if (argc > 1 && strcmp(argv[1], "pty-stop") == 0)
        pty_stop();
    else if (argc > 1 && strcmp(argv[1], "pipe") == 0)
        pipe_input();
    else
        no_terminal();
    return 0;
}
