// SPDX-License-Identifier: MIT
// Path walks: components, ".", "..", symlinks and their limits, trailing slashes, name lengths.
#include "vfs_fixture.h"

namespace vfs_test {
namespace {

class PathWalk : public VfsTest {};

TEST_F(PathWalk, ResolvesComponentsDotsAndRepeatedSlashes) {
    ASSERT_EQ(mkdir("a"), kOk);
    ASSERT_EQ(mkdir("a/b"), kOk);
    ASSERT_EQ(create_file("a/b/f", "x"), kOk);
    EXPECT_EQ(read_file("a/b/f"), "x");
    EXPECT_EQ(read_file("/a//b///f"), "x");
    EXPECT_EQ(read_file("./a/./b/../b/f"), "x");
    EXPECT_EQ(read_file("/../../a/b/f"), "x");    // ".." at the root stays there
    EXPECT_EQ(read_file("a/b/f/"), "<error 20>"); // trailing slash on a file: ENOTDIR
    EXPECT_EQ(read_file("a/b/f/."), "<error 20>");
    EXPECT_EQ(read_file("a/b/f/.."), "<error 20>");
    EXPECT_EQ(read_file("a/missing/f"), "<error 2>");
    EXPECT_EQ(read_file("a/b/f/g"), "<error 20>");
    EXPECT_EQ(error_of(resolve("")), Errno::NOENT);
    EXPECT_EQ(error_of(resolve("a/b/", kFollow)), kOk);
    EXPECT_EQ(error_of(resolve("a/b/f", kFollow | kDirectory)), Errno::NOTDIR);
}

TEST_F(PathWalk, NameAndPathLengths) {
    std::string long_name(256, 'n');
    EXPECT_EQ(mkdir(long_name), Errno::NAMETOOLONG);
    EXPECT_EQ(error_of(resolve(long_name + "/x")), Errno::NAMETOOLONG);
    std::string max_name(255, 'm');
    EXPECT_EQ(mkdir(max_name), kOk);
    EXPECT_EQ(error_of(resolve(max_name)), kOk);
}

TEST_F(PathWalk, FollowsSymlinksRelativeAndAbsolute) {
    ASSERT_EQ(mkdir("d"), kOk);
    ASSERT_EQ(mkdir("d/e"), kOk);
    ASSERT_EQ(create_file("d/e/f", "data"), kOk);
    ASSERT_EQ(symlink("e", "d/rel"), kOk);
    ASSERT_EQ(symlink("/d/e/f", "abs"), kOk);
    ASSERT_EQ(symlink("../../d/e", "d/e/up"), kOk);
    EXPECT_EQ(read_file("d/rel/f"), "data");
    EXPECT_EQ(read_file("abs"), "data");
    EXPECT_EQ(read_file("d/e/up/up/f"), "data");
    // The final symlink itself when not following.
    auto p = resolve("abs", 0);
    ASSERT_FALSE(p.is_error());
    EXPECT_TRUE(p.value().vnode().is_symlink());
    // A trailing slash follows the link and demands a directory.
    EXPECT_EQ(error_of(resolve("d/rel/", 0)), kOk);
    EXPECT_TRUE(resolve("d/rel/", 0).value().vnode().is_directory());
    EXPECT_EQ(error_of(resolve("abs/", 0)), Errno::NOTDIR);
    // Dangling.
    ASSERT_EQ(symlink("nowhere", "dangling"), kOk);
    EXPECT_EQ(error_of(resolve("dangling")), Errno::NOENT);
    EXPECT_EQ(error_of(resolve("dangling", 0)), kOk);
}

TEST_F(PathWalk, SymlinkLoopsAndTheFortyLinkLimit) {
    ASSERT_EQ(symlink("loop2", "loop1"), kOk);
    ASSERT_EQ(symlink("loop1", "loop2"), kOk);
    EXPECT_EQ(error_of(resolve("loop1")), Errno::LOOP);
    EXPECT_EQ(error_of(resolve("loop1/x")), Errno::LOOP);
    // A chain of exactly 40 links resolves; 41 does not.
    ASSERT_EQ(create_file("target", "t"), kOk);
    ASSERT_EQ(symlink("target", "c0"), kOk);
    for (int i = 1; i <= 40; i++)
        ASSERT_EQ(symlink("c" + std::to_string(i - 1), "c" + std::to_string(i)), kOk);
    EXPECT_EQ(read_file("c39"), "t");
    EXPECT_EQ(error_of(resolve("c40")), Errno::LOOP);
}

TEST_F(PathWalk, WorkingDirectoryAndGetcwd) {
    ASSERT_EQ(mkdir("w"), kOk);
    ASSERT_EQ(mkdir("w/x"), kOk);
    EXPECT_EQ(getcwd(), "/");
    ASSERT_EQ(chdir("w/x"), kOk);
    EXPECT_EQ(getcwd(), "/w/x");
    ASSERT_EQ(create_file("here", "h"), kOk);
    EXPECT_EQ(read_file("/w/x/here"), "h");
    ASSERT_EQ(chdir(".."), kOk);
    EXPECT_EQ(getcwd(), "/w");
    EXPECT_EQ(chdir("x/here"), Errno::NOTDIR);
    // A renamed working directory keeps its new name.
    ASSERT_EQ(chdir("x"), kOk);
    ASSERT_EQ(error_of(vfs.rename(ctx, vfs.root_path(), "/w/x", vfs.root_path(), "/w/y", 0)), kOk);
    EXPECT_EQ(getcwd(), "/w/y");
}

TEST_F(PathWalk, MountsAreCrossedBothWays) {
    ASSERT_EQ(mkdir("mnt"), kOk);
    ASSERT_EQ(create_file("mnt/hidden", "under"), kOk);
    Tmpfs::Options options;
    options.max_pages = 16;
    auto fs = Tmpfs::create(options);
    ASSERT_FALSE(fs.is_error());
    {
        auto at = resolve("mnt");
        ASSERT_FALSE(at.is_error());
        ASSERT_FALSE(vfs.mount(fs.release_value(), at.value(), 0, "tmpfs").is_error());
    }
    EXPECT_EQ(list("/mnt"), (std::vector<std::string>{".", ".."}));
    EXPECT_EQ(read_file("/mnt/hidden"), "<error 2>");
    ASSERT_EQ(create_file("/mnt/new", "over"), kOk);
    EXPECT_EQ(read_file("/mnt/../mnt/new"), "over");
    ASSERT_EQ(chdir("/mnt"), kOk);
    EXPECT_EQ(getcwd(), "/mnt");
    ASSERT_EQ(chdir(".."), kOk);
    EXPECT_EQ(getcwd(), "/");
    // Mount points cannot be removed or renamed.
    EXPECT_EQ(error_of(vfs.rmdir(ctx, cwd(), "mnt")), Errno::BUSY);
    EXPECT_EQ(error_of(vfs.rename(ctx, cwd(), "mnt", cwd(), "other", 0)), Errno::BUSY);
    // Different mounts: EXDEV.
    EXPECT_EQ(error_of(vfs.rename(ctx, cwd(), "mnt/new", cwd(), "new", 0)), Errno::XDEV);
    EXPECT_EQ(error_of(vfs.link(ctx, cwd(), "mnt/new", cwd(), "new", 0)), Errno::XDEV);
}

TEST_F(PathWalk, ParentResolutionClassifiesTheLastComponent) {
    {
        auto pn = vfs.resolve_parent(ctx, cwd(), "/");
        ASSERT_FALSE(pn.is_error());
        EXPECT_EQ(pn.value().kind, LastKind::Root);
    }
    EXPECT_EQ(error_of(vfs.resolve_parent(ctx, cwd(), "a/.")), Errno::NOENT);
    ASSERT_EQ(mkdir("a"), kOk);
    {
        auto pn = vfs.resolve_parent(ctx, cwd(), "a/..");
        ASSERT_FALSE(pn.is_error());
        EXPECT_EQ(pn.value().kind, LastKind::DotDot);
    }
    {
        auto pn = vfs.resolve_parent(ctx, cwd(), "a/new/");
        ASSERT_FALSE(pn.is_error());
        EXPECT_EQ(pn.value().name, "new");
        EXPECT_TRUE(pn.value().trailing_slash);
    }
}

} // namespace
} // namespace vfs_test
