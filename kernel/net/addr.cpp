// SPDX-License-Identifier: MIT
#include "net/addr.h"

#include "lib/print.h"

namespace wisp::net {

bool parse_ipv4(const char* text, Ipv4Address& out) {
    uint32_t value = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (*text != '.') return false;
            text++;
        }
        if (*text < '0' || *text > '9') return false;
        uint32_t octet = 0;
        int digits = 0;
        while (*text >= '0' && *text <= '9') {
            octet = octet * 10 + uint32_t(*text - '0');
            if (++digits > 3 || octet > 255) return false;
            text++;
        }
        value = value << 8 | octet;
    }
    if (*text != '\0') return false;
    out = Ipv4Address{value};
    return true;
}

const char* format_ipv4(Ipv4Address address, char* buffer) {
    uint32_t v = address.value;
    format(buffer, 16, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
    return buffer;
}

} // namespace wisp::net
