// SPDX-License-Identifier: MIT
#include "net/dhcp.h"

#include <string.h>

#include "net/stack.h"

namespace wisp::net {

bool parse_dhcp_options(ByteView options, DhcpOptions& out) {
    size_t i = 0;
    while (i < options.size()) {
        uint8_t code = options.data()[i];
        if (code == kDhcpOptPad) {
            i++;
            continue;
        }
        if (code == kDhcpOptEnd) return true;
        uint8_t length;
        if (!options.read_u8(i + 1, length)) return false;
        ByteView value;
        if (!options.slice(i + 2, length, value)) return false;
        uint32_t v32 = 0;
        bool has32 = value.read_be32(0, v32);
        switch (code) {
        case kDhcpOptMessageType:
            if (length >= 1) out.message_type = value.data()[0];
            break;
        case kDhcpOptSubnetMask:
            if (has32) {
                out.has_mask = true;
                out.mask = Ipv4Address{v32};
            }
            break;
        case kDhcpOptRouter:
            if (has32) out.router = Ipv4Address{v32};
            break;
        case kDhcpOptDns:
            if (has32) out.dns = Ipv4Address{v32};
            break;
        case kDhcpOptServerId:
            if (has32) out.server_id = Ipv4Address{v32};
            break;
        case kDhcpOptLeaseTime:
            if (has32) out.lease_s = v32;
            break;
        case kDhcpOptRenewalTime:
            if (has32) out.renewal_s = v32;
            break;
        case kDhcpOptRebindingTime:
            if (has32) out.rebinding_s = v32;
            break;
        default:
            break;
        }
        i += 2 + size_t(length);
    }
    return true; // no END option: accept what was there (some servers omit it)
}

Dhcp::Dhcp(Stack& stack) : m_stack(stack) {
    m_timer.callback = on_timer;
    m_timer.owner = this;
    m_stack.udp().set_port_handler(kDhcpClientPort, on_udp, this);
}

Dhcp::~Dhcp() {
    m_stack.timers().cancel(m_timer);
    m_stack.udp().set_port_handler(0, nullptr, nullptr);
}

void Dhcp::on_udp(void* context, const Ipv4Info& ip, uint16_t source_port, Packet&& payload) {
    if (source_port != kDhcpServerPort) return;
    static_cast<Dhcp*>(context)->input(ip, std::move(payload));
}

uint64_t Dhcp::jitter() {
    // RFC 2131 §4.1: randomize retransmission delays by +-1 s.
    uint32_t r;
    m_stack.random().fill(&r, sizeof(r));
    return r % 2'000'000;
}

void Dhcp::start() {
    m_started_us = m_stack.now_us();
    restart();
}

void Dhcp::restart() {
    m_stack.random().fill(&m_xid, sizeof(m_xid));
    m_state = State::Selecting;
    m_attempts = 0;
    m_offered = Ipv4Address{};
    m_server = Ipv4Address{};
    send(kDhcpDiscover, true);
    arm_retransmit(m_stack.now_us());
}

void Dhcp::arm_retransmit(uint64_t now) {
    // 4 s, 8 s, ... 64 s (RFC 2131 §4.1), minus up to a second of jitter.
    uint32_t shift = m_attempts < 4 ? m_attempts : 4;
    uint64_t delay = (4'000'000ull << shift) + jitter() - 1'000'000;
    m_attempts++;
    m_stack.timers().arm(m_timer, now + delay);
}

void Dhcp::send(uint8_t type, bool broadcast) {
    uint8_t buffer[sizeof(DhcpMessage) + 64]{};
    auto* m = reinterpret_cast<DhcpMessage*>(buffer);
    m->op = 1; // BOOTREQUEST
    m->htype = 1;
    m->hlen = 6;
    m->xid.set(m_xid);
    uint64_t secs = (m_stack.now_us() - m_started_us) / 1'000'000;
    m->secs.set(uint16_t(secs > 0xffff ? 0xffff : secs));
    bool renewing = m_state == State::Renewing || m_state == State::Rebinding;
    // Ask for broadcast replies while we have no address (RFC 2131 §4.1).
    m->flags.set(renewing ? 0 : 0x8000);
    if (renewing) m->ciaddr.set(m_stack.interface_config().address.value);
    memcpy(m->chaddr, m_stack.mac_address().bytes, 6);
    m->magic.set(kDhcpMagic);
    uint8_t* o = buffer + sizeof(DhcpMessage);
    *o++ = kDhcpOptMessageType;
    *o++ = 1;
    *o++ = type;
    *o++ = kDhcpOptClientId;
    *o++ = 7;
    *o++ = 1;
    memcpy(o, m_stack.mac_address().bytes, 6);
    o += 6;
    if (type == kDhcpRequest && m_state == State::Requesting) {
        // SELECTING -> REQUESTING: name the server and the offered address (§4.3.2).
        *o++ = kDhcpOptRequestedIp;
        *o++ = 4;
        store_be32(o, m_offered.value);
        o += 4;
        *o++ = kDhcpOptServerId;
        *o++ = 4;
        store_be32(o, m_server.value);
        o += 4;
    }
    *o++ = kDhcpOptParameterList;
    *o++ = 3;
    *o++ = kDhcpOptSubnetMask;
    *o++ = kDhcpOptRouter;
    *o++ = kDhcpOptDns;
    *o++ = kDhcpOptEnd;
    size_t length = size_t(o - buffer);
    Endpoint from{renewing ? m_stack.interface_config().address : Ipv4Address{},
                  kDhcpClientPort};
    Endpoint to{broadcast ? Ipv4Address::broadcast() : m_server, kDhcpServerPort};
    (void)m_stack.udp().send(from, to, std::span<const uint8_t>(buffer, length), 64, true);
}

void Dhcp::input(const Ipv4Info&, Packet&& payload) {
    if (m_state == State::Stopped || m_state == State::Bound) return;
    uint8_t buffer[1500];
    size_t length = payload.total_length();
    if (length > sizeof(buffer)) length = sizeof(buffer);
    payload.copy_out(0, buffer, length);
    ByteView view(buffer, length);
    const auto* m = view.header_at<DhcpMessage>();
    if (!m || m->op != 2 || m->xid.value() != m_xid || m->magic.value() != kDhcpMagic ||
        memcmp(m->chaddr, m_stack.mac_address().bytes, 6) != 0)
        return;
    DhcpOptions options;
    if (!parse_dhcp_options(view.from(sizeof(DhcpMessage)), options)) return;
    uint64_t now = m_stack.now_us();
    Ipv4Address yiaddr{m->yiaddr.value()};

    if (m_state == State::Selecting) {
        if (options.message_type != kDhcpOffer || yiaddr.is_any() || options.server_id.is_any())
            return;
        m_offered = yiaddr;
        m_server = options.server_id;
        m_state = State::Requesting;
        m_attempts = 0;
        send(kDhcpRequest, true);
        arm_retransmit(now);
        return;
    }
    // REQUESTING, RENEWING, REBINDING: waiting for ACK or NAK.
    if (!options.server_id.is_any() && m_state == State::Requesting &&
        options.server_id != m_server)
        return;
    if (options.message_type == kDhcpNak) {
        m_stack.configure(InterfaceConfig{});
        restart();
        return;
    }
    if (options.message_type != kDhcpAck || yiaddr.is_any()) return;
    if (!options.server_id.is_any()) m_server = options.server_id;
    m_mask = options.has_mask ? options.mask : Ipv4Address{0xffffff00u};
    m_router = options.router;
    m_dns = options.dns;
    m_lease_s = options.lease_s ? options.lease_s : 3600;
    uint8_t prefix = 0;
    while (prefix < 32 && (m_mask.value & (0x80000000u >> prefix))) prefix++;
    m_stack.configure(InterfaceConfig{yiaddr, prefix, m_router});
    m_state = State::Bound;
    m_bound_at_us = now;
    // RFC 2131 §4.4.5: T1 = 0.5 * lease, T2 = 0.875 * lease unless the server says.
    uint64_t lease_us = uint64_t(m_lease_s) * 1'000'000;
    m_t1_us = now + (options.renewal_s ? uint64_t(options.renewal_s) * 1'000'000 : lease_us / 2);
    m_t2_us = now + (options.rebinding_s ? uint64_t(options.rebinding_s) * 1'000'000
                                         : lease_us / 8 * 7);
    m_expiry_us = now + lease_us;
    m_stack.timers().arm(m_timer, m_t1_us);
}

void Dhcp::on_timer(void* owner, uint64_t now) {
    auto& d = *static_cast<Dhcp*>(owner);
    switch (d.m_state) {
    case State::Selecting:
        d.send(kDhcpDiscover, true);
        d.arm_retransmit(now);
        return;
    case State::Requesting:
        if (d.m_attempts >= 4) {
            d.restart();
            return;
        }
        d.send(kDhcpRequest, true);
        d.arm_retransmit(now);
        return;
    case State::Bound:
    case State::Renewing:
    case State::Rebinding: {
        if (now >= d.m_expiry_us) {
            // Lease lost: stop using the address (§4.4.5) and start over.
            d.m_stack.configure(InterfaceConfig{});
            d.restart();
            return;
        }
        if (now >= d.m_t2_us) {
            d.m_state = State::Rebinding;
            d.send(kDhcpRequest, true);
        } else {
            d.m_state = State::Renewing;
            d.send(kDhcpRequest, false);
        }
        // Retransmit at half the remaining time to the next deadline, at least 60 s apart
        // (§4.4.5), but never past it.
        uint64_t deadline = d.m_state == State::Renewing ? d.m_t2_us : d.m_expiry_us;
        uint64_t wait = (deadline - now) / 2;
        if (wait < 60'000'000) wait = 60'000'000;
        uint64_t next = now + wait;
        if (next > deadline) next = deadline;
        d.m_stack.timers().arm(d.m_timer, next);
        return;
    }
    default:
        return;
    }
}

} // namespace wisp::net
