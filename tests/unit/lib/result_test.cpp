// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "lib/result.h"

namespace {
using wisp::Errno;
using wisp::Result;

Result<int> parse_digit(char c) {
    if (c < '0' || c > '9') return Errno::INVAL;
    return c - '0';
}

Result<int> sum_two(char a, char b) { return TRY(parse_digit(a)) + TRY(parse_digit(b)); }

TEST(Result, PropagatesValueAndError) {
    auto ok = sum_two('3', '4');
    ASSERT_FALSE(ok.is_error());
    EXPECT_EQ(ok.value(), 7);
    auto bad = sum_two('3', 'x');
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error().code, Errno::INVAL);
    EXPECT_EQ(bad.error().negated(), -22);
}
} // namespace
