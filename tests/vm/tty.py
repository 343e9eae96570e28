#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The console as a terminal: runs tests/guest/tty.c natively and inside wisp, each under a
fresh pseudo-terminal of 37x101 whose slave is the program's (or wisp's) controlling terminal,
drives it through the markers it prints (lines, the EOF key, Ctrl-C, raw mode, a resize) and
compares the two transcripts as the terminal's master side saw them (echoes included). Inside
wisp it also checks the host terminal itself: raw while the application has it raw, its
original settings back when wisp ends — also when wisp is killed with SIGKILL.

    tty.py --wisp PATH [--hypervisor wisp|qemu] PROGRAM            (the pty scenario)
    tty.py --wisp PATH [--hypervisor wisp|qemu] --kill PROGRAM     (SIGKILL in raw mode)
    tty.py --wisp PATH [--hypervisor wisp|qemu] --pipe PROGRAM     (stdin a pipe: FIONREAD)
    tty.py --wisp PATH [--hypervisor wisp|qemu] --stop PROGRAM     (SIGSTOP, the shell's
                                                                    settings, SIGCONT)

Exits 77 (ctest SKIP) without /dev/kvm.
"""
import argparse
import difflib
import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

ROWS, COLS = 37, 101
TIMEOUT = 30


class Terminal:
    """A pty pair; a thread collects everything the slave side writes."""

    def __init__(self, rows, cols):
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.initial = termios.tcgetattr(self.master)
        self.output = bytearray()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: every slave descriptor is closed
                return
            if not data:
                return
            with self.lock:
                self.output += data

    def text(self):
        with self.lock:
            return bytes(self.output)

    def wait_for(self, marker, what):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if marker in self.text():
                return
            time.sleep(0.02)
        raise SystemExit(f"FAIL ({what}): no {marker!r} within {TIMEOUT} s; output so far:\n"
                         + self.text().decode(errors="replace"))

    def send(self, data):
        os.write(self.master, data)

    def flags(self):
        return termios.tcgetattr(self.master)

    def spawn(self, argv):
        def controlling_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        process = subprocess.Popen(argv, stdin=self.slave, stdout=self.slave, stderr=self.slave,
                                   start_new_session=True, preexec_fn=controlling_terminal,
                                   close_fds=True)
        return process

    def finish(self, process):
        try:
            status = process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            raise SystemExit("FAIL: the program did not end; output:\n"
                             + self.text().decode(errors="replace"))
        os.close(self.slave)
        self.reader.join(timeout=10)
        return status


def is_raw(attributes):
    lflag = attributes[3]
    return not lflag & (termios.ICANON | termios.ECHO | termios.ISIG)


def transcript(raw):
    # The CLI's own notes when it builds an image are not the program's output.
    lines = raw.decode(errors="replace").split("\r\n")
    return [line for line in lines if not line.startswith("wisp: note: ")]


def run_pty(argv, checks):
    """Runs the pty scenario of tty.c; `checks` collects host-terminal observations."""
    t = Terminal(ROWS, COLS)
    process = t.spawn(argv + ["pty"])
    t.wait_for(b"@lines\r\n", "lines")
    t.send(b"hello\nworld\n")
    t.wait_for(b"line 2: read 6 [world\\012]\r\n", "line 2")
    t.send(b"\x04")
    t.wait_for(b"eof: read 0 []\r\n", "eof")
    # Typed once the program waits in epoll: the terminal echoes it at once, and the transcript
    # must show it after the program's line, not before (it did under load, on QEMU).
    t.wait_for(b"epoll_ctl stdin: 0\r\n", "epoll_ctl")
    t.send(b"again\n")
    t.wait_for(b"@intr\r\n", "intr")
    time.sleep(1.0)  # into the read (the handler must not run before it)
    t.send(b"\x03")
    t.wait_for(b"@raw\r\n", "raw")
    checks.append(f"host terminal raw while the program has it raw: {is_raw(t.flags())}")
    t.send(b"\x03")  # a byte now, not a signal
    t.wait_for(b"@cooked\r\n", "cooked")
    checks.append(f"host terminal back to its settings after TCSETSF: "
                  f"{t.flags() == t.initial}")
    t.wait_for(b"@winch\r\n", "winch")
    time.sleep(0.3)
    fcntl.ioctl(t.master, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 132, 0, 0))
    t.wait_for(b"@done\r\n", "done")
    status = t.finish(process)
    after = t.flags()
    return status, transcript(t.text()), t.initial, after


def wisp_argv(options, program):
    return [options.wisp, "run", "--hypervisor", options.hypervisor, program]


def scenario_pty(options):
    native_checks, wisp_checks = [], []
    native_status, native, _, _ = run_pty([options.program], native_checks)
    wisp_status, inside, initial, after = run_pty(wisp_argv(options, options.program),
                                                 wisp_checks)
    failed = False
    if native != inside:
        failed = True
        sys.stdout.writelines(line + "\n" for line in difflib.unified_diff(
            native, inside, "terminal (native)", f"terminal (wisp, {options.hypervisor})",
            lineterm=""))
    if native_status != wisp_status:
        failed = True
        print(f"exit status: native {native_status}, wisp {wisp_status}")
    # Natively the program leaves the terminal raw; wisp must put the host's back.
    wisp_checks.append(f"host terminal restored after the run: {after == initial}")
    expected = [c.rsplit(":", 1)[0] + ": True" for c in wisp_checks]
    if native_checks != expected[:len(native_checks)]:
        failed = True
        print("native run:", native_checks)
    if wisp_checks != expected:
        failed = True
        print("wisp:", wisp_checks)
    if failed:
        print("--- terminal (wisp):\n" + "\n".join(inside))
        return 1
    print(f"ok: {len(inside)} lines under a pty match; " + "; ".join(wisp_checks))
    return 0


def scenario_kill(options):
    t = Terminal(ROWS, COLS)
    process = t.spawn(wisp_argv(options, options.program) + ["pty-kill"])
    t.wait_for(b"@raw\n", "raw")  # no OPOST: no \r
    raw = is_raw(t.flags())
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and t.flags() != t.initial:
        time.sleep(0.05)
    restored = t.flags() == t.initial
    if not (raw and restored):
        print(f"FAIL: raw while running {raw}, restored after SIGKILL {restored}")
        return 1
    print("ok: the host terminal was raw, and is restored after wisp was killed (SIGKILL)")
    return 0


def stopped(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "T"


def run_stop(argv):
    t = Terminal(ROWS, COLS)
    process = t.spawn(argv + ["pty-stop"])
    t.wait_for(b"@raw\r\n", "raw")
    process.send_signal(signal.SIGSTOP)
    deadline = time.monotonic() + TIMEOUT
    while not stopped(process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    termios.tcsetattr(t.master, termios.TCSANOW, t.initial)  # what the shell does
    process.send_signal(signal.SIGCONT)
    t.wait_for(b"@done\r\n", "done")
    status = t.finish(process)
    return status, transcript(t.text())


def scenario_stop(options):
    native = run_stop([options.program])
    inside = run_stop(wisp_argv(options, options.program))
    if native != inside:
        print(f"FAIL: native {native}\n      wisp   {inside}")
        return 1
    print(f"ok: stopped and continued: {native[1]}")
    return 0


def run_pipe(argv):
    process = subprocess.run(argv + ["pipe"], input=b"abc\n", stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=TIMEOUT)
    return process.returncode, process.stdout.decode().splitlines()


def scenario_pipe(options):
    native = run_pipe([options.program])
    inside = run_pipe(wisp_argv(options, options.program))
    if native != inside:
        print(f"FAIL: native {native}\n      wisp   {inside}")
        return 1
    print(f"ok: stdin a pipe: {native[1]}")
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wisp", required=True)
    parser.add_argument("--hypervisor", default="wisp")
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--pipe", action="store_true")
    parser.add_argument("--stop", action="store_true")
    parser.add_argument("program")
    options = parser.parse_args()
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("SKIP: /dev/kvm is not available (VM tests need KVM)")
        return 77
    options.program = os.path.abspath(options.program)
    if options.kill:
        return scenario_kill(options)
    if options.pipe:
        return scenario_pipe(options)
    if options.stop:
        return scenario_stop(options)
    return scenario_pty(options)


if __name__ == "__main__":
    sys.exit(main())
