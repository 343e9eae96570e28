// SPDX-License-Identifier: MIT
#include "linux/boot_args.h"

#include <string.h>

#include "lib/cmdline.h"

namespace wisp::linux {
namespace {

constexpr size_t kMaxLine = 64 * 1024;
constexpr size_t kMaxTokens = 4096;

const char* g_error = "";
BootArgs g_args;

// A decimal number; 0 when it is not one (or too long to be a TSC rate).
uint64_t decimal(std::string_view text) {
    uint64_t value = 0;
    if (text.empty() || text.size() > 12) return 0;
    for (char c : text) {
        if (c < '0' || c > '9') return 0;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value;
}
// Storage the argv and environment views point into, for the whole run.
char g_image_line[kMaxLine];
char g_image_storage[kMaxLine];
char g_boot_storage[kMaxLine];
std::string_view g_image_tokens[kMaxTokens];
std::string_view g_boot_tokens[kMaxTokens];
std::string_view g_merged_tokens[2 * kMaxTokens];

Result<cmdline::Cmdline> image_cmdline(const fs::erofs::Image& image) {
    auto inode = image.resolve("/.wisp/cmdline", true);
    if (inode.is_error()) return cmdline::Cmdline{}; // no default command line
    if (inode->size >= kMaxLine) {
        g_error = "/.wisp/cmdline is too long";
        return Errno::TOOBIG;
    }
    size_t n = TRY(image.read(inode.value(),
                              0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(g_image_line), inode->size)));
    auto parsed = cmdline::Cmdline::parse({g_image_line, n}, g_image_storage, g_image_tokens);
    if (parsed.is_error()) g_error = "bad /.wisp/cmdline in the image";
    return parsed;
}

// KEY=VAL for a later KEY replaces the earlier one, so `wisp run -e` overrides the image.
void add_env(BootArgs& args, std::string_view entry, std::string_view* envp, size_t& envc) {
    size_t eq = entry.find('=');
    std::string_view key = entry.substr(0, eq == std::string_view::npos ? entry.size() : eq + 1);
    for (size_t i = 0; i < envc; i++) {
        if (envp[i].substr(0, key.size()) == key) {
            envp[i] = entry;
            return;
        }
    }
    if (envc < BootArgs::kMaxEnv) envp[envc++] = entry;
    (void)args;
}

} // namespace

const char* describe_boot_args_error() { return g_error; }

Result<BootArgs*> parse_boot_args(const fs::erofs::Image& image, const char* boot_line) {
    cmdline::Cmdline from_image = TRY(image_cmdline(image));
    size_t length = strlen(boot_line);
    if (length >= kMaxLine) {
        g_error = "the boot command line is too long";
        return Errno::TOOBIG;
    }
    auto from_boot = cmdline::Cmdline::parse({boot_line, length}, g_boot_storage, g_boot_tokens);
    if (from_boot.is_error()) {
        g_error = "bad quoting in the boot command line";
        return from_boot.error();
    }
    auto merged = cmdline::merge(from_image, from_boot.value(), g_merged_tokens);
    if (merged.is_error()) {
        g_error = "too many arguments";
        return merged.error();
    }

    BootArgs& args = g_args;
    for (std::string_view token : merged->options()) {
        cmdline::Option option = cmdline::split_option(token);
        if (option.key == "env" && option.has_value) add_env(args, option.value, args.m_envp, args.m_envc);
        else if (option.key == "strace") args.strace = true;
        else if (option.key == "timings") args.timings = true;
        else if (option.key == "test.panic") args.test_panic = true;
        else if (option.key == "console.serial") args.serial_console = true;
        else if (option.key == "console.tty") args.console_tty = option.value;
        else if (option.key == "clock.tsc_khz") args.tsc_khz = decimal(option.value);
        else if (option.key == "virtio_mmio.device" && args.m_virtio_count < BootArgs::kMaxVirtioDevices)
            args.m_virtio[args.m_virtio_count++] = option.value;
        // Anything else is for other layers or hypervisors.
    }
    for (std::string_view arg : merged->argv()) {
        if (args.m_argc == BootArgs::kMaxArgs) {
            g_error = "too many arguments";
            return Errno::TOOBIG;
        }
        args.m_argv[args.m_argc++] = arg;
    }
    if (args.m_argc == 0) {
        g_error = "no program: neither the image nor the boot command line names one";
        return Errno::INVAL;
    }
    return &args;
}

} // namespace wisp::linux
