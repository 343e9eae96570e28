// SPDX-License-Identifier: MIT
// The digest memo behind the image cache key: reused only for unchanged, settled files.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <chrono>
#include <thread>

#include "file_digests.h"
#include "helpers.h"

namespace {

using namespace deps_test;
using wisp::cli::FileDigests;
using wisp::cli::Sha256;

struct Counter {
    int calls = 0;
    Sha256::Digest value;
    std::function<Sha256::Digest()> compute(std::string_view text) {
        return [this, text = std::string(text)] {
            calls++;
            return value = Sha256::of(text);
        };
    }
};

struct stat lstat_of(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::lstat(path.c_str(), &st), 0);
    return st;
}

TEST(FileDigests, RemembersSettledFilesAcrossRuns) {
    Scratch dir;
    const std::string file = dir.write("lib.so", "bytes");
    const std::string memo = dir / "file-digests";
    Counter counter;
    {
        FileDigests digests(memo, 0);
        EXPECT_EQ(digests.digest(file, lstat_of(file), counter.compute("bytes")),
                  Sha256::of("bytes"));
        EXPECT_EQ(digests.digest(file, lstat_of(file), counter.compute("bytes")),
                  Sha256::of("bytes"));
        EXPECT_EQ(counter.calls, 1);
        digests.save();
    }
    FileDigests again(memo, 0);
    EXPECT_EQ(again.digest(file, lstat_of(file), counter.compute("bytes")), Sha256::of("bytes"));
    EXPECT_EQ(counter.calls, 1); // from the saved memo

    // Any change to the file (same size, even with its mtime put back) changes its ctime. (A
    // change within the same clock tick would not: that is what the settle time is for; here it
    // is 0, so wait a few ticks.)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    struct stat before = lstat_of(file);
    dir.write("lib.so", "BYTES");
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
    EXPECT_EQ(again.digest(file, lstat_of(file), counter.compute("BYTES")), Sha256::of("BYTES"));
    EXPECT_EQ(counter.calls, 2);

    // Another file at the same path (a new inode, or the same number reused: then its ctime).
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::filesystem::remove(file);
    dir.write("lib.so", "BYTES");
    again.digest(file, lstat_of(file), counter.compute("BYTES"));
    EXPECT_EQ(counter.calls, 3);
}

TEST(FileDigests, FreshFilesAreNotRemembered) {
    Scratch dir;
    const std::string file = dir.write("new", "x");
    Counter counter;
    FileDigests digests(dir / "file-digests"); // the real settle time: the file is too new
    digests.digest(file, lstat_of(file), counter.compute("x"));
    digests.digest(file, lstat_of(file), counter.compute("x"));
    EXPECT_EQ(counter.calls, 2);
    digests.save();
    EXPECT_FALSE(std::filesystem::exists(dir / "file-digests"));
}

TEST(FileDigests, MalformedMemoIsIgnored) {
    Scratch dir;
    const std::string file = dir.write("f", "x");
    std::string memo =
        dir.write("file-digests", "wisp-file-digests 1\n1 2 3\nnot numbers at all\n" +
                                      std::string(200, 'z') + "\n");
    Counter counter;
    FileDigests digests(memo, 0);
    EXPECT_EQ(digests.digest(file, lstat_of(file), counter.compute("x")), Sha256::of("x"));
    EXPECT_EQ(counter.calls, 1);
}

} // namespace
