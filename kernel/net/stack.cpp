// SPDX-License-Identifier: MIT
#include "net/stack.h"

#include <new>

#include "net/dhcp.h"
#include "net/ethernet.h"

namespace wisp::net {

// Public entry points nest (a socket call sends a segment to ourselves over loopback);
// looped-back packets are delivered once the outermost call is done, so protocol code never
// re-enters itself.
class EntryScope {
public:
    explicit EntryScope(Stack& s) : m_stack(s) { s.enter(); }
    ~EntryScope() { m_stack.leave(); }

private:
    Stack& m_stack;
};

Result<Stack*> Stack::create(const StackConfig& config, const StackEnvironment& env) {
    void* memory = env.memory.allocate(sizeof(Stack), alignof(Stack));
    if (!memory) return Errno::NOMEM;
    auto* stack = new (memory) Stack(config, env);
    if (!stack->init()) {
        destroy(stack);
        return Errno::NOMEM;
    }
    return stack;
}

void Stack::destroy(Stack* stack) {
    MemorySource& memory = stack->m_env.memory;
    stack->~Stack();
    memory.release(stack, sizeof(Stack));
}

Stack::Stack(const StackConfig& config, const StackEnvironment& env)
    : m_config(config), m_env(env), m_mac(env.nic.mac_address()), m_mtu(env.nic.mtu()),
      m_tx_headroom((size_t(env.nic.tx_headroom()) + sizeof(EthernetHeader) + 20 + 60 + 7) &
                    ~size_t(7)),
      m_pool(env.memory, config.packet_budget_bytes),
      m_tcp_sockets(env.memory, config.max_tcp_sockets),
      m_udp_sockets(env.memory, config.max_udp_sockets), m_arp(*this, config.arp),
      m_ipv4(*this, config.reassembly), m_icmp(*this), m_udp(*this), m_tcp(*this, config.tcp) {
    m_now_us = env.clock.now_us();
}

bool Stack::init() {
    size_t n = m_config.port_hash_buckets;
    if (n == 0 || (n & (n - 1)) != 0) return false;
    void* memory = m_env.memory.allocate(2 * n * sizeof(PortBuckets::Bucket), 16);
    if (!memory) return false;
    m_port_buckets = static_cast<PortBuckets::Bucket*>(memory);
    for (size_t i = 0; i < 2 * n; i++) new (&m_port_buckets[i]) PortBuckets::Bucket();
    m_tcp_ports.init(m_port_buckets, n);
    m_udp_ports.init(m_port_buckets + n, n);
    if (!m_tcp.init(m_config.tcp_hash_buckets)) return false;
    uint16_t r;
    m_env.random.fill(&r, sizeof(r));
    m_udp_ephemeral_next = r;
    return true;
}

Stack::~Stack() {
    // Tear down every socket without sending anything: the machine is going away.
    while (Socket* s = m_all_sockets.pop_front()) {
        unbind(s);
        if (s->type() == SocketType::Udp) {
            m_udp_sockets.destroy(static_cast<UdpSocket*>(s));
            continue;
        }
        auto* t = static_cast<TcpSocket*>(s);
        if (t->m_in_conn_table) m_tcp.remove_connection(*t);
        while (TcpSocket* c = t->m_syn_queue.pop_front()) c->m_listener = nullptr;
        while (TcpSocket* c = t->m_accept_queue.pop_front()) c->m_listener = nullptr;
        if (t->m_listener) {
            if (t->m_accept_ready)
                t->m_listener->m_accept_queue.remove(t);
            else
                t->m_listener->m_syn_queue.remove(t);
            t->m_listener = nullptr;
        }
        m_tcp_sockets.destroy(t);
    }
    m_loopback.clear();
    if (m_dhcp) {
        m_dhcp->~Dhcp();
        m_env.memory.release(m_dhcp, sizeof(Dhcp));
    }
    if (m_port_buckets)
        m_env.memory.release(m_port_buckets, 2 * m_config.port_hash_buckets *
                                                 sizeof(PortBuckets::Bucket));
}

void Stack::leave() {
    if (m_depth > 1) {
        m_depth--;
        return;
    }
    // Outermost call: deliver packets we sent to ourselves (they may cause more).
    for (int rounds = 0; rounds < 1000 && !m_loopback.empty(); rounds++) {
        Packet p = m_loopback.pop_front();
        m_ipv4.input(std::move(p), false);
    }
    m_tcp.reap();
    m_depth = 0;
}

void Stack::receive_frame(Packet&& frame) {
    EntryScope scope(*this);
    frames_received++;
    const auto* eth = frame.view().header_at<EthernetHeader>();
    if (!eth) {
        frames_dropped++;
        return;
    }
    bool broadcast = eth->destination.is_broadcast();
    if (!broadcast && eth->destination != m_mac) {
        frames_dropped++;
        return;
    }
    uint16_t type = eth->ether_type.value();
    frame.trim_front(sizeof(EthernetHeader));
    if (broadcast) frame.meta().flags |= kPacketBroadcast;
    if (type == kEtherTypeIpv4)
        m_ipv4.input(std::move(frame), broadcast);
    else if (type == kEtherTypeArp)
        m_arp.input(std::move(frame));
    else
        frames_dropped++;
}

void Stack::poll() {
    EntryScope scope(*this);
    m_timers.run(m_now_us);
}

void Stack::configure(const InterfaceConfig& config) {
    EntryScope scope(*this);
    m_interface = config;
    if (!config.address.is_any()) m_arp.announce();
}

void Stack::start_dhcp() {
    EntryScope scope(*this);
    if (!m_dhcp) {
        void* memory = m_env.memory.allocate(sizeof(Dhcp), alignof(Dhcp));
        if (!memory) return;
        m_dhcp = new (memory) Dhcp(*this);
    }
    m_dhcp->start();
}

Packet Stack::allocate_tx(size_t extra_headroom) {
    return m_pool.allocate(m_tx_headroom + extra_headroom);
}

bool Stack::is_local_address(Ipv4Address a) const {
    return a.is_loopback() || (!m_interface.address.is_any() && a == m_interface.address);
}

bool Stack::is_broadcast_address(Ipv4Address a) const {
    if (a.is_broadcast()) return true;
    if (m_interface.address.is_any() || m_interface.prefix_length >= 31) return false;
    uint32_t mask = prefix_mask(m_interface.prefix_length);
    return (a.value & mask) == (m_interface.address.value & mask) && (a.value | mask) == ~0u;
}

Ipv4Address Stack::source_address_for(Ipv4Address destination) const {
    if (destination.is_loopback()) return Ipv4Address::from_octets(127, 0, 0, 1);
    return m_interface.address;
}

void Stack::route_and_send(Packet&& packet, Ipv4Address destination) {
    if (is_local_address(destination)) {
        m_loopback.push_back(std::move(packet));
        return;
    }
    if (is_broadcast_address(destination)) {
        send_frame(std::move(packet), MacAddress::broadcast(), kEtherTypeIpv4);
        return;
    }
    Ipv4Address next_hop = destination;
    uint32_t mask = prefix_mask(m_interface.prefix_length);
    if ((destination.value & mask) != (m_interface.address.value & mask)) {
        if (m_interface.gateway.is_any()) return; // no route: dropped (FIXME: ENETUNREACH)
        next_hop = m_interface.gateway;
    }
    m_arp.send_ipv4(std::move(packet), next_hop);
}

void Stack::send_frame(Packet&& payload, MacAddress destination, uint16_t ether_type) {
    if (payload.headroom() < sizeof(EthernetHeader) + m_env.nic.tx_headroom()) {
        frames_dropped++;
        return;
    }
    auto* eth = reinterpret_cast<EthernetHeader*>(payload.push(sizeof(EthernetHeader)));
    eth->destination = destination;
    eth->source = m_mac;
    eth->ether_type.set(ether_type);
    frames_sent++;
    m_env.nic.transmit(std::move(payload));
}

// --- port table ---

bool Stack::port_in_use(SocketType type, Ipv4Address address, uint16_t port,
                        const Socket* except, bool reuse_address, bool reuse_port) {
    auto& bucket = ports(type).bucket(port);
    for (Socket* s = bucket.front(); s; s = bucket.next(s)) {
        if (s == except || s->m_local.port != port) continue;
        if (!address.is_any() && !s->m_local.address.is_any() && s->m_local.address != address)
            continue;
        if (reuse_port && s->m_reuse_port) continue;
        if (type == SocketType::Tcp) {
            auto* t = static_cast<TcpSocket*>(s);
            // SO_REUSEADDR (Linux semantics): share a port unless one side is listening;
            // a TIME-WAIT leftover never blocks a socket that set it.
            if (reuse_address && t->m_state == TcpState::TimeWait) continue;
            if (reuse_address && s->m_reuse_address && t->m_state != TcpState::Listen)
                continue;
        } else if (reuse_address && s->m_reuse_address) {
            continue;
        }
        return true;
    }
    return false;
}

Result<void> Stack::bind_locked(Socket* s, Endpoint local) {
    if (s->m_bound) return Errno::INVAL;
    if (!local.address.is_any() && !is_local_address(local.address) &&
        !(s->type() == SocketType::Udp && is_broadcast_address(local.address)))
        return Errno::ADDRNOTAVAIL;
    if (local.port == 0) {
        // An ephemeral port nobody has bound (Linux picks randomly in the range too).
        const TcpConfig& tc = m_config.tcp;
        uint32_t range = uint32_t(tc.ephemeral_high - tc.ephemeral_low) + 1;
        bool found = false;
        for (uint32_t i = 0; i < range; i++) {
            uint16_t port = uint16_t(tc.ephemeral_low + (m_udp_ephemeral_next++ % range));
            if (!port_in_use(s->type(), local.address, port, s, false, false)) {
                local.port = port;
                found = true;
                break;
            }
        }
        if (!found) return Errno::ADDRINUSE;
    } else if (port_in_use(s->type(), local.address, local.port, s, s->m_reuse_address,
                           s->m_reuse_port)) {
        return Errno::ADDRINUSE;
    }
    s->m_local = local;
    s->m_bound = true;
    ports(s->type()).bucket(local.port).push_back(s);
    return {};
}

void Stack::unbind(Socket* s) {
    if (s->m_port_link.linked) ports(s->type()).bucket(s->m_local.port).remove(s);
    s->m_bound = false;
}

UdpSocket* Stack::find_udp_socket(Ipv4Address local, uint16_t lport, Ipv4Address remote,
                                  uint16_t rport) {
    auto& bucket = m_udp_ports.bucket(lport);
    UdpSocket* best = nullptr;
    int best_score = -1;
    for (Socket* s = bucket.front(); s; s = bucket.next(s)) {
        if (s->m_local.port != lport) continue;
        auto* u = static_cast<UdpSocket*>(s);
        int score = 0;
        if (!s->m_local.address.is_any()) {
            if (s->m_local.address != local) continue;
            score += 2;
        }
        if (u->m_connected) {
            if (s->m_remote.address != remote || s->m_remote.port != rport) continue;
            score += 4;
        }
        if (score > best_score) {
            best = u;
            best_score = score;
        }
    }
    return best;
}

void Stack::free_udp_socket(UdpSocket* s) {
    unbind(s);
    unregister_socket(s);
    m_udp_sockets.destroy(s);
}

// --- socket API ---

Result<Socket*> Stack::socket(SocketType type) {
    EntryScope scope(*this);
    if (type == SocketType::Tcp) {
        TcpSocket* s = m_tcp.create_socket();
        if (!s) return Errno::NOBUFS;
        return static_cast<Socket*>(s);
    }
    UdpSocket* s = m_udp_sockets.create();
    if (!s) return Errno::NOBUFS;
    s->m_ttl = m_config.default_ttl;
    s->m_send_buffer = 212992; // Linux's default wmem_default / rmem_default
    s->m_receive_buffer = 212992;
    register_socket(s);
    return static_cast<Socket*>(s);
}

Result<void> Stack::bind(Socket* s, Endpoint local) {
    EntryScope scope(*this);
    if (s->type() == SocketType::Tcp && static_cast<TcpSocket*>(s)->m_state != TcpState::Closed)
        return Errno::INVAL;
    return bind_locked(s, local);
}

Result<void> Stack::listen(Socket* s, int backlog) {
    EntryScope scope(*this);
    if (s->type() != SocketType::Tcp) return Errno::OPNOTSUPP;
    return m_tcp.listen(*static_cast<TcpSocket*>(s), backlog);
}

Result<Socket*> Stack::accept(Socket* s, Endpoint* peer) {
    EntryScope scope(*this);
    if (s->type() != SocketType::Tcp) return Errno::OPNOTSUPP;
    TcpSocket* child = TRY(m_tcp.accept(*static_cast<TcpSocket*>(s)));
    if (peer) *peer = child->m_remote;
    return static_cast<Socket*>(child);
}

Result<void> Stack::connect(Socket* s, Endpoint remote) {
    EntryScope scope(*this);
    if (s->type() == SocketType::Tcp) return m_tcp.connect(*static_cast<TcpSocket*>(s), remote);
    return m_udp.connect(*static_cast<UdpSocket*>(s), remote);
}

Result<size_t> Stack::send(Socket* s, std::span<const uint8_t> data, int flags) {
    return send_to(s, data, flags, nullptr);
}

Result<size_t> Stack::send_to(Socket* s, std::span<const uint8_t> data, int flags,
                              const Endpoint* to) {
    EntryScope scope(*this);
    if (s->type() == SocketType::Tcp) {
        // Linux ignores the address on a connected stream socket (EISCONN only for
        // connection-mode sockets that are not connected, via sendto in tcp_sendmsg paths).
        return m_tcp.send(*static_cast<TcpSocket*>(s), data, flags);
    }
    return m_udp.send_to(*static_cast<UdpSocket*>(s), data, to);
}

Result<size_t> Stack::receive(Socket* s, std::span<uint8_t> buffer, int flags) {
    return receive_from(s, buffer, flags, nullptr);
}

Result<size_t> Stack::receive_from(Socket* s, std::span<uint8_t> buffer, int flags,
                                   Endpoint* from) {
    EntryScope scope(*this);
    if (s->type() == SocketType::Tcp) {
        auto* t = static_cast<TcpSocket*>(s);
        size_t n = TRY(m_tcp.receive(*t, buffer, flags));
        if (from) *from = t->m_remote;
        return n;
    }
    return m_udp.receive_from(*static_cast<UdpSocket*>(s), buffer, flags, from);
}

Result<void> Stack::shutdown(Socket* s, ShutdownHow how) {
    EntryScope scope(*this);
    if (s->type() == SocketType::Tcp) return m_tcp.shutdown(*static_cast<TcpSocket*>(s), how);
    auto* u = static_cast<UdpSocket*>(s);
    if (!u->m_connected) return Errno::NOTCONN;
    if (how != ShutdownHow::Write) u->m_shutdown |= kReceiveShutdown;
    if (how != ShutdownHow::Read) u->m_shutdown |= kSendShutdown;
    return {};
}

void Stack::close(Socket* s) {
    EntryScope scope(*this);
    if (s->type() == SocketType::Tcp) {
        m_tcp.close(*static_cast<TcpSocket*>(s));
        return;
    }
    free_udp_socket(static_cast<UdpSocket*>(s));
}

Result<void> Stack::set_option(Socket* s, SocketOption option, int value) {
    EntryScope scope(*this);
    switch (option) {
    case SocketOption::ReuseAddress:
        s->m_reuse_address = value != 0;
        return {};
    case SocketOption::ReusePort:
        s->m_reuse_port = value != 0;
        return {};
    case SocketOption::Broadcast:
        s->m_broadcast = value != 0;
        return {};
    case SocketOption::Linger:
        s->m_linger = value < 0 ? -1 : value;
        return {};
    case SocketOption::Ttl:
        // Linux: -1 restores the default; 1..255 otherwise.
        if (value == -1) {
            s->m_ttl = m_config.default_ttl;
            return {};
        }
        if (value < 1 || value > 255) return Errno::INVAL;
        s->m_ttl = uint8_t(value);
        return {};
    case SocketOption::ReceiveBuffer:
    case SocketOption::SendBuffer: {
        // Linux doubles the value (for bookkeeping overhead) and clamps it to sysctl limits;
        // minimums are SOCK_MIN_RCVBUF (2304) and SOCK_MIN_SNDBUF (4608).
        if (value < 0) value = 0;
        uint32_t v = uint32_t(value);
        if (v > m_config.tcp.max_buffer / 2) v = m_config.tcp.max_buffer / 2;
        v *= 2;
        if (option == SocketOption::ReceiveBuffer) {
            s->m_receive_buffer = v < 2304 ? 2304 : v;
        } else {
            s->m_send_buffer = v < 4608 ? 4608 : v;
        }
        if (s->type() == SocketType::Tcp) m_tcp.notify(*s);
        return {};
    }
    case SocketOption::Error:
    case SocketOption::Type:
    case SocketOption::AcceptConn:
        return Errno::NOPROTOOPT;
    default:
        break;
    }
    if (s->type() == SocketType::Tcp) return m_tcp.set_option(*static_cast<TcpSocket*>(s), option, value);
    if (option == SocketOption::KeepAlive) {
        s->m_keepalive = value != 0;
        return {};
    }
    return Errno::NOPROTOOPT;
}

Result<int> Stack::get_option(Socket* s, SocketOption option) {
    EntryScope scope(*this);
    switch (option) {
    case SocketOption::ReuseAddress:
        return int(s->m_reuse_address);
    case SocketOption::ReusePort:
        return int(s->m_reuse_port);
    case SocketOption::Broadcast:
        return int(s->m_broadcast);
    case SocketOption::KeepAlive:
        return int(s->m_keepalive);
    case SocketOption::Linger:
        return s->m_linger;
    case SocketOption::Ttl:
        return int(s->m_ttl);
    case SocketOption::ReceiveBuffer:
        return int(s->m_receive_buffer);
    case SocketOption::SendBuffer:
        return int(s->m_send_buffer);
    case SocketOption::Error: {
        Errno e;
        return s->take_error(e) ? int(e) : 0;
    }
    case SocketOption::Type:
        return s->type() == SocketType::Tcp ? 1 : 2;
    case SocketOption::AcceptConn:
        return s->type() == SocketType::Tcp &&
               static_cast<TcpSocket*>(s)->m_state == TcpState::Listen;
    default:
        break;
    }
    if (s->type() == SocketType::Tcp) return m_tcp.get_option(*static_cast<TcpSocket*>(s), option);
    return Errno::NOPROTOOPT;
}

Result<Endpoint> Stack::local_endpoint(Socket* s) {
    EntryScope scope(*this);
    return s->m_local;
}

Result<Endpoint> Stack::remote_endpoint(Socket* s) {
    EntryScope scope(*this);
    if (s->type() == SocketType::Tcp) {
        auto* t = static_cast<TcpSocket*>(s);
        if (t->m_state == TcpState::Closed || t->m_state == TcpState::Listen ||
            t->m_state == TcpState::SynSent)
            return Errno::NOTCONN;
        return s->m_remote;
    }
    if (!static_cast<UdpSocket*>(s)->m_connected) return Errno::NOTCONN;
    return s->m_remote;
}

uint32_t Stack::poll_events(Socket* s) {
    if (s->type() == SocketType::Tcp) return m_tcp.poll(*static_cast<TcpSocket*>(s));
    return m_udp.poll(*static_cast<UdpSocket*>(s));
}

} // namespace wisp::net
