// SPDX-License-Identifier: MIT
// Fuzz target: IPv4 datagrams (valid Ethernet framing, fuzzed IP header and payload), with a
// bias toward fragments so reassembly and its limits are exercised. The header checksum is
// fixed up half of the time so the input gets past it.
#include "fuzz_common.h"
#include "net/checksum.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::World w(false);
    fuzz::Input in(data, size);
    while (!in.empty()) {
        uint8_t control = in.byte();
        uint16_t length = in.u16() % 1500;
        std::vector<uint8_t> ip = in.bytes(length);
        if (ip.size() >= 20 && (control & 1)) {
            ip[0] = uint8_t(0x40 | (ip[0] & 0x0f));
            if ((ip[0] & 0x0f) < 5) ip[0] = 0x45;
            wisp::net::store_be16(&ip[2], uint16_t(ip.size()));
            wisp::net::store_be32(&ip[12], fuzz::kPeerIp.value);
            wisp::net::store_be32(&ip[16], fuzz::kStackIp.value);
            size_t ihl = size_t(ip[0] & 0x0f) * 4;
            if (ihl <= ip.size()) {
                ip[10] = ip[11] = 0;
                uint16_t c = wisp::net::internet_checksum(ip.data(), ihl);
                ip[10] = uint8_t(c >> 8);
                ip[11] = uint8_t(c);
            }
        }
        std::vector<uint8_t> frame(14);
        memcpy(frame.data(), fuzz::kStackMac.bytes, 6);
        memcpy(frame.data() + 6, fuzz::kPeerMac.bytes, 6);
        frame[12] = 0x08;
        frame.insert(frame.end(), ip.begin(), ip.end());
        w.inject(frame);
        if (control & 0x80) {
            w.clock.advance(uint64_t(control) * 200'000);
            w.stack->poll();
        }
        w.nic.frames.clear();
    }
    return 0;
}
