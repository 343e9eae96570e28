// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "stderr_stream.h"

using namespace wisp::cli;

namespace {

// Records what reaches the sink, chunk by chunk, with a symbolizer that marks lines it saw.
struct Harness {
    std::vector<std::string> chunks;
    StderrStream stream{[this](std::string_view s) { chunks.emplace_back(s); },
                        [](std::string_view line) { return std::string(line) + " sym"; }};
    std::string all() const {
        std::string out;
        for (const auto& c : chunks)
            out += c;
        return out;
    }
};

} // namespace

TEST(StderrStream, PlainTextPassesImmediately) {
    Harness h;
    h.stream.feed("prompt> ");
    EXPECT_EQ(h.all(), "prompt> "); // no newline needed
    h.stream.feed("more\nnext");
    EXPECT_EQ(h.all(), "prompt> more\nnext");
}

TEST(StderrStream, BacktraceLinesAreSymbolized) {
    Harness h;
    h.stream.feed("panic: oops\n  #0 0xffffffff80001234\n  #1 0xffffffff80005678\ndone\n");
    EXPECT_EQ(h.all(),
              "panic: oops\n  #0 0xffffffff80001234 sym\n  #1 0xffffffff80005678 sym\ndone\n");
}

TEST(StderrStream, BacktraceSplitAnywhere) {
    std::string input = "x\n  #0 0xffffffff80001234\n  #1 0x10\n";
    for (size_t split = 0; split <= input.size(); split++) {
        Harness h;
        h.stream.feed(std::string_view(input).substr(0, split));
        h.stream.feed(std::string_view(input).substr(split));
        EXPECT_EQ(h.all(), "x\n  #0 0xffffffff80001234 sym\n  #1 0x10 sym\n") << split;
    }
}

TEST(StderrStream, ByteByByte) {
    Harness h;
    for (char c : std::string("  a\n  #2 0x1\n #\n  \n"))
        h.stream.feed(std::string_view(&c, 1));
    EXPECT_EQ(h.all(), "  a\n  #2 0x1 sym\n #\n  \n");
}

TEST(StderrStream, HeldLineIsNotForwardedEarly) {
    Harness h;
    h.stream.feed("  #3 0xff");
    EXPECT_EQ(h.all(), "");
    h.stream.feed("\n");
    EXPECT_EQ(h.all(), "  #3 0xff sym\n");
}

TEST(StderrStream, FinishFlushesPartialLines) {
    Harness a;
    a.stream.feed("  #4 0x1");
    a.stream.finish();
    EXPECT_EQ(a.all(), "  #4 0x1 sym");

    Harness b;
    b.stream.feed("  ");
    b.stream.finish();
    EXPECT_EQ(b.all(), "  ");
}
