// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "lib/result.h"
#include "net/addr.h"
#include "net/arp.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/list.h"
#include "net/object_pool.h"
#include "net/packet.h"
#include "net/platform.h"
#include "net/socket.h"
#include "net/tcp.h"
#include "net/timer.h"
#include "net/udp.h"

// The network stack: one interface, its protocols, its pools and timers, and the socket API.
//
// Threading: a Stack is single-threaded. The kernel calls it under one lock (receive path,
// timer path and socket calls alike); host tests and tools call it from one thread.
//
// Driving it: the NIC driver passes every received frame to receive_frame(); the kernel
// calls poll() when next_deadline_us() has passed. Sockets report readiness changes through
// their callback.
namespace wisp::net {

struct InterfaceConfig {
    Ipv4Address address;
    uint8_t prefix_length = 24;
    Ipv4Address gateway; // any() = no default route
};

struct StackConfig {
    size_t packet_budget_bytes = 16 * 1024 * 1024;
    size_t max_tcp_sockets = 4096;
    size_t max_udp_sockets = 256;
    size_t tcp_hash_buckets = 4096; // power of two
    size_t port_hash_buckets = 1024; // power of two
    uint8_t default_ttl = 64;
    ArpConfig arp;
    ReassemblyConfig reassembly;
    TcpConfig tcp;
};

struct StackEnvironment {
    Nic& nic;
    Clock& clock;
    RandomSource& random;
    MemorySource& memory;
};

class Dhcp;

class Stack {
public:
    static Result<Stack*> create(const StackConfig& config, const StackEnvironment& env);
    static void destroy(Stack* stack);

    // --- driver side ---
    // A buffer for the NIC to receive one frame into (data area empty, full capacity), or a
    // null Packet when the pool is exhausted.
    Packet allocate_rx_buffer() { return m_pool.allocate(0); }
    // A received Ethernet frame (data = the frame, without FCS).
    void receive_frame(Packet&& frame);
    // Runs timers that are due.
    void poll();
    // When poll() next has work; UINT64_MAX if never.
    uint64_t next_deadline_us() const { return m_timers.next_deadline(); }

    // --- configuration ---
    void configure(const InterfaceConfig& config);
    // Starts the DHCP client (RFC 2131); the interface is configured when a lease arrives.
    void start_dhcp();
    bool configured() const { return !m_interface.address.is_any(); }
    const InterfaceConfig& interface_config() const { return m_interface; }
    MacAddress mac_address() const { return m_mac; }

    // --- sockets ---
    Result<Socket*> socket(SocketType type);
    Result<void> bind(Socket* s, Endpoint local);
    Result<void> listen(Socket* s, int backlog);
    Result<Socket*> accept(Socket* s, Endpoint* peer);
    Result<void> connect(Socket* s, Endpoint remote);
    Result<size_t> send(Socket* s, std::span<const uint8_t> data, int flags = 0);
    Result<size_t> send_to(Socket* s, std::span<const uint8_t> data, int flags,
                           const Endpoint* to);
    Result<size_t> receive(Socket* s, std::span<uint8_t> buffer, int flags = 0);
    Result<size_t> receive_from(Socket* s, std::span<uint8_t> buffer, int flags, Endpoint* from);
    Result<void> shutdown(Socket* s, ShutdownHow how);
    // Releases the caller's reference. The socket object may live on (FIN-WAIT, TIME-WAIT)
    // but the caller must not use the pointer again.
    void close(Socket* s);
    Result<void> set_option(Socket* s, SocketOption option, int value);
    Result<int> get_option(Socket* s, SocketOption option);
    Result<Endpoint> local_endpoint(Socket* s);
    Result<Endpoint> remote_endpoint(Socket* s);
    uint32_t poll_events(Socket* s);

    // --- internals used by the protocol modules ---
    uint64_t now_us() const { return m_now_us; }
    const StackConfig& config() const { return m_config; }
    PacketPool& pool() { return m_pool; }
    TimerQueue& timers() { return m_timers; }
    RandomSource& random() { return m_env.random; }
    MemorySource& memory() { return m_env.memory; }
    Nic& nic() { return m_env.nic; }
    ArpCache& arp() { return m_arp; }
    Ipv4& ipv4() { return m_ipv4; }
    Icmp& icmp() { return m_icmp; }
    Udp& udp() { return m_udp; }
    Tcp& tcp() { return m_tcp; }
    Dhcp* dhcp() { return m_dhcp; }
    uint16_t mtu() const { return m_mtu; }
    // Headroom every outgoing packet reserves: driver + Ethernet + IPv4 + TCP with options.
    size_t tx_headroom() const { return m_tx_headroom; }
    Packet allocate_tx(size_t headroom_needed);
    // Sends a finished IPv4 packet (data starts at the IP header) toward `destination`.
    void route_and_send(Packet&& ip_packet, Ipv4Address destination);
    // Prepends the Ethernet header and hands the frame to the NIC.
    void send_frame(Packet&& payload, MacAddress destination, uint16_t ether_type);
    bool is_local_address(Ipv4Address a) const;
    bool is_broadcast_address(Ipv4Address a) const;
    Ipv4Address source_address_for(Ipv4Address destination) const;
    void refresh_clock() { m_now_us = m_env.clock.now_us(); }

    // Port table (bound sockets), per protocol.
    using PortBuckets = HashBuckets<Socket, &Socket::m_port_link>;
    PortBuckets& ports(SocketType type) { return type == SocketType::Tcp ? m_tcp_ports : m_udp_ports; }
    bool port_in_use(SocketType type, Ipv4Address address, uint16_t port, const Socket* except,
                     bool reuse_address, bool reuse_port);
    void unbind(Socket* s);
    Result<void> bind_locked(Socket* s, Endpoint local);
    UdpSocket* find_udp_socket(Ipv4Address local, uint16_t lport, Ipv4Address remote,
                               uint16_t rport);
    ObjectPool<TcpSocket>& tcp_sockets() { return m_tcp_sockets; }
    void free_udp_socket(UdpSocket* s);
    void register_socket(Socket* s) { m_all_sockets.push_back(s); }
    void unregister_socket(Socket* s) { m_all_sockets.remove(s); }
    size_t socket_count() const { return m_all_sockets.size(); }
    void enter() {
        if (m_depth++ == 0) refresh_clock();
    }
    void leave();

private:
    Stack(const StackConfig& config, const StackEnvironment& env);
    ~Stack();
    bool init();

    StackConfig m_config;
    StackEnvironment m_env;
    MacAddress m_mac;
    uint16_t m_mtu;
    size_t m_tx_headroom;
    uint64_t m_now_us = 0;
    InterfaceConfig m_interface;
    PacketPool m_pool;
    TimerQueue m_timers;
    ObjectPool<TcpSocket> m_tcp_sockets;
    ObjectPool<UdpSocket> m_udp_sockets;
    PortBuckets m_tcp_ports;
    PortBuckets m_udp_ports;
    PortBuckets::Bucket* m_port_buckets = nullptr; // 2 * port_hash_buckets
    ArpCache m_arp;
    Ipv4 m_ipv4;
    Icmp m_icmp;
    Udp m_udp;
    Tcp m_tcp;
    Dhcp* m_dhcp = nullptr;
    uint16_t m_udp_ephemeral_next = 0;
    IntrusiveList<Socket, &Socket::m_all_link> m_all_sockets;
    PacketQueue m_loopback; // IP packets sent to ourselves, delivered after the current call
    uint32_t m_depth = 0;   // nesting of public entry points (loopback drains at depth 0)
    friend class EntryScope;

public:
    uint64_t frames_received = 0;
    uint64_t frames_dropped = 0;
    uint64_t frames_sent = 0;
};

} // namespace wisp::net
