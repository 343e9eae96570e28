// SPDX-License-Identifier: MIT
#include "net/tcp_wire.h"

namespace wisp::net {

bool parse_tcp_options(ByteView options, TcpOptions& out) {
    size_t i = 0;
    size_t n = options.size();
    const uint8_t* p = options.data();
    while (i < n) {
        uint8_t kind = p[i];
        if (kind == kTcpOptEnd) return true;
        if (kind == kTcpOptNop) {
            i++;
            continue;
        }
        if (i + 1 >= n) return false;
        uint8_t length = p[i + 1];
        if (length < 2 || i + length > n) return false;
        const uint8_t* v = p + i + 2;
        switch (kind) {
        case kTcpOptMss:
            if (length != 4) return false;
            out.has_mss = true;
            out.mss = load_be16(v);
            break;
        case kTcpOptWindowScale:
            if (length != 3) return false;
            out.has_window_scale = true;
            // RFC 7323 §2.3: larger shifts are treated as 14.
            out.window_scale = v[0] > kTcpMaxWindowScale ? kTcpMaxWindowScale : v[0];
            break;
        case kTcpOptSackPermitted:
            if (length != 2) return false;
            out.sack_permitted = true;
            break;
        case kTcpOptTimestamp:
            if (length != 10) return false;
            out.has_timestamp = true;
            out.ts_value = load_be32(v);
            out.ts_echo = load_be32(v + 4);
            break;
        case kTcpOptSack: {
            if ((length - 2) % 8 != 0) return false;
            size_t blocks = size_t(length - 2) / 8;
            out.sack_count = 0;
            for (size_t b = 0; b < blocks && b < kTcpMaxSackBlocks; b++) {
                out.sack[b].start = Seq(load_be32(v + 8 * b));
                out.sack[b].end = Seq(load_be32(v + 8 * b + 4));
                out.sack_count++;
            }
            break;
        }
        default:
            break; // unknown options are skipped by their length (RFC 9293 §3.1)
        }
        i += length;
    }
    return true;
}

size_t tcp_options_length(const TcpOptionsOut& o) {
    size_t n = 0;
    if (o.mss) n += 4;
    if (o.window_scale >= 0) n += 4; // NOP + 3
    if (o.timestamp)
        n += 12; // NOP NOP + 10 (or SACK-permitted + 10)
    else if (o.sack_permitted)
        n += 4;
    if (o.sack_count) n += 4 + 8 * size_t(o.sack_count);
    return n;
}

size_t write_tcp_options(uint8_t* out, const TcpOptionsOut& o) {
    uint8_t* p = out;
    if (o.mss) {
        p[0] = kTcpOptMss;
        p[1] = 4;
        store_be16(p + 2, o.mss);
        p += 4;
    }
    if (o.window_scale >= 0) {
        p[0] = kTcpOptNop;
        p[1] = kTcpOptWindowScale;
        p[2] = 3;
        p[3] = uint8_t(o.window_scale);
        p += 4;
    }
    // The layout Linux uses: SACK-permitted shares the timestamp option's padding.
    if (o.timestamp) {
        if (o.sack_permitted) {
            p[0] = kTcpOptSackPermitted;
            p[1] = 2;
        } else {
            p[0] = kTcpOptNop;
            p[1] = kTcpOptNop;
        }
        p[2] = kTcpOptTimestamp;
        p[3] = 10;
        store_be32(p + 4, o.ts_value);
        store_be32(p + 8, o.ts_echo);
        p += 12;
    } else if (o.sack_permitted) {
        p[0] = kTcpOptNop;
        p[1] = kTcpOptNop;
        p[2] = kTcpOptSackPermitted;
        p[3] = 2;
        p += 4;
    }
    if (o.sack_count) {
        p[0] = kTcpOptNop;
        p[1] = kTcpOptNop;
        p[2] = kTcpOptSack;
        p[3] = uint8_t(2 + 8 * o.sack_count);
        p += 4;
        for (size_t i = 0; i < o.sack_count; i++) {
            store_be32(p, o.sack[i].start.raw());
            store_be32(p + 4, o.sack[i].end.raw());
            p += 8;
        }
    }
    return size_t(p - out);
}

} // namespace wisp::net
