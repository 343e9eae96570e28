// SPDX-License-Identifier: MIT
// run_vm: one VM from creation to teardown. The order of the setup steps matters here:
// every memory slot is created before KVM_CREATE_IRQCHIP, because any slot change after it
// costs milliseconds on this host (DESIGN.md §8), and slots never change while the guest runs.
#include "vmm.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <wisp/abi/platform.h>

#include "boot/acpi.h"
#include "boot/elf_loader.h"
#include "boot/pvh.h"
#include "boot/symbols.h"
#include "devices/host_input.h"
#include "devices/port_bus.h"
#include "devices/virtio_console.h"
#include "devices/virtio_mmio.h"
#include "kvm/cpu_probe.h"
#include "kvm/crash_report.h"
#include "kvm/guest_memory.h"
#include "kvm/handles.h"
#include "kvm/vcpu.h"
#include "kvm/vm.h"
#include "sandbox.h"

namespace wisp::vmm {
namespace {

// KVM's VMX backend needs three pages for a real-mode TSS and one for an identity-mapped page
// table, in guest-physical space that is not RAM: the top of the 3-4 GiB MMIO gap, where QEMU
// puts them too.
constexpr uint64_t kIdentityMapGpa = 0xfffb'c000;
constexpr uint64_t kTssGpa = 0xfffb'd000;
static_assert(kIdentityMapGpa >= abi::kMmioGapStart && kTssGpa + 3 * 0x1000 <= abi::kImageGpa);

constexpr uint32_t kRamSlot = 0;
constexpr uint32_t kImageSlot = 1;
constexpr uint64_t kPageSize = 0x1000;

uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t page_align_up(uint64_t value) {
    return (value + kPageSize - 1) & ~(kPageSize - 1);
}

std::string hex(uint64_t value) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
    return buffer;
}

std::string mib(uint64_t bytes) {
    return std::to_string(bytes >> 20) + " MiB";
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; // the reader went away; the guest keeps running
        data.remove_prefix(static_cast<size_t>(n));
    }
}

// The image file, mapped read-only and private: guest reads come straight from the host page
// cache, shared by every instance of the same image.
Mapping map_image(const std::string& path, uint64_t& file_size) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw UserError("wisp: image " + path + " cannot be opened: " + std::strerror(errno));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        throw UserError("wisp: image " + path + " is not a regular file");
    file_size = static_cast<uint64_t>(st.st_size);
    if (file_size == 0) throw UserError("wisp: image " + path + " is empty: rebuild it");
    if (file_size > abi::kMaxImageSize)
        throw UserError("wisp: image " + path + " is " + mib(file_size) + ", the limit is " +
                        mib(abi::kMaxImageSize) + ": leave large files out of the image");
    uint64_t size = page_align_up(file_size);
    void* base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (base == MAP_FAILED)
        throw UserError("wisp: image " + path + " cannot be mapped: " + std::strerror(errno));
    return Mapping(base, size);
}

// Everything a running VM owns. Members are destroyed in reverse order: vCPUs, VM, then the
// memory KVM referenced.
struct Machine {
    Mapping ram;
    Mapping image;
    std::optional<Vm> vm;
    std::vector<std::unique_ptr<Vcpu>> vcpus;
};

// One host thread per vCPU. When the guest exits or dies on any of them, the others are
// stopped: immediate_exit makes a KVM_RUN that is about to start return at once, and a signal
// (with a handler that does nothing, and without SA_RESTART) interrupts one that is running or
// halted in the kernel. KVM_RUN then fails with EINTR (Vcpu::enter returns KVM_EXIT_INTR).
const int kStopSignal = SIGRTMIN + 4;

class VcpuStopper {
  public:
    explicit VcpuStopper(std::vector<std::unique_ptr<Vcpu>>& vcpus) : m_vcpus(vcpus) {
        struct sigaction action{};
        action.sa_handler = [](int) {};
        sigemptyset(&action.sa_mask);
        ::sigaction(kStopSignal, &action, &m_previous);
    }
    ~VcpuStopper() { ::sigaction(kStopSignal, &m_previous, nullptr); }

    // The calling thread runs vCPU `index`.
    void attach(unsigned index) {
        std::lock_guard guard(m_lock);
        if (m_threads.size() <= index) m_threads.resize(index + 1);
        m_threads[index] = pthread_self();
        m_attached.resize(m_threads.size());
        m_attached[index] = true;
    }
    bool stopping() const { return m_stopping.load(std::memory_order_acquire); }
    void stop_all() {
        m_stopping.store(true, std::memory_order_release);
        std::lock_guard guard(m_lock);
        for (auto& vcpu : m_vcpus) vcpu->run()->immediate_exit = 1;
        for (size_t i = 0; i < m_threads.size(); i++)
            if (m_attached[i] && !pthread_equal(m_threads[i], pthread_self()))
                pthread_kill(m_threads[i], kStopSignal);
    }

  private:
    std::vector<std::unique_ptr<Vcpu>>& m_vcpus;
    std::mutex m_lock;
    std::vector<pthread_t> m_threads;
    std::vector<bool> m_attached;
    std::atomic<bool> m_stopping{false};
    struct sigaction m_previous{};
};

// The devices the guest reaches by port I/O and MMIO. The vCPU thread and the host-input
// thread both use them, always under `lock`.
struct Devices {
    Devices(OutputSink to_stdout, OutputSink to_stderr, const GuestMemory& memory,
            const GuestMemory& image, std::function<void(unsigned, bool)> set_irq)
        : ports(to_stdout, to_stderr,
                [set_irq](bool level) { set_irq(abi::kGsiControl, level); }),
          console(to_stdout), errors(to_stderr),
          console_mmio(console, memory, abi::kVirtioMmioBase, abi::kVirtioFirstGsi,
                       [set_irq](bool level) { set_irq(abi::kVirtioFirstGsi, level); }, image),
          errors_mmio(errors, memory, abi::kVirtioMmioBase + VirtioMmio::kWindowSize,
                      abi::kVirtioFirstGsi + 1,
                      [set_irq](bool level) { set_irq(abi::kVirtioFirstGsi + 1, level); },
                      image) {}

    VirtioMmio* mmio_at(uint64_t gpa) {
        for (VirtioMmio* d : {&console_mmio, &errors_mmio})
            if (d->contains(gpa)) return d;
        return nullptr;
    }

    std::mutex lock;
    PortBus ports;
    VirtioConsole console; // stdin and stdout
    VirtioConsole errors;  // stderr
    VirtioMmio console_mmio;
    VirtioMmio errors_mmio;
    HostInput* input = nullptr;
};

// CPUID leaf 1 EBX describes the host's package (SDM Vol. 2A, CPUID): [31:24] initial APIC
// ID, [23:16] logical processors per package. Make it describe this VM instead.
void set_cpu_topology(std::vector<kvm_cpuid_entry2>& cpuid, uint32_t apic_id, uint32_t cpus) {
    for (kvm_cpuid_entry2& e : cpuid)
        if (e.function == 1) e.ebx = (e.ebx & 0xffff) | (cpus & 0xff) << 16 | apic_id << 24;
}

const char* internal_error_name(uint32_t suberror) {
    switch (suberror) {
    case KVM_INTERNAL_ERROR_EMULATION:
        return "emulation failure (instruction KVM cannot emulate)";
    case KVM_INTERNAL_ERROR_SIMUL_EX:
        return "internal error: exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV:
        return "internal error: event delivery failed";
    default:
        return nullptr;
    }
}

// Handles one exit from KVM_RUN. Returns what killed the guest, or nullopt when it may go on
// (or stopped through the debug-exit port: ports.exit_value()).
std::optional<std::string> handle_exit(uint32_t reason, Vcpu& vcpu, Devices& devices,
                                       const GuestMemory& image, VmResult& result) {
    kvm_run* run = vcpu.run();
    switch (reason) {
    case KVM_EXIT_IO: {
        result.exits_pio++;
        std::optional<PioAccess> access = decode_pio(run, vcpu.run_size());
        if (!access) return "port I/O exit with data outside the kvm_run page";
        std::lock_guard guard(devices.lock);
        devices.ports.handle(*access);
        return std::nullopt;
    }
    case KVM_EXIT_INTR:
        result.exits_other++;
        return std::nullopt; // a host signal; its handler has run
    case KVM_EXIT_HLT:
        // Only without an in-kernel irqchip; with one, KVM waits for an interrupt itself.
        return "hlt with no way to wake up";
    case KVM_EXIT_MMIO: {
        result.exits_mmio++;
        uint64_t gpa = run->mmio.phys_addr;
        uint32_t length = run->mmio.len;
        if (VirtioMmio* device = devices.mmio_at(gpa); device && length <= 8) {
            std::lock_guard guard(devices.lock);
            std::span<uint8_t> data(run->mmio.data, length);
            size_t taken = devices.console.pending_input();
            if (run->mmio.is_write)
                device->write(gpa, data);
            else
                device->read(gpa, data);
            if (devices.input && devices.console.pending_input() < taken)
                devices.input->input_taken();
            return std::nullopt;
        }
        // Outside every device: a stray access. KVM has already stepped past a write (its data
        // is in run->mmio), not past a read.
        std::string what =
            std::to_string(run->mmio.len) + "-byte " + (run->mmio.is_write ? "write" : "read");
        if (image.contains(gpa, 1))
            what += " to the read-only image at guest-physical " + hex(gpa) + " (image offset " +
                    hex(gpa - image.gpa_base()) + ")";
        else
            what += " of unmapped guest-physical address " + hex(gpa);
        if (run->mmio.is_write) what += " by the instruction before";
        return what;
    }
    case KVM_EXIT_SHUTDOWN:
        return "triple fault";
    case KVM_EXIT_INTERNAL_ERROR: {
        const char* name = internal_error_name(run->internal.suberror);
        return name ? name : "KVM internal error " + std::to_string(run->internal.suberror);
    }
    case KVM_EXIT_FAIL_ENTRY:
        return "VM entry failed (hardware reason " +
               hex(run->fail_entry.hardware_entry_failure_reason) + ")";
    default:
        return "unexpected KVM exit " + std::to_string(reason);
    }
}

} // namespace

VmResult run_vm(const VmConfig& config) {
    const uint64_t start = now_ns();
    auto elapsed = [start] { return now_ns() - start; };
    VmResult result;

    if (config.cpus < 1 || static_cast<unsigned>(config.cpus) > kMaxAcpiCpus)
        throw UserError("wisp: " + std::to_string(config.cpus) +
                        " vCPUs requested, the wisp monitor runs 1 to " +
                        std::to_string(kMaxAcpiCpus) + ": change -c");
    const auto cpus = static_cast<unsigned>(config.cpus);
    const uint64_t ram_size = page_align_up(config.memory_bytes);
    if (ram_size > abi::kMmioGapStart)
        throw UserError("wisp: memory size " + mib(config.memory_bytes) +
                        " is above the limit of " + mib(abi::kMmioGapStart) +
                        " (guest RAM ends where the MMIO gap starts): lower -m");
    if (ram_size <= kHighRamStart)
        throw UserError("wisp: memory size must be more than 1 MiB: raise -m");

    // Guest memory and its contents first: a bad kernel or image fails before any KVM work.
    Machine machine;
    void* ram = ::mmap(nullptr, ram_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED)
        throw UserError("wisp: cannot reserve " + mib(ram_size) +
                        " of guest memory: " + std::strerror(errno) + ": lower -m");
    machine.ram = Mapping(ram, ram_size);
    GuestMemory memory(machine.ram.data(), ram_size);
    uint64_t image_file_size = 0;
    GuestMemory image_memory;
    if (!config.image_path.empty()) {
        machine.image = map_image(config.image_path, image_file_size);
        image_memory = GuestMemory(machine.image.data(), machine.image.size(), abi::kImageGpa);
    }
    LoadedKernel kernel = load_kernel(config.kernel_path, memory);
    std::optional<PvhModule> module;
    if (machine.image) module = PvhModule{abi::kImageGpa, image_file_size};
    // The virtio devices are announced ahead of the kernel options (DESIGN.md §2 Boot).
    std::string cmdline;
    for (unsigned i = 0; i < 2; i++) {
        char token[64];
        std::snprintf(token, sizeof token, "virtio_mmio.device=4K@0x%llx:%u ",
                      static_cast<unsigned long long>(abi::kVirtioMmioBase +
                                                      i * VirtioMmio::kWindowSize),
                      abi::kVirtioFirstGsi + i);
        cmdline += token;
    }
    cmdline += config.cmdline;
    uint64_t rsdp = write_acpi_tables(memory, cpus);
    uint64_t start_info = write_start_info(memory, cmdline, module, rsdp);
    result.ns_kernel_loaded = elapsed();

    Kvm kvm = Kvm::open();
    const CpuProbe& probe = host_cpu_probe(kvm);
    machine.vm.emplace(kvm);
    Vm& vm = *machine.vm;
    vm.set_tss_and_identity_map(kTssGpa, kIdentityMapGpa);
    vm.set_memory(kRamSlot, 0, machine.ram.data(), ram_size, false);
    if (machine.image)
        vm.set_memory(kImageSlot, abi::kImageGpa, machine.image.data(), machine.image.size(), true);
    vm.create_irqchip(); // after the last slot change, see the top of this file
    std::vector<kvm_cpuid_entry2> cpuid = probe.supported_cpuid;
    filter_cpuid(cpuid, probe);
    // vCPU 0 boots; the others wait in KVM's "uninitialized" state for the INIT and
    // STARTUP IPIs the kernel sends them through the in-kernel local APIC.
    for (unsigned index = 0; index < cpus; index++) {
        machine.vcpus.push_back(std::make_unique<Vcpu>(kvm, vm, index));
        set_cpu_topology(cpuid, index, cpus);
        machine.vcpus.back()->set_cpuid(cpuid);
    }
    Vcpu& vcpu = *machine.vcpus[0];
    kvm_sregs sregs = vcpu.sregs(); // the reset state, completed by PVH's requirements
    kvm_regs regs{};
    set_pvh_entry_state(regs, sregs, kernel.pvh_entry, start_info);
    vcpu.set_sregs(sregs);
    vcpu.set_regs(regs);
    result.tsc_khz = vcpu.tsc_khz();
    result.ns_vm_created = elapsed();

    OutputSink to_stdout = config.on_stdout;
    if (!to_stdout) to_stdout = [](std::string_view s) { write_all(1, s); };
    OutputSink to_stderr = config.on_stderr;
    if (!to_stderr) to_stderr = [](std::string_view s) { write_all(2, s); };
    Devices devices(to_stdout, to_stderr, memory, image_memory,
                    [&vm](unsigned gsi, bool level) { vm.set_irq_line(gsi, level); });
    HostInput::Hooks hooks;
    hooks.on_end = [&devices] {
        devices.console.end_input();
        devices.console.deliver(devices.console_mmio);
    };
    uint64_t stdin_bytes = 0; // under devices.lock
    hooks.on_data = [&devices, &stdin_bytes](std::string_view bytes) {
        stdin_bytes += bytes.size();
        devices.console.add_input(bytes);
        devices.console.deliver(devices.console_mmio);
    };
    if (config.stdin_is_terminal)
        hooks.on_terminal_eof = [&devices, &stdin_bytes] {
            devices.ports.send_control("tty.eof=" + std::to_string(stdin_bytes));
        };
    hooks.on_signal = [&devices, &config](int signal) {
        if (!config.signal_records) {
            devices.ports.send_control("signal=" + std::to_string(signal));
            return;
        }
        for (const std::string& record : config.signal_records(signal))
            devices.ports.send_control(record);
    };
    if (config.on_control_record) devices.ports.control().set_listener(config.on_control_record);
    hooks.backlog = [&devices] { return devices.console.pending_input(); };
    HostInput input(config.stdin_fd, devices.lock, hooks, config.forward_signals);
    devices.input = &input;

    // Symbols are read only when the guest dies, unless the sandbox will forbid open() then.
    std::optional<KernelSymbols> symbols;
    if (config.sandbox) {
        symbols = KernelSymbols::load(config.kernel_path);
        enter_sandbox();
    }

    result.ns_first_entry = elapsed();
    VcpuStopper stopper(machine.vcpus);
    std::mutex death_lock;
    std::optional<std::string> death;
    unsigned death_cpu = 0;
    std::vector<VmResult> counts(cpus);
    auto run_vcpu = [&](unsigned index) {
        Vcpu& self = *machine.vcpus[index];
        std::optional<std::string> failure;
        try {
            while (!stopper.stopping()) {
                uint32_t reason = self.enter();
                if (stopper.stopping()) break;
                failure = handle_exit(reason, self, devices, image_memory, counts[index]);
                if (failure) break;
                std::lock_guard guard(devices.lock);
                if (devices.ports.exit_value()) break;
            }
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (failure) {
            std::lock_guard guard(death_lock);
            if (!death) death = failure, death_cpu = index;
        }
        stopper.stop_all();
    };
    stopper.attach(0);
    std::vector<std::thread> threads;
    for (unsigned index = 1; index < cpus; index++)
        threads.emplace_back([&, index] {
            stopper.attach(index);
            if (stopper.stopping()) return;
            run_vcpu(index);
        });
    run_vcpu(0);
    for (std::thread& thread : threads) thread.join();
    for (const VmResult& c : counts) {
        result.exits_pio += c.exits_pio;
        result.exits_mmio += c.exits_mmio;
        result.exits_other += c.exits_other;
    }
    result.ns_exit = elapsed();

    if (death) {
        if (!symbols) symbols = KernelSymbols::load(config.kernel_path);
        Vcpu& dead = *machine.vcpus[death_cpu];
        std::string headline = cpus > 1 ? "vCPU " + std::to_string(death_cpu) + ": " + *death : *death;
        std::string report =
            crash_report(headline, dead.regs(), dead.sregs(), memory, image_memory, *symbols);
        result.crash = report.substr(0, report.find('\n'));
        to_stderr(report);
    } else {
        result.exited = true;
        result.exit_value = *devices.ports.exit_value();
    }
    result.control = devices.ports.control().take_records();

    machine.vcpus.clear();
    machine.vm.reset();
    machine.ram.reset();
    machine.image.reset();
    result.ns_teardown = elapsed();
    return result;
}

} // namespace wisp::vmm
