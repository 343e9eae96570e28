// SPDX-License-Identifier: MIT
#pragma once

// The application's argv and environment, and kernel options, from the image's default command
// line (/.wisp/cmdline) overridden by the boot command line (DESIGN.md §2 Boot).
#include <span>
#include <string_view>

#include "fs/erofs.h"
#include "lib/result.h"

namespace wisp::linux {

class BootArgs {
public:
    std::span<const std::string_view> argv() const { return {m_argv, m_argc}; }
    std::span<const std::string_view> envp() const { return {m_envp, m_envc}; }
    bool strace = false;
    bool timings = false;    // send boot milestones to the host
    bool test_panic = false; // panic on purpose (tests of the panic path)
    bool serial_console = false; // console.serial: ignore virtio consoles (benchmarks, debugging)
    std::string_view console_tty; // console.tty: the host's terminal (abi/terminal.h)
    uint64_t tsc_khz = 0;         // clock.tsc_khz: the TSC rate the host measured (0: none)

    // virtio_mmio.device=SIZE@BASE:GSI values, in command-line order (drivers/virtio).
    std::span<const std::string_view> virtio_devices() const { return {m_virtio, m_virtio_count}; }
    static constexpr size_t kMaxVirtioDevices = 8;

    static constexpr size_t kMaxArgs = 1024;
    static constexpr size_t kMaxEnv = 1024;

private:
    friend Result<BootArgs*> parse_boot_args(const fs::erofs::Image&, const char*);
    std::string_view m_argv[kMaxArgs];
    size_t m_argc = 0;
    std::string_view m_envp[kMaxEnv];
    size_t m_envc = 0;
    std::string_view m_virtio[kMaxVirtioDevices];
    size_t m_virtio_count = 0;
};

// Parses both command lines. The result lives for the whole run (static storage).
Result<BootArgs*> parse_boot_args(const fs::erofs::Image& image, const char* boot_cmdline);
const char* describe_boot_args_error();

} // namespace wisp::linux
