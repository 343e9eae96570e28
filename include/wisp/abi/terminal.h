// SPDX-License-Identifier: MIT
#pragma once

// The console as a terminal: what the kernel and the host (wisp monitor or QEMU backend) tell
// each other when the host's stdin/stdout/stderr is a terminal. The host's line discipline does
// the terminal's work (echo, line editing, Ctrl-C); the guest keeps the termios and window size
// the application sees and reports every termios change, which the host applies to its own
// terminal.
//
//   boot option (host -> kernel)  console.tty=FDS,ROWS,COLS,XPIXEL,YPIXEL,TERMIOS
//       FDS: bit n set when fd n (0, 1, 2) is the terminal; TERMIOS: the host terminal's
//       struct termios as 72 hex digits (kTermiosSize bytes in memory order).
//   record (kernel -> host)       tty.termios=ACTION,TERMIOS
//       ACTION 0 TCSANOW, 1 TCSADRAIN, 2 TCSAFLUSH (TCSETS, TCSETSW, TCSETSF).
//   record (host -> kernel)       tty.termios=TERMIOS  (the host terminal's settings now: after
//                                 wisp was stopped, the shell may have changed them)
//   record (host -> kernel)       tty.winsize=ROWS,COLS,XPIXEL,YPIXEL  (the host window resized)
//   record (host -> kernel)       tty.eof=N  (the terminal's end-of-file key: one read returns
//                                 0 once the application has read N bytes in total)
#include <stddef.h>
#include <stdint.h>

namespace wisp::abi {

// Linux's struct termios as the TCGETS/TCSETS ioctls pass it (include/uapi/asm-generic/
// termbits.h, x86-64): four flag words, the line discipline, NCCS = 19 control characters.
struct Termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[19];
};
inline constexpr size_t kTermiosSize = 36;
static_assert(sizeof(Termios) == kTermiosSize);

// struct winsize (TIOCGWINSZ).
struct WindowSize {
    uint16_t rows, cols, xpixel, ypixel;
};
static_assert(sizeof(WindowSize) == 8);

inline constexpr char kTtyBootOption[] = "console.tty";

// `out` gets 2 * size lowercase hex digits (no terminator).
inline void termios_to_hex(const Termios& termios, char out[2 * kTermiosSize]) {
    const char* digits = "0123456789abcdef";
    const auto* bytes = reinterpret_cast<const uint8_t*>(&termios);
    for (size_t i = 0; i < kTermiosSize; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
}

// False unless `text` is exactly 2 * kTermiosSize hex digits.
inline bool termios_from_hex(const char* text, size_t length, Termios& out) {
    if (length != 2 * kTermiosSize) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    uint8_t bytes[kTermiosSize];
    for (size_t i = 0; i < kTermiosSize; i++) {
        int high = nibble(text[2 * i]), low = nibble(text[2 * i + 1]);
        if (high < 0 || low < 0) return false;
        bytes[i] = static_cast<uint8_t>(high << 4 | low);
    }
    __builtin_memcpy(&out, bytes, kTermiosSize);
    return true;
}

} // namespace wisp::abi
