// SPDX-License-Identifier: MIT
#pragma once

// Owning handles for the monitor's host resources: every fd and mapping is released exactly
// once, also when setup throws halfway.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace wisp::vmm {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(std::exchange(other.m_fd, -1));
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }
    void reset(int fd = -1) {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = fd;
    }

  private:
    int m_fd = -1;
};

// An mmap()ed region, unmapped on destruction.
class Mapping {
  public:
    Mapping() = default;
    Mapping(void* base, size_t size) : m_base(static_cast<uint8_t*>(base)), m_size(size) {}
    Mapping(Mapping&& other) noexcept
        : m_base(std::exchange(other.m_base, nullptr)), m_size(std::exchange(other.m_size, 0)) {}
    Mapping& operator=(Mapping&& other) noexcept {
        if (this != &other) {
            reset();
            m_base = std::exchange(other.m_base, nullptr);
            m_size = std::exchange(other.m_size, 0);
        }
        return *this;
    }
    ~Mapping() { reset(); }

    uint8_t* data() const { return m_base; }
    size_t size() const { return m_size; }
    explicit operator bool() const { return m_base != nullptr; }
    void reset() {
        if (m_base) ::munmap(m_base, m_size);
        m_base = nullptr;
        m_size = 0;
    }

  private:
    uint8_t* m_base = nullptr;
    size_t m_size = 0;
};

} // namespace wisp::vmm
