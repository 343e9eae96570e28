// SPDX-License-Identifier: MIT
// tmpfs through the VFS: open flags, create/remove/rename/link rules, file data, readdir.
#include <cstring>

#include "vfs_fixture.h"

namespace vfs_test {
namespace {

class TmpfsTest : public VfsTest {
  protected:
    Errno unlink(const std::string& p) { return error_of(vfs.unlink(ctx, cwd(), p)); }
    Errno rmdir(const std::string& p) { return error_of(vfs.rmdir(ctx, cwd(), p)); }
    Errno rename(const std::string& a, const std::string& b, unsigned flags = 0) {
        return error_of(vfs.rename(ctx, cwd(), a, cwd(), b, flags));
    }
    Errno link(const std::string& a, const std::string& b) {
        return error_of(vfs.link(ctx, cwd(), a, cwd(), b, 0));
    }
};

TEST_F(TmpfsTest, OpenCreateAndExclusive) {
    EXPECT_EQ(error_of(open("f", kOpenReadOnly)), Errno::NOENT);
    EXPECT_EQ(error_of(open("f", kOpenWriteOnly | kOpenCreate | kOpenExclusive)), kOk);
    EXPECT_EQ(error_of(open("f", kOpenWriteOnly | kOpenCreate | kOpenExclusive)), Errno::EXIST);
    EXPECT_EQ(error_of(open("f/", kOpenWriteOnly | kOpenCreate)), Errno::ISDIR);
    EXPECT_EQ(error_of(open("new/", kOpenWriteOnly | kOpenCreate)), Errno::ISDIR);
    EXPECT_EQ(error_of(open(".", kOpenReadOnly | kOpenCreate)), Errno::ISDIR);
    EXPECT_EQ(error_of(open("/", kOpenWriteOnly)), Errno::ISDIR);
    EXPECT_EQ(error_of(open("/", kOpenReadOnly | kOpenTruncate)), Errno::ISDIR);
    EXPECT_EQ(error_of(open("f", kOpenReadOnly | kOpenDirectory)), Errno::NOTDIR);
    EXPECT_EQ(error_of(open("nodir/f", kOpenWriteOnly | kOpenCreate)), Errno::NOENT);
    // The mode is masked by the umask.
    ASSERT_EQ(error_of(open("m", kOpenWriteOnly | kOpenCreate, 0777)), kOk);
    EXPECT_EQ(stat("m").mode, kTypeRegular | 0755);
    // F_GETFL view: creation flags dropped, O_LARGEFILE added.
    auto f = open("f", kOpenReadWrite | kOpenCreate | kOpenAppend | kOpenCloexec);
    ASSERT_FALSE(f.is_error());
    EXPECT_EQ(f.value()->flags(), kOpenReadWrite | kOpenAppend | kOpenLargeFile);
}

TEST_F(TmpfsTest, CreateThroughDanglingSymlinkAndNoFollow) {
    ASSERT_EQ(symlink("target", "link"), kOk);
    ASSERT_EQ(error_of(open("link", kOpenWriteOnly | kOpenCreate)), kOk);
    EXPECT_TRUE(stat("target").mode & kTypeRegular);
    EXPECT_EQ(error_of(open("link", kOpenWriteOnly | kOpenCreate | kOpenExclusive)), Errno::EXIST);
    EXPECT_EQ(error_of(open("link", kOpenReadOnly | kOpenNoFollow)), Errno::LOOP);
    auto p = open("link", kOpenPath | kOpenNoFollow);
    ASSERT_FALSE(p.is_error());
    EXPECT_TRUE(p.value()->vnode().is_symlink());
    EXPECT_EQ(p.value()->flags(), kOpenPath | kOpenNoFollow);
}

TEST_F(TmpfsTest, WriteReadTruncateAndHoles) {
    auto f = open("data", kOpenReadWrite | kOpenCreate);
    ASSERT_FALSE(f.is_error());
    std::string big(3 * 4096 + 100, 'z');
    for (size_t i = 0; i < big.size(); i++)
        big[i] = char('a' + i % 26);
    MemoryBuffer wb(big.data(), big.size());
    ASSERT_EQ(f.value()->write(0, wb).value(), big.size());
    EXPECT_EQ(read_file("data"), big);
    EXPECT_EQ(stat("data").size, big.size());
    EXPECT_EQ(stat("data").blocks, 4u * 8);
    // Shrink into the middle of a page, grow again: the cut part reads as zeros.
    AttributeChange c;
    c.mask = AttributeChange::kSize;
    c.size = 5000;
    ASSERT_FALSE(vfs.setattr(nullptr, f.value()->vnode(), c).is_error());
    c.size = 9000;
    ASSERT_FALSE(vfs.setattr(nullptr, f.value()->vnode(), c).is_error());
    std::string expect = big.substr(0, 5000) + std::string(4000, '\0');
    EXPECT_EQ(read_file("data"), expect);
    // A write far out leaves a hole.
    MemoryBuffer one("!", 1);
    ASSERT_EQ(f.value()->write(10 * 4096, one).value(), 1u);
    EXPECT_EQ(stat("data").size, 10u * 4096 + 1);
    auto& ops = f.value()->ops();
    EXPECT_EQ(ops.seek_data(0, 10 * 4096 + 1, false).value(), 0u);
    EXPECT_EQ(ops.seek_data(0, 10 * 4096 + 1, true).value(), 2u * 4096);
    EXPECT_EQ(ops.seek_data(3 * 4096, 10 * 4096 + 1, false).value(), 10u * 4096);
    EXPECT_EQ(ops.seek_data(10 * 4096, 10 * 4096 + 1, true).value(), 10u * 4096 + 1);
    EXPECT_EQ(error_of(ops.seek_data(10 * 4096 + 1, 10 * 4096 + 1, false)), Errno::NXIO);
    std::string content = read_file("data");
    EXPECT_EQ(content.size(), 10u * 4096 + 1);
    EXPECT_EQ(content[6 * 4096], '\0');
    EXPECT_EQ(content.back(), '!');
    // Truncate on open.
    ASSERT_FALSE(open("data", kOpenWriteOnly | kOpenTruncate).is_error());
    EXPECT_EQ(stat("data").size, 0u);
    EXPECT_EQ(stat("data").blocks, 0u);
}

TEST_F(TmpfsTest, FullFileSystemGivesNoSpace) {
    auto f = open("big", kOpenWriteOnly | kOpenCreate);
    ASSERT_FALSE(f.is_error());
    std::vector<char> page(4096, 'p');
    size_t written = 0;
    for (;;) {
        MemoryBuffer b(page.data(), page.size());
        auto n = f.value()->write(written, b);
        if (n.is_error()) {
            EXPECT_EQ(n.error().code, Errno::NOSPC);
            break;
        }
        written += n.value();
    }
    EXPECT_EQ(written, 1024u * 4096);
    FsStats s;
    ASSERT_FALSE(vfs.root_path().mount->fs->statfs(s).is_error());
    EXPECT_EQ(s.blocks_free, 0u);
    f.value() = nullptr;
    ASSERT_EQ(unlink("big"), kOk);
    ASSERT_FALSE(vfs.root_path().mount->fs->statfs(s).is_error());
    EXPECT_EQ(s.blocks_free, 1024u);
}

// Looked-up names stay in the VFS's dentry cache; removing a name must still free its file.
TEST_F(TmpfsTest, CachedNamesDoNotKeepRemovedFiles) {
    FsStats s;
    ASSERT_FALSE(vfs.root_path().mount->fs->statfs(s).is_error());
    uint64_t free_before = s.blocks_free;
    std::string page(4096, 'x');
    ASSERT_EQ(create_file("a", page + page), kOk);
    ASSERT_EQ(create_file("b", page), kOk);
    ASSERT_EQ(error_of(resolve("a")), kOk);
    ASSERT_EQ(error_of(resolve("b")), kOk);
    ASSERT_FALSE(vfs.root_path().mount->fs->statfs(s).is_error());
    EXPECT_EQ(s.blocks_free, free_before - 3);
    ASSERT_EQ(rename("b", "a"), kOk); // a's two pages go
    ASSERT_FALSE(vfs.root_path().mount->fs->statfs(s).is_error());
    EXPECT_EQ(s.blocks_free, free_before - 1);
    EXPECT_EQ(error_of(resolve("b")), Errno::NOENT);
    ASSERT_EQ(unlink("a"), kOk);
    ASSERT_FALSE(vfs.root_path().mount->fs->statfs(s).is_error());
    EXPECT_EQ(s.blocks_free, free_before);
    EXPECT_EQ(error_of(resolve("a")), Errno::NOENT);
    // More names than the cache holds: lookups still find each one.
    ASSERT_EQ(mkdir("many"), kOk);
    for (int i = 0; i < 300; i++) ASSERT_EQ(create_file("many/" + std::to_string(i)), kOk);
    for (int i = 0; i < 300; i++) EXPECT_EQ(error_of(resolve("many/" + std::to_string(i))), kOk);
}

TEST_F(TmpfsTest, UnlinkedOpenFileStaysReadable) {
    ASSERT_EQ(create_file("gone", "still here"), kOk);
    auto f = open("gone", kOpenReadOnly);
    ASSERT_FALSE(f.is_error());
    ASSERT_EQ(unlink("gone"), kOk);
    EXPECT_EQ(error_of(resolve("gone")), Errno::NOENT);
    char buf[32] = {};
    MemoryBuffer b(buf, sizeof(buf));
    EXPECT_EQ(f.value()->read(0, b).value(), 10u);
    EXPECT_STREQ(buf, "still here");
    Attributes a;
    ASSERT_FALSE(vfs.stat(f.value()->vnode(), a).is_error());
    EXPECT_EQ(a.nlink, 0u);
    char path[256];
    Path p{f.value()->mount(), f.value()->dentry_ref()};
    EXPECT_EQ(vfs.path_of(ctx, p, path, sizeof(path)).value(), "/gone (deleted)");
}

TEST_F(TmpfsTest, RemoveRules) {
    ASSERT_EQ(mkdir("d"), kOk);
    ASSERT_EQ(create_file("d/f"), kOk);
    ASSERT_EQ(create_file("file"), kOk);
    EXPECT_EQ(mkdir("d"), Errno::EXIST);
    EXPECT_EQ(mkdir("file"), Errno::EXIST);
    EXPECT_EQ(mkdir("."), Errno::EXIST);
    EXPECT_EQ(mkdir("/"), Errno::EXIST);
    EXPECT_EQ(mkdir("newdir/"), kOk);
    EXPECT_EQ(rmdir("d"), Errno::NOTEMPTY);
    EXPECT_EQ(rmdir("file"), Errno::NOTDIR);
    EXPECT_EQ(rmdir("d/."), Errno::INVAL);
    EXPECT_EQ(rmdir("d/.."), Errno::NOTEMPTY);
    EXPECT_EQ(rmdir("/"), Errno::BUSY);
    EXPECT_EQ(rmdir("missing"), Errno::NOENT);
    EXPECT_EQ(unlink("d"), Errno::ISDIR);
    EXPECT_EQ(unlink("."), Errno::ISDIR);
    EXPECT_EQ(unlink("file/"), Errno::NOTDIR);
    EXPECT_EQ(unlink("missing"), Errno::NOENT);
    EXPECT_EQ(unlink("d/f"), kOk);
    EXPECT_EQ(rmdir("d/"), kOk);
    EXPECT_EQ(list("/"), (std::vector<std::string>{".", "..", "file", "newdir"}));
    EXPECT_EQ(stat("/").nlink, 3u);
}

TEST_F(TmpfsTest, RemovedWorkingDirectory) {
    ASSERT_EQ(mkdir("w"), kOk);
    ASSERT_EQ(chdir("w"), kOk);
    ASSERT_EQ(rmdir("/w"), kOk);
    EXPECT_EQ(create_file("x"), Errno::NOENT);
    EXPECT_EQ(mkdir("y"), Errno::NOENT);
    EXPECT_EQ(list("."), (std::vector<std::string>{"<readdir error>"})); // ENOENT
    EXPECT_EQ(getcwd(), "/w (deleted)");
}

TEST_F(TmpfsTest, RenameRules) {
    ASSERT_EQ(mkdir("d1"), kOk);
    ASSERT_EQ(mkdir("d1/sub"), kOk);
    ASSERT_EQ(mkdir("d2"), kOk);
    ASSERT_EQ(create_file("d2/x"), kOk);
    ASSERT_EQ(create_file("a", "A"), kOk);
    ASSERT_EQ(create_file("b", "B"), kOk);
    EXPECT_EQ(rename("a", "b"), kOk);
    EXPECT_EQ(read_file("b"), "A");
    EXPECT_EQ(error_of(resolve("a")), Errno::NOENT);
    EXPECT_EQ(rename("b", "b"), kOk);
    EXPECT_EQ(rename("missing", "c"), Errno::NOENT);
    EXPECT_EQ(rename("b", "d1"), Errno::ISDIR);
    EXPECT_EQ(rename("d1", "b"), Errno::NOTDIR);
    EXPECT_EQ(rename("d1", "d2"), Errno::NOTEMPTY);
    EXPECT_EQ(rename("d1", "d1/sub/inside"), Errno::INVAL);
    EXPECT_EQ(rename("d1/sub", "d1/sub/x"), Errno::INVAL);
    EXPECT_EQ(rename("b/", "c"), Errno::NOTDIR);
    EXPECT_EQ(rename("b", "c/"), Errno::NOTDIR);
    EXPECT_EQ(rename(".", "c"), Errno::BUSY);
    EXPECT_EQ(rename("b", "d1/.."), Errno::BUSY);
    ASSERT_EQ(create_file("c", "C"), kOk);
    EXPECT_EQ(rename("b", "c", kRenameNoReplace), Errno::EXIST);
    EXPECT_EQ(rename("b", "c", kRenameExchange), kOk);
    EXPECT_EQ(read_file("b"), "C");
    EXPECT_EQ(read_file("c"), "A");
    EXPECT_EQ(rename("b", "nothere", kRenameExchange), Errno::NOENT);
    EXPECT_EQ(rename("b", "c", kRenameExchange | kRenameNoReplace), Errno::INVAL);
    // A directory over an empty one, and into another directory.
    ASSERT_EQ(mkdir("empty"), kOk);
    EXPECT_EQ(rename("d1", "empty"), kOk);
    EXPECT_EQ(error_of(resolve("empty/sub")), kOk);
    EXPECT_EQ(rename("empty", "d2/moved"), kOk);
    EXPECT_EQ(stat("d2").nlink, 3u);
    EXPECT_EQ(stat("/").nlink, 3u); // "/" holds d2 only
    EXPECT_EQ(list("d2"), (std::vector<std::string>{".", "..", "moved", "x"}));
    // Hard links: renaming one name onto another of the same file does nothing.
    ASSERT_EQ(link("c", "c2"), kOk);
    EXPECT_EQ(rename("c", "c2"), kOk);
    EXPECT_EQ(read_file("c"), "A");
    EXPECT_EQ(stat("c").nlink, 2u);
}

TEST_F(TmpfsTest, HardLinks) {
    ASSERT_EQ(create_file("f", "F"), kOk);
    ASSERT_EQ(mkdir("d"), kOk);
    EXPECT_EQ(link("f", "g"), kOk);
    EXPECT_EQ(link("f", "g"), Errno::EXIST);
    EXPECT_EQ(link("d", "e"), Errno::PERM);
    EXPECT_EQ(link("missing", "e"), Errno::NOENT);
    EXPECT_EQ(link("f", "e/"), Errno::NOENT);
    EXPECT_EQ(stat("f").nlink, 2u);
    EXPECT_EQ(stat("f").ino, stat("g").ino);
    EXPECT_EQ(unlink("f"), kOk);
    EXPECT_EQ(read_file("g"), "F");
    EXPECT_EQ(stat("g").nlink, 1u);
}

TEST_F(TmpfsTest, ReaddirWhileUnlinkingSeesEveryEntryOnce) {
    ASSERT_EQ(mkdir("many"), kOk);
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(create_file("many/f" + std::to_string(i)), kOk);
    auto dir = open("many", kOpenReadOnly | kOpenDirectory);
    ASSERT_FALSE(dir.is_error());
    std::vector<std::string> seen;
    for (;;) {
        CollectingSink sink(7);
        ASSERT_FALSE(vfs.readdir(*dir.value(), sink).is_error());
        if (sink.names.empty()) break;
        for (auto& n : sink.names) {
            seen.push_back(n);
            if (n != "." && n != "..") {
                ASSERT_EQ(unlink("many/" + n), kOk);
            }
        }
    }
    EXPECT_EQ(seen.size(), 102u);
    EXPECT_EQ(list("many"), (std::vector<std::string>{".", ".."}));
    EXPECT_EQ(rmdir("many"), kOk);
}

TEST_F(TmpfsTest, SpecialNodes) {
    EXPECT_EQ(error_of(vfs.mknod(ctx, cwd(), "fifo", kTypeFifo | 0644, 0)), kOk);
    EXPECT_EQ(error_of(vfs.mknod(ctx, cwd(), "dir", kTypeDirectory | 0644, 0)), Errno::INVAL);
    EXPECT_EQ(error_of(vfs.mknod(ctx, cwd(), "chr", kTypeChar | 0600, make_dev(1, 3))), kOk);
    EXPECT_EQ(stat("chr", 0).rdev, make_dev(1, 3));
    EXPECT_EQ(stat("fifo", 0).mode, kTypeFifo | 0644);
    EXPECT_EQ(error_of(vfs.symlink(ctx, "", cwd(), "empty")), Errno::NOENT);
}

} // namespace
} // namespace vfs_test
