// SPDX-License-Identifier: MIT
#pragma once

// The wisp monitor's public interface: run one VM to completion in the calling process.
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wisp::vmm {

// A failure the user can cause or fix (no /dev/kvm, too little memory, bad kernel file...).
// what() is a one-line message naming the cause and the fix; the CLI prints it and exits 1.
struct UserError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct VmConfig {
    std::string kernel_path; // the wisp kernel ELF (PVH)
    std::string image_path;  // EROFS image, passed as the first PVH module; may be empty
    std::string cmdline;     // kernel command line (kernel options -- argv)
    uint64_t memory_bytes = 256ull << 20;
    int cpus = 1;
    // Drop to the seccomp allow-list of sandbox.h before the guest first runs. Process-wide
    // and permanent: whatever the caller does after run_vm() must fit in it too.
    bool sandbox = false;
    // Application output: COM1 (stdout) and COM2 (stderr + kernel messages) are written here.
    // Each callback receives whole chunks as the guest wrote them.
    std::function<void(std::string_view)> on_stdout;
    std::function<void(std::string_view)> on_stderr;
    // The application's stdin: bytes read from this descriptor (by a thread of the monitor)
    // reach the guest through the virtio console, then EOF. -1: empty stdin.
    int stdin_fd = -1;
    // Host signals forwarded to the application while the VM runs (their handlers are
    // replaced for that time): `wisp run` passes SIGINT, so Ctrl-C reaches the app.
    std::vector<int> forward_signals;
    // The records a forwarded signal becomes (maybe none); unset: `signal=N`.
    std::function<std::vector<std::string>(int)> signal_records;
    // The host's stdin is a terminal (abi/terminal.h): a read of 0 bytes is its end-of-file key,
    // one EOF for the application (`tty.eof=N`), not the end of the input.
    bool stdin_is_terminal = false;
    // Called with each control-channel record from the kernel as it arrives, on the vCPU
    // thread (e.g. `tty.termios`, which the caller applies to the host terminal).
    std::function<void(std::string_view key, std::string_view value)> on_control_record;
};

struct VmResult {
    uint32_t exit_value = 0; // what the guest wrote to the debug-exit port (abi/platform.h)
    bool exited = false;     // false: the guest died (triple fault, emulation failure...)
    std::string crash;       // when it died: the headline of the diagnosis (no newline)
    std::map<std::string, std::string> control; // control-channel records, last value wins
    // Host-side timings, nanoseconds from run_vm() entry, in the order the phases end: kernel
    // and start info in guest memory, VM and vCPU ready, first KVM_RUN, guest stopped, VM gone.
    uint64_t ns_kernel_loaded = 0, ns_vm_created = 0, ns_first_entry = 0, ns_exit = 0,
             ns_teardown = 0;
    uint64_t tsc_khz = 0; // guest TSC frequency (KVM_GET_TSC_KHZ), for guest milestones
    // Exits to the monitor by kind (KVM_RUN returns): port I/O, MMIO, other (signals...).
    uint64_t exits_pio = 0, exits_mmio = 0, exits_other = 0;
};

// Creates the VM, loads the kernel and image, runs until the guest exits or dies, tears down.
// Throws UserError for problems the user can fix. On a guest crash, prints the diagnosis (RIP,
// instruction bytes, registers, kernel symbol) to stderr and returns exited = false.
VmResult run_vm(const VmConfig& config);

} // namespace wisp::vmm
