// SPDX-License-Identifier: MIT
// Fuzz target: arbitrary Ethernet frames into a configured stack (every parser is reachable:
// Ethernet, ARP, IPv4 + reassembly, ICMP, UDP, DHCP replies, TCP). The input is a sequence
// of [u16 length][frame] records with clock advances in between.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::World w(true);
    fuzz::Input in(data, size);
    while (!in.empty()) {
        uint16_t length = in.u16() % 1600;
        w.inject(in.bytes(length));
        w.clock.advance(uint64_t(in.byte()) * 1000);
        w.stack->poll();
        w.nic.frames.clear();
    }
    return 0;
}
