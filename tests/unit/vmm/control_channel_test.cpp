// SPDX-License-Identifier: MIT
#include "devices/control_channel.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace wisp::vmm {
namespace {

TEST(ControlChannel, Records) {
    ControlChannel c;
    c.feed("exit=0\nt.entry=100\n");
    EXPECT_EQ(c.records().size(), 2u);
    EXPECT_EQ(c.records().at("exit"), "0");
    EXPECT_EQ(c.records().at("t.entry"), "100");
}

TEST(ControlChannel, RecordsSpanWrites) {
    ControlChannel c;
    for (char ch : std::string("reason=killed by SIGSEGV at 0x10\n"))
        c.feed(std::string(1, ch));
    EXPECT_EQ(c.records().at("reason"), "killed by SIGSEGV at 0x10");
}

TEST(ControlChannel, ListenerSeesEachRecordAsItCompletes) {
    ControlChannel c;
    std::vector<std::pair<std::string, std::string>> seen;
    c.set_listener([&](std::string_view key, std::string_view value) {
        seen.emplace_back(std::string(key), std::string(value));
    });
    c.feed("tty.termios=0,ab\ntty.ter");
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].first, "tty.termios");
    EXPECT_EQ(seen[0].second, "0,ab");
    c.feed("mios=1,cd\nnot a record\n");
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1].second, "1,cd");
}

TEST(ControlChannel, LastValueWins) {
    ControlChannel c;
    c.feed("a=1\na=2\n");
    EXPECT_EQ(c.records().at("a"), "2");
}

TEST(ControlChannel, IncompleteRecordIsNotReported) {
    ControlChannel c;
    c.feed("exit=1");
    EXPECT_TRUE(c.records().empty());
    c.feed("\n");
    EXPECT_EQ(c.records().at("exit"), "1");
}

TEST(ControlChannel, MalformedRecordsAreIgnored) {
    ControlChannel c;
    c.feed("no equals sign\n=value without key\n\n\r\nkey=value=with=equals\r\nempty=\n");
    EXPECT_EQ(c.records().size(), 2u);
    EXPECT_EQ(c.records().at("key"), "value=with=equals");
    EXPECT_EQ(c.records().at("empty"), "");
}

TEST(ControlChannel, OverlongRecordIsDroppedWhole) {
    ControlChannel c;
    c.feed("big=");
    c.feed(std::string(ControlChannel::kMaxRecord, 'x'));
    c.feed("\nnext=1\n");
    EXPECT_FALSE(c.records().contains("big"));
    EXPECT_EQ(c.records().at("next"), "1");
}

TEST(ControlChannel, KeyCountIsCapped) {
    ControlChannel c;
    for (size_t i = 0; i < ControlChannel::kMaxKeys + 10; i++)
        c.feed("k" + std::to_string(i) + "=v\n");
    EXPECT_EQ(c.records().size(), ControlChannel::kMaxKeys);
    c.feed("k0=updated\n"); // existing keys still update
    EXPECT_EQ(c.records().at("k0"), "updated");
}

} // namespace
} // namespace wisp::vmm
