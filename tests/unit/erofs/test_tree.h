// SPDX-License-Identifier: MIT
#pragma once

// Helpers for the EROFS reader tests: build a host directory tree, turn it into an image with the
// real mkfs.erofs, and load the image into an exactly-sized heap buffer (so ASan catches any read
// past its end).
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace erofs_test {

namespace stdfs = std::filesystem;

inline std::string make_temp_dir(const char* tag) {
    std::string pattern = (stdfs::temp_directory_path() / (std::string("wisp-") + tag + "-XXXXXX"));
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    return buf.data();
}

inline void write_file(const stdfs::path& path, const std::vector<uint8_t>& bytes,
                       mode_t mode = 0644) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    out.close();
    ::chmod(path.c_str(), mode);
}

inline std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> v(n);
    for (auto& b : v)
        b = uint8_t(rng());
    return v;
}

inline std::vector<uint8_t> read_host_file(const stdfs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Runs mkfs.erofs; returns its exit status (output goes to a log file beside the image).
inline int run_mkfs(const std::string& options, const std::string& image, const std::string& dir) {
    std::string cmd = "mkfs.erofs --quiet " + options + " '" + image + "' '" + dir + "' > '" +
                      image + ".log' 2>&1";
    return std::system(cmd.c_str());
}

// An image loaded into a heap block of exactly its size.
struct Bytes {
    std::unique_ptr<uint8_t[]> data;
    size_t size = 0;
    std::span<const uint8_t> span() const { return {data.get(), size}; }
    std::span<uint8_t> mutable_span() { return {data.get(), size}; }
};

inline Bytes exact_copy(std::span<const uint8_t> bytes) {
    Bytes b;
    b.size = bytes.size();
    b.data.reset(new uint8_t[b.size ? b.size : 1]);
    if (b.size) std::memcpy(b.data.get(), bytes.data(), b.size);
    return b;
}

inline Bytes load_image(const std::string& path) {
    auto v = read_host_file(path);
    return exact_copy(v);
}

// A unix socket file at path (the socket itself is closed again; the inode stays).
inline bool make_socket_file(const stdfs::path& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string p = path.string();
    if (p.size() >= sizeof addr.sun_path) {
        ::close(fd);
        return false;
    }
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

} // namespace erofs_test
