// SPDX-License-Identifier: MIT
#pragma once

// `wisp run` and `wisp build`: what they do once the command line is parsed (main.cpp).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace wisp::cli {

enum class Hypervisor { Wisp, Qemu };

struct RunOptions {
    std::string program;           // PROGRAM or IMAGE as the user typed it
    std::vector<std::string> args; // ARGS after it
    uint64_t memory_bytes = 256ull << 20;
    int cpus = 1;
    std::vector<std::string> env;                           // KEY=VAL from -e, in order
    std::vector<std::pair<std::string, std::string>> files; // --file HOST -> GUEST
    Hypervisor hypervisor = Hypervisor::Wisp;
    bool timings = false;
    bool strace = false;
    std::string kernel_path;                 // empty: wisp-kernel next to the wisp executable
    std::vector<std::string> kernel_options; // extra kernel options (--kernel-option), verbatim
};

struct BuildOptions {
    std::string output;
    std::string program;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::vector<std::pair<std::string, std::string>> files;
};

// The kernel next to the running executable (/proc/self/exe's directory)/wisp-kernel.
std::string default_kernel_path();

// `wisp run`: returns the status to exit with.
int run_command(const RunOptions& options);
// `wisp build`: returns the status to exit with.
int build_command(const BuildOptions& options);

} // namespace wisp::cli
