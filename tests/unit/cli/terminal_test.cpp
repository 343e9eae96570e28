// SPDX-License-Identifier: MIT
// The termios encoding the kernel and the CLI share (abi/terminal.h), and the CLI's side of it.
#include "terminal.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <unistd.h>

#include "control.h"

namespace wisp::cli {
namespace {

TEST(TerminalAbi, TermiosHexRoundTrip) {
    abi::Termios t{};
    t.c_iflag = 02400;
    t.c_lflag = 0105073;
    t.c_cc[0] = 3;
    t.c_cc[18] = 0xff;
    char hex[2 * abi::kTermiosSize];
    abi::termios_to_hex(t, hex);
    // Memory order, little-endian words: c_iflag 0x500 first.
    EXPECT_EQ(std::string(hex, 8), "00050000");
    abi::Termios back{};
    ASSERT_TRUE(abi::termios_from_hex(hex, sizeof hex, back));
    EXPECT_EQ(std::memcmp(&t, &back, sizeof t), 0);
}

TEST(TerminalAbi, TermiosHexRejectsBadText) {
    abi::Termios out{};
    std::string hex(2 * abi::kTermiosSize, '0');
    EXPECT_TRUE(abi::termios_from_hex(hex.data(), hex.size(), out));
    EXPECT_FALSE(abi::termios_from_hex(hex.data(), hex.size() - 1, out));
    hex[5] = 'g';
    EXPECT_FALSE(abi::termios_from_hex(hex.data(), hex.size(), out));
}

TEST(ControlParser, OnRecordSeesRecordsInOrder) {
    ControlParser parser;
    std::string seen;
    parser.on_record = [&](std::string_view key, std::string_view value) {
        seen += std::string(key) + ":" + std::string(value) + ";";
    };
    parser.feed("tty.termios=2,00\nexit=0");
    EXPECT_EQ(seen, "tty.termios:2,00;");
    parser.finish();
    EXPECT_EQ(seen, "tty.termios:2,00;exit:0;");
}

TEST(HostTerminal, NoneWithoutATerminal) {
    // ctest runs us with pipes or files on 0..2 (a terminal only when run by hand).
    if (isatty(0) || isatty(1) || isatty(2)) GTEST_SKIP() << "run from a terminal";
    EXPECT_EQ(HostTerminal::detect(), nullptr);
}

} // namespace
} // namespace wisp::cli
