// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "lib/cmdline.h"

namespace {

using namespace wisp::cmdline;
using wisp::Errno;

struct Parsed {
    std::vector<std::string> options, argv;
    bool has_argv = false;
};

// Parses with storage and token arrays of exactly the documented worst-case sizes.
Parsed parse(std::string_view line) {
    std::vector<char> storage(line.size());
    std::vector<std::string_view> tokens((line.size() + 1) / 2);
    auto r = Cmdline::parse(line, storage, tokens);
    EXPECT_FALSE(r.is_error()) << "'" << line << "': " << int(r.error().code);
    Parsed p;
    if (r.is_error()) return p;
    for (auto t : r.value().options())
        p.options.emplace_back(t);
    for (auto t : r.value().argv())
        p.argv.emplace_back(t);
    p.has_argv = r.value().has_argv();
    return p;
}

Errno parse_error(std::string_view line, size_t storage_size = 4096, size_t token_count = 64) {
    std::vector<char> storage(storage_size);
    std::vector<std::string_view> tokens(token_count);
    auto r = Cmdline::parse(line, storage, tokens);
    EXPECT_TRUE(r.is_error()) << "'" << line << "' parsed";
    return r.is_error() ? r.error().code : Errno::PERM;
}

using V = std::vector<std::string>;

TEST(Cmdline, SplitsOptionsAndArgv) {
    auto p = parse("env=HOME=/root virtio_mmio.device=4K@0xd0000000:5 quiet -- /bin/app -x y");
    EXPECT_EQ(p.options, (V{"env=HOME=/root", "virtio_mmio.device=4K@0xd0000000:5", "quiet"}));
    EXPECT_EQ(p.argv, (V{"/bin/app", "-x", "y"}));
    EXPECT_TRUE(p.has_argv);

    p = parse("  a \t b\n\nc  ");
    EXPECT_EQ(p.options, (V{"a", "b", "c"}));
    EXPECT_TRUE(p.argv.empty());
    EXPECT_FALSE(p.has_argv);

    p = parse("-- prog");
    EXPECT_TRUE(p.options.empty());
    EXPECT_EQ(p.argv, (V{"prog"}));

    p = parse("opt --");
    EXPECT_EQ(p.options, (V{"opt"}));
    EXPECT_TRUE(p.argv.empty());
    EXPECT_TRUE(p.has_argv);

    p = parse("");
    EXPECT_TRUE(p.options.empty() && p.argv.empty() && !p.has_argv);
    p = parse(" \t\n ");
    EXPECT_TRUE(p.options.empty() && p.argv.empty() && !p.has_argv);
}

TEST(Cmdline, OnlyTheFirstBareDoubleDashSeparates) {
    auto p = parse("a -- b -- c");
    EXPECT_EQ(p.options, (V{"a"}));
    EXPECT_EQ(p.argv, (V{"b", "--", "c"}));
    // Quoted or escaped, `--` is an ordinary token.
    p = parse("\"--\" \\-- -\"-\" -- x");
    EXPECT_EQ(p.options, (V{"--", "--", "--"}));
    EXPECT_EQ(p.argv, (V{"x"}));
    // `---` and `--x` are ordinary too.
    p = parse("--- --x");
    EXPECT_EQ(p.options, (V{"---", "--x"}));
    EXPECT_FALSE(p.has_argv);
}

TEST(Cmdline, QuotesAndBackslashes) {
    auto p = parse(R"(-- "hello world" a"b c"d "" x\ y \"q\" \\ "in \"side\" \\ end" "tab	nl
here")");
    EXPECT_EQ(p.argv, (V{"hello world", "ab cd", "", "x y", "\"q\"", "\\", "in \"side\" \\ end",
                         "tab\tnl\nhere"}));
    p = parse(R"(\a\b\ \c "\n")");
    EXPECT_EQ(p.options, (V{"ab c", "n"}));
    p = parse("\"\"\"\"");
    EXPECT_EQ(p.options, (V{""}));
    p = parse("x\"\"");
    EXPECT_EQ(p.options, (V{"x"}));
    p = parse("\xc3\xa9t\xc3\xa9 \"\xe2\x82\xac 1\"");
    EXPECT_EQ(p.options, (V{"\xc3\xa9t\xc3\xa9", "\xe2\x82\xac 1"}));
}

TEST(Cmdline, Errors) {
    EXPECT_EQ(parse_error("a \"b c"), Errno::INVAL);                   // unterminated quote
    EXPECT_EQ(parse_error("\""), Errno::INVAL);                        // unterminated quote
    EXPECT_EQ(parse_error("a b\\"), Errno::INVAL);                     // trailing backslash
    EXPECT_EQ(parse_error("\"a\\\""), Errno::INVAL);                   // escaped closing quote
    EXPECT_EQ(parse_error(std::string_view("a\0b", 3)), Errno::INVAL); // NUL
    EXPECT_EQ(parse_error("a b c", 4096, 2), Errno::TOOBIG);           // too many tokens
    EXPECT_EQ(parse_error("abcdef", 5), Errno::TOOBIG);                // storage too small
    EXPECT_EQ(parse_error("-- a b c", 4096, 2), Errno::TOOBIG);
    // Exactly enough is enough.
    std::vector<char> storage(3);
    std::vector<std::string_view> tokens(2);
    auto r = Cmdline::parse("a -- bc", storage, tokens);
    ASSERT_FALSE(r.is_error());
    EXPECT_EQ(r.value().argv()[0], "bc");
}

TEST(Cmdline, OptionValues) {
    auto o = split_option("env=HOME=/root");
    EXPECT_EQ(o.key, "env");
    EXPECT_EQ(o.value, "HOME=/root");
    EXPECT_TRUE(o.has_value);
    o = split_option("quiet");
    EXPECT_EQ(o.key, "quiet");
    EXPECT_FALSE(o.has_value);
    o = split_option("k=");
    EXPECT_EQ(o.key, "k");
    EXPECT_EQ(o.value, "");
    EXPECT_TRUE(o.has_value);

    std::vector<char> storage(256);
    std::vector<std::string_view> tokens(32);
    auto c = Cmdline::parse("mem=1 env=A=1 quiet env=B=2 mem=2 -- mem=3", storage, tokens);
    ASSERT_FALSE(c.is_error());
    EXPECT_EQ(c.value().value("mem"), "2"); // later wins; argv is not options
    EXPECT_EQ(c.value().value("quiet"), "");
    EXPECT_FALSE(c.value().value("missing").has_value());
    std::vector<std::string> env;
    c.value().for_each_value("env", [&](std::string_view v) { env.emplace_back(v); });
    EXPECT_EQ(env, (V{"A=1", "B=2"}));
}

TEST(Cmdline, MergeBootOverImage) {
    std::vector<char> image_storage(256), boot_storage(256);
    std::vector<std::string_view> image_tokens(32), boot_tokens(32), merged_tokens(64);
    auto image = Cmdline::parse("env=PATH=/bin env=HOME=/ mem=1 -- /app default", image_storage,
                                image_tokens);
    ASSERT_FALSE(image.is_error());

    auto boot = Cmdline::parse("mem=2 env=HOME=/root", boot_storage, boot_tokens);
    ASSERT_FALSE(boot.is_error());
    auto merged = merge(image.value(), boot.value(), merged_tokens);
    ASSERT_FALSE(merged.is_error());
    EXPECT_EQ(merged.value().value("mem"), "2");
    std::vector<std::string> env, argv;
    merged.value().for_each_value("env", [&](std::string_view v) { env.emplace_back(v); });
    EXPECT_EQ(env, (V{"PATH=/bin", "HOME=/", "HOME=/root"}));
    for (auto a : merged.value().argv())
        argv.emplace_back(a);
    EXPECT_EQ(argv, (V{"/app", "default"})); // no `--` on the boot line: image argv kept
    EXPECT_TRUE(merged.value().has_argv());

    // A boot `--` replaces argv.
    std::vector<char> boot2_storage(256);
    std::vector<std::string_view> boot2_tokens(32);
    auto boot2 = Cmdline::parse("-- /other x", boot2_storage, boot2_tokens);
    ASSERT_FALSE(boot2.is_error());
    auto merged2 = merge(image.value(), boot2.value(), merged_tokens);
    ASSERT_FALSE(merged2.is_error());
    argv.clear();
    for (auto a : merged2.value().argv())
        argv.emplace_back(a);
    EXPECT_EQ(argv, (V{"/other", "x"}));
    EXPECT_EQ(merged2.value().options().size(), 3u);

    // Not enough room for the merged token list.
    std::vector<std::string_view> small(4);
    auto r = merge(image.value(), boot2.value(), small);
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error().code, Errno::TOOBIG);

    // An empty image line (no /.wisp/cmdline) merges to the boot line.
    auto none = Cmdline::parse("", image_storage, image_tokens);
    ASSERT_FALSE(none.is_error());
    auto merged3 = merge(none.value(), boot2.value(), merged_tokens);
    ASSERT_FALSE(merged3.is_error());
    EXPECT_EQ(merged3.value().argv().size(), 2u);
}

TEST(Cmdline, QuoteWritesWhatTokenizeReads) {
    EXPECT_EQ(quote("plain"), "plain");
    EXPECT_EQ(quote("a=b,c:d@0x10"), "a=b,c:d@0x10");
    EXPECT_EQ(quote(""), "\"\"");
    EXPECT_EQ(quote("--"), "\"--\"");
    EXPECT_EQ(quote("a b"), "\"a b\"");
    EXPECT_EQ(quote("say \"hi\""), R"("say \"hi\"")");
    EXPECT_EQ(quote("back\\slash"), R"("back\\slash")");
    EXPECT_EQ(build_cmdline({"env=A=1 2", "quiet"}, {"/bin/echo", "--", ""}),
              R"("env=A=1 2" quiet -- /bin/echo "--" "")");
    EXPECT_EQ(build_cmdline({}, {"/app"}), "-- /app");
    EXPECT_EQ(build_cmdline({"x"}, {}), "x");
    EXPECT_EQ(build_cmdline({}, {}), "");
}

// Arbitrary bytes (except NUL) survive build_cmdline -> tokenize unchanged.
TEST(Cmdline, RoundTripsArbitraryBytes) {
    std::mt19937 rng(7);
    const std::string special = " \t\n\"\\-=\r\v'$`*";
    auto random_token = [&]() {
        std::string s;
        size_t length = rng() % 12;
        for (size_t i = 0; i < length; i++) {
            switch (rng() % 4) {
            case 0:
                s += special[rng() % special.size()];
                break;
            case 1:
                s += char(1 + rng() % 255);
                break; // any byte but NUL, UTF-8 fragments too
            case 2:
                s += "\xe2\x82\xac";
                break;
            default:
                s += char('a' + rng() % 26);
            }
        }
        if (rng() % 20 == 0) s = "--";
        return s;
    };
    for (int round = 0; round < 5000; round++) {
        V options(rng() % 5), argv(rng() % 5);
        for (auto& o : options)
            o = random_token();
        for (auto& a : argv)
            a = random_token();
        std::string line = build_cmdline(options, argv);
        Parsed p = parse(line);
        ASSERT_EQ(p.options, options) << line;
        ASSERT_EQ(p.argv, argv) << line;
        ASSERT_EQ(p.has_argv, !argv.empty()) << line;
    }
}

} // namespace
