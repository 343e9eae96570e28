// SPDX-License-Identifier: MIT
#pragma once

// A VFS with a tmpfs root, and helpers that read like the system calls they stand for.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fs/host_testing.h"
#include "fs/tmpfs.h"
#include "fs/vfs.h"

namespace vfs_test {

using namespace wisp;
using namespace wisp::fs;

inline Errno error_of(const Result<void>& r) {
    return r.is_error() ? r.error().code : Errno(0);
}
template<typename T>
Errno error_of(const Result<T>& r) {
    return r.is_error() ? r.error().code : Errno(0);
}
constexpr Errno kOk = Errno(0);

class CollectingSink final : public DirSink {
  public:
    explicit CollectingSink(size_t limit = ~size_t(0)) : m_limit(limit) {}
    bool emit(std::string_view name, uint64_t, DirentType, uint64_t) override {
        if (names.size() >= m_limit) return false;
        names.emplace_back(name);
        return true;
    }
    std::vector<std::string> names;

  private:
    size_t m_limit;
};

class VfsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_pages_before = host_testing::pages_outstanding();
        Tmpfs::Options options;
        options.max_pages = 1024;
        auto fs = Tmpfs::create(options);
        ASSERT_FALSE(fs.is_error());
        auto root = vfs.mount_root(fs.release_value(), 0, "rootfs");
        ASSERT_FALSE(root.is_error());
        ctx.root = vfs.root_path();
        ctx.cwd = vfs.root_path();
        ctx.umask = 022;
    }
    void TearDown() override {
        ctx = {};
        vfs.~Vfs();
        new (&vfs) Vfs();
        EXPECT_EQ(host_testing::pages_outstanding(), m_pages_before) << "pages leaked";
    }

    Path cwd() { return ctx.cwd; }
    Result<Path> resolve(const std::string& path, unsigned flags = kFollow) {
        return vfs.resolve(ctx, ctx.cwd, path, flags);
    }
    Errno mkdir(const std::string& path, uint32_t mode = 0755) {
        return error_of(vfs.mkdir(ctx, ctx.cwd, path, mode));
    }
    Errno symlink(const std::string& target, const std::string& path) {
        return error_of(vfs.symlink(ctx, target, ctx.cwd, path));
    }
    Result<RefPtr<OpenFile>> open(const std::string& path, int flags, uint32_t mode = 0644) {
        return vfs.open(ctx, ctx.cwd, path, flags, mode);
    }
    Errno create_file(const std::string& path, const std::string& content = "") {
        auto f = open(path, kOpenWriteOnly | kOpenCreate | kOpenTruncate);
        if (f.is_error()) return f.error().code;
        if (!content.empty()) {
            MemoryBuffer b(content.data(), content.size());
            auto n = f.value()->write(0, b);
            if (n.is_error()) return n.error().code;
        }
        return kOk;
    }
    std::string read_file(const std::string& path) {
        auto f = open(path, kOpenReadOnly);
        if (f.is_error()) return "<error " + std::to_string(int(f.error().code)) + ">";
        std::string out;
        char buf[1000];
        for (uint64_t off = 0;;) {
            MemoryBuffer b(buf, sizeof(buf));
            auto n = f.value()->read(off, b);
            if (n.is_error()) return "<read error>";
            if (n.value() == 0) break;
            out.append(buf, n.value());
            off += n.value();
        }
        return out;
    }
    std::vector<std::string> list(const std::string& path) {
        auto f = open(path, kOpenReadOnly | kOpenDirectory);
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
    Attributes stat(const std::string& path, unsigned flags = kFollow) {
        Attributes a;
        auto p = resolve(path, flags);
        EXPECT_FALSE(p.is_error()) << path;
        if (!p.is_error()) {
            EXPECT_FALSE(vfs.stat(p.value(), a).is_error());
        }
        return a;
    }
    std::string getcwd() {
        char buf[4096];
        auto p = vfs.path_of(ctx, ctx.cwd, buf, sizeof(buf));
        if (p.is_error()) return "<error>";
        return std::string(p.value());
    }
    Errno chdir(const std::string& path) {
        auto p = resolve(path, kFollow | kDirectory);
        if (p.is_error()) return p.error().code;
        ctx.cwd = p.value();
        return kOk;
    }

    Vfs vfs;
    FsContext ctx;
    uint64_t m_pages_before = 0;
};

} // namespace vfs_test
