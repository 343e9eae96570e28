// SPDX-License-Identifier: MIT
// run_vm end to end: tiny generated PVH guests (deterministic) and the real kernel. Each VM
// runs in a forked child so a guest that hangs fails the test instead of hanging it.
#include "vmm.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <sstream>

#include "test_elf.h"

namespace wisp::vmm {
namespace {

using test::TempDir;
using test::TestElf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

bool have_kvm() {
    return ::access("/dev/kvm", R_OK | W_OK) == 0;
}

#define REQUIRE_KVM()                                                                              \
    if (!have_kvm()) GTEST_SKIP() << "/dev/kvm is not available"

struct Outcome {
    bool finished = false; // false: timed out or the child died
    std::string error;     // UserError message
    VmResult result;
    std::string out, err;
};

// Writes length-prefixed fields to a pipe and reads them back.
void put(std::string& buffer, std::string_view field) {
    buffer += std::to_string(field.size()) + ":";
    buffer += field;
}
std::string get(std::istream& in) {
    size_t length = 0;
    char colon;
    if (!(in >> length) || !in.get(colon)) return "";
    std::string field(length, '\0');
    in.read(field.data(), static_cast<std::streamsize>(length));
    return field;
}

Outcome run_isolated(VmConfig config, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    int fds[2];
    if (::pipe(fds) != 0) return {};
    pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        std::string out, err, error, buffer;
        config.on_stdout = [&](std::string_view s) { out += s; };
        config.on_stderr = [&](std::string_view s) { err += s; };
        VmResult r;
        try {
            r = run_vm(config);
        } catch (const UserError& e) {
            error = e.what();
        }
        put(buffer, error);
        put(buffer, r.exited ? "1" : "0");
        put(buffer, std::to_string(r.exit_value));
        put(buffer, r.crash);
        put(buffer, out);
        put(buffer, err);
        put(buffer, std::to_string(r.ns_first_entry) + " " + std::to_string(r.ns_exit) + " " +
                        std::to_string(r.tsc_khz));
        for (auto& [k, v] : r.control)
            put(buffer, k + "=" + v);
        for (size_t done = 0; done < buffer.size();) {
            ssize_t n = ::write(fds[1], buffer.data() + done, buffer.size() - done);
            if (n <= 0) break;
            done += static_cast<size_t>(n);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string buffer;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fds[0], POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            ::kill(child, SIGKILL);
            break;
        }
        char chunk[4096];
        ssize_t n = ::read(fds[0], chunk, sizeof chunk);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    Outcome o;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || buffer.empty()) return o;
    std::istringstream in(buffer);
    o.error = get(in);
    o.result.exited = get(in) == "1";
    o.result.exit_value = static_cast<uint32_t>(std::stoul(get(in)));
    o.result.crash = get(in);
    o.out = get(in);
    o.err = get(in);
    std::istringstream times(get(in));
    times >> o.result.ns_first_entry >> o.result.ns_exit >> o.result.tsc_khz;
    for (std::string record = get(in); !record.empty(); record = get(in)) {
        size_t eq = record.find('=');
        o.result.control[record.substr(0, eq)] = record.substr(eq + 1);
    }
    o.finished = true;
    return o;
}

// A PVH guest in 32-bit protected mode at 1 MiB that writes "hi\n" to COM1 with `rep outsb`,
// the first 3 bytes of its command line (from hvm_start_info in %ebx) to COM2, "exit=7\n"
// to the control channel, and 42 to the debug-exit port.
TestElf hello_guest() {
    std::vector<uint8_t> code = {
        0xbe, 0x40, 0x00, 0x10, 0x00, // mov $0x100040, %esi
        0xb9, 0x03, 0x00, 0x00, 0x00, // mov $3, %ecx
        0x66, 0xba, 0xf8, 0x03,       // mov $0x3f8, %dx
        0xf3, 0x6e,                   // rep outsb
        0x8b, 0x73, 0x18,             // mov 0x18(%ebx), %esi: cmdline_paddr
        0xb9, 0x03, 0x00, 0x00, 0x00, // mov $3, %ecx
        0x66, 0xba, 0xf8, 0x02,       // mov $0x2f8, %dx
        0xf3, 0x6e,                   // rep outsb
        0xbe, 0x50, 0x00, 0x10, 0x00, // mov $0x100050, %esi
        0xb9, 0x07, 0x00, 0x00, 0x00, // mov $7, %ecx
        0x66, 0xba, 0xe8, 0x03,       // mov $0x3e8, %dx
        0xf3, 0x6e,                   // rep outsb
        0x66, 0xb8, 0x2a, 0x00,       // mov $42, %ax
        0x66, 0xba, 0x01, 0x05,       // mov $0x501, %dx
        0x66, 0xef,                   // out %ax, %dx
        0xf4,                         // hlt
    };
    code.resize(0x60);
    std::memcpy(code.data() + 0x40, "hi\n", 3);
    std::memcpy(code.data() + 0x50, "exit=7\n", 7);
    TestElf elf;
    elf.segments.push_back({.paddr = 0x10'0000, .vaddr = 0, .bytes = code, .memsz = 0});
    elf.pvh_entry = 0x10'0000;
    return elf;
}

TestElf crashing_guest(std::vector<uint8_t> code) {
    TestElf elf;
    code.resize(0x40);
    elf.segments.push_back({.paddr = 0x10'0000, .vaddr = 0, .bytes = code, .memsz = 0});
    elf.pvh_entry = 0x10'0000;
    elf.symbols = {{"crash_here", 0x10'0000, 0x10, STT_FUNC}};
    return elf;
}

TEST(RunVm, RejectsBadConfigurationBeforeTouchingKvm) {
    VmConfig config;
    config.kernel_path = "/nonexistent";
    config.memory_bytes = 4ull << 30;
    try {
        run_vm(config);
        FAIL();
    } catch (const UserError& e) {
        EXPECT_THAT(e.what(), HasSubstr("3072 MiB")); // names the limit
    }
    config.memory_bytes = 256 << 20;
    config.cpus = 2;
    EXPECT_THROW(run_vm(config), UserError);
}

TEST(RunVm, HelloGuest) {
    REQUIRE_KVM();
    TempDir dir;
    VmConfig config;
    config.kernel_path = hello_guest().write(dir, "hello");
    config.cmdline = "abcdef";
    config.memory_bytes = 8 << 20;
    Outcome o = run_isolated(config);
    ASSERT_TRUE(o.finished);
    EXPECT_EQ(o.error, "");
    EXPECT_TRUE(o.result.exited);
    EXPECT_EQ(o.result.exit_value, 42u);
    EXPECT_EQ(o.out, "hi\n");
    EXPECT_EQ(o.err, "vir"); // the monitor announces its virtio devices ahead of the options
    EXPECT_EQ(o.result.control["exit"], "7");
    EXPECT_EQ(o.result.crash, "");
    EXPECT_GT(o.result.ns_exit, o.result.ns_first_entry);
    EXPECT_GT(o.result.tsc_khz, 0u);
}

TEST(RunVm, ImageIsAModule) {
    REQUIRE_KVM();
    TempDir dir;
    test::write_file(dir.file("image"), std::vector<uint8_t>(5000, 1));
    VmConfig config;
    config.kernel_path = hello_guest().write(dir, "hello");
    config.image_path = dir.file("image");
    config.memory_bytes = 8 << 20;
    Outcome o = run_isolated(config);
    ASSERT_TRUE(o.finished);
    EXPECT_EQ(o.error, "");
    EXPECT_EQ(o.result.exit_value, 42u);
}

TEST(RunVm, UserErrors) {
    REQUIRE_KVM();
    TempDir dir;
    VmConfig config;
    config.memory_bytes = 8 << 20;
    config.kernel_path = dir.file("missing");
    EXPECT_THAT(run_isolated(config).error, HasSubstr("not found"));
    config.kernel_path = hello_guest().write(dir, "hello");
    test::write_file(dir.file("empty"), {});
    config.image_path = dir.file("empty");
    EXPECT_THAT(run_isolated(config).error, HasSubstr("is empty"));
    config.image_path = dir.file("no-such-image");
    EXPECT_THAT(run_isolated(config).error, HasSubstr("cannot be opened"));
}

TEST(RunVm, TripleFaultIsDiagnosed) {
    REQUIRE_KVM();
    TempDir dir;
    VmConfig config;
    config.kernel_path = crashing_guest({0x90, 0x0f, 0x0b}).write(dir, "ud2"); // nop; ud2
    config.memory_bytes = 8 << 20;
    Outcome o = run_isolated(config);
    ASSERT_TRUE(o.finished);
    EXPECT_FALSE(o.result.exited);
    EXPECT_EQ(o.result.crash, "wisp: guest crashed: triple fault at RIP 0x100001 (crash_here+0x1)");
    EXPECT_THAT(o.err, StartsWith(o.result.crash + "\n"));
    EXPECT_THAT(o.err, HasSubstr("code: 0f 0b"));
    EXPECT_THAT(o.err, HasSubstr("rip 0000000000100001"));
}

TEST(RunVm, UnmappedMemoryIsDiagnosed) {
    REQUIRE_KVM();
    TempDir dir;
    VmConfig config;
    // movl $1, 0xd0100000: nothing lives there (the virtio windows end at 0xd0002000).
    config.kernel_path =
        crashing_guest({0xc7, 0x05, 0x00, 0x00, 0x10, 0xd0, 0x01, 0x00, 0x00, 0x00})
            .write(dir, "mmio");
    config.memory_bytes = 8 << 20;
    Outcome o = run_isolated(config);
    ASSERT_TRUE(o.finished);
    EXPECT_FALSE(o.result.exited);
    EXPECT_THAT(o.result.crash, HasSubstr("write of unmapped guest-physical address 0xd0100000 "
                                          "by the instruction before"));
    EXPECT_THAT(o.result.crash, HasSubstr("at RIP 0x10000a (crash_here+0xa)"));
}

TEST(RunVm, GuestCpuid) {
    REQUIRE_KVM();
    // cpuid leaf 1 and 0x40000000, registers written to COM1 with rep outsb, then exit 0.
    std::vector<uint8_t> code = {
        0xb8, 0x01, 0x00, 0x00, 0x00,       // mov $1, %eax
        0x31, 0xc9,                         // xor %ecx, %ecx
        0x0f, 0xa2,                         // cpuid
        0x89, 0x1d, 0x00, 0x01, 0x10, 0x00, // mov %ebx, 0x100100
        0x89, 0x0d, 0x04, 0x01, 0x10, 0x00, // mov %ecx, 0x100104
        0xb8, 0x00, 0x00, 0x00, 0x40,       // mov $0x40000000, %eax
        0x0f, 0xa2,                         // cpuid
        0x89, 0x1d, 0x08, 0x01, 0x10, 0x00, // mov %ebx, 0x100108
        0x89, 0x0d, 0x0c, 0x01, 0x10, 0x00, // mov %ecx, 0x10010c
        0x89, 0x15, 0x10, 0x01, 0x10, 0x00, // mov %edx, 0x100110
        0xbe, 0x00, 0x01, 0x10, 0x00,       // mov $0x100100, %esi
        0xb9, 0x14, 0x00, 0x00, 0x00,       // mov $20, %ecx
        0x66, 0xba, 0xf8, 0x03,             // mov $0x3f8, %dx
        0xf3, 0x6e,                         // rep outsb
        0x66, 0x31, 0xc0,                   // xor %ax, %ax
        0x66, 0xba, 0x01, 0x05,             // mov $0x501, %dx
        0x66, 0xef,                         // out %ax, %dx
    };
    code.resize(0x200);
    TestElf elf;
    elf.segments.push_back({.paddr = 0x10'0000, .vaddr = 0, .bytes = code, .memsz = 0});
    elf.pvh_entry = 0x10'0000;
    TempDir dir;
    VmConfig config;
    config.kernel_path = elf.write(dir, "cpuid");
    config.memory_bytes = 8 << 20;
    Outcome o = run_isolated(config);
    ASSERT_TRUE(o.finished);
    ASSERT_EQ(o.out.size(), 20u) << o.err;
    uint32_t words[5];
    std::memcpy(words, o.out.data(), sizeof words);
    EXPECT_EQ(words[0] >> 24, 0u);        // APIC ID 0
    EXPECT_EQ(words[0] >> 16 & 0xff, 1u); // one logical processor
    EXPECT_TRUE(words[1] >> 31 & 1);      // the hypervisor bit
    EXPECT_FALSE(words[1] >> 5 & 1);      // no VMX
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(words + 2), 12),
              std::string("KVMKVMKVM\0\0\0", 12));
}

TEST(RunVm, Sandbox) {
    REQUIRE_KVM();
    TempDir dir;
    VmConfig config;
    config.kernel_path = hello_guest().write(dir, "hello");
    config.memory_bytes = 8 << 20;
    config.sandbox = true;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        std::string out;
        config.on_stdout = [&](std::string_view s) { out += s; };
        config.on_stderr = [](std::string_view) {};
        VmResult r = run_vm(config);
        std::string report = std::to_string(r.exit_value) + " " + out;
        (void)!::write(fds[1], report.data(), report.size());
        ::open("/etc/hostname", O_RDONLY); // not on the allow-list: SIGSYS
        ::_exit(0);
    }
    ::close(fds[1]);
    char buffer[64] = {};
    ssize_t n = ::read(fds[0], buffer, sizeof buffer - 1);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_GT(n, 0);
    EXPECT_STREQ(buffer, "42 hi\n"); // the VM ran normally under the filter
    ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
    EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(RunVm, RealKernelExits) {
    REQUIRE_KVM();
    std::string kernel = test::built_kernel_path();
    if (kernel.empty())
        GTEST_SKIP() << "the kernel is not built (" << WISP_BINARY_DIR << "/bin/wisp-kernel)";
    VmConfig config;
    config.kernel_path = kernel;
    Outcome o = run_isolated(config, std::chrono::seconds(60));
    ASSERT_TRUE(o.finished) << "the kernel did not exit within 60 s";
    EXPECT_EQ(o.error, "");
    EXPECT_TRUE(o.result.exited) << o.result.crash << "\n" << o.err;
}

} // namespace
} // namespace wisp::vmm
