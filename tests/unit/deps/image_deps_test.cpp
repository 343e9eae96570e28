// SPDX-License-Identifier: MIT
// Images of dynamic programs, read back with the kernel's own EROFS reader: every library the
// program loads resolves in the image, through the same symlinks, to the host's bytes.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "deps.h"
#include "fs/erofs.h"
#include "helpers.h"
#include "image.h"

namespace {

using namespace deps_test;
using wisp::cli::build_image;
using wisp::cli::Closure;
using wisp::cli::HostEntry;
using wisp::cli::ImageSpec;
using wisp::cli::resolve_closure;
using wisp::fs::erofs::Image;
using wisp::fs::erofs::Inode;

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct Opened {
    std::vector<uint8_t> bytes;
    std::optional<Image> image;
    explicit Opened(const std::string& path) : bytes(read_bytes(path)) {
        const char* reason = nullptr;
        auto r = Image::open(bytes, &reason);
        EXPECT_FALSE(r.is_error()) << (reason ? reason : "?");
        if (!r.is_error()) image.emplace(r.release_value());
    }
    std::optional<Inode> at(const std::string& path, bool follow) {
        auto r = image->resolve(path, follow);
        if (r.is_error()) return std::nullopt;
        return r.value();
    }
    std::vector<uint8_t> contents(const Inode& inode) {
        std::vector<uint8_t> out(inode.size);
        auto r = image->read(inode, 0, out);
        EXPECT_FALSE(r.is_error());
        return out;
    }
};

// A private image cache per test.
class DynamicImage : public ::testing::Test {
  protected:
    void SetUp() override {
        ::setenv("XDG_CACHE_HOME", (m_dir / "cache").c_str(), 1);
        ::unsetenv("WISP_MKFS_EROFS");
    }
    void TearDown() override { ::unsetenv("XDG_CACHE_HOME"); }

    // Every library and the program resolve in the image (symlinks followed by the kernel's
    // reader) to a regular file with the host's bytes and mode.
    void expect_complete(Opened& img, const Closure& closure, const std::string& program) {
        std::vector<std::string> paths = {program};
        for (const auto& library : closure.libraries)
            paths.push_back(library.path);
        for (const auto& path : paths) {
            auto inode = img.at(path, true);
            ASSERT_TRUE(inode) << path << " does not resolve in the image";
            ASSERT_TRUE(inode->is_regular()) << path;
            EXPECT_EQ(img.contents(*inode), read_bytes(path)) << path;
            struct stat st;
            ASSERT_EQ(::stat(path.c_str(), &st), 0);
            EXPECT_EQ(inode->mode & 07777, st.st_mode & 07777) << path;
        }
        // Symlinks are symlinks in the image, with the host's contents.
        for (const auto& [path, entry] : closure.entries) {
            if (entry.kind != HostEntry::Kind::Symlink) continue;
            auto inode = img.at(path, false);
            ASSERT_TRUE(inode) << path;
            ASSERT_TRUE(inode->is_symlink()) << path;
            EXPECT_EQ(img.image->readlink(*inode).value(), entry.target) << path;
        }
    }

    Scratch m_dir;
};

TEST_F(DynamicImage, LsImageHoldsItsLibrariesAndCache) {
    ImageSpec spec;
    spec.program = "/bin/ls";
    spec.argv = {"/bin/ls", "-l"};
    std::string extra = m_dir.write("extra.txt", "extra\n");
    spec.files = {{extra, "/lib/extra.txt"}};
    Opened img(build_image(spec));
    ASSERT_TRUE(img.image);
    EXPECT_FALSE(img.image->verify_checksum().is_error());
    Closure closure = resolve_closure("/bin/ls");
    expect_complete(img, closure, "/bin/ls");
    EXPECT_TRUE(img.at("/etc/ld.so.cache", true));
    EXPECT_TRUE(img.at("/etc/passwd", true)); // the generated /etc is still there

    // A --file below a symlinked directory lands where the guest's path walk goes, beside the
    // libraries, instead of replacing the symlink.
    auto lib = img.at("/lib", false);
    ASSERT_TRUE(lib);
    struct stat st;
    if (::lstat("/lib", &st) == 0 && S_ISLNK(st.st_mode)) {
        EXPECT_TRUE(lib->is_symlink());
        EXPECT_TRUE(img.at("/usr/lib/extra.txt", false));
    }
    auto text = img.at("/lib/extra.txt", true);
    ASSERT_TRUE(text);
    EXPECT_EQ(img.contents(*text), std::vector<uint8_t>({'e', 'x', 't', 'r', 'a', '\n'}));
}

TEST_F(DynamicImage, OwnLibrariesAndTheCacheKey) {
    auto build_lib = [&](int value) {
        return compile(m_dir, "gcc", "int deep(void){return " + std::to_string(value) + ";}\n",
                       m_dir / "lib/libdeep.so.1", "-shared -fPIC -Wl,-soname,libdeep.so.1");
    };
    ASSERT_TRUE(build_lib(42));
    std::string app = m_dir / "bin/app";
    ASSERT_TRUE(compile(m_dir, "gcc", "int deep(void);\nint main(void){return deep();}\n", app,
                        "-L" + m_dir / "lib" + " -l:libdeep.so.1 -Wl,-rpath,'$ORIGIN/../lib'"));
    ImageSpec spec;
    spec.program = app;
    const std::string first = build_image(spec);
    Opened img(first);
    ASSERT_TRUE(img.image);
    expect_complete(img, resolve_closure(app), app);

    // Same inputs: the cached image. A library's bytes changed: a new one.
    EXPECT_EQ(build_image(spec), first);
    ASSERT_TRUE(build_lib(43));
    const std::string second = build_image(spec);
    EXPECT_NE(second, first);
    // A symlink to the library, now what DT_NEEDED names: another key again.
    std::filesystem::rename(m_dir / "lib/libdeep.so.1", m_dir / "lib/libdeep.so.1.0");
    std::filesystem::create_symlink("libdeep.so.1.0", m_dir / "lib/libdeep.so.1");
    const std::string third = build_image(spec);
    EXPECT_NE(third, second);
    Opened again(third);
    ASSERT_TRUE(again.image);
    auto link = again.at(m_dir / "lib/libdeep.so.1", false);
    ASSERT_TRUE(link);
    EXPECT_TRUE(link->is_symlink());
}

TEST_F(DynamicImage, Python3ImageStartsFromTheSameFiles) {
    if (!have("/usr/bin/python3")) GTEST_SKIP() << "python3 is not installed";
    ImageSpec spec;
    spec.program = "/usr/bin/python3";
    std::vector<std::string> notes;
    spec.on_note = [&](const std::string& note) { notes.push_back(note); };
    Opened img(build_image(spec));
    ASSERT_TRUE(img.image);
    Closure closure = resolve_closure("/usr/bin/python3");
    expect_complete(img, closure, "/usr/bin/python3");
    EXPECT_EQ(notes, closure.notes);

    // Every file native Python opens to run `import json, hashlib, decimal` is in the image:
    // the files strace sees it open, as the oracle.
    if (!have("/usr/bin/strace")) return;
    std::string trace = run("env -i /usr/bin/strace -f -e trace=openat -e status=successful "
                            "/usr/bin/python3 -c 'import json, hashlib, decimal, sqlite3' 2>&1 "
                            ">/dev/null");
    std::istringstream lines(trace);
    std::string line;
    size_t checked = 0;
    while (std::getline(lines, line)) {
        size_t open = line.find("openat(AT_FDCWD, \"");
        if (open == std::string::npos) continue;
        size_t start = open + 18, end = line.find('"', start);
        std::string path = line.substr(start, end - start);
        // Not files of the image: the kernel's own trees and the working directory. Left out
        // on purpose: gconv (UTF-8 is built into glibc; see deps.h), the time zone, and the
        // site-packages directories a note says are too big.
        if (path.starts_with("/proc") || path.starts_with("/sys") || path.starts_with("/dev") ||
            path[0] != '/' || path == "/etc/localtime" ||
            path.starts_with("/usr/lib/x86_64-linux-gnu/gconv/"))
            continue;
        if (std::any_of(closure.notes.begin(), closure.notes.end(), [&](const std::string& note) {
                return path.starts_with(note.substr(0, note.find(' ')) + "/");
            }))
            continue;
        struct stat st;
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        EXPECT_TRUE(img.at(path, true)) << path << " is opened natively but not in the image";
        checked++;
    }
    EXPECT_GT(checked, 20u);
}

// Not run by default: image build time (cold and cached) and image size for Debian programs,
// for docs/benchmarks.md.
//   build-deps/bin/unit_deps --gtest_also_run_disabled_tests --gtest_filter='*Measure*'
TEST_F(DynamicImage, DISABLED_Measure) {
    using clock = std::chrono::steady_clock;
    auto ms = [](clock::duration d) {
        return std::chrono::duration<double, std::milli>(d).count();
    };
    for (const std::string program :
         {"/bin/ls", "/usr/bin/lua5.4", "/usr/bin/sqlite3", "/usr/bin/python3"}) {
        if (!have(program)) continue;
        std::error_code ignored;
        std::filesystem::remove_all(m_dir / "cache", ignored);
        ImageSpec spec;
        spec.program = program;
        auto t0 = clock::now();
        Closure closure = resolve_closure(program);
        auto t1 = clock::now();
        std::string path = build_image(spec);
        auto t2 = clock::now();
        build_image(spec);
        auto t3 = clock::now();
        struct stat st;
        ::stat(path.c_str(), &st);
        std::printf("%-18s resolve %7.1f ms  cold build %8.1f ms  cached %7.1f ms  image %6.1f MiB"
                    "  entries %zu  libraries %zu\n",
                    program.c_str(), ms(t1 - t0), ms(t2 - t1), ms(t3 - t2),
                    double(st.st_size) / (1 << 20), closure.entries.size(),
                    closure.libraries.size());
    }
}

} // namespace
