// SPDX-License-Identifier: MIT
// The EROFS reader against real mkfs.erofs images: every file, directory and symlink of a host
// tree must read back as the host has it, under each data layout mkfs can produce.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "fs/erofs.h"
#include "test_tree.h"

namespace {

using namespace erofs_test;
using wisp::Errno;
using wisp::fs::erofs::DirEntry;
using wisp::fs::erofs::Extent;
using wisp::fs::erofs::FileType;
using wisp::fs::erofs::Image;
using wisp::fs::erofs::Inode;
using wisp::fs::erofs::kEndCookie;

constexpr size_t kBlock = 4096;
// The longest name mkfs.erofs 1.5 can store: it truncates 255-byte names and then fails.
const std::string kLongName(254, 'L');

// The host tree every image is built from. Built once per test binary run.
struct Tree {
    std::string dir;  // temp dir holding tree/ and the images
    std::string root; // dir + "/tree"
    bool have_devices = false;
    bool have_socket = false;
    ~Tree() {
        std::error_code ignored;
        if (!dir.empty() && !getenv("WISP_KEEP_TEST_FILES")) stdfs::remove_all(dir, ignored);
    }
};

void build_tree(Tree& t) {
    t.dir = make_temp_dir("erofs");
    t.root = t.dir + "/tree";
    const stdfs::path r = t.root;
    stdfs::create_directories(r / "a/b/c");
    stdfs::create_directories(r / "emptydir");
    stdfs::create_directories(r / "many");
    write_file(r / "a/b/c/deep.txt", {'d', 'e', 'e', 'p', '\n'});
    write_file(r / "a/b/file", random_bytes(100, 1));
    write_file(r / "big", random_bytes(5 * kBlock + 123, 2));
    write_file(r / "exact", random_bytes(3 * kBlock, 3));
    write_file(r / "empty", {});
    write_file(r / "mode_exec", random_bytes(10, 4), 0755);
    write_file(r / "mode_private", random_bytes(10, 5), 0600);
    write_file(r / "mode_setuid", random_bytes(10, 6), 04755);
    write_file(r / "with space", {'x'});
    write_file(r / "\xc3\xbc"
                   "n\xc3\xaf"
                   "c\xc3\xb8"
                   "d\xc3\xa9",
               {'u'}); // "ünïcødé"
    write_file(r / kLongName, random_bytes(7, 7));
    {
        // Sparse: a 1 MiB file with one data block in the middle and a short tail.
        int fd = ::open((r / "sparse").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        auto middle = random_bytes(kBlock, 8);
        EXPECT_EQ(::pwrite(fd, middle.data(), middle.size(), 512 * 1024), ssize_t(kBlock));
        EXPECT_EQ(::ftruncate(fd, 1024 * 1024 + 77), 0);
        ::close(fd);
    }
    stdfs::create_hard_link(r / "exact", r / "hardlink");
    stdfs::create_symlink("a/b/file", r / "rel");
    stdfs::create_symlink("/a/b/file", r / "abs");
    stdfs::create_symlink("does/not/exist", r / "dangling");
    stdfs::create_symlink("loop2", r / "loop1");
    stdfs::create_symlink("loop1", r / "loop2");
    stdfs::create_symlink("self", r / "self");
    stdfs::create_symlink("a/b", r / "dirlink");
    stdfs::create_symlink("a/b/../../big", r / "dotdot");
    stdfs::create_symlink("chain2", r / "chain1");
    stdfs::create_symlink("rel", r / "chain2");
    stdfs::create_symlink("../../rel", r / "a/b/up");
    stdfs::create_symlink(std::string(4000, 'x'), r / "longtarget");
    // Enough entries (with names of varied length) to need several directory blocks.
    // (Few files with long names: file creation is slow here, directory blocks fill either way.)
    for (int i = 0; i < 150; i++) {
        std::string name = "f" + std::to_string(1000 + i) + std::string(i * 37 % 240, 'n');
        write_file(r / "many" / name, {uint8_t(i)});
    }
    ::mkfifo((r / "fifo").c_str(), 0644);
    t.have_devices = ::mknod((r / "cdev").c_str(), S_IFCHR | 0644, makedev(1, 3)) == 0 &&
                     ::mknod((r / "bdev").c_str(), S_IFBLK | 0600, makedev(259, 70000)) == 0;
    t.have_socket = make_socket_file(r / "sock");
}

Tree& tree() {
    static Tree t;
    if (t.dir.empty()) build_tree(t);
    return t;
}

// The mkfs option sets under test: the production one first.
struct Flavor {
    const char* name;
    const char* options;
};
const Flavor kFlavors[] = {
    {"noinline", "-E noinline_data"},
    {"inline", ""},
    {"extended", "-E noinline_data,force-inode-extended"},
    {"chunked", "-E noinline_data --chunksize=4096"},
    {"chunk_indexes", "-E force-chunk-indexes --chunksize=8192"},
};

const Bytes& image_bytes(const Flavor& flavor) {
    static std::map<std::string, Bytes> cache;
    auto it = cache.find(flavor.name);
    if (it != cache.end()) return it->second;
    std::string path = tree().dir + "/" + flavor.name + ".img";
    int status = run_mkfs(flavor.options, path, tree().root);
    EXPECT_EQ(status, 0) << "mkfs.erofs " << flavor.options;
    return cache.emplace(flavor.name, load_image(path)).first->second;
}

Image open_image(const Bytes& bytes) {
    const char* reason = nullptr;
    auto image = Image::open(bytes.span(), &reason);
    if (image.is_error()) ADD_FAILURE() << "open failed: " << (reason ? reason : "?");
    return image.release_value();
}

std::vector<uint8_t> read_all(const Image& image, const Inode& inode, size_t step) {
    std::vector<uint8_t> out(inode.size);
    size_t done = 0;
    while (done < out.size()) {
        size_t n = std::min(step, out.size() - done);
        auto r = image.read(inode, done, std::span(out.data() + done, n));
        if (r.is_error()) {
            ADD_FAILURE() << "read error " << int(r.error().code);
            break;
        }
        EXPECT_EQ(r.value(), n);
        done += n;
    }
    return out;
}

std::vector<DirEntry> list(const Image& image, const Inode& dir) {
    std::vector<DirEntry> entries;
    auto r = image.for_each_entry(dir, 0, [&](const DirEntry& e) {
        entries.push_back(e);
        return true;
    });
    EXPECT_FALSE(r.is_error());
    if (!r.is_error()) {
        EXPECT_EQ(r.value(), kEndCookie);
    }
    return entries;
}

FileType host_type(const struct stat& st) {
    switch (st.st_mode & S_IFMT) {
    case S_IFREG:
        return FileType::Regular;
    case S_IFDIR:
        return FileType::Directory;
    case S_IFLNK:
        return FileType::Symlink;
    case S_IFCHR:
        return FileType::CharDevice;
    case S_IFBLK:
        return FileType::BlockDevice;
    case S_IFIFO:
        return FileType::Fifo;
    case S_IFSOCK:
        return FileType::Socket;
    }
    return FileType::Unknown;
}

// Every path under root, root first, without following symlinks.
std::vector<stdfs::path> host_walk(const stdfs::path& root) {
    std::vector<stdfs::path> paths = {root};
    for (size_t i = 0; i < paths.size(); i++) {
        if (!stdfs::is_directory(stdfs::symlink_status(paths[i]))) continue;
        for (auto& e : stdfs::directory_iterator(paths[i]))
            paths.push_back(e.path());
    }
    return paths;
}

class ErofsFlavor : public ::testing::TestWithParam<Flavor> {
  protected:
    const Bytes& bytes() { return image_bytes(GetParam()); }
};

// Each flavor really stores files the way it is meant to test.
TEST_P(ErofsFlavor, UsesTheLayoutUnderTest) {
    using wisp::fs::erofs::DataLayout;
    Image image = open_image(bytes());
    auto file = image.resolve("/a/b/file", true);
    auto big = image.resolve("/big", true);
    ASSERT_FALSE(file.is_error());
    ASSERT_FALSE(big.is_error());
    const std::string flavor = GetParam().name;
    if (flavor == "inline") {
        EXPECT_EQ(file.value().layout, DataLayout::FlatInline);
        EXPECT_EQ(big.value().layout, DataLayout::FlatInline);
    } else if (flavor.starts_with("chunk")) {
        EXPECT_EQ(big.value().layout, DataLayout::ChunkBased);
    } else {
        EXPECT_EQ(file.value().layout, DataLayout::FlatPlain);
        EXPECT_EQ(big.value().layout, DataLayout::FlatPlain);
    }
    auto root = image.root();
    ASSERT_FALSE(root.is_error());
    if (flavor == "extended") {
        EXPECT_EQ(root.value().nid % 2, 0u) << "64-byte inodes take two slots";
    }
}

TEST_P(ErofsFlavor, OpensAndChecksumVerifies) {
    Image image = open_image(bytes());
    EXPECT_EQ(image.block_size(), 4096u);
    EXPECT_FALSE(image.verify_checksum().is_error());
    auto root = image.root();
    ASSERT_FALSE(root.is_error());
    EXPECT_TRUE(root.value().is_directory());
}

// Every host path: same type, mode, size, owner, link count, time, content / target / listing.
TEST_P(ErofsFlavor, EveryPathMatchesTheHost) {
    Image image = open_image(bytes());
    const stdfs::path root = tree().root;
    size_t checked = 0;
    std::vector<stdfs::path> paths = host_walk(root);
    for (const auto& host : paths) {
        std::string guest = host.string().substr(root.string().size());
        if (guest.empty()) guest = "/";
        SCOPED_TRACE(guest);
        struct stat st;
        ASSERT_EQ(::lstat(host.c_str(), &st), 0);
        auto found = image.resolve(guest, false);
        ASSERT_FALSE(found.is_error()) << int(found.error().code);
        const Inode& inode = found.value();
        EXPECT_EQ(inode.mode, st.st_mode);
        EXPECT_EQ(inode.type(), host_type(st));
        EXPECT_EQ(inode.uid, st.st_uid);
        EXPECT_EQ(inode.gid, st.st_gid);
        EXPECT_EQ(inode.mtime, uint64_t(st.st_mtim.tv_sec));
        EXPECT_EQ(inode.nlink, st.st_nlink);
        if (S_ISREG(st.st_mode)) {
            EXPECT_EQ(inode.size, uint64_t(st.st_size));
            auto expected = read_host_file(host);
            EXPECT_TRUE(read_all(image, inode, 1 << 20) == expected);
            EXPECT_TRUE(read_all(image, inode, 1000) == expected); // crosses every boundary
        } else if (S_ISLNK(st.st_mode)) {
            auto target = image.readlink(inode);
            ASSERT_FALSE(target.is_error());
            EXPECT_EQ(target.value(), stdfs::read_symlink(host).string());
        } else if (S_ISDIR(st.st_mode)) {
            std::set<std::string> want;
            for (auto& e : stdfs::directory_iterator(host))
                want.insert(e.path().filename());
            std::set<std::string> got;
            std::string previous;
            for (const auto& e : list(image, inode)) {
                EXPECT_LT(previous, std::string(e.name)) << "entries sorted";
                previous = std::string(e.name);
                auto child = image.inode(e.nid);
                ASSERT_FALSE(child.is_error());
                EXPECT_EQ(child.value().type(), e.type);
                if (e.name == "." || e.name == "..") continue;
                got.insert(std::string(e.name));
                auto looked_up = image.lookup(inode, e.name);
                ASSERT_FALSE(looked_up.is_error()) << e.name;
                EXPECT_EQ(looked_up.value().nid, e.nid);
            }
            EXPECT_EQ(got, want);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            // new_encode_dev(): minor low byte, major, then the minor's high bits.
            uint32_t major = ::major(st.st_rdev), minor = ::minor(st.st_rdev);
            EXPECT_EQ(inode.rdev, (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12));
        }
        checked++;
    }
    EXPECT_GT(checked, 170u);
    if (!tree().have_devices) GTEST_LOG_(INFO) << "device nodes not tested (mknod refused)";
}

TEST_P(ErofsFlavor, ManyEntriesSpanBlocksAndLookupFindsEachOne) {
    Image image = open_image(bytes());
    auto dir = image.resolve("/many", true);
    ASSERT_FALSE(dir.is_error());
    EXPECT_GT(dir.value().size, 3 * kBlock) << "directory needs several blocks";
    auto entries = list(image, dir.value());
    ASSERT_EQ(entries.size(), 152u);
    for (const auto& e : entries) {
        auto found = image.lookup(dir.value(), e.name);
        ASSERT_FALSE(found.is_error()) << e.name;
        EXPECT_EQ(found.value().nid, e.nid);
        // Names just before and after this one (absent) must miss cleanly.
        std::string before(e.name), after(e.name);
        before.back()--;
        after += '!';
        for (const auto& miss : {before, after}) {
            if (std::any_of(entries.begin(), entries.end(),
                            [&](const DirEntry& x) { return x.name == miss; }))
                continue;
            auto r = image.lookup(dir.value(), miss);
            ASSERT_TRUE(r.is_error()) << miss;
            EXPECT_EQ(r.error().code, Errno::NOENT);
        }
    }
    for (const char* miss : {"", "0", "zzzz", "\x7f", "\xff"}) {
        auto r = image.lookup(dir.value(), miss);
        ASSERT_TRUE(r.is_error());
        EXPECT_EQ(r.error().code, Errno::NOENT);
    }
    auto r = image.lookup(dir.value(), std::string(256, 'a'));
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error().code, Errno::NAMETOOLONG);
}

// Stopping after every k entries and resuming from the returned cookie lists the same entries.
TEST_P(ErofsFlavor, IterationResumesFromCookies) {
    Image image = open_image(bytes());
    auto dir = image.resolve("/many", true);
    ASSERT_FALSE(dir.is_error());
    auto all = list(image, dir.value());
    for (size_t k : {1, 7, 100, 1000}) {
        std::vector<std::string> names;
        uint64_t cookie = 0;
        while (cookie != kEndCookie) {
            size_t taken = 0;
            auto r = image.for_each_entry(dir.value(), cookie, [&](const DirEntry& e) {
                if (taken == k) return false;
                names.push_back(std::string(e.name));
                taken++;
                return true;
            });
            ASSERT_FALSE(r.is_error());
            cookie = r.value();
        }
        ASSERT_EQ(names.size(), all.size());
        for (size_t i = 0; i < all.size(); i++)
            EXPECT_EQ(names[i], all[i].name);
    }
    // Each entry's next_cookie resumes right after it.
    for (size_t i = 0; i + 1 < all.size(); i += 53) {
        std::string next;
        auto r = image.for_each_entry(dir.value(), all[i].next_cookie, [&](const DirEntry& e) {
            next = std::string(e.name);
            return false;
        });
        ASSERT_FALSE(r.is_error());
        EXPECT_EQ(next, all[i + 1].name);
    }
    // A cookie that is not on a dirent boundary is refused.
    auto bad = image.for_each_entry(dir.value(), 5, [](const DirEntry&) { return true; });
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error().code, Errno::INVAL);
}

TEST_P(ErofsFlavor, ReadsAtArbitraryOffsets) {
    Image image = open_image(bytes());
    for (const char* name : {"/big", "/sparse", "/exact"}) {
        SCOPED_TRACE(name);
        auto expected = read_host_file(tree().root + name);
        auto inode = image.resolve(name, true);
        ASSERT_FALSE(inode.is_error());
        std::mt19937 rng(42);
        for (int i = 0; i < 200; i++) {
            uint64_t offset = rng() % (expected.size() + 100);
            size_t length = rng() % 9000;
            std::vector<uint8_t> out(length, 0xcc);
            auto r = image.read(inode.value(), offset, out);
            ASSERT_FALSE(r.is_error());
            size_t want =
                offset >= expected.size() ? 0 : std::min<size_t>(length, expected.size() - offset);
            ASSERT_EQ(r.value(), want);
            EXPECT_TRUE(std::equal(out.begin(), out.begin() + want, expected.begin() + offset));
            EXPECT_TRUE(
                std::all_of(out.begin() + want, out.end(), [](uint8_t b) { return b == 0xcc; }));
        }
    }
}

TEST_P(ErofsFlavor, ContiguousOffsetPointsAtTheFileBytes) {
    Image image = open_image(bytes());
    auto big = image.resolve("/big", true);
    ASSERT_FALSE(big.is_error());
    auto expected = read_host_file(tree().root + "/big");
    const uint64_t whole = 6 * kBlock; // 5 blocks + the partial last one
    auto offset = image.contiguous_offset(big.value(), 0, whole);
    if (std::string(GetParam().name) == "inline") {
        // The tail is packed after the inode: only the whole blocks can be mapped.
        ASSERT_TRUE(offset.is_error());
        EXPECT_EQ(offset.error().code, Errno::OPNOTSUPP);
        auto blocks = image.contiguous_offset(big.value(), 0, 5 * kBlock);
        ASSERT_FALSE(blocks.is_error());
        EXPECT_EQ(0, std::memcmp(bytes().data.get() + blocks.value(), expected.data(), 5 * kBlock));
        return;
    }
    ASSERT_FALSE(offset.is_error()) << int(offset.error().code);
    EXPECT_EQ(offset.value() % kBlock, 0u);
    const uint8_t* at = bytes().data.get() + offset.value();
    EXPECT_EQ(0, std::memcmp(at, expected.data(), expected.size()));
    // mkfs.erofs zero-fills the rest of the last block, so mapping it whole is safe.
    EXPECT_TRUE(std::all_of(at + expected.size(), at + whole, [](uint8_t b) { return b == 0; }));
    auto second = image.contiguous_offset(big.value(), kBlock, 2 * kBlock);
    ASSERT_FALSE(second.is_error());
    EXPECT_EQ(second.value(), offset.value() + kBlock);

    auto expect_error = [&](uint64_t off, uint64_t len, Errno e) {
        auto r = image.contiguous_offset(big.value(), off, len);
        ASSERT_TRUE(r.is_error()) << off << "+" << len;
        EXPECT_EQ(r.error().code, e);
    };
    expect_error(1, kBlock, Errno::INVAL);          // misaligned
    expect_error(0, 0, Errno::INVAL);               // empty
    expect_error(0, whole + 1, Errno::INVAL);       // beyond the last block
    expect_error(6 * kBlock, kBlock, Errno::INVAL); // past end of file
    auto dir = image.root();
    auto empty = image.resolve("/empty", true);
    ASSERT_FALSE(empty.is_error());
    auto r = image.contiguous_offset(empty.value(), 0, kBlock);
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error().code, Errno::INVAL);
}

INSTANTIATE_TEST_SUITE_P(Mkfs, ErofsFlavor, ::testing::ValuesIn(kFlavors),
                         [](const auto& info) { return std::string(info.param.name); });

class ErofsResolve : public ::testing::Test {
  protected:
    void SetUp() override { m_image.emplace(open_image(image_bytes(kFlavors[0]))); }
    Image& image() { return *m_image; }
    uint64_t nid_of(const std::string& path, bool follow) {
        auto r = image().resolve(path, follow);
        EXPECT_FALSE(r.is_error()) << path << " -> " << (r.is_error() ? int(r.error().code) : 0);
        return r.is_error() ? ~0ull : r.value().nid;
    }
    void expect_error(const std::string& path, bool follow, Errno e) {
        auto r = image().resolve(path, follow);
        ASSERT_TRUE(r.is_error()) << path;
        EXPECT_EQ(r.error().code, e) << path;
    }
    std::optional<Image> m_image;
};

TEST_F(ErofsResolve, WalksComponentsDotsAndSymlinks) {
    const uint64_t file = nid_of("/a/b/file", false);
    const uint64_t big = nid_of("/big", false);
    EXPECT_EQ(nid_of("/", false), image().root_nid());
    EXPECT_EQ(nid_of("//a//b///file", false), file);
    EXPECT_EQ(nid_of("/a/./b/../b/file", false), file);
    EXPECT_EQ(nid_of("/../../a/b/file", false), file); // ".." at the root stays there
    EXPECT_EQ(nid_of("/rel", true), file);
    EXPECT_EQ(nid_of("/abs", true), file);
    EXPECT_EQ(nid_of("/chain1", true), file);
    EXPECT_EQ(nid_of("/dotdot", true), big);
    EXPECT_EQ(nid_of("/dirlink/file", false), file);
    EXPECT_EQ(nid_of("/a/b/up", true), file); // relative to the link's own directory
    EXPECT_EQ(nid_of("/dirlink/c/deep.txt", false), nid_of("/a/b/c/deep.txt", false));
    EXPECT_EQ(nid_of("/dirlink/", false), nid_of("/a/b", false)); // trailing slash follows
    EXPECT_EQ(nid_of("/a/b/", false), nid_of("/a/b", false));
    EXPECT_EQ(nid_of("/a/b/.", false), nid_of("/a/b", false));
    // Not following the final symlink gives the link itself.
    auto link = image().resolve("/rel", false);
    ASSERT_FALSE(link.is_error());
    EXPECT_TRUE(link.value().is_symlink());
    auto dangling = image().resolve("/dangling", false);
    ASSERT_FALSE(dangling.is_error());
    EXPECT_TRUE(dangling.value().is_symlink());
    auto loop = image().resolve("/loop1", false);
    ASSERT_FALSE(loop.is_error());
    EXPECT_TRUE(loop.value().is_symlink());
}

TEST_F(ErofsResolve, ReportsLinuxErrors) {
    expect_error("/nonexistent", true, Errno::NOENT);
    expect_error("/nonexistent/x", true, Errno::NOENT);
    expect_error("/dangling", true, Errno::NOENT);
    expect_error("/dangling/x", false, Errno::NOENT);
    expect_error("/big/x", true, Errno::NOTDIR);
    expect_error("/big/", true, Errno::NOTDIR);
    expect_error("/rel/", false, Errno::NOTDIR); // follows, then must be a directory
    expect_error("/loop1", true, Errno::LOOP);
    expect_error("/self", true, Errno::LOOP);
    expect_error("/loop1/x", false, Errno::LOOP);
    expect_error("relative/path", true, Errno::INVAL);
    expect_error("", true, Errno::NOENT);
    expect_error("/" + std::string(256, 'a'), true, Errno::NAMETOOLONG);
    expect_error("/" + std::string(4096, 'a'), true, Errno::NAMETOOLONG);
    // A 4000-byte target plus the rest of the path still resolves piecewise (one component of
    // 4000 bytes is too long).
    expect_error("/longtarget", true, Errno::NAMETOOLONG);
    EXPECT_NE(nid_of("/" + kLongName, true), ~0ull);
}

TEST_F(ErofsResolve, ReadlinkAndSpecialFiles) {
    auto big = image().resolve("/big", true);
    ASSERT_FALSE(big.is_error());
    auto r = image().readlink(big.value());
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error().code, Errno::INVAL);
    auto fifo = image().resolve("/fifo", true);
    ASSERT_FALSE(fifo.is_error());
    EXPECT_EQ(fifo.value().type(), FileType::Fifo);
    EXPECT_EQ(fifo.value().size, 0u);
    uint8_t buf[4];
    auto rd = image().read(fifo.value(), 0, buf);
    ASSERT_TRUE(rd.is_error());
    EXPECT_EQ(rd.error().code, Errno::INVAL);
    if (tree().have_socket) {
        auto sock = image().resolve("/sock", true);
        ASSERT_FALSE(sock.is_error());
        EXPECT_EQ(sock.value().type(), FileType::Socket);
    }
    auto dir = image().resolve("/a", true);
    ASSERT_FALSE(dir.is_error());
    auto notdir = image().lookup(big.value(), "x");
    ASSERT_TRUE(notdir.is_error());
    EXPECT_EQ(notdir.error().code, Errno::NOTDIR);
    auto entries = image().for_each_entry(big.value(), 0, [](const DirEntry&) { return true; });
    ASSERT_TRUE(entries.is_error());
    EXPECT_EQ(entries.error().code, Errno::NOTDIR);
}

// Deterministic build flags (as the image builder uses them): fixed time, root-owned.
TEST(ErofsBuild, FixedTimestampAndAllRoot) {
    std::string path = tree().dir + "/fixed.img";
    ASSERT_EQ(run_mkfs("-E noinline_data -T 1234567 --all-root -x -1", path, tree().root), 0);
    Bytes bytes = load_image(path);
    Image image = open_image(bytes);
    EXPECT_EQ(image.build_time(), 1234567u);
    for (const char* p : {"/", "/big", "/a/b/c", "/rel", "/mode_setuid"}) {
        auto inode = image.resolve(p, false);
        ASSERT_FALSE(inode.is_error()) << p;
        EXPECT_EQ(inode.value().mtime, 1234567u) << p;
        EXPECT_EQ(inode.value().uid, 0u);
        EXPECT_EQ(inode.value().gid, 0u);
    }
}

// A chunk whose index is EROFS_NULL_ADDR is a hole: it reads as zeros and cannot be mapped.
// mkfs.erofs 1.5 never writes holes (it deduplicates zero chunks instead), so patch one in.
TEST(ErofsChunks, NullAddressIsAHole) {
    for (const Flavor& flavor : {kFlavors[3], kFlavors[4]}) {
        SCOPED_TRACE(flavor.name);
        Bytes bytes = exact_copy(image_bytes(flavor).span());
        auto expected = read_host_file(tree().root + "/sparse");
        uint64_t meta_end, unit;
        uint32_t chunk_bits;
        {
            Image image = open_image(bytes);
            auto inode = image.resolve("/sparse", true);
            ASSERT_FALSE(inode.is_error());
            ASSERT_EQ(inode.value().layout, wisp::fs::erofs::DataLayout::ChunkBased);
            meta_end = inode.value().meta_end;
            unit = (inode.value().chunk_format & 0x20) ? 8 : 4;
            chunk_bits = 12 + (inode.value().chunk_format & 0x1f);
        }
        // Chunk 0 is all zeros on the host: turn it into a hole.
        uint64_t entry = (meta_end + unit - 1) / unit * unit;
        std::memset(bytes.data.get() + entry + (unit == 8 ? 4 : 0), 0xff, 4);
        Image image = open_image(bytes);
        auto inode = image.resolve("/sparse", true);
        ASSERT_FALSE(inode.is_error());
        auto extent = image.map(inode.value(), 100);
        ASSERT_FALSE(extent.is_error());
        EXPECT_TRUE(extent.value().hole);
        EXPECT_EQ(extent.value().length, (1u << chunk_bits) - 100);
        EXPECT_TRUE(read_all(image, inode.value(), 3000) == expected);
        auto mapped = image.contiguous_offset(inode.value(), 0, kBlock);
        ASSERT_TRUE(mapped.is_error());
        EXPECT_EQ(mapped.error().code, Errno::OPNOTSUPP);
    }
}

// Without -T, mkfs keeps each file's own time (extended inodes where it differs from the build
// time): check nanoseconds too.
TEST(ErofsBuild, PreservesHostTimes) {
    const stdfs::path dir = tree().dir + "/times";
    stdfs::create_directories(dir);
    write_file(dir / "old", {'o'});
    write_file(dir / "new", {'n'});
    struct timespec times[2] = {{1000000000, 123456789}, {1000000000, 123456789}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir / "old").c_str(), times, 0), 0);
    std::string path = tree().dir + "/times.img";
    ASSERT_EQ(run_mkfs("-E noinline_data", path, dir.string()), 0);
    Bytes bytes = load_image(path);
    Image image = open_image(bytes);
    for (const char* name : {"old", "new"}) {
        struct stat st;
        ASSERT_EQ(::stat((dir / name).c_str(), &st), 0);
        auto inode = image.resolve(std::string("/") + name, true);
        ASSERT_FALSE(inode.is_error());
        EXPECT_EQ(inode.value().mtime, uint64_t(st.st_mtim.tv_sec)) << name;
        EXPECT_EQ(inode.value().mtime_nsec, uint32_t(st.st_mtim.tv_nsec)) << name;
    }
}

} // namespace
