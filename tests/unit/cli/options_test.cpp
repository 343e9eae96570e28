// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <unistd.h>

#include "options.h"
#include "temp_dir.h"
#include "vmm.h"

using namespace wisp::cli;
using wisp::vmm::UserError;

TEST(MemorySize, Units) {
    EXPECT_EQ(parse_memory_size("256M"), 256ull << 20);
    EXPECT_EQ(parse_memory_size("256m"), 256ull << 20);
    EXPECT_EQ(parse_memory_size("1G"), 1ull << 30);
    EXPECT_EQ(parse_memory_size("1GiB"), 1ull << 30);
    EXPECT_EQ(parse_memory_size("1GB"), 1ull << 30);
    EXPECT_EQ(parse_memory_size("64MB"), 64ull << 20);
    EXPECT_EQ(parse_memory_size("8192K"), 8ull << 20);
    EXPECT_EQ(parse_memory_size("1T"), 1ull << 40);
}

TEST(MemorySize, BareNumberIsMiB) {
    EXPECT_EQ(parse_memory_size("100"), 100ull << 20);
    EXPECT_EQ(parse_memory_size("1"), 1ull << 20);
}

TEST(MemorySize, Rejects) {
    for (const char* bad :
         {"", "M", "abc", "0", "0M", "-1G", "1.5G", "12X", "1 G", "1GG", "1Gi", "1KiBB", " 256M",
          "256M ", "2K", "99999999999999999999", "99999999999T"})
        EXPECT_EQ(parse_memory_size(bad), std::nullopt) << "'" << bad << "'";
}

TEST(MemorySize, Format) {
    EXPECT_EQ(format_memory_size(256ull << 20), "256M");
    EXPECT_EQ(format_memory_size(2ull << 30), "2G");
    EXPECT_EQ(format_memory_size(1536ull << 20), "1536M");
    EXPECT_EQ(format_memory_size((4ull << 20) + 4096), "5M"); // rounded up
}

TEST(EnvOption, KeyValue) {
    EXPECT_EQ(parse_env_option("A=b"), "A=b");
    EXPECT_EQ(parse_env_option("A="), "A=");
    EXPECT_EQ(parse_env_option("A=b=c"), "A=b=c");
}

TEST(EnvOption, KeyAloneCopiesHostValue) {
    setenv("WISP_TEST_ENV_VALUE", "from host", 1);
    EXPECT_EQ(parse_env_option("WISP_TEST_ENV_VALUE"), "WISP_TEST_ENV_VALUE=from host");
    unsetenv("WISP_TEST_ENV_VALUE");
    EXPECT_EQ(parse_env_option("WISP_TEST_ENV_VALUE"), std::nullopt);
}

TEST(EnvOption, EmptyName) {
    EXPECT_THROW(parse_env_option("=x"), UserError);
}

TEST(MergedEnvironment, DefaultsThenUser) {
    EXPECT_EQ(merged_environment({}),
              (std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/"}));
    EXPECT_EQ(merged_environment({"A=1", "HOME=/root", "A=2"}),
              (std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "A=2"}));
    // A key that is a prefix of another is a different key.
    EXPECT_EQ(merged_environment({"PAT=x"}),
              (std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "PAT=x"}));
}

TEST(FileOption, HostOnly) {
    TempDir dir;
    std::string host = dir.file("data.txt", "x");
    EXPECT_EQ(parse_file_option(host), std::make_pair(host, host));
}

TEST(FileOption, HostAndGuest) {
    TempDir dir;
    std::string host = dir.file("data.txt", "x");
    EXPECT_EQ(parse_file_option(host + ":/etc/app.conf"),
              std::make_pair(host, std::string("/etc/app.conf")));
    EXPECT_EQ(parse_file_option(host + ":/srv//www/"),
              std::make_pair(host, std::string("/srv/www")));
}

TEST(FileOption, RelativeHostBecomesAbsolute) {
    TempDir dir;
    dir.file("rel.txt", "x");
    std::string cwd = std::filesystem::current_path();
    ASSERT_EQ(chdir(dir.path().c_str()), 0);
    auto [host, guest] = parse_file_option("./rel.txt");
    ASSERT_EQ(chdir(cwd.c_str()), 0);
    EXPECT_EQ(host, (dir.path() / "rel.txt").string());
    EXPECT_EQ(guest, host);
}

TEST(FileOption, HostPathWithColon) {
    TempDir dir;
    std::string host = dir.file("a:b", "x");
    EXPECT_EQ(parse_file_option(host), std::make_pair(host, host));
}

TEST(FileOption, Errors) {
    TempDir dir;
    std::string host = dir.file("data.txt", "x");
    EXPECT_THROW(parse_file_option((dir.path() / "missing").string()), UserError);
    EXPECT_THROW(parse_file_option(host + ":relative/guest"), UserError);
    EXPECT_THROW(parse_file_option(":/guest"), UserError);
}

TEST(ResolveProgram, PathWithSlash) {
    std::string cwd = std::filesystem::current_path();
    EXPECT_EQ(resolve_program("./x/../app", nullptr), cwd + "/app");
    EXPECT_EQ(resolve_program("/usr/bin/../bin/true", nullptr), "/usr/bin/true");
    // A path is taken as given even when it does not exist: check_program reports that.
    EXPECT_EQ(resolve_program("/no/such/app", nullptr), "/no/such/app");
}

TEST(ResolveProgram, SearchesPath) {
    TempDir a, b;
    a.file("tool", "not executable", 0644); // skipped: not executable
    std::string tool = b.file("tool", "#!/bin/sh\n", 0755);
    std::filesystem::create_directory(a.path() / "dir"); // skipped: a directory
    b.file("dir", "", 0755);
    std::string path = a.path().string() + ":" + b.path().string();
    EXPECT_EQ(resolve_program("tool", path.c_str()), tool);
    EXPECT_EQ(resolve_program("dir", path.c_str()), (b.path() / "dir").string());
    EXPECT_THROW(resolve_program("missing", path.c_str()), UserError);
}

TEST(ResolveProgram, EmptyEntryIsCurrentDirectory) {
    TempDir dir;
    std::string tool = dir.file("tool", "", 0755);
    std::string cwd = std::filesystem::current_path();
    ASSERT_EQ(chdir(dir.path().c_str()), 0);
    std::string found = resolve_program("tool", "/nonexistent::/also-not");
    ASSERT_EQ(chdir(cwd.c_str()), 0);
    EXPECT_EQ(found, tool);
}

TEST(ResolveProgram, DefaultPathWhenUnset) {
    EXPECT_EQ(resolve_program("sh", nullptr).substr(0, 1), "/");
    EXPECT_THROW(resolve_program("", nullptr), UserError);
}
