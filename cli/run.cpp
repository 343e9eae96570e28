// SPDX-License-Identifier: MIT
#include "run.h"

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <linux/kvm.h>
#include <mutex>
#include <optional>
#include <sys/ioctl.h>
#include <unistd.h>

#include <wisp/abi/platform.h>

#include "boot/symbols.h"
#include "boot_args.h"
#include "control.h"
#include "exit_status.h"
#include "image.h"
#include "kvm/cpu_probe.h"
#include "lib/cmdline.h"
#include "options.h"
#include "program_check.h"
#include "qemu.h"
#include "stderr_stream.h"
#include "terminal.h"
#include "timings.h"
#include "vmm.h"

namespace wisp::cli {

namespace fs = std::filesystem;
using vmm::UserError;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point origin, Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(t - origin).count();
}

// Writes all of `bytes` to `fd`. A closed reader (EPIPE: `wisp run app | head`) drops the rest
// of the output quietly, as the app's own output would be lost.
void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

// Kernel symbols are loaded only when a backtrace line appears: most runs never need them.
class LazySymbolizer {
  public:
    explicit LazySymbolizer(std::string kernel_path) : m_kernel_path(std::move(kernel_path)) {}
    std::string operator()(std::string_view line) {
        if (!m_symbols) {
            try {
                m_symbols = vmm::KernelSymbols::load(m_kernel_path);
            } catch (const std::exception&) {
                return std::string(line); // an unreadable kernel must not hide the backtrace
            }
        }
        return m_symbols->symbolize_line(line);
    }

  private:
    std::string m_kernel_path;
    std::optional<vmm::KernelSymbols> m_symbols;
};

// What the image builder left out and why, printed when an image is built.
void print_note(const std::string& note) {
    fprintf(stderr, "wisp: note: %s\n", note.c_str());
}

// /dev/kvm opens and answers as KVM (something else may sit at that path, e.g. a bind mount).
bool kvm_usable() {
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    bool kvm = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
    close(fd);
    return kvm;
}

std::string kernel_path_for(const RunOptions& options) {
    std::string path = options.kernel_path.empty() ? default_kernel_path() : options.kernel_path;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw UserError("kernel " + path +
                        " not found (build it with `make`, or pass --kernel PATH)");
    return path;
}

} // namespace

std::string default_kernel_path() {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw UserError("cannot find the wisp executable (/proc/self/exe): pass --kernel PATH");
    return (self.parent_path() / "wisp-kernel").string();
}

int run_command(const RunOptions& options) {
    Clock::time_point start = Clock::now();
    std::string kernel = kernel_path_for(options);

    std::string program = resolve_program(options.program, getenv("PATH"));
    std::string image;
    BootArgs boot;
    if (is_erofs_image(program)) {
        if (!options.files.empty())
            throw UserError(options.program + ": --file cannot add files to an existing image "
                                              "(give them to `wisp build`)");
        image = program;
        boot = boot_args_for_image(options);
    } else {
        check_program(program, options.program);
        ImageSpec spec;
        spec.program = program;
        spec.argv = {program};
        spec.env = merged_environment({});
        spec.files = options.files;
        spec.on_note = print_note;
        image = build_image(spec);
        boot = boot_args_for_program(options, program);
    }
    // A terminal on our stdin/stdout/stderr is the application's terminal (cli/terminal.h).
    std::unique_ptr<HostTerminal> terminal = HostTerminal::detect();
    if (terminal) boot.options.push_back(terminal->boot_option());
    // With a terminal: Ctrl-\ too; a resize; and SIGCONT, after a stop (Ctrl-Z stops the
    // whole VM), while the shell had the terminal and may have changed its settings: the
    // application sees them as they are now, then gets SIGCONT, as on Linux.
    std::vector<int> forwarded = {SIGINT};
    if (terminal) forwarded.insert(forwarded.end(), {SIGQUIT, SIGWINCH, SIGCONT});
    auto signal_records = [&terminal](int signal) -> std::vector<std::string> {
        std::string forward = "signal=" + std::to_string(signal);
        if (!terminal) return {forward};
        if (signal == SIGWINCH) return {terminal->size_record()};
        if (signal == SIGCONT) return {terminal->termios_record(), forward};
        return {forward};
    };
    auto on_control_record = [&terminal](std::string_view key, std::string_view value) {
        if (key == "tty.termios" && terminal) terminal->apply(value);
    };
    std::string boot_line = cmdline::build_cmdline(boot.options, boot.argv);
    Clock::time_point image_ready = Clock::now();

    // COM2 may be written from several vCPU threads; one stream, one lock.
    std::mutex stderr_lock;
    StderrStream stderr_stream([](std::string_view bytes) { write_all(2, bytes); },
                               LazySymbolizer(kernel));
    auto on_stdout = [](std::string_view bytes) { write_all(1, bytes); };
    auto on_stderr = [&](std::string_view bytes) {
        std::lock_guard guard(stderr_lock);
        stderr_stream.feed(bytes);
    };

    int status;
    std::vector<TimingRow> host_rows = {{"image build/cache", ms_since(start, image_ready)}};
    std::map<std::string, std::string> control;
    uint64_t tsc_khz = 0;
    if (options.hypervisor == Hypervisor::Wisp) {
        vmm::VmConfig config;
        config.kernel_path = kernel;
        config.image_path = image;
        config.cmdline = boot_line;
        config.memory_bytes = options.memory_bytes;
        config.cpus = options.cpus;
        config.on_stdout = on_stdout;
        config.on_stderr = on_stderr;
        config.stdin_fd = 0;
        config.forward_signals = forwarded;
        config.signal_records = signal_records;
        config.stdin_is_terminal = terminal && terminal->stdin_is_terminal();
        config.on_control_record = on_control_record;
        // run_vm's timings count from its entry.
        double base = ms_since(start, Clock::now());
        vmm::VmResult result = vmm::run_vm(config);
        stderr_stream.finish();
        status =
            result.exited ? exit_status_from_value(result.exit_value) : abi::kStatusKernelPanic;
        auto at = [&](uint64_t ns) { return base + static_cast<double>(ns) / 1e6; };
        // run_vm reads the kernel ELF before it creates the VM.
        host_rows.push_back({"kernel load", at(result.ns_kernel_loaded)});
        host_rows.push_back({"VM create", at(result.ns_vm_created)});
        host_rows.push_back({"guest entry", at(result.ns_first_entry)});
        host_rows.push_back({"app exit", at(result.ns_exit)});
        host_rows.push_back({"teardown", at(result.ns_teardown)});
        control = result.control;
        tsc_khz = result.tsc_khz;
        if (options.timings)
            fprintf(stderr, "wisp: exits: %llu port I/O, %llu MMIO, %llu other\n",
                    static_cast<unsigned long long>(result.exits_pio),
                    static_cast<unsigned long long>(result.exits_mmio),
                    static_cast<unsigned long long>(result.exits_other));
    } else {
        QemuConfig config;
        config.kernel_path = kernel;
        config.image_path = image;
        config.cmdline = boot_line;
        config.memory_bytes = options.memory_bytes;
        config.cpus = options.cpus;
        config.kvm = kvm_usable();
        if (config.kvm) {
            config.cpu = vmm::qemu_cpu_flags(vmm::host_cpu_probe());
        } else {
            fprintf(stderr, "wisp: note: /dev/kvm is not usable; QEMU emulates the CPU (TCG), "
                            "which is much slower\n");
            config.cpu = "max";
            // TCG's TSC is the host's, which the guest cannot measure against anything cheap:
            // the kernel takes the rate from here (its clocks ran 2.5x fast at the 1 GHz guess).
            config.cmdline = "clock.tsc_khz=" + std::to_string(measure_host_tsc_khz()) + " " + boot_line;
        }
        config.stdin_fd = 0;
        config.forward_signals = forwarded;
        config.signal_records = signal_records;
        config.stdin_is_terminal = terminal && terminal->stdin_is_terminal();
        config.on_control_record = on_control_record;
        double base = ms_since(start, Clock::now());
        host_rows.push_back({"CPU features", base});
        QemuResult result = run_qemu(config, on_stdout, on_stderr);
        stderr_stream.finish();
        status = qemu_exit_status(result);
        host_rows.push_back({"QEMU started", base + static_cast<double>(result.ns_started) / 1e6});
        host_rows.push_back({"QEMU exited", base + static_cast<double>(result.ns_exited) / 1e6});
        control = result.control.latest();
    }

    if (options.timings) {
        double total_ms = ms_since(start, Clock::now());
        if (options.hypervisor == Hypervisor::Qemu) tsc_khz = measure_host_tsc_khz();
        // The kernel may report its TSC frequency itself (QEMU gives us no other way to know).
        if (auto khz = control_number(control, "tsc_khz")) tsc_khz = *khz;
        std::string table =
            format_timings(host_rows, total_ms, guest_milestone_rows(milestones(control), tsc_khz));
        write_all(2, table);
    }
    return status;
}

int build_command(const BuildOptions& options) {
    std::string program = resolve_program(options.program, getenv("PATH"));
    check_program(program, options.program);
    ImageSpec spec;
    spec.program = program;
    spec.argv = {program};
    spec.argv.insert(spec.argv.end(), options.args.begin(), options.args.end());
    spec.env = merged_environment(options.env);
    spec.files = options.files;
    spec.on_note = print_note;
    build_image_to(spec, options.output);
    return 0;
}

} // namespace wisp::cli
