// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "timings.h"

using namespace wisp::cli;

TEST(GuestMilestoneRows, RelativeToEntryInMs) {
    // 2 GHz: 2'000'000 ticks per ms.
    std::vector<Milestone> list = {{"reset", 1'000'000}, {"entry", 2'000'000}, {"main", 6'000'000}};
    auto rows = guest_milestone_rows(list, 2'000'000);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].label, "reset");
    EXPECT_DOUBLE_EQ(rows[0].at_ms, -0.5);
    EXPECT_DOUBLE_EQ(rows[1].at_ms, 0.0);
    EXPECT_DOUBLE_EQ(rows[2].at_ms, 2.0);
}

TEST(GuestMilestoneRows, WithoutEntryUsesFirst) {
    auto rows = guest_milestone_rows({{"a", 500}, {"b", 1500}}, 1000);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_DOUBLE_EQ(rows[0].at_ms, 0.0);
    EXPECT_DOUBLE_EQ(rows[1].at_ms, 1.0);
}

TEST(GuestMilestoneRows, UnknownFrequency) {
    EXPECT_TRUE(guest_milestone_rows({{"entry", 1}}, 0).empty());
}

TEST(FormatTimings, Table) {
    std::string table = format_timings({{"image build/cache", 1.5}, {"VM create", 2.25}}, 10.0,
                                       {{"entry", 0.0}, {"main", 3.125}});
    EXPECT_EQ(table, "wisp timings (ms)\n"
                     "  host                           step         at\n"
                     "  image build/cache              1.50       1.50\n"
                     "  VM create                      0.75       2.25\n"
                     "  total                                    10.00\n"
                     "  guest (since t.entry)          step         at\n"
                     "  entry                          0.00       0.00\n"
                     "  main                           3.12       3.12\n");
}

TEST(FormatTimings, NoGuestSection) {
    std::string table = format_timings({}, 0.004, {});
    EXPECT_EQ(table, "wisp timings (ms)\n"
                     "  host                           step         at\n"
                     "  total                                     0.00\n");
}

TEST(HostTsc, PlausibleFrequency) {
    uint64_t khz = measure_host_tsc_khz();
    EXPECT_GT(khz, 100'000u);    // > 100 MHz
    EXPECT_LT(khz, 10'000'000u); // < 10 GHz
}
