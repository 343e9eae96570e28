// SPDX-License-Identifier: MIT
// The root overlay: a real mkfs.erofs image below, tmpfs above, through the VFS.
#include <cstring>

#include "../erofs/test_tree.h"
#include "fs/image_fs.h"
#include "fs/overlay.h"
#include "vfs_fixture.h"

namespace vfs_test {
namespace {

namespace stdfs = std::filesystem;

class OverlayTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        s_dir = erofs_test::make_temp_dir("overlay");
        stdfs::path tree = stdfs::path(s_dir) / "tree";
        stdfs::create_directories(tree / "etc/dir/sub");
        stdfs::create_directories(tree / "emptydir");
        stdfs::create_directories(tree / "bin");
        write(tree / "etc/passwd", "root:x:0:0\n");
        write(tree / "etc/dir/sub/file", "deep");
        write(tree / "etc/dir/other", "other");
        s_big = std::string(3 * 4096 + 123, '\0');
        for (size_t i = 0; i < s_big.size(); i++)
            s_big[i] = char('A' + i % 23);
        write(tree / "bin/prog", s_big);
        stdfs::create_symlink("etc/passwd", tree / "lnk");
        std::string image = s_dir + "/image.erofs";
        ASSERT_EQ(erofs_test::run_mkfs("-E noinline_data", image, tree.string()), 0);
        s_bytes = new erofs_test::Bytes(erofs_test::load_image(image));
    }
    static void TearDownTestSuite() {
        delete s_bytes;
        stdfs::remove_all(s_dir);
    }
    static void write(const stdfs::path& p, const std::string& s) {
        erofs_test::write_file(p, std::vector<uint8_t>(s.begin(), s.end()));
    }

    void SetUp() override {
        m_pages_before = host_testing::pages_outstanding();
        auto image = erofs::Image::open(s_bytes->span());
        ASSERT_FALSE(image.is_error());
        m_image = new erofs::Image(image.release_value());
        Tmpfs::Options options;
        options.max_pages = 256;
        options.first_ino = 1ull << 32;
        auto upper = Tmpfs::create(options);
        auto lower = ImageFs::create(*m_image);
        ASSERT_FALSE(upper.is_error() || lower.is_error());
        auto overlay = OverlayFs::create(upper.release_value(), lower.release_value());
        ASSERT_FALSE(overlay.is_error());
        ASSERT_FALSE(vfs.mount_root(overlay.release_value(), 0, "overlay").is_error());
        ctx.root = ctx.cwd = vfs.root_path();
    }
    void TearDown() override {
        ctx = {};
        vfs.~Vfs();
        new (&vfs) Vfs();
        delete m_image;
        EXPECT_EQ(host_testing::pages_outstanding(), m_pages_before) << "pages leaked";
    }

    Result<RefPtr<OpenFile>> open(const std::string& p, int flags, uint32_t mode = 0644) {
        return vfs.open(ctx, ctx.cwd, p, flags, mode);
    }
    std::string read_file(const std::string& p) {
        auto f = open(p, kOpenReadOnly);
        if (f.is_error()) return "<error " + std::to_string(int(f.error().code)) + ">";
        std::string out(1 << 16, '\0');
        MemoryBuffer b(out.data(), out.size());
        auto n = f.value()->read(0, b);
        if (n.is_error()) return "<read error>";
        out.resize(n.value());
        return out;
    }
    Errno write_at(const std::string& p, uint64_t offset, const std::string& s, int extra = 0) {
        auto f = open(p, kOpenWriteOnly | extra);
        if (f.is_error()) return f.error().code;
        MemoryBuffer b(s.data(), s.size());
        auto n = f.value()->write(offset, b);
        return n.is_error() ? n.error().code : kOk;
    }
    std::vector<std::string> list(const std::string& p) {
        auto f = open(p, kOpenReadOnly | kOpenDirectory);
        if (f.is_error()) return {"<error>"};
        CollectingSink sink;
        for (;;) {
            size_t before = sink.names.size();
            if (vfs.readdir(*f.value(), sink).is_error()) return {"<readdir error>"};
            if (sink.names.size() == before) break;
        }
        std::sort(sink.names.begin(), sink.names.end());
        return sink.names;
    }
    Attributes stat(const std::string& p) {
        Attributes a;
        auto r = vfs.resolve(ctx, ctx.cwd, p, 0);
        EXPECT_FALSE(r.is_error()) << p;
        if (!r.is_error()) {
            EXPECT_FALSE(vfs.stat(r.value(), a).is_error());
        }
        return a;
    }
    Errno exists(const std::string& p) { return error_of(vfs.resolve(ctx, ctx.cwd, p, 0)); }

    static inline std::string s_dir, s_big;
    static inline erofs_test::Bytes* s_bytes = nullptr;
    erofs::Image* m_image = nullptr;
    Vfs vfs;
    FsContext ctx;
    uint64_t m_pages_before = 0;
};

TEST_F(OverlayTest, ReadsTheImage) {
    EXPECT_EQ(read_file("/etc/passwd"), "root:x:0:0\n");
    EXPECT_EQ(read_file("/lnk"), "root:x:0:0\n");
    EXPECT_EQ(read_file("/bin/prog"), s_big);
    EXPECT_EQ(list("/etc"), (std::vector<std::string>{".", "..", "dir", "passwd"}));
    EXPECT_EQ(error_of(open("/etc/passwd", kOpenReadOnly | kOpenDirectory)), Errno::NOTDIR);
}

TEST_F(OverlayTest, WritingCopiesUpAndKeepsTheRest) {
    uint64_t ino = stat("/bin/prog").ino;
    ASSERT_EQ(write_at("/bin/prog", 4096 + 10, "XYZ"), kOk);
    std::string expect = s_big;
    expect.replace(4096 + 10, 3, "XYZ");
    EXPECT_EQ(read_file("/bin/prog"), expect);
    EXPECT_EQ(stat("/bin/prog").ino, ino);
    EXPECT_EQ(stat("/bin/prog").size, s_big.size());
    // Extend past the end of the image's last page.
    ASSERT_EQ(write_at("/bin/prog", s_big.size(), "END"), kOk);
    expect += "END";
    EXPECT_EQ(read_file("/bin/prog"), expect);
    ASSERT_EQ(error_of(open("/etc/passwd", kOpenWriteOnly | kOpenTruncate)), kOk);
    EXPECT_EQ(read_file("/etc/passwd"), "");
}

TEST_F(OverlayTest, UnlinkWhitesOutAndRecreates) {
    ASSERT_EQ(error_of(vfs.unlink(ctx, ctx.cwd, "/etc/passwd")), kOk);
    EXPECT_EQ(exists("/etc/passwd"), Errno::NOENT);
    EXPECT_EQ(list("/etc"), (std::vector<std::string>{".", "..", "dir"}));
    EXPECT_EQ(exists("/lnk"), kOk);
    EXPECT_EQ(read_file("/lnk"), "<error 2>");
    ASSERT_EQ(error_of(open("/etc/passwd", kOpenWriteOnly | kOpenCreate)), kOk);
    ASSERT_EQ(write_at("/etc/passwd", 0, "new"), kOk);
    EXPECT_EQ(read_file("/lnk"), "new");
    EXPECT_EQ(list("/etc"), (std::vector<std::string>{".", "..", "dir", "passwd"}));
}

TEST_F(OverlayTest, DirectoriesMergeAndRemove) {
    ASSERT_EQ(error_of(vfs.mkdir(ctx, ctx.cwd, "/etc/new", 0755)), kOk);
    ASSERT_EQ(error_of(open("/etc/dir/added", kOpenWriteOnly | kOpenCreate)), kOk);
    EXPECT_EQ(list("/etc/dir"), (std::vector<std::string>{".", "..", "added", "other", "sub"}));
    EXPECT_EQ(list("/etc"), (std::vector<std::string>{".", "..", "dir", "new", "passwd"}));
    EXPECT_EQ(error_of(vfs.rmdir(ctx, ctx.cwd, "/etc/dir")), Errno::NOTEMPTY);
    EXPECT_EQ(error_of(vfs.rmdir(ctx, ctx.cwd, "/emptydir")), kOk);
    EXPECT_EQ(exists("/emptydir"), Errno::NOENT);
    // Empty it, remove it, make it again: the old contents stay hidden.
    for (const char* p : {"/etc/dir/added", "/etc/dir/other", "/etc/dir/sub/file"})
        ASSERT_EQ(error_of(vfs.unlink(ctx, ctx.cwd, p)), kOk) << p;
    ASSERT_EQ(error_of(vfs.rmdir(ctx, ctx.cwd, "/etc/dir/sub")), kOk);
    EXPECT_EQ(list("/etc/dir"), (std::vector<std::string>{".", ".."}));
    ASSERT_EQ(error_of(vfs.rmdir(ctx, ctx.cwd, "/etc/dir")), kOk);
    ASSERT_EQ(error_of(vfs.mkdir(ctx, ctx.cwd, "/etc/dir", 0755)), kOk);
    EXPECT_EQ(list("/etc/dir"), (std::vector<std::string>{".", ".."}));
    EXPECT_EQ(exists("/etc/dir/other"), Errno::NOENT);
}

TEST_F(OverlayTest, RenameAndLink) {
    ASSERT_EQ(error_of(vfs.rename(ctx, ctx.cwd, "/etc/passwd", ctx.cwd, "/etc/moved", 0)), kOk);
    EXPECT_EQ(read_file("/etc/moved"), "root:x:0:0\n");
    EXPECT_EQ(exists("/etc/passwd"), Errno::NOENT);
    EXPECT_EQ(error_of(vfs.rename(ctx, ctx.cwd, "/etc/dir", ctx.cwd, "/etc/dir2", 0)), Errno::XDEV);
    ASSERT_EQ(error_of(vfs.mkdir(ctx, ctx.cwd, "/up", 0755)), kOk);
    ASSERT_EQ(error_of(vfs.rename(ctx, ctx.cwd, "/up", ctx.cwd, "/up2", 0)), kOk);
    // Over an image file.
    ASSERT_EQ(error_of(vfs.rename(ctx, ctx.cwd, "/etc/moved", ctx.cwd, "/bin/prog", 0)), kOk);
    EXPECT_EQ(read_file("/bin/prog"), "root:x:0:0\n");
    EXPECT_EQ(list("/bin"), (std::vector<std::string>{".", "..", "prog"}));
    ASSERT_EQ(error_of(vfs.link(ctx, ctx.cwd, "/etc/dir/other", ctx.cwd, "/hard", 0)), kOk);
    EXPECT_EQ(stat("/hard").nlink, 2u);
    ASSERT_EQ(write_at("/hard", 0, "O"), kOk);
    EXPECT_EQ(read_file("/etc/dir/other"), "Other");
}

TEST_F(OverlayTest, AttributesCopyUp) {
    AttributeChange c;
    c.mask = AttributeChange::kMode;
    c.mode = 0600;
    auto p = vfs.resolve(ctx, ctx.cwd, "/etc/dir/sub/file", 0);
    ASSERT_FALSE(p.is_error());
    ASSERT_FALSE(vfs.setattr(p.value().mount, p.value().vnode(), c).is_error());
    EXPECT_EQ(stat("/etc/dir/sub/file").mode, kTypeRegular | 0600);
    EXPECT_EQ(read_file("/etc/dir/sub/file"), "deep");
}

// What mmap asks of files: a run of image pages for a file still only in the image
// (direct_range, zero copy), and the file's own pages for shared mappings (shared_page).
TEST_F(OverlayTest, MmapViewsOfImageAndCopiedUpFiles) {
    auto ro = open("/bin/prog", kOpenReadOnly);
    ASSERT_FALSE(ro.is_error());
    Vnode& lower = ro.value()->vnode();
    const auto* whole = static_cast<const char*>(lower.direct_range(0, s_big.size()));
    ASSERT_NE(whole, nullptr);
    EXPECT_EQ(std::string(whole, s_big.size()), s_big);
    EXPECT_EQ(lower.direct_range(4096, 100), whole + 4096);
    EXPECT_EQ(lower.direct_range(100, 10), nullptr) << "offsets are page-aligned";
    EXPECT_EQ(lower.direct_range(4 * 4096, 4096), nullptr) << "past the end";
    EXPECT_EQ(lower.shared_page(0, false), nullptr) << "not copied up: mmap maps the image";

    // Opening for writing copies up: the image pages are lent, not mapped directly any more.
    auto rw = open("/bin/prog", kOpenReadWrite);
    ASSERT_FALSE(rw.is_error());
    Vnode& upper = rw.value()->vnode();
    EXPECT_EQ(upper.direct_range(0, 4096), nullptr);
    auto* lent = static_cast<char*>(upper.shared_page(4096, false));
    ASSERT_NE(lent, nullptr);
    EXPECT_EQ(std::string(lent, 4096), s_big.substr(4096, 4096));
    // A write through a shared mapping first unshares the page; then mapping and read() agree.
    auto* own = static_cast<char*>(upper.shared_page(4096, true));
    ASSERT_NE(own, nullptr);
    EXPECT_NE(own, lent);
    EXPECT_EQ(std::string(own, 4096), s_big.substr(4096, 4096));
    memcpy(own + 10, "MAP", 3);
    EXPECT_EQ(read_file("/bin/prog").substr(4096 + 10, 3), "MAP");
    EXPECT_EQ(upper.shared_page(4096, false), own);
    ASSERT_EQ(write_at("/bin/prog", 4096 + 20, "WRITE"), kOk);
    EXPECT_EQ(std::string(own + 20, 5), "WRITE");
    // The last, partial page exists; past it there is nothing to map (SIGBUS for the app).
    EXPECT_NE(upper.shared_page(3 * 4096, false), nullptr);
    EXPECT_EQ(upper.shared_page(4 * 4096, false), nullptr);
    EXPECT_EQ(upper.shared_page(100, false), nullptr) << "offsets are page-aligned";
}

// A hole in a tmpfs file gets a zero page of its own, which write() then fills.
TEST_F(OverlayTest, SharedPageOfAHoleIsCreated) {
    auto f = open("/newfile", kOpenReadWrite | kOpenCreate);
    ASSERT_FALSE(f.is_error());
    ASSERT_EQ(write_at("/newfile", 2 * 4096, "x"), kOk); // pages 0 and 1 are holes
    Vnode& v = f.value()->vnode();
    auto* hole = static_cast<char*>(v.shared_page(4096, false));
    ASSERT_NE(hole, nullptr);
    EXPECT_EQ(std::string(hole, 4096), std::string(4096, '\0'));
    ASSERT_EQ(write_at("/newfile", 4096 + 5, "abc"), kOk);
    EXPECT_EQ(std::string(hole + 5, 3), "abc");
}

} // namespace
} // namespace vfs_test
