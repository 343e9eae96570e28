// SPDX-License-Identifier: MIT
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "lib/result.h"
#include "net/ipv4.h"
#include "net/list.h"
#include "net/packet.h"
#include "net/seq.h"
#include "net/siphash.h"
#include "net/socket.h"
#include "net/tcp_congestion.h"
#include "net/tcp_wire.h"
#include "net/timer.h"

// TCP (RFC 9293) with window scaling and timestamps (RFC 7323), RTO computation (RFC 6298),
// SACK (RFC 2018) with SACK-based loss recovery (RFC 6675), NewReno (RFC 6582) when the peer
// has no SACK, CUBIC (RFC 9438) or NewReno window growth, delayed ACKs and Nagle (RFC 1122
// §4.2.3), keepalive (§4.2.3.6), zero-window probing (RFC 9293 §3.8.6.1), the RFC 5961
// defences against blind attacks, RFC 6528 initial sequence numbers and RFC 6056 ephemeral
// ports.
namespace wisp::net {

enum class TcpState : uint8_t {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
};
const char* tcp_state_name(TcpState state);

struct TcpConfig {
    uint32_t send_buffer = 128 * 1024;    // default SO_SNDBUF
    uint32_t receive_buffer = 128 * 1024; // default SO_RCVBUF
    uint32_t max_buffer = 4 * 1024 * 1024;
    uint16_t default_mss = 536;           // when the peer sends no MSS option (RFC 9293 §3.7.1)
    uint64_t rto_initial_us = 1'000'000;  // RFC 6298 §2.1
    uint64_t rto_min_us = 200'000;        // Linux's minimum (RFC 6298 allows less than 1 s)
    uint64_t rto_max_us = 120'000'000;
    uint64_t delayed_ack_us = 40'000;
    uint64_t time_wait_us = 60'000'000;   // 2*MSL, as Linux
    uint64_t fin_wait2_timeout_us = 60'000'000; // orphaned FIN-WAIT-2 (Linux tcp_fin_timeout)
    uint64_t persist_max_us = 60'000'000;
    uint32_t syn_retries = 6;
    uint32_t synack_retries = 5;
    uint32_t retries = 15;                // data retransmissions before giving up
    uint32_t keepalive_idle_s = 7200;     // RFC 1122 §4.2.3.6: at least two hours
    uint32_t keepalive_interval_s = 75;
    uint32_t keepalive_count = 9;
    bool timestamps = true;
    bool window_scaling = true;
    bool sack = true;
    CongestionAlgorithm congestion = CongestionAlgorithm::Cubic;
    uint32_t challenge_ack_per_second = 1000; // RFC 5961 §7
    uint16_t ephemeral_low = 32768;       // Linux's ip_local_port_range
    uint16_t ephemeral_high = 60999;
};

struct TcpStats {
    uint64_t segments_received = 0;
    uint64_t segments_sent = 0;
    uint64_t retransmitted_segments = 0;
    uint64_t fast_retransmits = 0;
    uint64_t timeouts = 0;
    uint64_t tail_loss_probes = 0;
    uint64_t bad_checksum = 0;
    uint64_t bad_segment = 0;
    uint64_t resets_sent = 0;
    uint64_t resets_received = 0;
    uint64_t challenge_acks = 0;
    uint64_t challenge_acks_suppressed = 0;
    uint64_t paws_rejected = 0;
    uint64_t out_of_window = 0;
    uint64_t syn_queue_overflow = 0;
    uint64_t accept_queue_overflow = 0;
    uint64_t out_of_order = 0;
    uint64_t no_buffer_drops = 0;
    uint64_t active_opens = 0;
    uint64_t passive_opens = 0;
};

// The bytes the application has written and the peer has not yet acknowledged, as a queue
// of pool blocks. Offset 0 is the first unacknowledged data byte.
class SendBuffer {
public:
    size_t size() const { return m_size; }
    // Appends up to `length` bytes, allocating blocks from the pool; returns bytes taken.
    size_t append(PacketPool& pool, const uint8_t* data, size_t length);
    void consume(size_t length);
    // Copies [offset, offset + length) to dst (the caller keeps it within size()).
    void copy_out(size_t offset, uint8_t* dst, size_t length);
    void clear();

private:
    PacketQueue m_blocks;
    size_t m_size = 0;
    // Where the last copy_out ended, so sending a window does not rescan from the front.
    PacketBuffer* m_cursor = nullptr;
    size_t m_cursor_offset = 0; // buffer offset of m_cursor's first byte
};

// Sender-side SACK scoreboard (RFC 6675 §3): disjoint SACKed ranges above SND.UNA, sorted.
class SackScoreboard {
public:
    static constexpr size_t kMaxRanges = 16;
    void clear() {
        m_count = 0;
        m_sacked_bytes = 0;
    }
    void add(Seq start, Seq end, Seq snd_una, Seq snd_max);
    void advance(Seq snd_una);
    bool empty() const { return m_count == 0; }
    size_t count() const { return m_count; }
    uint32_t sacked_bytes() const { return m_sacked_bytes; }
    Seq highest() const { return m_ranges[m_count - 1].end; }
    const SackBlock& range(size_t i) const { return m_ranges[i]; }
    // If `seq` is SACKed, the end of its range.
    bool sacked(Seq seq, Seq& range_end) const;
    // SACKed bytes at or above `seq`.
    uint32_t sacked_above(Seq seq) const;
    // Unsacked bytes in [from, to).
    uint32_t holes_between(Seq from, Seq to) const;

private:
    SackBlock m_ranges[kMaxRanges];
    size_t m_count = 0;
    uint32_t m_sacked_bytes = 0;
};

class Stack;
class Tcp;

enum class TcpTimerMode : uint8_t { None, Retransmit, Persist, Probe };

// A TCP socket and its connection's control block (RFC 9293 §3.3.1 names). Listening
// sockets use the same type; their children wait in the SYN queue (SYN-RECEIVED) and then
// the accept queue (ESTABLISHED, not yet accepted).
class TcpSocket : public Socket {
public:
    explicit TcpSocket(Tcp& tcp);
    ~TcpSocket();

    TcpState state() const { return m_state; }
    size_t readable_bytes() const { return m_rcv_queued; }
    size_t unsent_bytes() const;
    size_t send_queue_bytes() const { return m_send.size(); }
    uint32_t cwnd() const { return m_cc.cwnd(); }
    uint16_t mss() const { return m_mss; }

    Tcp& m_tcp;
    TcpState m_state = TcpState::Closed;

    // Connection table (4-tuple) and listener queues.
    ListLink<TcpSocket> m_conn_link;
    bool m_in_conn_table = false;
    ListLink<TcpSocket> m_queue_link;
    TcpSocket* m_listener = nullptr;
    bool m_accept_ready = false; // in the listener's accept queue (else its SYN queue)
    IntrusiveList<TcpSocket, &TcpSocket::m_queue_link> m_syn_queue;
    IntrusiveList<TcpSocket, &TcpSocket::m_queue_link> m_accept_queue;
    uint32_t m_backlog = 0;
    bool m_connect_called = false; // a connect() is in progress or done (for EALREADY/EISCONN)
    bool m_was_connected = false;  // reached ESTABLISHED at least once
    bool m_connect_reported = false;

    // Send sequence space.
    Seq m_iss, m_snd_una, m_snd_nxt, m_snd_max, m_snd_wl1, m_snd_wl2, m_recover, m_high_rxt;
    uint32_t m_snd_wnd = 0;
    uint32_t m_max_snd_wnd = 0;
    // Receive sequence space. m_rcv_adv is the right edge we last advertised.
    Seq m_irs, m_rcv_nxt, m_rcv_adv;
    uint8_t m_snd_wscale = 0; // applied to windows the peer sends
    uint8_t m_rcv_wscale = 0; // applied to windows we send
    bool m_ws_enabled = false;
    bool m_ts_enabled = false;
    bool m_sack_enabled = false;
    uint32_t m_ts_recent = 0;
    uint64_t m_ts_recent_time_us = 0;
    Seq m_last_ack_sent;
    uint32_t m_ts_offset = 0;
    uint16_t m_mss = 536;        // payload bytes per full segment we send (options excluded)
    uint16_t m_peer_mss = 536;   // the peer's MSS option
    uint16_t m_rcv_mss = 536;    // estimate of the peer's segment size (delayed ACK)

    // RTT estimation (RFC 6298).
    uint64_t m_srtt_us = 0;
    uint64_t m_rttvar_us = 0;
    uint64_t m_rto_us = 0;
    bool m_rtt_valid = false;
    bool m_rtt_timing = false;   // timing one segment (no timestamps)
    Seq m_rtt_seq;
    uint32_t m_rto_ts_floor = 0;   // TSval of the first retransmission after a timeout
    bool m_rto_ts_floor_valid = false;
    uint64_t m_rtt_start_us = 0;

    // Congestion control and loss recovery.
    CongestionControl m_cc;
    SackScoreboard m_scoreboard;
    uint32_t m_dupacks = 0;
    bool m_in_recovery = false;
    bool m_tlp_sent = false;       // a tail loss probe is out (RFC 8985 §7)
    bool m_tlp_probe = false;      // output(): the probe may exceed cwnd by one segment
    bool m_fin_queued = false;     // user asked to close the send side: FIN after the data
    bool m_fin_sent = false;
    Seq m_fin_seq;                 // sequence number of our FIN, once sent
    bool m_fin_received = false;
    bool m_passive = false;        // created by a listener for an incoming SYN
    uint8_t m_quickack = 0;        // segments still to ACK immediately (connection start)
    bool m_has_soft_error = false; // an ICMP error seen while connected (RFC 1122 §4.2.3.9)
    Errno m_soft_error{};
    ListLink<TcpSocket> m_doomed_link; // closed and released: freed when the stack call ends
    uint64_t m_last_send_us = 0;

    // Data.
    SendBuffer m_send;
    PacketQueue m_receive_queue;  // in-order data (zero copy: received buffers)
    size_t m_rcv_queued = 0;
    PacketBuffer* m_ooo = nullptr; // out-of-order segments sorted by meta.seq
    size_t m_ooo_bytes = 0;
    Seq m_ooo_last_start;          // most recently received out-of-order segment (SACK)

    // Delayed ACK.
    bool m_ack_now = false;
    uint32_t m_unacked_bytes = 0;

    // Timers: retransmission / persist, delayed ACK, and keepalive / TIME-WAIT / FIN-WAIT-2.
    Timer m_rtx_timer;
    TcpTimerMode m_rtx_mode = TcpTimerMode::None;
    uint32_t m_retries = 0;
    uint32_t m_persist_backoff = 0;
    Timer m_delack_timer;
    Timer m_keepalive_timer;
    uint32_t m_keepalive_probes = 0;
    uint64_t m_last_receive_us = 0;

    // Options.
    bool m_nodelay = false;
    bool m_force_send = false;     // persist override: ignore sender SWS avoidance once
    uint32_t m_keepalive_idle_s = 0;
    uint32_t m_keepalive_interval_s = 0;
    uint32_t m_keepalive_count = 0;
    uint16_t m_user_mss = 0;       // TCP_MAXSEG
};

class Tcp {
public:
    Tcp(Stack& stack, const TcpConfig& config);
    ~Tcp();
    // Allocates the connection hash table. False if memory is short.
    bool init(size_t hash_buckets);

    // Socket API (called through Stack).
    Result<void> connect(TcpSocket& s, Endpoint remote);
    Result<void> listen(TcpSocket& s, int backlog);
    Result<TcpSocket*> accept(TcpSocket& listener);
    Result<size_t> send(TcpSocket& s, std::span<const uint8_t> data, int flags);
    Result<size_t> receive(TcpSocket& s, std::span<uint8_t> buffer, int flags);
    Result<void> shutdown(TcpSocket& s, ShutdownHow how);
    void close(TcpSocket& s);
    uint32_t poll(const TcpSocket& s) const;
    Result<void> set_option(TcpSocket& s, SocketOption option, int value);
    Result<int> get_option(TcpSocket& s, SocketOption option);

    void input(const Ipv4Info& ip, Packet&& segment);
    void icmp_error(const Ipv4Info& quoted_ip, ByteView quoted_tcp, Errno error,
                    uint16_t next_hop_mtu);

    TcpSocket* create_socket();
    const TcpConfig& config() const { return m_config; }
    const TcpStats& stats() const { return m_stats; }
    size_t connection_count() const { return m_connection_count; }
    Stack& stack() { return m_stack; }
    // Looks up a connection by its 4-tuple (tests and diagnostics).
    TcpSocket* find_connection(Endpoint local, Endpoint remote);
    // Tests only: the next initial sequence number generated (to exercise wraparound).
    void set_next_isn_for_testing(uint32_t isn) {
        m_isn_override = isn;
        m_has_isn_override = true;
    }
    // Chooses an ephemeral port for a connection to `remote` (RFC 6056 algorithm 3).
    bool choose_ephemeral_port(Ipv4Address local, Endpoint remote, uint16_t& port);

    // Internals shared by the tcp_*.cpp files.
    struct Segment;
    void output(TcpSocket& s);
    void send_ack(TcpSocket& s);
    void send_control(TcpSocket& s, Seq seq, uint8_t flags);
    void send_reset_for(const Ipv4Info& ip, const TcpHeader& h, uint32_t seg_len);
    void send_challenge_ack(TcpSocket& s);
    void send_syn(TcpSocket& s);
    bool transmit_segment(TcpSocket& s, Seq seq, uint32_t length, uint8_t flags,
                          bool retransmission);
    void arm_retransmit(TcpSocket& s, uint64_t now);
    bool probe_timeout(const TcpSocket& s, uint64_t& pto) const;
    void arm_persist(TcpSocket& s, uint64_t now);
    void arm_keepalive(TcpSocket& s, uint64_t now);
    void schedule_ack(TcpSocket& s);
    void enter_state(TcpSocket& s, TcpState state);
    void connection_established(TcpSocket& s);
    void reset_connection(TcpSocket& s, Errno error);
    void destroy_if_done(TcpSocket& s);
    void notify(Socket& s);
    void update_rtt(TcpSocket& s, uint64_t sample_us);
    uint32_t receive_window(TcpSocket& s);
    uint32_t flight_size(const TcpSocket& s) const;
    uint32_t pipe(const TcpSocket& s) const;
    uint32_t ts_now() const;
    Seq generate_isn(Ipv4Address local, uint16_t lport, Ipv4Address remote, uint16_t rport);
    void insert_connection(TcpSocket& s);
    void remove_connection(TcpSocket& s);
    void apply_syn_options(TcpSocket& s, const TcpOptions& options, bool syn_ack);
    uint16_t local_mss() const;
    void cleanup_receive_window(TcpSocket& s);
    void abort_children(TcpSocket& listener);
    bool challenge_ack_allowed();
    // Frees sockets that are closed and released by the user (at the end of a stack call,
    // so no protocol code still holds a pointer to them).
    void reap();
    Seq send_buffer_start(const TcpSocket& s) const {
        return s.m_snd_una == s.m_iss ? s.m_iss + 1 : s.m_snd_una;
    }
    uint64_t current_rto(const TcpSocket& s) const;
    Seq lost_boundary(const TcpSocket& s) const;
    bool next_hole(const TcpSocket& s, Seq& start, uint32_t& length) const;
    // Resends [start, start + max_length) clipped to the data, plus the FIN if it follows.
    bool retransmit_range(TcpSocket& s, Seq start, uint32_t max_length);
    uint32_t effective_mss(const TcpSocket& s) const;
    bool new_data_only(const TcpSocket& s) const;

    static void on_rtx_timer(void* owner, uint64_t now);
    static void on_delack_timer(void* owner, uint64_t now);
    static void on_keepalive_timer(void* owner, uint64_t now);

private:
    void input_listen(TcpSocket& listener, const Ipv4Info& ip, const TcpHeader& h,
                      const TcpOptions& options);
    void input_syn_sent(TcpSocket& s, const Ipv4Info& ip, const TcpHeader& h,
                        const TcpOptions& options, Packet&& payload);
    void input_synchronized(TcpSocket& s, const Ipv4Info& ip, const TcpHeader& h,
                            const TcpOptions& options, Packet&& payload);
    bool process_ack(TcpSocket& s, const TcpHeader& h, const TcpOptions& options,
                     uint32_t payload_length);
    void process_data(TcpSocket& s, Seq seq, Packet&& payload, bool fin);
    void queue_in_order(TcpSocket& s, Packet&& payload);
    void insert_out_of_order(TcpSocket& s, Seq seq, Packet&& payload, bool fin);
    void drain_out_of_order(TcpSocket& s);
    void process_fin(TcpSocket& s);
    void on_new_ack(TcpSocket& s, Seq ack, const TcpOptions& options, uint64_t now);
    void on_duplicate_ack(TcpSocket& s, uint64_t now);
    void enter_recovery(TcpSocket& s, uint64_t now);
    bool send_recovery_retransmission(TcpSocket& s);
    void retransmit_timeout(TcpSocket& s, uint64_t now);
    void persist_timeout(TcpSocket& s, uint64_t now);
    void tail_loss_probe(TcpSocket& s, uint64_t now);
    void time_wait_done(TcpSocket& s);
    size_t hash_tuple(Ipv4Address la, uint16_t lp, Ipv4Address ra, uint16_t rp) const;
    TcpSocket* find_listener(Ipv4Address local, uint16_t port, Ipv4Address remote,
                             uint16_t rport);
    void build_sack_blocks(TcpSocket& s, TcpOptionsOut& out, size_t max_blocks);

    Stack& m_stack;
    TcpConfig m_config;
    TcpStats m_stats;
    using ConnectionTable = HashBuckets<TcpSocket, &TcpSocket::m_conn_link>;
    ConnectionTable m_connections;
    ConnectionTable::Bucket* m_buckets = nullptr;
    size_t m_bucket_count = 0;
    size_t m_connection_count = 0;
    SipKey m_isn_key;
    SipKey m_port_key;
    uint64_t m_hash_key0 = 0;
    uint64_t m_hash_key1 = 0;
    uint32_t m_ephemeral_next = 0;
    uint64_t m_challenge_window_start_us = 0;
    uint32_t m_challenge_count = 0;
    IntrusiveList<TcpSocket, &TcpSocket::m_doomed_link> m_doomed;
    uint32_t m_isn_override = 0;
    bool m_has_isn_override = false;

    friend class Stack;
    friend class TcpSocket;
};

} // namespace wisp::net
