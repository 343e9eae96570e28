// SPDX-License-Identifier: MIT
// TCP: connection table, socket lifecycle and the user-facing calls. Segment arrival is in
// tcp_input.cpp, segment transmission in tcp_output.cpp, timers in tcp_timers.cpp.
#include "net/tcp.h"

#include <new>

#include "net/stack.h"

namespace wisp::net {

const char* tcp_state_name(TcpState state) {
    switch (state) {
    case TcpState::Closed: return "CLOSED";
    case TcpState::Listen: return "LISTEN";
    case TcpState::SynSent: return "SYN-SENT";
    case TcpState::SynReceived: return "SYN-RECEIVED";
    case TcpState::Established: return "ESTABLISHED";
    case TcpState::FinWait1: return "FIN-WAIT-1";
    case TcpState::FinWait2: return "FIN-WAIT-2";
    case TcpState::CloseWait: return "CLOSE-WAIT";
    case TcpState::Closing: return "CLOSING";
    case TcpState::LastAck: return "LAST-ACK";
    case TcpState::TimeWait: return "TIME-WAIT";
    }
    return "?";
}

TcpSocket::TcpSocket(Tcp& tcp) : Socket(SocketType::Tcp), m_tcp(tcp) {
    m_rtx_timer.callback = Tcp::on_rtx_timer;
    m_rtx_timer.owner = this;
    m_delack_timer.callback = Tcp::on_delack_timer;
    m_delack_timer.owner = this;
    m_keepalive_timer.callback = Tcp::on_keepalive_timer;
    m_keepalive_timer.owner = this;
}

TcpSocket::~TcpSocket() {
    TimerQueue& timers = m_tcp.stack().timers();
    timers.cancel(m_rtx_timer);
    timers.cancel(m_delack_timer);
    timers.cancel(m_keepalive_timer);
    while (m_ooo) {
        PacketBuffer* b = m_ooo;
        m_ooo = b->queue_next;
        b->queue_next = nullptr;
        Packet drop(b);
    }
}

size_t TcpSocket::unsent_bytes() const {
    Seq start = m_tcp.send_buffer_start(*this);
    Seq end = start + uint32_t(m_send.size());
    return m_snd_nxt < end ? seq_distance(m_snd_nxt, end) : 0;
}

Tcp::Tcp(Stack& stack, const TcpConfig& config) : m_stack(stack), m_config(config) {}

Tcp::~Tcp() {
    if (m_buckets) {
        m_stack.memory().release(m_buckets, m_bucket_count * sizeof(ConnectionTable::Bucket));
    }
}

bool Tcp::init(size_t hash_buckets) {
    if (hash_buckets == 0 || (hash_buckets & (hash_buckets - 1)) != 0) return false;
    void* memory =
        m_stack.memory().allocate(hash_buckets * sizeof(ConnectionTable::Bucket), 16);
    if (!memory) return false;
    m_buckets = static_cast<ConnectionTable::Bucket*>(memory);
    m_bucket_count = hash_buckets;
    for (size_t i = 0; i < hash_buckets; i++) new (&m_buckets[i]) ConnectionTable::Bucket();
    m_connections.init(m_buckets, hash_buckets);
    uint64_t keys[6];
    m_stack.random().fill(keys, sizeof(keys));
    m_isn_key = SipKey{keys[0], keys[1]};
    m_port_key = SipKey{keys[2], keys[3]};
    m_hash_key0 = keys[4];
    m_hash_key1 = keys[5] | 1;
    return true;
}

// --- tables ---

// Bucket choice: a keyed 64-bit mix of the 4-tuple (fmix64 from MurmurHash3 over a keyed
// input). Cheaper than SipHash on every segment; the random key keeps remote peers from
// choosing colliding tuples.
size_t Tcp::hash_tuple(Ipv4Address la, uint16_t lp, Ipv4Address ra, uint16_t rp) const {
    uint64_t h = (uint64_t(ra.value) << 32 | uint64_t(rp) << 16 | lp) ^ m_hash_key0;
    h = (h ^ (uint64_t(la.value) * m_hash_key1));
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return size_t(h);
}

TcpSocket* Tcp::find_connection(Endpoint local, Endpoint remote) {
    auto& bucket = m_connections.bucket(hash_tuple(local.address, local.port, remote.address,
                                                   remote.port));
    for (TcpSocket* s = bucket.front(); s; s = bucket.next(s)) {
        if (s->m_local == local && s->m_remote == remote) return s;
    }
    return nullptr;
}

void Tcp::insert_connection(TcpSocket& s) {
    VERIFY(!s.m_in_conn_table);
    m_connections
        .bucket(hash_tuple(s.m_local.address, s.m_local.port, s.m_remote.address,
                           s.m_remote.port))
        .push_back(&s);
    s.m_in_conn_table = true;
    m_connection_count++;
}

void Tcp::remove_connection(TcpSocket& s) {
    if (!s.m_in_conn_table) return;
    m_connections
        .bucket(hash_tuple(s.m_local.address, s.m_local.port, s.m_remote.address,
                           s.m_remote.port))
        .remove(&s);
    s.m_in_conn_table = false;
    m_connection_count--;
}

TcpSocket* Tcp::find_listener(Ipv4Address local, uint16_t port, Ipv4Address remote,
                              uint16_t rport) {
    auto& bucket = m_stack.ports(SocketType::Tcp).bucket(port);
    TcpSocket* best = nullptr;
    bool best_exact = false;
    uint32_t reuseport_count = 0;
    // SO_REUSEPORT group: pick one listener by a hash of the peer, so one client's
    // connections spread but each lands consistently.
    uint32_t pick = uint32_t(hash_tuple(local, port, remote, rport) >> 7);
    for (Socket* so = bucket.front(); so; so = bucket.next(so)) {
        auto* s = static_cast<TcpSocket*>(so);
        if (s->m_state != TcpState::Listen || s->m_local.port != port) continue;
        bool exact = !s->m_local.address.is_any();
        if (exact && s->m_local.address != local) continue;
        if (best && best_exact && !exact) continue;
        if (best && exact == best_exact && s->m_reuse_port && best->m_reuse_port) {
            reuseport_count++;
            if (pick % (reuseport_count + 1) == 0) best = s;
            continue;
        }
        best = s;
        best_exact = exact;
        reuseport_count = 0;
    }
    return best;
}

Seq Tcp::generate_isn(Ipv4Address local, uint16_t lport, Ipv4Address remote, uint16_t rport) {
    if (m_has_isn_override) {
        m_has_isn_override = false;
        return Seq(m_isn_override);
    }
    // RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a
    // 4-microsecond timer, F a keyed PRF.
    uint64_t f = SipHasher(m_isn_key)
                     .add_u32(local.value)
                     .add_u16(lport)
                     .add_u32(remote.value)
                     .add_u16(rport)
                     .finish();
    return Seq(uint32_t(m_stack.now_us() / 4) + uint32_t(f));
}

bool Tcp::choose_ephemeral_port(Ipv4Address local, Endpoint remote, uint16_t& port) {
    // RFC 6056 §3.3.3, algorithm 3: a per-destination offset from a keyed hash plus a global
    // counter, so ports are hard to guess yet successive connections to one peer do not
    // collide.
    uint32_t low = m_config.ephemeral_low;
    uint32_t count = uint32_t(m_config.ephemeral_high) - low + 1;
    uint32_t offset = uint32_t(SipHasher(m_port_key)
                                   .add_u32(local.value)
                                   .add_u32(remote.address.value)
                                   .add_u16(remote.port)
                                   .finish());
    auto& ports = m_stack.ports(SocketType::Tcp);
    for (uint32_t i = 0; i < count; i++) {
        uint16_t candidate = uint16_t(low + (offset + m_ephemeral_next++) % count);
        // Not held by an explicit bind() or a listener...
        bool taken = false;
        auto& bucket = ports.bucket(candidate);
        for (Socket* s = bucket.front(); s; s = bucket.next(s)) {
            if (s->m_local.port != candidate) continue;
            if (!s->m_ephemeral_bind) {
                taken = true;
                break;
            }
        }
        if (taken) continue;
        // ...and the 4-tuple is unique (RFC 6056 check_suitable_port).
        if (find_connection(Endpoint{local, candidate}, remote)) continue;
        port = candidate;
        return true;
    }
    return false;
}

// --- lifecycle ---

TcpSocket* Tcp::create_socket() {
    TcpSocket* s = m_stack.tcp_sockets().create(*this);
    if (!s) return nullptr;
    s->m_send_buffer = m_config.send_buffer;
    s->m_receive_buffer = m_config.receive_buffer;
    s->m_ttl = m_stack.config().default_ttl;
    s->m_keepalive_idle_s = m_config.keepalive_idle_s;
    s->m_keepalive_interval_s = m_config.keepalive_interval_s;
    s->m_keepalive_count = m_config.keepalive_count;
    s->m_rto_us = m_config.rto_initial_us;
    m_stack.register_socket(s);
    return s;
}

void Tcp::notify(Socket& s) {
    if (s.m_callback) s.m_callback(s.m_callback_context, s, m_stack.poll_events(&s));
}

void Tcp::enter_state(TcpSocket& s, TcpState state) {
    TcpState old = s.m_state;
    s.m_state = state;
    if (state == TcpState::Established) s.m_was_connected = true;
    if (state != TcpState::Closed) return;
    TimerQueue& timers = m_stack.timers();
    timers.cancel(s.m_rtx_timer);
    timers.cancel(s.m_delack_timer);
    timers.cancel(s.m_keepalive_timer);
    s.m_rtx_mode = TcpTimerMode::None;
    remove_connection(s);
    s.m_send.clear();
    while (s.m_ooo) {
        PacketBuffer* b = s.m_ooo;
        s.m_ooo = b->queue_next;
        b->queue_next = nullptr;
        Packet drop(b);
    }
    s.m_ooo_bytes = 0;
    if (old == TcpState::Listen) abort_children(s);
    if (s.m_listener) {
        TcpSocket* l = s.m_listener;
        if (s.m_accept_ready)
            l->m_accept_queue.remove(&s);
        else
            l->m_syn_queue.remove(&s);
        s.m_listener = nullptr;
        s.m_accept_ready = false;
    }
    // A port chosen by connect() is released with the connection.
    if (s.m_ephemeral_bind) {
        m_stack.unbind(&s);
        s.m_ephemeral_bind = false;
    }
    destroy_if_done(s);
}

void Tcp::destroy_if_done(TcpSocket& s) {
    if (!s.m_user_closed || s.m_state != TcpState::Closed || s.m_listener) return;
    if (!IntrusiveList<TcpSocket, &TcpSocket::m_doomed_link>::is_linked(&s))
        m_doomed.push_back(&s);
}

void Tcp::reap() {
    while (TcpSocket* s = m_doomed.pop_front()) {
        m_stack.unbind(s);
        m_stack.unregister_socket(s);
        m_stack.tcp_sockets().destroy(s);
    }
}

void Tcp::reset_connection(TcpSocket& s, Errno error) {
    if (error != Errno{}) s.set_error(error);
    s.m_shutdown = kReceiveShutdown | kSendShutdown;
    enter_state(s, TcpState::Closed);
    notify(s);
}

void Tcp::abort_children(TcpSocket& listener) {
    // Linux inet_csk_listen_stop: embryonic children are dropped, accepted-but-not-yet-
    // accept()ed ones are reset.
    while (TcpSocket* c = listener.m_syn_queue.pop_front()) {
        c->m_listener = nullptr;
        enter_state(*c, TcpState::Closed);
    }
    while (TcpSocket* c = listener.m_accept_queue.pop_front()) {
        c->m_listener = nullptr;
        c->m_accept_ready = false;
        send_control(*c, c->m_snd_nxt, kTcpRst | kTcpAck);
        enter_state(*c, TcpState::Closed);
    }
}

uint16_t Tcp::local_mss() const { return uint16_t(m_stack.mtu() - 40); }

// --- user calls ---

Result<void> Tcp::connect(TcpSocket& s, Endpoint remote) {
    switch (s.m_state) {
    case TcpState::Listen:
        return Errno::ISCONN;
    case TcpState::SynSent:
    case TcpState::SynReceived:
        return Errno::ALREADY;
    case TcpState::Closed:
        if (s.m_connect_called) {
            // A previous non-blocking connect failed: report it once (Linux sock_error).
            s.m_connect_called = false;
            Errno e;
            if (s.take_error(e)) return e;
            if (s.m_was_connected) return Errno::ISCONN;
        } else if (s.m_was_connected) {
            return Errno::ISCONN;
        }
        break;
    default:
        if (!s.m_connect_reported) {
            // The first connect() after a non-blocking connect completed reports success.
            s.m_connect_reported = true;
            return {};
        }
        return Errno::ISCONN;
    }
    if (s.m_was_connected) return Errno::ISCONN;
    if (remote.address.is_any()) remote.address = Ipv4Address::from_octets(127, 0, 0, 1);
    if (remote.port == 0) return Errno::CONNREFUSED;
    if (m_stack.is_broadcast_address(remote.address) || remote.address.is_multicast())
        return Errno::NETUNREACH;
    Ipv4Address local_address = s.m_local.address;
    if (local_address.is_any()) local_address = m_stack.source_address_for(remote.address);
    if (local_address.is_any()) return Errno::NETUNREACH;

    if (!s.m_bound) {
        uint16_t port;
        if (!choose_ephemeral_port(local_address, remote, port)) return Errno::ADDRNOTAVAIL;
        s.m_local = Endpoint{local_address, port};
        s.m_bound = true;
        s.m_ephemeral_bind = true;
        m_stack.ports(SocketType::Tcp).bucket(port).push_back(&s);
    } else {
        s.m_local.address = local_address;
        if (find_connection(s.m_local, remote)) return Errno::ADDRNOTAVAIL;
    }
    s.m_remote = remote;
    s.m_iss = generate_isn(s.m_local.address, s.m_local.port, remote.address, remote.port);
    s.m_snd_una = s.m_snd_nxt = s.m_snd_max = s.m_iss;
    s.m_recover = s.m_iss;
    s.m_high_rxt = s.m_iss;
    s.m_rto_us = m_config.rto_initial_us;
    s.m_retries = 0;
    s.m_shutdown = 0;
    s.m_has_error = false;
    s.m_connect_called = true;
    s.m_connect_reported = false;
    s.m_ts_offset = uint32_t(SipHasher(m_isn_key).add_u32(remote.address.value).add_u16(s.m_local.port).finish() >> 32);
    // Our receive window scale, chosen so the largest buffer fits (RFC 7323 §2.3).
    s.m_rcv_wscale = 0;
    if (m_config.window_scaling)
        while (s.m_rcv_wscale < kTcpMaxWindowScale &&
               (m_config.max_buffer >> s.m_rcv_wscale) > 65535)
            s.m_rcv_wscale++;
    enter_state(s, TcpState::SynSent);
    insert_connection(s);
    m_stats.active_opens++;
    send_syn(s);
    return Errno::INPROGRESS;
}

Result<void> Tcp::listen(TcpSocket& s, int backlog) {
    if (s.m_state != TcpState::Closed && s.m_state != TcpState::Listen) return Errno::INVAL;
    if (s.m_state == TcpState::Closed && s.m_was_connected) return Errno::INVAL;
    if (!s.m_bound) TRY(m_stack.bind_locked(&s, Endpoint{}));
    if (s.m_state == TcpState::Closed) {
        // Another listener on the same port is a conflict unless both use SO_REUSEPORT.
        auto& bucket = m_stack.ports(SocketType::Tcp).bucket(s.m_local.port);
        for (Socket* o = bucket.front(); o; o = bucket.next(o)) {
            auto* t = static_cast<TcpSocket*>(o);
            if (t == &s || t->m_local.port != s.m_local.port || t->m_state != TcpState::Listen)
                continue;
            if (!t->m_local.address.is_any() && !s.m_local.address.is_any() &&
                t->m_local.address != s.m_local.address)
                continue;
            if (t->m_reuse_port && s.m_reuse_port) continue;
            return Errno::ADDRINUSE;
        }
    }
    if (backlog < 0) backlog = 0;
    if (backlog > 65535) backlog = 65535;
    s.m_backlog = uint32_t(backlog);
    enter_state(s, TcpState::Listen);
    return {};
}

Result<TcpSocket*> Tcp::accept(TcpSocket& listener) {
    if (listener.m_state != TcpState::Listen) return Errno::INVAL;
    TcpSocket* child = listener.m_accept_queue.pop_front();
    if (!child) return Errno::AGAIN;
    child->m_listener = nullptr;
    child->m_accept_ready = false;
    child->m_user_closed = false;
    child->m_connect_reported = true;
    return child;
}

Result<size_t> Tcp::send(TcpSocket& s, std::span<const uint8_t> data, int flags) {
    (void)flags;
    Errno e;
    if (s.m_state != TcpState::Established && s.m_state != TcpState::CloseWait) {
        // Linux sk_stream_wait_connect: errors first, then EPIPE unless still connecting.
        if (s.take_error(e)) return e;
        if (s.m_state == TcpState::SynSent || s.m_state == TcpState::SynReceived)
            return Errno::AGAIN;
        return Errno::PIPE;
    }
    if (s.m_has_error || (s.m_shutdown & kSendShutdown) || s.m_fin_queued) {
        if (s.take_error(e)) return e;
        return Errno::PIPE;
    }
    if (data.empty()) return size_t(0);
    size_t queued = s.m_send.size();
    if (queued >= s.m_send_buffer) return Errno::AGAIN;
    size_t room = s.m_send_buffer - queued;
    size_t n = data.size() < room ? data.size() : room;
    size_t taken = s.m_send.append(m_stack.pool(), data.data(), n);
    if (taken == 0) {
        m_stats.no_buffer_drops++;
        return Errno::AGAIN; // FIXME: wake writers when pool buffers are freed
    }
    output(s);
    return taken;
}

Result<size_t> Tcp::receive(TcpSocket& s, std::span<uint8_t> buffer, int flags) {
    if (s.m_state == TcpState::Listen) return Errno::NOTCONN;
    bool peek = (flags & kMsgPeek) != 0;
    size_t copied = 0;
    PacketBuffer* b = s.m_receive_queue.front();
    while (copied < buffer.size() && b) {
        Packet view(b); // borrowed for the copy; released below without freeing
        size_t length = view.total_length();
        size_t n = length < buffer.size() - copied ? length : buffer.size() - copied;
        view.copy_out(0, buffer.data() + copied, n);
        view.release();
        copied += n;
        if (peek) {
            b = b->queue_next;
            continue;
        }
        if (n == length)
            s.m_receive_queue.pop_front(); // freed
        else
            s.m_receive_queue.trim_front_packet(n);
        s.m_rcv_queued -= n;
        b = s.m_receive_queue.front();
    }
    if (copied > 0 || buffer.empty()) {
        if (!peek && copied > 0) cleanup_receive_window(s);
        return copied;
    }
    Errno e;
    if (s.take_error(e)) return e;
    if (s.m_shutdown & kReceiveShutdown) return size_t(0);
    if (s.m_state == TcpState::Closed) {
        if (s.m_was_connected) return size_t(0);
        return Errno::NOTCONN;
    }
    return Errno::AGAIN;
}

Result<void> Tcp::shutdown(TcpSocket& s, ShutdownHow how) {
    uint8_t bits = how == ShutdownHow::Read    ? kReceiveShutdown
                   : how == ShutdownHow::Write ? kSendShutdown
                                               : uint8_t(kReceiveShutdown | kSendShutdown);
    switch (s.m_state) {
    case TcpState::Closed:
        s.m_shutdown |= bits;
        notify(s);
        return Errno::NOTCONN;
    case TcpState::Listen:
        if (bits & kReceiveShutdown) {
            enter_state(s, TcpState::Closed);
            notify(s);
        }
        return {};
    case TcpState::SynSent:
        enter_state(s, TcpState::Closed);
        notify(s);
        return {};
    default:
        break;
    }
    s.m_shutdown |= bits;
    if ((bits & kSendShutdown) && !s.m_fin_queued) {
        s.m_fin_queued = true;
        if (s.m_state == TcpState::Established || s.m_state == TcpState::SynReceived)
            enter_state(s, TcpState::FinWait1);
        else if (s.m_state == TcpState::CloseWait)
            enter_state(s, TcpState::LastAck);
        output(s);
    }
    notify(s);
    return {};
}

void Tcp::close(TcpSocket& s) {
    s.m_user_closed = true;
    s.m_callback = nullptr;
    switch (s.m_state) {
    case TcpState::Closed:
        m_stack.unbind(&s);
        destroy_if_done(s);
        return;
    case TcpState::Listen:
    case TcpState::SynSent:
        enter_state(s, TcpState::Closed);
        return;
    default:
        break;
    }
    // RFC 2525 §2.17 (and Linux): closing with unread data, or SO_LINGER with a zero
    // timeout, aborts the connection with a RST instead of the orderly FIN exchange.
    if (s.m_rcv_queued > 0 || s.m_linger == 0) {
        if (s.m_state != TcpState::TimeWait) {
            send_control(s, s.m_snd_max, kTcpRst | kTcpAck);
        }
        enter_state(s, TcpState::Closed);
        return;
    }
    s.m_shutdown = kReceiveShutdown | kSendShutdown;
    if (!s.m_fin_queued) {
        s.m_fin_queued = true;
        if (s.m_state == TcpState::Established || s.m_state == TcpState::SynReceived)
            enter_state(s, TcpState::FinWait1);
        else if (s.m_state == TcpState::CloseWait)
            enter_state(s, TcpState::LastAck);
        output(s);
    }
    if (s.m_state == TcpState::FinWait2)
        m_stack.timers().arm(s.m_keepalive_timer,
                             m_stack.now_us() + m_config.fin_wait2_timeout_us);
}

uint32_t Tcp::poll(const TcpSocket& s) const {
    // Mirrors Linux tcp_poll().
    if (s.m_state == TcpState::Listen)
        return s.m_accept_queue.empty() ? 0 : uint32_t(kPollIn | kPollRdNorm);
    uint32_t mask = 0;
    if (s.m_shutdown == (kReceiveShutdown | kSendShutdown) || s.m_state == TcpState::Closed)
        mask |= kPollHup;
    if (s.m_shutdown & kReceiveShutdown) mask |= kPollIn | kPollRdNorm | kPollRdHup;
    if (s.m_state != TcpState::SynSent && s.m_state != TcpState::SynReceived) {
        if (s.m_rcv_queued > 0) mask |= kPollIn | kPollRdNorm;
        if (!(s.m_shutdown & kSendShutdown)) {
            // sk_stream_is_writeable: free space at least half of what is queued.
            size_t queued = s.m_send.size();
            size_t free = queued < s.m_send_buffer ? s.m_send_buffer - queued : 0;
            if (free > 0 && free >= queued / 2) mask |= kPollOut | kPollWrNorm;
        } else {
            mask |= kPollOut | kPollWrNorm;
        }
    }
    if (s.m_has_error) mask |= kPollErr;
    return mask;
}

Result<void> Tcp::set_option(TcpSocket& s, SocketOption option, int value) {
    switch (option) {
    case SocketOption::NoDelay:
        s.m_nodelay = value != 0;
        if (s.m_nodelay) output(s); // Linux pushes pending data when Nagle is turned off
        return {};
    case SocketOption::KeepAlive:
        s.m_keepalive = value != 0;
        if (s.m_keepalive && (s.m_state == TcpState::Established ||
                              s.m_state == TcpState::CloseWait))
            arm_keepalive(s, m_stack.now_us());
        else if (!s.m_keepalive && s.m_state != TcpState::TimeWait &&
                 s.m_state != TcpState::FinWait2)
            m_stack.timers().cancel(s.m_keepalive_timer);
        return {};
    case SocketOption::KeepIdle:
        if (value < 1 || value > 32767) return Errno::INVAL;
        s.m_keepalive_idle_s = uint32_t(value);
        if (s.m_keepalive && s.m_keepalive_timer.armed()) arm_keepalive(s, m_stack.now_us());
        return {};
    case SocketOption::KeepInterval:
        if (value < 1 || value > 32767) return Errno::INVAL;
        s.m_keepalive_interval_s = uint32_t(value);
        return {};
    case SocketOption::KeepCount:
        if (value < 1 || value > 127) return Errno::INVAL;
        s.m_keepalive_count = uint32_t(value);
        return {};
    case SocketOption::MaxSegment:
        // Linux: 0 means "default"; otherwise TCP_MIN_MSS (88) .. MAX_TCP_WINDOW.
        if (value != 0 && (value < 88 || value > 32767)) return Errno::INVAL;
        s.m_user_mss = uint16_t(value);
        return {};
    default:
        return Errno::NOPROTOOPT;
    }
}

Result<int> Tcp::get_option(TcpSocket& s, SocketOption option) {
    switch (option) {
    case SocketOption::NoDelay:
        return int(s.m_nodelay);
    case SocketOption::KeepIdle:
        return int(s.m_keepalive_idle_s);
    case SocketOption::KeepInterval:
        return int(s.m_keepalive_interval_s);
    case SocketOption::KeepCount:
        return int(s.m_keepalive_count);
    case SocketOption::MaxSegment:
        if (s.m_state == TcpState::Closed || s.m_state == TcpState::Listen)
            return int(s.m_user_mss ? s.m_user_mss : m_config.default_mss);
        return int(s.m_mss);
    default:
        return Errno::NOPROTOOPT;
    }
}

} // namespace wisp::net
