// SPDX-License-Identifier: MIT
// Writes a small seed corpus for each fuzz target (valid frames and segments), so a short
// fuzzing run starts from inputs that already reach deep into the stack.
//   fuzz_seeds CORPUS_ROOT   -> CORPUS_ROOT/{frame,ipv4,tcp,parsers}/seed-N
#include <stdio.h>
#include <sys/stat.h>

#include <string>

#include "fuzz_common.h"
#include "net/dhcp.h"
#include "net/icmp.h"

using namespace fuzz;

static void write(const std::string& dir, int n, const std::vector<uint8_t>& bytes) {
    mkdir(dir.c_str(), 0755);
    std::string path = dir + "/seed-" + std::to_string(n);
    FILE* f = fopen(path.c_str(), "wb");
    if (!f) return;
    fwrite(bytes.data(), 1, bytes.size(), f);
    fclose(f);
}

static void record(std::vector<uint8_t>& out, const std::vector<uint8_t>& frame, uint8_t advance) {
    out.push_back(uint8_t(frame.size() >> 8));
    out.push_back(uint8_t(frame.size()));
    out.insert(out.end(), frame.begin(), frame.end());
    out.push_back(advance);
}

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    std::string root = argv[1];
    mkdir(root.c_str(), 0755);
    // frame: ARP request, ping, UDP to the bound port, SYN to the listener.
    std::vector<uint8_t> s;
    record(s, build_arp_frame(kPeerMac, MacAddress::broadcast(), kArpRequest, kPeerMac, kPeerIp, MacAddress{}, kStackIp), 0);
    record(s, build_ipv4_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, kIpProtoIcmp, build_icmp(kIcmpEchoRequest, 0, 1, std::vector<uint8_t>(32, 7))), 1);
    record(s, build_udp_frame(kPeerMac, kStackMac, kPeerIp, kStackIp, 1000, 53, std::vector<uint8_t>(20, 1)), 0);
    TcpSegmentSpec syn;
    syn.src_mac = kPeerMac;
    syn.dst_mac = kStackMac;
    syn.src = kPeerIp;
    syn.dst = kStackIp;
    syn.sport = 41000;
    syn.dport = 80;
    syn.seq = 5;
    syn.flags = kTcpSyn;
    syn.options.mss = 1460;
    syn.options.timestamp = true;
    record(s, build_tcp_frame(syn), 2);
    write(root + "/frame", 0, s);
    // ipv4: two fragments of one datagram.
    std::vector<uint8_t> frag;
    frag.push_back(1);
    std::vector<uint8_t> ip(20 + 64, 0);
    ip[0] = 0x45;
    ip[6] = 0x20; // MF
    ip[9] = kIpProtoUdp;
    frag.push_back(0);
    frag.push_back(uint8_t(ip.size()));
    frag.insert(frag.end(), ip.begin(), ip.end());
    write(root + "/ipv4", 0, frag);
    // tcp: in-window data with timestamps, then an application read.
    std::vector<uint8_t> t = {0x40 | 0x21, 0, 0, 0, 0, kTcpAck | kTcpPsh, 0xff, 0xff, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 16};
    t.insert(t.end(), 16, 'd');
    t.push_back(0);
    t.push_back(0);
    write(root + "/tcp", 0, t);
    // parsers: TCP options and DHCP options.
    write(root + "/parsers", 0, {0, kTcpOptMss, 4, 5, 0xb4, kTcpOptNop, kTcpOptWindowScale, 3, 7});
    write(root + "/parsers", 1, {1, kDhcpOptMessageType, 1, kDhcpAck, kDhcpOptLeaseTime, 4, 0, 0, 14, 16, 255});
    return 0;
}
