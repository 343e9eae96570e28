// SPDX-License-Identifier: MIT
// The image builder, checked through the kernel's own EROFS reader.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "fs/erofs.h"
#include "image.h"
#include "lib/cmdline.h"
#include "vmm.h"

namespace {

namespace stdfs = std::filesystem;
using wisp::cli::build_image;
using wisp::cli::build_image_to;
using wisp::cli::ImageSpec;
using wisp::fs::erofs::DirEntry;
using wisp::fs::erofs::Image;
using wisp::fs::erofs::Inode;
using wisp::vmm::UserError;

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, std::string_view text, mode_t mode = 0644) {
    std::ofstream(path, std::ios::binary) << text;
    ::chmod(path.c_str(), mode);
}

// A fresh directory for inputs and a private image cache (XDG_CACHE_HOME) per test.
class ImageBuilder : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = stdfs::temp_directory_path() / "wisp-image-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        m_dir = pattern;
        stdfs::create_directories(m_dir + "/cache");
        ::setenv("XDG_CACHE_HOME", (m_dir + "/cache").c_str(), 1);
        ::unsetenv("WISP_MKFS_EROFS");

        // The program, and extra files: a tree with a nested dir, symlinks and odd modes.
        stdfs::create_directories(m_dir + "/bin");
        m_program = m_dir + "/bin/app";
        std::string program(3 * 4096 + 17, '\0');
        for (size_t i = 0; i < program.size(); i++)
            program[i] = char(i * 31 + 7);
        write_file(m_program, program, 0755);
        stdfs::create_directories(m_dir + "/data/sub");
        write_file(m_dir + "/data/a.txt", "alpha\n");
        write_file(m_dir + "/data/sub/b.txt", "beta\n", 0600);
        write_file(m_dir + "/data/sub/tool", "#!tool\n", 04755);
        stdfs::create_symlink("sub/b.txt", m_dir + "/data/link");
        stdfs::create_symlink("/nowhere", m_dir + "/data/dangling");
        ::chmod((m_dir + "/data/sub").c_str(), 0750);
        write_file(m_dir + "/single", "one file\n");
        write_file(m_dir + "/hosts", "10.0.0.1 mine\n");
    }
    void TearDown() override {
        ::unsetenv("WISP_MKFS_EROFS");
        std::error_code ignored;
        stdfs::remove_all(m_dir, ignored);
    }

    ImageSpec spec() {
        ImageSpec s;
        s.program = m_program;
        s.argv = {m_program, "--flag", "two words", ""};
        s.env = {"HOME=/root", "GREETING=hello \"world\""};
        s.files = {{m_dir + "/data", "/srv/data"},
                   {m_dir + "/single", "opt/single.txt"},
                   {m_dir + "/hosts", "/etc/hosts"}};
        return s;
    }

    std::string m_dir;
    std::string m_program;
};

// An image file opened with the kernel's reader.
struct Opened {
    std::vector<uint8_t> bytes;
    std::optional<Image> image;
    explicit Opened(const std::string& path) : bytes(read_file(path)) {
        const char* reason = nullptr;
        auto r = Image::open(bytes, &reason);
        EXPECT_FALSE(r.is_error()) << (reason ? reason : "?");
        if (!r.is_error()) image.emplace(r.release_value());
    }
    Inode at(const std::string& path, bool follow = false) {
        auto r = image->resolve(path, follow);
        EXPECT_FALSE(r.is_error()) << path;
        return r.is_error() ? Inode{} : r.value();
    }
    std::string text(const std::string& path) {
        Inode inode = at(path, true);
        std::string out(inode.size, '\0');
        auto r =
            image->read(inode, 0, std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
        EXPECT_FALSE(r.is_error());
        return out;
    }
};

TEST_F(ImageBuilder, HoldsProgramFilesEtcAndCmdline) {
    ImageSpec s = spec();
    std::string path = build_image(s);
    Opened img(path);
    ASSERT_TRUE(img.image);
    EXPECT_FALSE(img.image->verify_checksum().is_error());

    // The program at its own absolute host path, same bytes and mode.
    Inode program = img.at(m_program);
    EXPECT_EQ(program.mode, S_IFREG | 0755);
    auto expected = read_file(m_program);
    EXPECT_EQ(img.text(m_program), std::string(expected.begin(), expected.end()));
    EXPECT_FALSE(img.image->contiguous_offset(program, 0, program.size).is_error());

    // Extra files, recursively, with modes and symlinks as on the host.
    EXPECT_EQ(img.text("/srv/data/a.txt"), "alpha\n");
    EXPECT_EQ(img.text("/srv/data/sub/b.txt"), "beta\n");
    EXPECT_EQ(img.at("/srv/data/sub/b.txt").mode, S_IFREG | 0600);
    EXPECT_EQ(img.at("/srv/data/sub/tool").mode, S_IFREG | 04755);
    EXPECT_EQ(img.at("/srv/data/sub").mode, S_IFDIR | 0750);
    EXPECT_EQ(img.image->readlink(img.at("/srv/data/link")).value(), "sub/b.txt");
    EXPECT_EQ(img.image->readlink(img.at("/srv/data/dangling")).value(), "/nowhere");
    EXPECT_EQ(img.text("/srv/data/link"), "beta\n");
    EXPECT_EQ(img.text("/opt/single.txt"), "one file\n");

    // Generated /etc, except what the user supplied.
    EXPECT_EQ(img.text("/etc/hosts"), "10.0.0.1 mine\n");
    EXPECT_EQ(img.text("/etc/passwd").substr(0, 7), "root:x:");
    EXPECT_EQ(img.text("/etc/group").substr(0, 7), "root:x:");
    EXPECT_NE(img.text("/etc/nsswitch.conf").find("hosts:"), std::string::npos);
    img.at("/etc/resolv.conf");
    EXPECT_EQ(img.at("/tmp").mode, S_IFDIR | 01777);
    EXPECT_EQ(img.at("/").mode, S_IFDIR | 0755);
    EXPECT_EQ(img.at("/etc").mode, S_IFDIR | 0755);

    // /.wisp/cmdline reads back to the spec's env and argv.
    std::string line = img.text("/.wisp/cmdline");
    std::vector<char> storage(line.size());
    std::vector<std::string_view> tokens(line.size());
    auto cmdline = wisp::cmdline::Cmdline::parse(line, storage, tokens);
    ASSERT_FALSE(cmdline.is_error());
    std::vector<std::string> env, argv;
    cmdline.value().for_each_value("env", [&](std::string_view v) { env.emplace_back(v); });
    for (auto a : cmdline.value().argv())
        argv.emplace_back(a);
    EXPECT_EQ(env, s.env);
    EXPECT_EQ(argv, s.argv);

    // Deterministic metadata: everything root-owned at time 0.
    std::vector<Inode> queue = {img.at("/")};
    size_t seen = 0;
    while (!queue.empty()) {
        Inode inode = queue.back();
        queue.pop_back();
        seen++;
        EXPECT_EQ(inode.uid, 0u);
        EXPECT_EQ(inode.gid, 0u);
        EXPECT_EQ(inode.mtime, 0u);
        if (!inode.is_directory()) continue;
        auto r = img.image->for_each_entry(inode, 0, [&](const DirEntry& e) {
            if (e.name != "." && e.name != "..") queue.push_back(img.image->inode(e.nid).value());
            return true;
        });
        EXPECT_FALSE(r.is_error());
    }
    EXPECT_GT(seen, 20u);
}

TEST_F(ImageBuilder, SameInputsSameBytesAndPath) {
    ImageSpec s = spec();
    std::string first = build_image(s);
    auto bytes = read_file(first);
    EXPECT_EQ(stdfs::path(first).parent_path(), stdfs::path(m_dir + "/cache/wisp/images"));
    EXPECT_EQ(stdfs::path(first).filename().string().size(), 64u + 6u); // <sha256>.erofs

    // Rebuilt from scratch: the same bytes at the same path.
    stdfs::remove(first);
    EXPECT_EQ(build_image(s), first);
    EXPECT_EQ(read_file(first), bytes);

    // `wisp build -o` writes the very same image.
    build_image_to(s, m_dir + "/out.img");
    EXPECT_EQ(read_file(m_dir + "/out.img"), bytes);

    // Staged by copy instead of hard link (the cache on another file system, when /dev/shm is
    // one): still the same bytes.
    struct stat shm, here;
    if (::stat("/dev/shm", &shm) == 0 && ::stat(m_dir.c_str(), &here) == 0 &&
        shm.st_dev != here.st_dev && ::access("/dev/shm", W_OK) == 0) {
        std::string other = "/dev/shm/wisp-image-test-" + std::to_string(::getpid());
        ::setenv("XDG_CACHE_HOME", other.c_str(), 1);
        std::string copied = build_image(s);
        EXPECT_EQ(read_file(copied), bytes);
        std::error_code ignored;
        stdfs::remove_all(other, ignored);
    }
    // No temporary files or staging directories are left behind.
    for (auto& entry : stdfs::directory_iterator(m_dir + "/cache/wisp/images"))
        EXPECT_EQ(entry.path().extension(), ".erofs") << entry.path();
}

TEST_F(ImageBuilder, CacheHitDoesNotRebuild) {
    ImageSpec s = spec();
    std::string path = build_image(s);
    // Replace the cached image with a marker: a hit must hand it back untouched.
    write_file(path, "cached marker");
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(build_image(s), path);
    auto hit = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(read_file(path), std::vector<uint8_t>({'c', 'a', 'c', 'h', 'e', 'd', ' ', 'm', 'a',
                                                     'r', 'k', 'e', 'r'}));
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(hit).count(), 1000);
}

TEST_F(ImageBuilder, AnyInputChangeChangesTheKey) {
    const std::string base = build_image(spec());
    std::set<std::string> paths = {base};
    auto expect_new = [&](const ImageSpec& s, const char* what) {
        std::string path = build_image(s);
        EXPECT_TRUE(paths.insert(path).second) << what;
    };
    ImageSpec s = spec();
    s.argv.push_back("x");
    expect_new(s, "argv");
    s = spec();
    s.env.push_back("A=B");
    expect_new(s, "env");
    s = spec();
    s.files[1].second = "/opt/other.txt";
    expect_new(s, "guest path");
    ::chmod((m_dir + "/data/a.txt").c_str(), 0640);
    expect_new(spec(), "mode of a file in a directory");
    write_file(m_dir + "/data/sub/b.txt", "BETA\n", 0600);
    expect_new(spec(), "bytes of a file in a directory");
    stdfs::remove(m_dir + "/data/link");
    stdfs::create_symlink("a.txt", m_dir + "/data/link");
    expect_new(spec(), "symlink target");
    write_file(m_dir + "/data/new", "");
    expect_new(spec(), "a new file");
    write_file(m_program, "changed program", 0755);
    expect_new(spec(), "program bytes");
    ::chmod(m_program.c_str(), 0700);
    expect_new(spec(), "program mode");
    // And back to an earlier state: the earlier key again (cache hit).
    ::chmod(m_program.c_str(), 0755);
    EXPECT_EQ(paths.count(build_image(spec())), 1u);
}

TEST_F(ImageBuilder, ConcurrentBuildsOfTheSameImage) {
    ImageSpec s = spec();
    std::vector<std::string> results(4);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < results.size(); i++)
        threads.emplace_back([&, i] { results[i] = build_image(s); });
    for (auto& t : threads)
        t.join();
    for (const auto& r : results)
        EXPECT_EQ(r, results[0]);
    Opened img(results[0]);
    ASSERT_TRUE(img.image);
    EXPECT_EQ(img.text("/srv/data/a.txt"), "alpha\n");
    for (auto& entry : stdfs::directory_iterator(m_dir + "/cache/wisp/images"))
        EXPECT_EQ(entry.path().extension(), ".erofs") << entry.path();
}

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const UserError& e) {
        std::string message = e.what();
        EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
        return message;
    }
    ADD_FAILURE() << "no UserError";
    return "";
}

TEST_F(ImageBuilder, UserErrors) {
    ImageSpec s = spec();
    s.program = m_dir + "/missing";
    EXPECT_NE(error_of([&] { build_image(s); }).find("program not found"), std::string::npos);
    s.program = m_dir + "/data";
    EXPECT_NE(error_of([&] { build_image(s); }).find("not a regular file"), std::string::npos);

    s = spec();
    s.files.push_back({m_dir + "/nope", "/x"});
    std::string message = error_of([&] { build_image(s); });
    EXPECT_NE(message.find("--file"), std::string::npos) << message;
    EXPECT_NE(message.find(m_dir + "/nope"), std::string::npos) << message;

    s = spec();
    s.files.push_back({m_dir + "/single", "/dir/" + std::string(255, 'n')});
    EXPECT_NE(error_of([&] { build_image(s); }).find("too long"), std::string::npos);

    s = spec();
    s.env.push_back("NOVALUE");
    EXPECT_NE(error_of([&] { build_image(s); }).find("KEY=VALUE"), std::string::npos);

    s = spec();
    s.argv.push_back(std::string("a\0b", 3));
    EXPECT_NE(error_of([&] { build_image(s); }).find("NUL"), std::string::npos);

    ::setenv("WISP_MKFS_EROFS", (m_dir + "/no-mkfs").c_str(), 1);
    EXPECT_NE(error_of([&] { build_image(spec()); }).find("install erofs-utils (scripts/setup.sh)"),
              std::string::npos);

    // mkfs.erofs failing: its last error line is in the message.
    write_file(m_dir + "/fake-mkfs", "#!/bin/sh\necho '<E> erofs: \tsomething broke' >&2\nexit 1\n",
               0755);
    ::setenv("WISP_MKFS_EROFS", (m_dir + "/fake-mkfs").c_str(), 1);
    message = error_of([&] { build_image(spec()); });
    EXPECT_NE(message.find("mkfs.erofs failed (exit status 1): something broke"), std::string::npos)
        << message;
    ::unsetenv("WISP_MKFS_EROFS");

    EXPECT_NE(error_of([&] {
                  build_image_to(spec(), m_dir + "/no/such/dir/out.img");
              }).find("does not exist"),
              std::string::npos);
    for (auto& entry : stdfs::directory_iterator(m_dir + "/cache/wisp/images"))
        ADD_FAILURE() << "left behind: " << entry.path();
}

// Not run by default: prints cold-build and cache-hit times (for docs/benchmarks.md).
//   build-image/bin/unit_image --gtest_also_run_disabled_tests --gtest_filter='*Timing*'
TEST_F(ImageBuilder, DISABLED_Timing) {
    std::vector<std::string> programs = {WISP_BINARY_DIR "/tests/guest/hello.musl",
                                         WISP_BINARY_DIR "/tests/guest/hello.glibc",
                                         "/usr/bin/python3"};
    for (const auto& program : programs) {
        if (::access(program.c_str(), R_OK) != 0) {
            std::printf("%-50s missing\n", program.c_str());
            continue;
        }
        ImageSpec s;
        s.program = program;
        s.argv = {program};
        using clock = std::chrono::steady_clock;
        auto ms = [](clock::duration d) {
            return std::chrono::duration<double, std::milli>(d).count();
        };
        std::error_code ignored;
        stdfs::remove_all(m_dir + "/cache/wisp", ignored);
        auto t0 = clock::now();
        std::string path = build_image(s);
        auto t1 = clock::now();
        for (int i = 0; i < 10; i++)
            build_image(s);
        auto t2 = clock::now();
        std::printf("%-50s %9lld bytes: cold %.1f ms, hit %.2f ms, image %lld bytes\n",
                    program.c_str(), (long long)stdfs::file_size(program), ms(t1 - t0),
                    ms(t2 - t1) / 10, (long long)stdfs::file_size(path));
    }
}

} // namespace
