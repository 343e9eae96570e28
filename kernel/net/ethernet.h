// SPDX-License-Identifier: MIT
#pragma once

#include "net/addr.h"
#include "net/wire.h"

// Ethernet II framing (IEEE 802.3 with an EtherType).
namespace wisp::net {

struct EthernetHeader {
    MacAddress destination;
    MacAddress source;
    be16 ether_type;
};
static_assert(sizeof(EthernetHeader) == 14);

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
// Smallest EtherType; smaller values are IEEE 802.3 lengths, which wisp does not speak.
constexpr uint16_t kEtherTypeMin = 0x0600;

} // namespace wisp::net
