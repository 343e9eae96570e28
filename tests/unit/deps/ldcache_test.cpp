// SPDX-License-Identifier: MIT
// The ld.so.cache reader: against `ldconfig -p` on the host's cache, and on made-up caches.
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "helpers.h"
#include "ldcache.h"

namespace {

using namespace deps_test;
using wisp::cli::LdCache;
using wisp::cli::LdCacheEntry;

TEST(LdCache, MatchesLdconfigOnTheHostCache) {
    if (::access("/etc/ld.so.cache", R_OK) != 0) GTEST_SKIP() << "no /etc/ld.so.cache";
    std::string ldconfig = have("/sbin/ldconfig") ? "/sbin/ldconfig" : "ldconfig";
    int status = 0;
    std::string listing = run(ldconfig + " -p", &status);
    if (status != 0) GTEST_SKIP() << "ldconfig -p failed";

    // "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1", one per entry; with
    // ", hwcap: ..." inside the parentheses for glibc-hwcaps entries.
    std::multiset<std::pair<std::string, std::string>> expected;
    size_t other_kinds = 0;
    std::istringstream lines(listing);
    std::string line;
    while (std::getline(lines, line)) {
        size_t open = line.find(" ("), arrow = line.find(") => ");
        if (line.empty() || line[0] != '\t' || open == std::string::npos ||
            arrow == std::string::npos)
            continue;
        std::string kind = line.substr(open + 2, arrow - open - 2);
        if (!kind.starts_with("libc6,x86-64")) {
            other_kinds++;
            continue;
        }
        expected.emplace(line.substr(1, open - 1), line.substr(arrow + 5));
    }
    ASSERT_FALSE(expected.empty());

    LdCache cache = LdCache::load("/etc/ld.so.cache");
    std::multiset<std::pair<std::string, std::string>> got;
    size_t not_x86_64 = 0;
    for (const auto& entry : cache.entries()) {
        if (entry.is_x86_64())
            got.emplace(entry.name, entry.path);
        else
            not_x86_64++;
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(not_x86_64, other_kinds);

    auto libc = cache.find_x86_64("libc.so.6");
    ASSERT_FALSE(libc.empty());
    EXPECT_EQ(libc[0]->hwcap, 0u);
    EXPECT_TRUE(libc[0]->path.ends_with("/libc.so.6"));
    EXPECT_TRUE(cache.find_x86_64("libdoes-not-exist.so.9").empty());
}

// Builds a cache file the way ldconfig lays it out (see ldcache.h).
struct FakeEntry {
    int32_t flags;
    std::string name, path;
    uint64_t hwcap = 0;
};

template<typename T>
void put(std::vector<uint8_t>& bytes, size_t offset, T value) {
    if (bytes.size() < offset + sizeof value) bytes.resize(offset + sizeof value);
    std::memcpy(bytes.data() + offset, &value, sizeof value);
}

std::vector<uint8_t> make_cache(const std::vector<FakeEntry>& entries,
                                const std::vector<std::string>& hwcaps = {},
                                uint32_t old_entries = 0) {
    std::vector<uint8_t> out(48 + 24 * entries.size());
    std::memcpy(out.data(), "glibc-ld.so.cache1.1", 20);
    put<uint32_t>(out, 20, uint32_t(entries.size()));
    put<uint8_t>(out, 28, 2); // little-endian
    std::map<std::string, uint32_t> strings;
    auto string = [&](const std::string& text) {
        if (auto it = strings.find(text); it != strings.end()) return it->second;
        uint32_t at = uint32_t(out.size());
        out.insert(out.end(), text.begin(), text.end());
        out.push_back(0);
        strings[text] = at;
        return at;
    };
    for (size_t i = 0; i < entries.size(); i++) {
        const size_t at = 48 + 24 * i;
        put<int32_t>(out, at, entries[i].flags);
        put<uint32_t>(out, at + 4, string(entries[i].name));
        put<uint32_t>(out, at + 8, string(entries[i].path));
        put<uint64_t>(out, at + 16, entries[i].hwcap);
    }
    put<uint32_t>(out, 24, uint32_t(out.size() - 48 - 24 * entries.size()));
    if (!hwcaps.empty()) {
        std::vector<uint32_t> names;
        for (const auto& name : hwcaps)
            names.push_back(string(name));
        while (out.size() % 4)
            out.push_back(0);
        const uint32_t extension = uint32_t(out.size());
        put<uint32_t>(out, 32, extension);
        put<uint32_t>(out, extension, 0xeaa42174);
        put<uint32_t>(out, extension + 4, 1);
        const uint32_t array = extension + 8 + 16;
        put<uint32_t>(out, extension + 8, 1); // glibc-hwcaps
        put<uint32_t>(out, extension + 12, 0);
        put<uint32_t>(out, extension + 16, array);
        put<uint32_t>(out, extension + 20, uint32_t(4 * names.size()));
        for (size_t i = 0; i < names.size(); i++)
            put<uint32_t>(out, array + 4 * i, names[i]);
    }
    if (old_entries == 0) return out;
    // The old-format table first; the new part follows, 8-aligned, its offsets unchanged.
    std::vector<uint8_t> old(16 + 12 * old_entries);
    std::memcpy(old.data(), "ld.so-1.7.0", 11);
    put<uint32_t>(old, 12, old_entries);
    while (old.size() % 8)
        old.push_back(0);
    old.insert(old.end(), out.begin(), out.end());
    return old;
}

const FakeEntry kZlib{0x0303, "libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"};
const FakeEntry kZlib32{0x0003, "libz.so.1", "/usr/lib32/libz.so.1"};
const FakeEntry kZlibX32{0x0803, "libz.so.1", "/usr/libx32/libz.so.1"};

TEST(LdCache, FindsX86_64EntriesOnly) {
    auto bytes = make_cache({kZlib32, kZlibX32, kZlib});
    auto cache = LdCache::parse(bytes);
    ASSERT_TRUE(cache);
    ASSERT_EQ(cache->entries().size(), 3u);
    auto found = cache->find_x86_64("libz.so.1");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]->path, "/lib/x86_64-linux-gnu/libz.so.1");
}

TEST(LdCache, GlibcHwcapsEntriesComeAfterThePlainOne) {
    const uint64_t v3 = wisp::cli::kLdCacheHwcapExtension | 1;
    auto bytes = make_cache(
        {{0x0303, "libz.so.1", "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1", v3},
         kZlib},
        {"x86-64-v2", "x86-64-v3"});
    auto cache = LdCache::parse(bytes);
    ASSERT_TRUE(cache);
    auto found = cache->find_x86_64("libz.so.1");
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0]->hwcap, 0u);
    EXPECT_EQ(found[1]->hwcaps_subdir, "x86-64-v3");
}

TEST(LdCache, ReadsTheNewFormatAfterAnOldTable) {
    auto bytes = make_cache({kZlib}, {}, 3);
    auto cache = LdCache::parse(bytes);
    ASSERT_TRUE(cache);
    ASSERT_EQ(cache->find_x86_64("libz.so.1").size(), 1u);
    EXPECT_EQ(cache->find_x86_64("libz.so.1")[0]->path, kZlib.path);
}

TEST(LdCache, RefusesWhatLdSoWouldNotUse) {
    auto good = make_cache({kZlib});
    ASSERT_TRUE(LdCache::parse(good));

    auto bad_magic = good;
    bad_magic[0] = 'G';
    EXPECT_FALSE(LdCache::parse(bad_magic));

    auto big_endian = good;
    big_endian[28] = 3;
    EXPECT_FALSE(LdCache::parse(big_endian));

    // Every truncation: a missing table or an unterminated string, never a read past the end.
    for (size_t size = 0; size < good.size(); size++) {
        std::vector<uint8_t> cut(good.begin(), good.begin() + long(size));
        EXPECT_FALSE(LdCache::parse(cut)) << size;
    }

    auto huge_count = good;
    put<uint32_t>(huge_count, 20, 0xffffffffu);
    EXPECT_FALSE(LdCache::parse(huge_count));

    auto string_outside = good;
    put<uint32_t>(string_outside, 48 + 8, 0x7fffffffu);
    EXPECT_FALSE(LdCache::parse(string_outside));

    auto bad_hwcap_index =
        make_cache({{0x0303, "libz.so.1", "/x/libz.so.1", wisp::cli::kLdCacheHwcapExtension | 5}},
                   {"x86-64-v2"});
    EXPECT_FALSE(LdCache::parse(bad_hwcap_index));

    auto old_table_too_long = make_cache({kZlib}, {}, 1);
    put<uint32_t>(old_table_too_long, 12, 1u << 30);
    EXPECT_FALSE(LdCache::parse(old_table_too_long));

    // A missing file is an empty cache, as for ld.so.
    EXPECT_TRUE(LdCache::load("/nonexistent/ld.so.cache").entries().empty());
}

} // namespace
