// SPDX-License-Identifier: MIT
// Fuzz target: the standalone parsers — TCP options, DHCP options, ByteView accessors and the
// checksum — driven directly (no stack), with invariants checked.
#include <stdlib.h>

#include "fuzz_common.h"
#include "net/checksum.h"
#include "net/dhcp.h"
#include "net/tcp_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace wisp::net;
    if (size == 0) return 0;
    ByteView view(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0: {
        TcpOptions o;
        parse_tcp_options(view, o);
        if (o.sack_count > kTcpMaxSackBlocks || o.window_scale > kTcpMaxWindowScale) abort();
        // Whatever parsed must serialize and parse back the same way.
        TcpOptionsOut out;
        out.mss = o.has_mss ? o.mss : 0;
        out.window_scale = o.has_window_scale ? int8_t(o.window_scale) : -1;
        out.sack_permitted = o.sack_permitted;
        out.timestamp = o.has_timestamp;
        out.ts_value = o.ts_value;
        out.ts_echo = o.ts_echo;
        uint8_t buf[64];
        size_t n = write_tcp_options(buf, out);
        if (n != tcp_options_length(out) || n % 4 != 0) abort();
        TcpOptions back;
        if (!parse_tcp_options(ByteView(buf, n), back)) abort();
        // (An MSS option of 0 has no encoding in TcpOptionsOut, where 0 means "none".)
        bool mss_round_trips = o.has_mss && o.mss != 0 ? back.has_mss && back.mss == o.mss : !back.has_mss;
        if (!mss_round_trips ||
            back.has_timestamp != o.has_timestamp || back.ts_value != o.ts_value)
            abort();
        break;
    }
    case 1: {
        DhcpOptions o;
        parse_dhcp_options(view, o);
        break;
    }
    case 2: {
        // Checksum: any split of the input gives the same sum.
        uint16_t whole = internet_checksum(view.data(), view.size());
        Checksum c;
        size_t cut = view.size() ? data[0] % (view.size() + 1) : 0;
        c.add(view.data(), cut);
        c.add(view.data() + cut, view.size() - cut);
        if (c.finish() != whole) abort();
        break;
    }
    default: {
        uint32_t v32;
        uint16_t v16;
        uint8_t v8;
        for (size_t off = 0; off < size + 8; off += 3) {
            if (view.read_be32(off, v32) != (off + 4 <= view.size())) abort();
            if (view.read_be16(off, v16) != (off + 2 <= view.size())) abort();
            if (view.read_u8(off, v8) != (off < view.size())) abort();
        }
        break;
    }
    }
    return 0;
}
