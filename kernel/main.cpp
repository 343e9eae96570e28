// SPDX-License-Identifier: MIT
#include <wisp/abi/platform.h>
#include <wisp/abi/pvh.h>

#include "lib/log.h"

extern "C" uint64_t boot_tsc;

extern "C" [[noreturn]] void kernel_main(uint32_t start_info_paddr) {
    (void)start_info_paddr;
    const char msg[] = "hello from wisp kernel\n";
    wisp::platform::write(wisp::platform::Channel::Stdout, msg, sizeof(msg) - 1);
    wisp::control("exit=0\n");
    wisp::platform::exit_vm(0);
}
