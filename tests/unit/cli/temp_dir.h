// SPDX-License-Identifier: MIT
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>

// A fresh directory under TMPDIR, removed with everything in it at the end of the test.
class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "wisp-cli-test-XXXXXX").string();
        m_path = mkdtemp(pattern.data());
    }
    ~TempDir() { std::filesystem::remove_all(m_path); }

    const std::filesystem::path& path() const { return m_path; }
    std::string file(const std::string& name, const std::string& content,
                     mode_t mode = 0644) const {
        std::filesystem::path p = m_path / name;
        std::ofstream(p, std::ios::binary) << content;
        chmod(p.c_str(), mode);
        return p.string();
    }

  private:
    std::filesystem::path m_path;
};
