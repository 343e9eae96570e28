// SPDX-License-Identifier: MIT
#include "platform/platform.h"

#include <wisp/abi/platform.h>

#include "arch/x86_64/io.h"
#include "lib/log.h"

namespace wisp::platform {

void write(Channel channel, const char* data, size_t length) {
    uint16_t port = channel == Channel::Stdout   ? abi::kPortCom1
                    : channel == Channel::Stderr ? abi::kPortCom2
                                                 : abi::kPortCom3;
    x86::outsb(port, data, length);
}

void exit_vm(uint32_t value) {
    x86::outw(abi::kPortDebugExit, static_cast<uint16_t>(value));
    // A hypervisor without isa-debug-exit: stop here forever with interrupts off.
    for (;;) asm volatile("cli; hlt");
}

uint64_t cycles() { return x86::rdtsc(); }

bool hardware_random(uint64_t& out) {
    static int have = -1;
    if (have < 0) have = (x86::cpuid(1).ecx >> 30) & 1;
    if (!have) return false;
    for (int tries = 0; tries < 10; tries++) {
        unsigned char ok;
        asm volatile("rdrand %0; setc %1" : "=r"(out), "=qm"(ok));
        if (ok) return true;
    }
    return false;
}

extern "C" char __kernel_text_start[], __kernel_text_end[];

void print_backtrace(uintptr_t frame) {
    // Frame-pointer walk (-fno-omit-frame-pointer): [rbp] = caller's rbp, [rbp+8] = return.
    for (int depth = 0; depth < 32 && frame != 0 && (frame & 7) == 0; depth++) {
        if (frame < abi::kDirectMapBase) break; // only kernel stacks
        auto* f = reinterpret_cast<uintptr_t*>(frame);
        uintptr_t ret = f[1];
        if (ret < reinterpret_cast<uintptr_t>(__kernel_text_start) ||
            ret >= reinterpret_cast<uintptr_t>(__kernel_text_end))
            break;
        log("  #%d 0x%lx\n", depth, ret);
        frame = f[0];
    }
}

} // namespace wisp::platform
