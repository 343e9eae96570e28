// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "control.h"
#include "exit_status.h"

using namespace wisp::cli;
using Records = std::vector<std::pair<std::string, std::string>>;

TEST(ControlParser, WholeRecords) {
    ControlParser parser;
    parser.feed("t.entry=100\nexit=0\n");
    EXPECT_EQ(parser.records(), (Records{{"t.entry", "100"}, {"exit", "0"}}));
}

TEST(ControlParser, RecordsSplitAcrossChunks) {
    ControlParser parser;
    for (char c : std::string("ex"
                              "it=13"
                              "9\nt.x=5\n"))
        parser.feed(std::string_view(&c, 1));
    EXPECT_EQ(parser.records(), (Records{{"exit", "139"}, {"t.x", "5"}}));
}

TEST(ControlParser, LastRecordWithoutNewline) {
    ControlParser parser;
    parser.feed("a=1\nexit=7");
    EXPECT_EQ(parser.records().size(), 1u);
    parser.finish();
    EXPECT_EQ(parser.records(), (Records{{"a", "1"}, {"exit", "7"}}));
}

TEST(ControlParser, IgnoresGarbage) {
    ControlParser parser;
    parser.feed("\n\nno equals sign\n=novalue\nk=v=w\r\nempty=\n");
    parser.finish();
    EXPECT_EQ(parser.records(), (Records{{"k", "v=w"}, {"empty", ""}}));
}

TEST(ControlParser, LatestValueWins) {
    ControlParser parser;
    parser.feed("exit=1\nexit=2\n");
    EXPECT_EQ(parser.latest().at("exit"), "2");
}

TEST(ControlNumber, DecimalAndHex) {
    std::map<std::string, std::string> records = {
        {"a", "42"}, {"b", "0x1f"}, {"c", "12abc"}, {"d", ""}};
    EXPECT_EQ(control_number(records, "a"), 42u);
    EXPECT_EQ(control_number(records, "b"), 31u);
    EXPECT_EQ(control_number(records, "c"), std::nullopt);
    EXPECT_EQ(control_number(records, "d"), std::nullopt);
    EXPECT_EQ(control_number(records, "missing"), std::nullopt);
}

TEST(Milestones, SortedByTsc) {
    std::map<std::string, std::string> records = {{"t.entry", "1000"}, {"t.paging", "3000"},
                                                  {"t.mm", "2000"},    {"exit", "0"},
                                                  {"t.", "5"},         {"t.bad", "x"}};
    auto list = milestones(records);
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].name, "entry");
    EXPECT_EQ(list[1].name, "mm");
    EXPECT_EQ(list[2].name, "paging");
    EXPECT_EQ(list[2].tsc, 3000u);
}

TEST(ExitStatus, FromDebugExitValue) {
    EXPECT_EQ(exit_status_from_value(0), 0);
    EXPECT_EQ(exit_status_from_value(42), 42);
    EXPECT_EQ(exit_status_from_value(139), 139);
    EXPECT_EQ(exit_status_from_value(255), 255);
    EXPECT_EQ(exit_status_from_value(wisp::abi::kExitPanic), 125);
    EXPECT_EQ(exit_status_from_value(wisp::abi::kExitPanic | 3), 125);
}
