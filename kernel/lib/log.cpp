// SPDX-License-Identifier: MIT
#include "lib/log.h"

#include <stdarg.h>

#include <wisp/abi/platform.h>

#include "lib/print.h"
#include "lib/verify.h"

namespace wisp {
namespace {
void vwrite(platform::Channel channel, const char* fmt, va_list args) {
    char buffer[512];
    size_t n = vformat(buffer, sizeof(buffer), fmt, args);
    platform::write(channel, buffer, n);
}
} // namespace

void log(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vwrite(platform::Channel::Stderr, fmt, args);
    va_end(args);
}

void control(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vwrite(platform::Channel::Control, fmt, args);
    va_end(args);
}

void panic(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    log("wisp: kernel panic: ");
    vwrite(platform::Channel::Stderr, fmt, args);
    va_end(args);
    log("\n");
    platform::print_backtrace(reinterpret_cast<uintptr_t>(__builtin_frame_address(0)));
    control("exit=%u\n", abi::kExitPanic);
    platform::exit_vm(abi::kExitPanic);
}

void verify_failed(const char* expr, const char* file, int line) {
    panic("VERIFY(%s) failed at %s:%d", expr, file, line);
}

} // namespace wisp

// Stack protector (-mstack-protector-guard=global).
extern "C" {
uintptr_t __stack_chk_guard = 0x595e9fbd94fda766;
[[noreturn]] void __stack_chk_fail() { wisp::panic("stack smashing detected"); }
}
