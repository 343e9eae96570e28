// SPDX-License-Identifier: MIT
#pragma once

// Shared by the dependency resolver tests: running host tools (ldd, ldconfig, gcc) as oracles
// and scratch directories.
#include <gtest/gtest.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace deps_test {

// Runs `command` with /bin/sh and returns its stdout; *status gets the exit status.
inline std::string run(const std::string& command, int* status = nullptr) {
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return output;
    char buffer[4096];
    size_t n;
    while ((n = ::fread(buffer, 1, sizeof buffer, pipe)) > 0)
        output.append(buffer, n);
    int raw = ::pclose(pipe);
    if (status) *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return output;
}

inline bool have(const std::string& path) {
    return ::access(path.c_str(), X_OK) == 0;
}

inline std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'')
            quoted += "'\\''";
        else
            quoted += c;
    }
    return quoted + "'";
}

// What `ldd` reports for `program`: the paths after "=>" and the interpreter line's path;
// names ldd could not find go to *missing. ldd runs the program's dynamic linker in trace mode:
// fine for an oracle in a test, never in the resolver.
inline std::set<std::string> ldd_paths(const std::string& program,
                                       std::set<std::string>* missing = nullptr) {
    std::set<std::string> paths;
    std::istringstream lines(run("ldd " + shell_quote(program) + " 2>/dev/null"));
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string first, arrow, path;
        words >> first >> arrow;
        if (arrow == "=>") {
            words >> path;
            if (path == "not") {
                if (missing) missing->insert(first);
            } else if (!path.empty() && path[0] == '/') {
                paths.insert(path);
            }
        } else if (!first.empty() && first[0] == '/') {
            paths.insert(first); // the dynamic linker, by its PT_INTERP path
        }
    }
    return paths;
}

// A fresh directory under TMPDIR, removed with everything in it at the end of the test.
class Scratch {
  public:
    Scratch() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "wisp-deps-test-XXXXXX").string();
        m_path = ::mkdtemp(pattern.data());
    }
    ~Scratch() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    const std::string& path() const { return m_path; }
    std::string operator/(const std::string& name) const { return m_path + "/" + name; }
    std::string write(const std::string& name, const std::string& text) const {
        std::string path = *this / name;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }

  private:
    std::string m_path;
};

// Compiles C source with `compiler` and `flags` into `output`; false (with the compiler's
// output in the test log) on failure.
inline bool compile(const Scratch& dir, const std::string& compiler, const std::string& source,
                    const std::string& output, const std::string& flags) {
    static int counter = 0;
    std::string file = dir.write("src" + std::to_string(counter++) + ".c", source);
    std::filesystem::create_directories(std::filesystem::path(output).parent_path());
    int status = 0;
    std::string log = run(compiler + " -o " + shell_quote(output) + " " + shell_quote(file) + " " +
                              flags + " 2>&1",
                          &status);
    if (status != 0) ADD_FAILURE() << compiler << " failed: " << log;
    return status == 0;
}

} // namespace deps_test
