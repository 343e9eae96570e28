// SPDX-License-Identifier: MIT
#pragma once

// `wisp run --hypervisor qemu`: boots the same kernel and image on QEMU's microvm machine. QEMU
// runs as a child process (no shell); its devices come back to us over pipes and sockets:
//   virtio-console <-> our stdin and stdout (COM1 -> stdout too: the kernel falls back to it),
//   a second virtio-console -> our stderr, COM2 (kernel messages) -> our stderr too (both via
//   StderrStream), COM3 <-> control records (the kernel's `exit=N`...;
//   ours: `signal=2` on Ctrl-C, `stdin.eof=N` when our stdin ends after N bytes).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "control.h"

namespace wisp::cli {

struct QemuConfig {
    std::string qemu = "qemu-system-x86_64";
    std::string kernel_path;
    std::string image_path; // passed with -initrd (the first PVH module); may be empty
    std::string cmdline;
    uint64_t memory_bytes = 256ull << 20;
    int cpus = 1;
    bool kvm = true; // false: TCG emulation
    std::string cpu; // the -cpu value
    // Where COM1/COM2 appear in QEMU (paths it opens, e.g. /dev/fd/3); COM3 and the consoles
    // (stdin+stdout, stderr) are connected sockets QEMU inherits as these descriptors.
    std::string com1_path, com2_path;
    int com3_fd = 5, console_fd = 6, errors_fd = 7;
    // The app's stdin (-1: empty), and the host signals forwarded to the app while QEMU runs,
    // as the records signal_records makes of them (unset: `signal=N`).
    int stdin_fd = -1;
    std::vector<int> forward_signals;
    std::function<std::vector<std::string>(int)> signal_records;
    // As vmm::VmConfig: stdin is a terminal (a read of 0 bytes is one EOF: `tty.eof=N`), and
    // each control record from the kernel as it arrives.
    bool stdin_is_terminal = false;
    std::function<void(std::string_view key, std::string_view value)> on_control_record;
};

// The QEMU command line for `config` (argv[0] is config.qemu).
std::vector<std::string> qemu_argv(const QemuConfig& config);

struct QemuResult {
    int wait_status = 0;     // from waitpid
    ControlParser control;   // COM3 records
    uint64_t ns_started = 0; // from run_qemu() entry: QEMU spawned
    uint64_t ns_exited = 0;  //                        QEMU reaped
};

// Runs QEMU to completion, streaming COM1 to on_stdout and COM2 to on_stderr. Throws
// vmm::UserError when QEMU cannot be started.
QemuResult run_qemu(QemuConfig config, const std::function<void(std::string_view)>& on_stdout,
                    const std::function<void(std::string_view)>& on_stderr);

// The exit status `wisp run` returns for a finished QEMU run, printing a one-line reason to
// stderr when there is no `exit=` record (QEMU failed, or the guest died without one).
int qemu_exit_status(const QemuResult& result);

} // namespace wisp::cli
