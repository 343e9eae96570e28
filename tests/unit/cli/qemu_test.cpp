// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <algorithm>
#include <sys/wait.h>

#include "qemu.h"
#include "temp_dir.h"
#include "vmm.h"

using namespace wisp::cli;

namespace {

QemuConfig sample_config() {
    QemuConfig config;
    config.kernel_path = "/k/wisp-kernel";
    config.image_path = "/cache/app.img";
    config.cmdline = "env=PATH=/bin -- /app a b";
    config.memory_bytes = 300ull << 20;
    config.cpus = 2;
    config.cpu = "host,-arch-capabilities";
    config.com1_path = "/dev/fd/3";
    config.com2_path = "/dev/fd/4";
    return config;
}

// The value following `flag` (first occurrence at or after `from`).
std::string after(const std::vector<std::string>& argv, const std::string& flag) {
    auto it = std::find(argv.begin(), argv.end(), flag);
    return it == argv.end() || it + 1 == argv.end() ? "" : *(it + 1);
}

bool contains(const std::vector<std::string>& argv, const std::string& value) {
    return std::find(argv.begin(), argv.end(), value) != argv.end();
}

} // namespace

TEST(QemuArgv, Basics) {
    auto argv = qemu_argv(sample_config());
    EXPECT_EQ(argv[0], "qemu-system-x86_64");
    EXPECT_EQ(after(argv, "-M"), "microvm,x-option-roms=off,rtc=off,ioapic2=off");
    EXPECT_EQ(after(argv, "-accel"), "kvm");
    EXPECT_EQ(after(argv, "-cpu"), "host,-arch-capabilities");
    EXPECT_EQ(after(argv, "-m"), "300M");
    EXPECT_EQ(after(argv, "-smp"), "2");
    EXPECT_EQ(after(argv, "-kernel"), "/k/wisp-kernel");
    EXPECT_EQ(after(argv, "-initrd"), "/cache/app.img");
    // One argv entry, no shell; the console's location ahead of the kernel options.
    EXPECT_EQ(after(argv, "-append"),
              "virtio_mmio.device=512@0xfeb00e00:23 virtio_mmio.device=512@0xfeb00c00:22 "
              "env=PATH=/bin -- /app a b");
    for (const char* flag : {"-nodefaults", "-no-user-config", "-nographic", "-no-reboot"})
        EXPECT_TRUE(contains(argv, flag)) << flag;
}

TEST(QemuArgv, SerialPortsAndDebugExit) {
    auto argv = qemu_argv(sample_config());
    EXPECT_TRUE(contains(argv, "file,id=com1,path=/dev/fd/3"));
    EXPECT_EQ(after(argv, "-serial"), "chardev:com1");
    EXPECT_TRUE(contains(argv, "file,id=com2,path=/dev/fd/4"));
    EXPECT_TRUE(contains(argv, "isa-serial,chardev=com2,iobase=0x2f8,irq=3"));
    EXPECT_TRUE(contains(argv, "socket,id=com3,fd=5"));
    EXPECT_TRUE(contains(argv, "socket,id=console,fd=6"));
    EXPECT_TRUE(contains(argv, "virtconsole,chardev=console,bus=serial0.0"));
    EXPECT_TRUE(contains(argv, "socket,id=errors,fd=7"));
    EXPECT_TRUE(contains(argv, "virtconsole,chardev=errors,bus=serial1.0"));
    EXPECT_TRUE(contains(argv, "isa-serial,chardev=com3,iobase=0x3e8,irq=4"));
    EXPECT_TRUE(contains(argv, "isa-debug-exit,iobase=0x501,iosize=2"));
}

TEST(QemuArgv, TcgAndNoImage) {
    QemuConfig config = sample_config();
    config.kvm = false;
    config.cpu = "max";
    config.image_path.clear();
    config.memory_bytes = (64ull << 20) + 4096; // rounded up to whole MiB
    auto argv = qemu_argv(config);
    EXPECT_EQ(after(argv, "-accel"), "tcg");
    EXPECT_EQ(after(argv, "-cpu"), "max");
    EXPECT_EQ(after(argv, "-m"), "65M");
    EXPECT_FALSE(contains(argv, "-initrd"));
}

TEST(QemuExitStatus, FromControlRecord) {
    QemuResult result;
    result.wait_status = 0x0300; // exited with 3: QEMU's (value << 1) | 1 keeps 7 bits only
    result.control.feed("exit=139\n");
    EXPECT_EQ(qemu_exit_status(result), 139);
}

TEST(QemuExitStatus, PanicRecord) {
    QemuResult result;
    result.control.feed("exit=256\n");
    EXPECT_EQ(qemu_exit_status(result), 125);
}

TEST(QemuExitStatus, NoRecord) {
    QemuResult result;
    result.wait_status = 0; // e.g. a triple fault with -no-reboot
    testing::internal::CaptureStderr();
    EXPECT_EQ(qemu_exit_status(result), 125);
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(
        err, "wisp: the VM stopped without reporting an exit status (QEMU exited with status 0)\n");
}

namespace {

std::string run_error(const QemuConfig& config) {
    try {
        run_qemu(
            config, [](std::string_view) {}, [](std::string_view) {});
    } catch (const wisp::vmm::UserError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(RunQemu, MissingBinary) {
    QemuConfig config = sample_config();
    config.qemu = "wisp-no-such-qemu";
    EXPECT_EQ(run_error(config), "wisp-no-such-qemu not found; install QEMU (apt-get install "
                                 "qemu-system-x86, or scripts/setup.sh)");
    config.qemu = "/no/such/qemu";
    EXPECT_EQ(run_error(config), "cannot start /no/such/qemu: No such file or directory");
}

TEST(RunQemu, PortsArePipedBack) {
    // A stand-in for QEMU that writes to the three ports the way the guest would.
    TempDir dir;
    std::string fake = dir.file("fake-qemu",
                                "#!/bin/sh\n"
                                "printf 'out1 ' >/dev/fd/3\n"
                                "printf 'err  #0 0x1\\n' >/dev/fd/4\n"
                                "printf 't.entry=5\\nexit=' >&5\n"
                                "printf 'out2\\n' >/dev/fd/3\n"
                                "printf 'console\\n' >&6\n"
                                "printf '42\\n' >&5\n"
                                "exit 85\n",
                                0755);
    QemuConfig config = sample_config();
    config.qemu = fake;
    std::string out, err;
    QemuResult result = run_qemu(
        config, [&](std::string_view s) { out += s; }, [&](std::string_view s) { err += s; });
    EXPECT_EQ(out, "out1 out2\nconsole\n");
    EXPECT_EQ(err, "err  #0 0x1\n");
    EXPECT_TRUE(WIFEXITED(result.wait_status));
    EXPECT_EQ(WEXITSTATUS(result.wait_status), 85);
    EXPECT_EQ(result.control.latest().at("exit"), "42");
    EXPECT_EQ(result.control.latest().at("t.entry"), "5");
    EXPECT_EQ(qemu_exit_status(result), 42);
    EXPECT_LE(result.ns_started, result.ns_exited);
}
