// SPDX-License-Identifier: MIT
#include "net/host/frames.h"

#include <string.h>

#include "net/checksum.h"
#include "net/icmp.h"

namespace wisp::net::host {

uint16_t transport_checksum(Ipv4Address src, Ipv4Address dst, uint8_t protocol,
                            const uint8_t* data, size_t length) {
    Checksum c;
    c.add_pseudo_header(src, dst, protocol, uint16_t(length));
    c.add(data, length);
    return c.finish();
}

// memcpy with an empty (possibly null) source is undefined: copy only real bytes.
static void copy_bytes(uint8_t* dst, const std::vector<uint8_t>& src) {
    if (!src.empty()) memcpy(dst, src.data(), src.size());
}

static std::vector<uint8_t> ethernet(MacAddress src, MacAddress dst, uint16_t type,
                                     const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> f(sizeof(EthernetHeader) + payload.size());
    auto* e = reinterpret_cast<EthernetHeader*>(f.data());
    e->destination = dst;
    e->source = src;
    e->ether_type.set(type);
    copy_bytes(f.data() + sizeof(EthernetHeader), payload);
    return f;
}

std::vector<uint8_t> build_ipv4_frame(MacAddress src_mac, MacAddress dst_mac, Ipv4Address src,
                                      Ipv4Address dst, uint8_t protocol,
                                      const std::vector<uint8_t>& payload, uint16_t id,
                                      uint16_t flags_fragment, uint8_t ttl) {
    std::vector<uint8_t> ip(sizeof(Ipv4Header) + payload.size());
    auto* h = reinterpret_cast<Ipv4Header*>(ip.data());
    h->version_ihl = 0x45;
    h->tos = 0;
    h->total_length.set(uint16_t(ip.size()));
    h->identification.set(id);
    h->flags_fragment.set(flags_fragment);
    h->ttl = ttl;
    h->protocol = protocol;
    h->checksum.set(0);
    h->source.set(src.value);
    h->destination.set(dst.value);
    h->checksum.set(internet_checksum(ip.data(), sizeof(Ipv4Header)));
    copy_bytes(ip.data() + sizeof(Ipv4Header), payload);
    return ethernet(src_mac, dst_mac, kEtherTypeIpv4, ip);
}

std::vector<uint8_t> build_tcp_frame(const TcpSegmentSpec& s) {
    size_t options_length = tcp_options_length(s.options);
    size_t header_length = sizeof(TcpHeader) + options_length;
    std::vector<uint8_t> seg(header_length + s.payload.size());
    auto* h = reinterpret_cast<TcpHeader*>(seg.data());
    h->source_port.set(s.sport);
    h->destination_port.set(s.dport);
    h->seq.set(s.seq);
    h->ack.set(s.ack);
    h->data_offset = uint8_t((header_length / 4) << 4);
    h->flags = s.flags;
    h->window.set(s.window);
    h->checksum.set(0);
    h->urgent.set(0);
    write_tcp_options(seg.data() + sizeof(TcpHeader), s.options);
    copy_bytes(seg.data() + header_length, s.payload);
    uint16_t c = transport_checksum(s.src, s.dst, kIpProtoTcp, seg.data(), seg.size());
    h->checksum.set(s.corrupt_checksum ? uint16_t(c ^ 0x5a5a) : c);
    return build_ipv4_frame(s.src_mac, s.dst_mac, s.src, s.dst, kIpProtoTcp, seg, 1,
                            kIpFlagDontFragment, s.ttl);
}

std::vector<uint8_t> build_udp_frame(MacAddress src_mac, MacAddress dst_mac, Ipv4Address src,
                                     Ipv4Address dst, uint16_t sport, uint16_t dport,
                                     const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> d(sizeof(UdpHeader) + payload.size());
    auto* h = reinterpret_cast<UdpHeader*>(d.data());
    h->source_port.set(sport);
    h->destination_port.set(dport);
    h->length.set(uint16_t(d.size()));
    h->checksum.set(0);
    copy_bytes(d.data() + sizeof(UdpHeader), payload);
    uint16_t c = transport_checksum(src, dst, kIpProtoUdp, d.data(), d.size());
    h->checksum.set(c == 0 ? 0xffff : c);
    return build_ipv4_frame(src_mac, dst_mac, src, dst, kIpProtoUdp, d);
}

std::vector<uint8_t> build_arp_frame(MacAddress src_mac, MacAddress dst_mac, uint16_t op,
                                     MacAddress sender_mac, Ipv4Address sender_ip,
                                     MacAddress target_mac, Ipv4Address target_ip) {
    std::vector<uint8_t> a(sizeof(ArpPacket));
    auto* p = reinterpret_cast<ArpPacket*>(a.data());
    p->hardware_type.set(kArpHardwareEthernet);
    p->protocol_type.set(kEtherTypeIpv4);
    p->hardware_length = 6;
    p->protocol_length = 4;
    p->operation.set(op);
    p->sender_mac = sender_mac;
    p->sender_ip.set(sender_ip.value);
    p->target_mac = target_mac;
    p->target_ip.set(target_ip.value);
    return ethernet(src_mac, dst_mac, kEtherTypeArp, a);
}

std::vector<uint8_t> build_icmp(uint8_t type, uint8_t code, uint32_t rest,
                                const std::vector<uint8_t>& body) {
    std::vector<uint8_t> m(sizeof(IcmpHeader) + body.size());
    auto* h = reinterpret_cast<IcmpHeader*>(m.data());
    h->type = type;
    h->code = code;
    h->checksum.set(0);
    h->rest.set(rest);
    copy_bytes(m.data() + sizeof(IcmpHeader), body);
    h->checksum.set(internet_checksum(m.data(), m.size()));
    return m;
}

bool parse_frame(const std::vector<uint8_t>& frame, ParsedFrame& out) {
    ByteView v(frame.data(), frame.size());
    const auto* e = v.header_at<EthernetHeader>();
    if (!e) return false;
    out.eth = *e;
    ByteView l3 = v.from(sizeof(EthernetHeader));
    if (e->ether_type.value() == kEtherTypeArp) {
        const auto* a = l3.header_at<ArpPacket>();
        if (!a) return false;
        out.is_arp = true;
        out.arp = *a;
        return true;
    }
    if (e->ether_type.value() != kEtherTypeIpv4) return false;
    const auto* ip = l3.header_at<Ipv4Header>();
    if (!ip || ip->header_length() < 20 || ip->total_length.value() > l3.size()) return false;
    out.is_ipv4 = true;
    out.ip = *ip;
    out.ip_checksum_ok = internet_checksum(l3.data(), ip->header_length()) == 0;
    size_t ihl = ip->header_length();
    size_t total = ip->total_length.value();
    out.ip_payload.assign(l3.data() + ihl, l3.data() + total);
    Ipv4Address src{ip->source.value()}, dst{ip->destination.value()};
    const std::vector<uint8_t>& p = out.ip_payload;
    bool first_fragment = (ip->flags_fragment.value() & kIpFragmentOffsetMask) == 0;
    if (ip->protocol == kIpProtoTcp && first_fragment) {
        ByteView t(p.data(), p.size());
        const auto* h = t.header_at<TcpHeader>();
        if (!h || h->header_length() < 20 || h->header_length() > p.size()) return false;
        out.is_tcp = true;
        out.tcp = *h;
        parse_tcp_options(ByteView(p.data() + 20, h->header_length() - 20), out.tcp_options);
        out.payload.assign(p.begin() + long(h->header_length()), p.end());
        out.transport_checksum_ok =
            transport_checksum(src, dst, kIpProtoTcp, p.data(), p.size()) == 0;
    } else if (ip->protocol == kIpProtoUdp && first_fragment) {
        ByteView t(p.data(), p.size());
        const auto* h = t.header_at<UdpHeader>();
        if (!h) return false;
        out.is_udp = true;
        out.udp = *h;
        out.payload.assign(p.begin() + 8, p.end());
        out.transport_checksum_ok =
            h->checksum.value() == 0 ||
            transport_checksum(src, dst, kIpProtoUdp, p.data(), p.size()) == 0;
    } else if (ip->protocol == kIpProtoIcmp) {
        out.is_icmp = true;
        out.payload = p;
        out.transport_checksum_ok = internet_checksum(p.data(), p.size()) == 0;
    }
    return true;
}

} // namespace wisp::net::host
