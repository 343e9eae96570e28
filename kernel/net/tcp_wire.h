// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/seq.h"
#include "net/wire.h"

// The TCP header (RFC 9293 §3.1) and its options: MSS (§3.7.1), window scale and timestamps
// (RFC 7323 §2, §3), SACK-permitted and SACK (RFC 2018 §2, §3).
namespace wisp::net {

struct TcpHeader {
    be16 source_port;
    be16 destination_port;
    be32 seq;
    be32 ack;
    uint8_t data_offset; // high nibble: header length in 32-bit words
    uint8_t flags;
    be16 window;
    be16 checksum;
    be16 urgent;

    size_t header_length() const { return size_t(data_offset >> 4) * 4; }
};
static_assert(sizeof(TcpHeader) == 20);

enum TcpFlags : uint8_t {
    kTcpFin = 0x01,
    kTcpSyn = 0x02,
    kTcpRst = 0x04,
    kTcpPsh = 0x08,
    kTcpAck = 0x10,
    kTcpUrg = 0x20,
    kTcpEce = 0x40,
    kTcpCwr = 0x80,
};

constexpr uint8_t kTcpOptEnd = 0;
constexpr uint8_t kTcpOptNop = 1;
constexpr uint8_t kTcpOptMss = 2;
constexpr uint8_t kTcpOptWindowScale = 3;
constexpr uint8_t kTcpOptSackPermitted = 4;
constexpr uint8_t kTcpOptSack = 5;
constexpr uint8_t kTcpOptTimestamp = 8;

constexpr uint8_t kTcpMaxWindowScale = 14; // RFC 7323 §2.3
constexpr size_t kTcpMaxSackBlocks = 4;

struct SackBlock {
    Seq start;
    Seq end;
};

struct TcpOptions {
    bool has_mss = false;
    bool has_window_scale = false;
    bool sack_permitted = false;
    bool has_timestamp = false;
    uint16_t mss = 0;
    uint8_t window_scale = 0;
    uint8_t sack_count = 0;
    uint32_t ts_value = 0;
    uint32_t ts_echo = 0;
    SackBlock sack[kTcpMaxSackBlocks];
};

// Parses the option bytes after the fixed header. Malformed options (a length running past
// the end, a wrong fixed length) stop parsing; what was parsed before stays valid, as in
// other stacks. Returns false if anything was malformed.
bool parse_tcp_options(ByteView options, TcpOptions& out);

// What to put in an outgoing segment's options.
struct TcpOptionsOut {
    uint16_t mss = 0;               // SYN only; 0 = none
    int8_t window_scale = -1;       // SYN only; -1 = none
    bool sack_permitted = false;    // SYN only
    bool timestamp = false;
    uint32_t ts_value = 0;
    uint32_t ts_echo = 0;
    uint8_t sack_count = 0;
    SackBlock sack[kTcpMaxSackBlocks];
};

// Writes the options, NOP-padded to a multiple of 4, at most 40 bytes. Returns the length.
size_t write_tcp_options(uint8_t* out, const TcpOptionsOut& options);
// Length write_tcp_options would produce.
size_t tcp_options_length(const TcpOptionsOut& options);

} // namespace wisp::net
