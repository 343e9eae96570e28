// SPDX-License-Identifier: MIT
// TCP segment arrival, following RFC 9293 §3.10.7 step by step, with the RFC 5961 checks
// for RST, SYN and ACK, PAWS (RFC 7323 §5) and SACK scoreboard updates (RFC 2018, 6675).
#include <string.h>

#include "net/checksum.h"
#include "net/stack.h"
#include "net/tcp.h"

namespace wisp::net {

static bool verify_checksum(const Ipv4Info& ip, const Packet& p, size_t length) {
    Checksum sum;
    sum.add_pseudo_header(ip.source, ip.destination, kIpProtoTcp, uint16_t(length));
    for (PacketBuffer* b = p.buffer(); b; b = b->chain_next)
        sum.add(b->storage() + b->head, size_t(b->tail - b->head));
    return sum.verifies();
}

void Tcp::input(const Ipv4Info& ip, Packet&& segment) {
    m_stats.segments_received++;
    size_t total = segment.total_length();
    const auto* h = segment.view().header_at<TcpHeader>();
    if (!h) {
        m_stats.bad_segment++;
        return;
    }
    size_t header_length = h->header_length();
    if (header_length < sizeof(TcpHeader) || header_length > segment.length() ||
        total > 65535) {
        m_stats.bad_segment++;
        return;
    }
    // TCP is unicast only (RFC 1122 §4.2.3.10).
    if (ip.link_broadcast || m_stack.is_broadcast_address(ip.destination) ||
        ip.destination.is_multicast()) {
        m_stats.bad_segment++;
        return;
    }
    if (!(segment.meta().flags & kPacketChecksumVerified) && !verify_checksum(ip, segment, total)) {
        m_stats.bad_checksum++;
        return;
    }
    TcpHeader header = *h; // copy: the payload handling below moves the buffer's head
    TcpOptions options;
    parse_tcp_options(ByteView(segment.data() + sizeof(TcpHeader),
                               header_length - sizeof(TcpHeader)),
                      options);
    segment.trim_front(header_length);
    uint32_t payload_length = uint32_t(total - header_length);

    Endpoint local{ip.destination, header.destination_port.value()};
    Endpoint remote{ip.source, header.source_port.value()};
    uint8_t flags = header.flags;
    TcpSocket* s = find_connection(local, remote);

    // RFC 9293 §3.6.1 (and RFC 6191 without its timestamp refinement): a new SYN for a
    // connection in TIME-WAIT with a higher sequence number may reopen it.
    if (s && s->m_state == TcpState::TimeWait && (flags & kTcpSyn) && !(flags & kTcpAck) &&
        !(flags & kTcpRst) && Seq(header.seq.value()) > s->m_rcv_nxt) {
        enter_state(*s, TcpState::Closed);
        s = nullptr;
    }
    if (s) {
        if (s->m_state == TcpState::SynSent)
            input_syn_sent(*s, ip, header, options, std::move(segment));
        else
            input_synchronized(*s, ip, header, options, std::move(segment));
        return;
    }
    TcpSocket* listener = find_listener(local.address, local.port, remote.address, remote.port);
    if (listener) {
        input_listen(*listener, ip, header, options);
        return;
    }
    // CLOSED (RFC 9293 §3.10.7.1): answer anything but a RST with a RST.
    if (!(flags & kTcpRst))
        send_reset_for(ip, header, payload_length + ((flags & kTcpSyn) ? 1 : 0) +
                                       ((flags & kTcpFin) ? 1 : 0));
}

void Tcp::apply_syn_options(TcpSocket& s, const TcpOptions& o, bool active) {
    s.m_peer_mss = o.has_mss && o.mss > 0 ? o.mss : m_config.default_mss;
    uint16_t mss = s.m_peer_mss < local_mss() ? s.m_peer_mss : local_mss();
    if (s.m_user_mss && s.m_user_mss < mss) mss = s.m_user_mss;
    // Window scaling only if both sides offered it (RFC 7323 §2.2).
    if (m_config.window_scaling && o.has_window_scale) {
        s.m_ws_enabled = true;
        s.m_snd_wscale = o.window_scale;
        if (!active) {
            s.m_rcv_wscale = 0;
            while (s.m_rcv_wscale < kTcpMaxWindowScale &&
                   (m_config.max_buffer >> s.m_rcv_wscale) > 65535)
                s.m_rcv_wscale++;
        }
    } else {
        s.m_ws_enabled = false;
        s.m_snd_wscale = 0;
        s.m_rcv_wscale = 0;
    }
    // Linux's TCP_MIN_MSS: a peer announcing a tiny MSS must not make us send a segment per
    // byte (or underflow the option allowance below).
    if (mss < 88) mss = 88;
    if (m_config.timestamps && o.has_timestamp) {
        s.m_ts_enabled = true;
        s.m_ts_recent = o.ts_value;
        s.m_ts_recent_time_us = m_stack.now_us();
        mss = uint16_t(mss - 12); // every segment carries the 12-byte timestamp option
    } else {
        s.m_ts_enabled = false;
    }
    s.m_sack_enabled = m_config.sack && o.sack_permitted;
    if (mss < 64) mss = 64;
    s.m_mss = mss;
    s.m_rcv_mss = mss;
}

void Tcp::input_listen(TcpSocket& listener, const Ipv4Info& ip, const TcpHeader& h,
                       const TcpOptions& options) {
    uint8_t flags = h.flags;
    if (flags & kTcpRst) return;
    if (flags & kTcpAck) {
        // No SYN cookies: an ACK here belongs to nothing (RFC 9293 §3.10.7.2).
        send_reset_for(ip, h, 0);
        return;
    }
    if (!(flags & kTcpSyn)) return;
    uint32_t limit = listener.m_backlog > 0 ? listener.m_backlog : 1;
    if (listener.m_syn_queue.size() >= limit) {
        m_stats.syn_queue_overflow++;
        return;
    }
    if (listener.m_accept_queue.size() > listener.m_backlog) {
        m_stats.accept_queue_overflow++;
        return;
    }
    TcpSocket* c = create_socket();
    if (!c) {
        m_stats.no_buffer_drops++;
        return;
    }
    c->m_user_closed = true; // nobody holds it until accept()
    c->m_passive = true;
    c->m_listener = &listener;
    listener.m_syn_queue.push_back(c);
    c->m_local = Endpoint{ip.destination, h.destination_port.value()};
    c->m_remote = Endpoint{ip.source, h.source_port.value()};
    c->m_send_buffer = listener.m_send_buffer;
    c->m_receive_buffer = listener.m_receive_buffer;
    c->m_ttl = listener.m_ttl;
    c->m_nodelay = listener.m_nodelay;
    c->m_keepalive = listener.m_keepalive;
    c->m_keepalive_idle_s = listener.m_keepalive_idle_s;
    c->m_keepalive_interval_s = listener.m_keepalive_interval_s;
    c->m_keepalive_count = listener.m_keepalive_count;
    c->m_linger = listener.m_linger;
    c->m_user_mss = listener.m_user_mss;
    c->m_irs = Seq(h.seq.value());
    c->m_rcv_nxt = c->m_irs + 1;
    c->m_rcv_adv = c->m_rcv_nxt;
    c->m_last_ack_sent = c->m_rcv_nxt;
    c->m_iss = generate_isn(c->m_local.address, c->m_local.port, c->m_remote.address,
                            c->m_remote.port);
    c->m_snd_una = c->m_snd_nxt = c->m_snd_max = c->m_iss;
    c->m_recover = c->m_high_rxt = c->m_iss;
    c->m_ts_offset = uint32_t(SipHasher(m_isn_key).add_u32(c->m_remote.address.value).add_u16(c->m_remote.port).finish() >> 32);
    apply_syn_options(*c, options, false);
    c->m_snd_wnd = h.window.value(); // never scaled in a SYN (RFC 7323 §2.2)
    c->m_max_snd_wnd = c->m_snd_wnd;
    c->m_snd_wl1 = c->m_irs;
    c->m_snd_wl2 = c->m_iss;
    c->m_last_receive_us = m_stack.now_us();
    enter_state(*c, TcpState::SynReceived);
    insert_connection(*c);
    m_stats.passive_opens++;
    send_syn(*c);
}

void Tcp::input_syn_sent(TcpSocket& s, const Ipv4Info& ip, const TcpHeader& h,
                         const TcpOptions& options, Packet&& payload) {
    // RFC 9293 §3.10.7.3.
    uint8_t flags = h.flags;
    Seq seq(h.seq.value());
    Seq ack(h.ack.value());
    bool ack_ok = false;
    if (flags & kTcpAck) {
        if (ack <= s.m_iss || ack > s.m_snd_max) {
            if (!(flags & kTcpRst)) send_reset_for(ip, h, 0);
            return;
        }
        ack_ok = s.m_snd_una <= ack;
    }
    if (flags & kTcpRst) {
        // RFC 5961 §3.2 leaves SYN-SENT to the ACK check: only a RST acknowledging our SYN.
        if (ack_ok) {
            m_stats.resets_received++;
            reset_connection(s, Errno::CONNREFUSED);
        }
        return;
    }
    if (!(flags & kTcpSyn)) return;
    s.m_irs = seq;
    s.m_rcv_nxt = seq + 1;
    s.m_rcv_adv = s.m_rcv_nxt;
    s.m_last_ack_sent = s.m_rcv_nxt;
    apply_syn_options(s, options, true);
    s.m_last_receive_us = m_stack.now_us();
    if (ack_ok) {
        // Our SYN is acknowledged: ESTABLISHED.
        if (s.m_ts_enabled && options.ts_echo != 0) {
            uint32_t now_ts = ts_now() + s.m_ts_offset;
            update_rtt(s, uint64_t(now_ts - options.ts_echo) * 1000);
        } else if (s.m_retries == 0) {
            update_rtt(s, m_stack.now_us() - s.m_last_send_us);
        }
        s.m_snd_una = ack;
        s.m_snd_wnd = h.window.value();
        s.m_max_snd_wnd = s.m_snd_wnd;
        s.m_snd_wl1 = seq;
        s.m_snd_wl2 = ack;
        m_stack.timers().cancel(s.m_rtx_timer);
        s.m_rtx_mode = TcpTimerMode::None;
        s.m_retries = 0;
        enter_state(s, TcpState::Established);
        connection_established(s);
        s.m_ack_now = true;
        // Data or FIN carried on the SYN-ACK (unusual, but legal).
        bool fin = (flags & kTcpFin) != 0;
        size_t window = receive_window(s);
        if (payload.total_length() > window) {
            payload.truncate(window);
            fin = false;
        }
        if (payload.total_length() > 0 || fin)
            process_data(s, s.m_rcv_nxt, std::move(payload), fin);
        output(s);
        return;
    }
    // Simultaneous open (RFC 9293 §3.5, figure 8): SYN-RECEIVED, answer with SYN-ACK.
    s.m_snd_wnd = h.window.value();
    s.m_max_snd_wnd = s.m_snd_wnd;
    s.m_snd_wl1 = seq;
    s.m_snd_wl2 = s.m_iss;
    enter_state(s, TcpState::SynReceived);
    s.m_retries = 0;
    send_syn(s);
}

void Tcp::input_synchronized(TcpSocket& s, const Ipv4Info& ip, const TcpHeader& h,
                             const TcpOptions& options, Packet&& payload) {
    uint8_t flags = h.flags;
    Seq seq(h.seq.value());
    const Seq original_seq = seq;
    uint32_t payload_length = uint32_t(payload.total_length());
    uint64_t now = m_stack.now_us();

    // A retransmitted SYN for a half-open passive connection: our SYN-ACK was lost.
    if (s.m_state == TcpState::SynReceived && (flags & kTcpSyn) && !(flags & kTcpAck) &&
        !(flags & kTcpRst) && seq == s.m_irs) {
        send_syn(s);
        return;
    }

    // PAWS (RFC 7323 §5.3 R1-R3). A timestamp older than TS.Recent marks an old duplicate,
    // unless TS.Recent itself is older than 24 days (then it is invalid).
    // Pure duplicate ACKs overtaken by later segments are let through, as Linux does
    // (tcp_disordered_ack): they carry no data PAWS protects, and dropping them would lose
    // the duplicate-ACK signal.
    bool disordered_ack = payload_length == 0 && !(flags & (kTcpSyn | kTcpFin)) &&
                          (flags & kTcpAck) && seq == s.m_rcv_nxt &&
                          Seq(h.ack.value()) == s.m_snd_una &&
                          uint32_t(s.m_ts_recent - options.ts_value) <= s.m_rto_us / 1000;
    if (s.m_ts_enabled && options.has_timestamp && !(flags & kTcpRst) && !disordered_ack &&
        int32_t(options.ts_value - s.m_ts_recent) < 0 &&
        now - s.m_ts_recent_time_us < 24ull * 86400 * 1'000'000) {
        m_stats.paws_rejected++;
        send_ack(s);
        return;
    }

    // First: the sequence number (RFC 9293 §3.10.7.4, the four acceptability cases).
    uint32_t seg_len = payload_length + ((flags & kTcpSyn) ? 1 : 0) + ((flags & kTcpFin) ? 1 : 0);
    int32_t adv = s.m_rcv_adv - s.m_rcv_nxt;
    uint32_t wnd = adv > 0 ? uint32_t(adv) : 0;
    bool acceptable;
    if (seg_len == 0) {
        acceptable = wnd == 0 ? seq == s.m_rcv_nxt
                              : seq_in_range(seq, s.m_rcv_nxt, s.m_rcv_nxt + wnd);
    } else if (wnd == 0) {
        // The "special allowance" of §3.10.7.4: ACKs and RSTs of a segment at RCV.NXT are
        // processed even though its data cannot be accepted.
        acceptable = seq == s.m_rcv_nxt;
    } else {
        acceptable = seq_in_range(seq, s.m_rcv_nxt, s.m_rcv_nxt + wnd) ||
                     seq_in_range(seq + (seg_len - 1), s.m_rcv_nxt, s.m_rcv_nxt + wnd);
    }
    // RFC 5961 §3.2: an exact-match RST is processed even from outside a zero window.
    if (!acceptable && (flags & kTcpRst) && seq == s.m_rcv_nxt) acceptable = true;
    if (!acceptable) {
        m_stats.out_of_window++;
        if (!(flags & kTcpRst)) {
            send_ack(s);
            // A retransmitted FIN in TIME-WAIT restarts the 2*MSL wait (§3.10.7.4 eighth).
            if (s.m_state == TcpState::TimeWait && (flags & kTcpFin))
                m_stack.timers().arm(s.m_keepalive_timer, now + m_config.time_wait_us);
        }
        return;
    }

    // Trim what lies before RCV.NXT and beyond the window.
    bool syn = (flags & kTcpSyn) != 0;
    bool fin = (flags & kTcpFin) != 0;
    if (seq < s.m_rcv_nxt) {
        uint32_t dup = seq_distance(seq, s.m_rcv_nxt);
        if (syn) {
            syn = false;
            dup--;
            seq += 1;
        }
        if (dup >= payload_length) {
            if (dup > payload_length) fin = false; // the FIN was seen before too
            payload.truncate(0);
            payload_length = 0;
        } else {
            payload.trim_front(dup);
            payload_length -= dup;
        }
        seq = s.m_rcv_nxt;
    }
    if (payload_length > 0 || fin) {
        uint32_t room = seq_distance(seq, s.m_rcv_nxt + wnd);
        if (payload_length > room) {
            payload.truncate(room);
            payload_length = room;
            fin = false;
        }
    }

    // RFC 7323 §4.3: remember the peer's timestamp for echoing.
    if (s.m_ts_enabled && options.has_timestamp && original_seq <= s.m_last_ack_sent &&
        int32_t(options.ts_value - s.m_ts_recent) >= 0) {
        s.m_ts_recent = options.ts_value;
        s.m_ts_recent_time_us = now;
    }

    // Second: RST (RFC 5961 §3.2: only an exact match resets; others get a challenge ACK).
    if (flags & kTcpRst) {
        if (original_seq != s.m_rcv_nxt) {
            send_challenge_ack(s);
            return;
        }
        m_stats.resets_received++;
        switch (s.m_state) {
        case TcpState::SynReceived:
            if (s.m_passive) {
                enter_state(s, TcpState::Closed); // back to LISTEN: the child just goes
                return;
            }
            reset_connection(s, Errno::CONNREFUSED);
            return;
        case TcpState::Closing:
        case TcpState::LastAck:
        case TcpState::TimeWait:
            reset_connection(s, Errno{});
            return;
        default:
            reset_connection(s, Errno::CONNRESET);
            return;
        }
    }

    // Fourth: SYN in a synchronized state (RFC 5961 §4.2): challenge ACK, never reset.
    if (syn) {
        send_challenge_ack(s);
        return;
    }

    // Fifth: ACK.
    if (!(flags & kTcpAck)) return;
    s.m_last_receive_us = now;
    s.m_keepalive_probes = 0;
    if (s.m_state == TcpState::SynReceived) {
        Seq ack(h.ack.value());
        if (!(s.m_snd_una < ack && ack <= s.m_snd_max)) {
            send_reset_for(ip, h, 0);
            return;
        }
        if (s.m_passive && s.m_listener &&
            s.m_listener->m_accept_queue.size() > s.m_listener->m_backlog) {
            // Accept queue full: ignore the ACK; our SYN-ACK retransmission will ask again
            // (as Linux does without tcp_abort_on_overflow).
            m_stats.accept_queue_overflow++;
            return;
        }
        if (s.m_ts_enabled && options.has_timestamp && options.ts_echo != 0)
            update_rtt(s, uint64_t(ts_now() + s.m_ts_offset - options.ts_echo) * 1000);
        else if (s.m_retries == 0)
            update_rtt(s, now - s.m_last_send_us);
        s.m_snd_una = s.m_iss + 1;
        s.m_snd_wnd = uint32_t(h.window.value()) << s.m_snd_wscale;
        s.m_max_snd_wnd = s.m_snd_wnd;
        s.m_snd_wl1 = seq;
        s.m_snd_wl2 = ack;
        m_stack.timers().cancel(s.m_rtx_timer);
        s.m_rtx_mode = TcpTimerMode::None;
        s.m_retries = 0;
        // A simultaneous open that closed meanwhile stays in FIN-WAIT-1 semantics.
        enter_state(s, s.m_fin_queued ? TcpState::FinWait1 : TcpState::Established);
        s.m_was_connected = true;
        connection_established(s);
    }
    if (!process_ack(s, h, options, payload_length)) return;
    if (s.m_state == TcpState::Closed) return;

    // Seventh: segment text.
    if (payload_length > 0 || fin) {
        switch (s.m_state) {
        case TcpState::Established:
        case TcpState::FinWait1:
        case TcpState::FinWait2:
            // (A child still waiting in the accept queue has no user yet but is not closed.)
            if (s.m_user_closed && !s.m_listener && payload_length > 0) {
                // Data for a socket nobody can read any more: abort (Linux, RFC 2525 §2.17).
                send_control(s, s.m_snd_max, kTcpRst | kTcpAck);
                reset_connection(s, Errno{});
                return;
            }
            process_data(s, seq, std::move(payload), fin);
            break;
        case TcpState::TimeWait:
            if (fin) {
                s.m_ack_now = true;
                m_stack.timers().arm(s.m_keepalive_timer, now + m_config.time_wait_us);
            }
            break;
        default:
            break; // CLOSE-WAIT, CLOSING, LAST-ACK: the peer already sent its FIN
        }
    }
    output(s);
}

bool Tcp::process_ack(TcpSocket& s, const TcpHeader& h, const TcpOptions& options,
                      uint32_t payload_length) {
    Seq ack(h.ack.value());
    Seq seq(h.seq.value());
    uint64_t now = m_stack.now_us();
    if (ack > s.m_snd_max) {
        // Acknowledges something never sent (RFC 9293: send ACK, drop; RFC 5961 §5.2).
        send_ack(s);
        return false;
    }
    uint32_t max_wnd = s.m_max_snd_wnd > 65535 ? s.m_max_snd_wnd : 65535;
    if (ack < s.m_snd_una - max_wnd) {
        // RFC 5961 §5.2: far too old to be a real ACK; a blind injection attempt.
        send_challenge_ack(s);
        return false;
    }
    uint32_t seg_wnd = uint32_t(h.window.value()) << s.m_snd_wscale;
    bool window_changed = false;
    if (s.m_snd_una <= ack &&
        (s.m_snd_wl1 < seq || (s.m_snd_wl1 == seq && s.m_snd_wl2 <= ack))) {
        window_changed = seg_wnd != s.m_snd_wnd;
        bool opened = s.m_snd_wnd == 0 && seg_wnd > 0;
        s.m_snd_wnd = seg_wnd;
        if (seg_wnd > s.m_max_snd_wnd) s.m_max_snd_wnd = seg_wnd;
        s.m_snd_wl1 = seq;
        s.m_snd_wl2 = ack;
        if (opened && s.m_rtx_mode == TcpTimerMode::Persist) {
            m_stack.timers().cancel(s.m_rtx_timer);
            s.m_rtx_mode = TcpTimerMode::None;
            s.m_persist_backoff = 0;
        }
    }
    if (s.m_rtx_mode == TcpTimerMode::Persist) s.m_persist_backoff = 0; // the peer answers

    Seq old_una = s.m_snd_una;
    if (ack > s.m_snd_una) on_new_ack(s, ack, options, now);
    uint32_t sacked_before = s.m_scoreboard.sacked_bytes();
    if (s.m_sack_enabled) {
        for (size_t i = 0; i < options.sack_count; i++) {
            const SackBlock& b = options.sack[i];
            // Ignore D-SACK and nonsense blocks (RFC 2883 §4, RFC 2018 §8).
            if (b.end <= b.start || b.start <= s.m_snd_una || b.end > s.m_snd_max) continue;
            s.m_scoreboard.add(b.start, b.end, s.m_snd_una, s.m_snd_max);
        }
    }
    bool duplicate;
    if (s.m_sack_enabled) {
        // RFC 6675 §2: a duplicate ACK is one that does not move SND.UNA but carries new
        // SACK information (whatever its window says: receivers autotune their windows).
        duplicate = ack == old_una && ack != s.m_snd_max &&
                    s.m_scoreboard.sacked_bytes() > sacked_before;
    } else {
        // RFC 5681 §2.
        duplicate = ack == old_una && ack != s.m_snd_max && payload_length == 0 &&
                    !(h.flags & (kTcpSyn | kTcpFin)) && !window_changed;
    }
    if (duplicate) on_duplicate_ack(s, now);

    // Our FIN acknowledged?
    bool fin_acked = s.m_fin_sent && s.m_snd_una > s.m_fin_seq;
    switch (s.m_state) {
    case TcpState::FinWait1:
        if (fin_acked) {
            enter_state(s, TcpState::FinWait2);
            if (s.m_user_closed)
                m_stack.timers().arm(s.m_keepalive_timer, now + m_config.fin_wait2_timeout_us);
            notify(s);
        }
        break;
    case TcpState::Closing:
        if (fin_acked) {
            enter_state(s, TcpState::TimeWait);
            m_stack.timers().cancel(s.m_rtx_timer);
            m_stack.timers().arm(s.m_keepalive_timer, now + m_config.time_wait_us);
            notify(s);
        }
        break;
    case TcpState::LastAck:
        if (fin_acked) {
            enter_state(s, TcpState::Closed);
            notify(s);
            return false;
        }
        break;
    default:
        break;
    }
    return true;
}

void Tcp::on_new_ack(TcpSocket& s, Seq ack, const TcpOptions& options, uint64_t now) {
    uint32_t acked = seq_distance(s.m_snd_una, ack);
    // Grow cwnd only while it limits the sender (RFC 7661 spirit, Linux
    // tcp_is_cwnd_limited): an application-limited flow must not inflate it without bound.
    uint32_t flight = flight_size(s);
    uint32_t cwnd_now = s.m_cc.cwnd();
    bool cwnd_limited = s.m_cc.in_slow_start() ? 2 * uint64_t(flight) >= cwnd_now
                                              : uint64_t(flight) + s.m_mss >= cwnd_now;
    // RTT sample: from the echoed timestamp (RFC 7323 §4) or the one timed segment, never
    // from a retransmission (Karn).
    if (s.m_ts_enabled && options.has_timestamp && options.ts_echo != 0) {
        // An echo older than our last timeout's retransmission measures the backoff wait,
        // not the path (the peer echoes an old TS.Recent when our retransmission was a
        // duplicate it already had): Karn's rule, applied to timestamps.
        if (!s.m_rto_ts_floor_valid || int32_t(options.ts_echo - s.m_rto_ts_floor) >= 0) {
            uint32_t now_ts = ts_now() + s.m_ts_offset;
            update_rtt(s, uint64_t(now_ts - options.ts_echo) * 1000);
            s.m_rto_ts_floor_valid = false;
        }
    } else if (s.m_rtt_timing && ack > s.m_rtt_seq) {
        s.m_rtt_timing = false;
        update_rtt(s, now - s.m_rtt_start_us);
    }
    // Drop acknowledged data from the send buffer.
    Seq start = send_buffer_start(s);
    Seq data_end = start + uint32_t(s.m_send.size());
    Seq acked_end = seq_min(ack, data_end);
    if (start < acked_end) s.m_send.consume(seq_distance(start, acked_end));
    s.m_snd_una = ack;
    if (s.m_snd_nxt < ack) s.m_snd_nxt = ack;
    if (s.m_high_rxt < ack) s.m_high_rxt = ack;
    s.m_scoreboard.advance(ack);
    s.m_retries = 0;
    s.m_tlp_sent = false;

    if (s.m_in_recovery) {
        if (ack >= s.m_recover) {
            // Full acknowledgment: recovery is over (RFC 6582 §3.2 step 3, RFC 6675 §5).
            s.m_in_recovery = false;
            s.m_dupacks = 0;
            s.m_cc.on_recovery_exit();
        } else if (!s.m_sack_enabled) {
            // NewReno partial ACK (RFC 6582 §3.2 step 5): resend the next hole at once and
            // deflate the window by what was acknowledged.
            uint32_t cwnd = s.m_cc.cwnd();
            cwnd = cwnd > acked ? cwnd - acked : 0;
            if (acked >= s.m_mss) cwnd += s.m_mss;
            if (cwnd < s.m_mss) cwnd = s.m_mss;
            s.m_cc.set_cwnd(cwnd);
            retransmit_range(s, s.m_snd_una, s.m_mss);
        }
    } else {
        s.m_dupacks = 0;
        if (cwnd_limited) s.m_cc.on_ack(acked, s.m_mss, now, s.m_srtt_us);
    }

    // RFC 6298 §5.2-5.3: stop the timer when everything is acknowledged, else restart it.
    if (s.m_rtx_mode != TcpTimerMode::Persist) {
        if (s.m_snd_una == s.m_snd_max) {
            m_stack.timers().cancel(s.m_rtx_timer);
            s.m_rtx_mode = TcpTimerMode::None;
        } else {
            arm_retransmit(s, now);
        }
    }
    notify(s); // send buffer space
}

void Tcp::on_duplicate_ack(TcpSocket& s, uint64_t now) {
    s.m_dupacks++;
    if (s.m_in_recovery) {
        if (!s.m_sack_enabled) s.m_cc.set_cwnd(s.m_cc.cwnd() + s.m_mss); // inflation
        return;
    }
    // DupThresh 3, lowered by RFC 5827 early retransmit when fewer than four segments are
    // outstanding and nothing new can be sent (so three duplicates can never arrive).
    uint32_t threshold = 3;
    uint32_t outstanding = (flight_size(s) + s.m_mss - 1) / s.m_mss;
    if (outstanding < 4 && s.unsent_bytes() == 0) threshold = outstanding > 1 ? outstanding - 1 : 1;
    bool lost = s.m_dupacks >= threshold;
    // RFC 6675 §5 (IsLost): enough SACKed data above SND.UNA also means loss.
    if (s.m_sack_enabled && s.m_scoreboard.sacked_above(s.m_snd_una) > 2u * s.m_mss) lost = true;
    // RFC 6582 §3.2 step 2: not again for duplicates of data sent before the last recovery
    // (recover holds SND.MAX, one past the RFC's "highest sequence number transmitted").
    if (lost && s.m_snd_una >= s.m_recover) enter_recovery(s, now);
}

void Tcp::enter_recovery(TcpSocket& s, uint64_t now) {
    m_stats.fast_retransmits++;
    uint32_t flight = flight_size(s);
    s.m_cc.on_loss(flight, s.m_mss, now);
    s.m_in_recovery = true;
    s.m_recover = s.m_snd_max;
    s.m_high_rxt = s.m_snd_una;
    s.m_rtt_timing = false;
    if (!s.m_sack_enabled) s.m_cc.set_cwnd(s.m_cc.ssthresh() + 3 * s.m_mss); // RFC 6582
    // Retransmit the first unacknowledged segment now, whatever the pipe says (RFC 6675
    // §5 step 4.2, RFC 6582 §3.2 step 2).
    Seq start;
    uint32_t len;
    if (!next_hole(s, start, len)) {
        start = s.m_snd_una;
        len = s.m_mss;
    }
    retransmit_range(s, start, len);
}

// --- receiving data ---

void Tcp::queue_in_order(TcpSocket& s, Packet&& payload) {
    size_t length = payload.total_length();
    if (length == 0) return;
    s.m_rcv_nxt += uint32_t(length);
    s.m_rcv_queued += length;
    if (length > s.m_rcv_mss && length <= local_mss()) s.m_rcv_mss = uint16_t(length);
    // Small segments are copied into the tail of the previous buffer so that many tiny
    // segments cannot pin many 2 KiB blocks against a small window.
    PacketBuffer* last = s.m_receive_queue.back();
    if (length <= 256 && !payload.is_chained() && last && !last->chain_next &&
        size_t(last->capacity - last->tail) >= length) {
        memcpy(last->storage() + last->tail, payload.data(), length);
        last->tail = uint16_t(last->tail + length);
        return;
    }
    s.m_receive_queue.push_back(std::move(payload));
}

void Tcp::insert_out_of_order(TcpSocket& s, Seq seq, Packet&& payload, bool fin) {
    uint32_t length = uint32_t(payload.total_length());
    Seq end = seq + length;
    // Walk to the insertion point, trimming the new segment against its neighbours.
    PacketBuffer** link = &s.m_ooo;
    while (*link) {
        PacketBuffer* b = *link;
        Seq b_start(b->meta.seq);
        Seq b_end = b_start + b->meta.value;
        if (b_end <= seq && !(b_end == seq && length == 0)) {
            link = &b->queue_next;
            continue;
        }
        if (b_start <= seq) {
            if (b_end >= end) {
                // Entirely duplicate; remember a FIN if this copy carries one.
                if (fin && b_end == end) b->meta.flags |= kPacketTcpFin;
                return;
            }
            // Overlaps the front: keep only the new part.
            uint32_t cut = seq_distance(seq, b_end);
            payload.trim_front(cut);
            seq = b_end;
            length -= cut;
            link = &b->queue_next;
            continue;
        }
        break;
    }
    // Remove later segments the new one covers completely; trim it against a partial one.
    while (*link) {
        PacketBuffer* b = *link;
        Seq b_start(b->meta.seq);
        Seq b_end = b_start + b->meta.value;
        if (b_start >= end) break;
        if (b_end <= end) {
            if (b->meta.flags & kPacketTcpFin) fin = true;
            *link = b->queue_next;
            b->queue_next = nullptr;
            s.m_ooo_bytes -= b->meta.value;
            Packet drop(b);
            continue;
        }
        uint32_t keep = seq_distance(seq, b_start);
        payload.truncate(keep);
        length = keep;
        end = seq + keep;
        fin = false;
        break;
    }
    if (length == 0 && !fin) return;
    payload.meta().seq = seq.raw();
    payload.meta().value = length;
    payload.meta().flags = fin ? kPacketTcpFin : 0;
    PacketBuffer* nb = payload.release();
    nb->queue_next = *link;
    *link = nb;
    s.m_ooo_bytes += length;
    s.m_ooo_last_start = seq;
}

// Moves segments that became contiguous into the receive queue. Returns true if a FIN was
// reached.
void Tcp::drain_out_of_order(TcpSocket& s) {
    while (s.m_ooo) {
        PacketBuffer* b = s.m_ooo;
        Seq b_start(b->meta.seq);
        Seq b_end = b_start + b->meta.value;
        if (b_start > s.m_rcv_nxt) break;
        s.m_ooo = b->queue_next;
        b->queue_next = nullptr;
        s.m_ooo_bytes -= b->meta.value;
        bool fin = (b->meta.flags & kPacketTcpFin) != 0;
        Packet p(b);
        if (b_end > s.m_rcv_nxt) {
            p.trim_front(seq_distance(b_start, s.m_rcv_nxt));
            queue_in_order(s, std::move(p));
        }
        if (fin && b_end >= s.m_rcv_nxt) {
            process_fin(s);
            // Anything after a FIN is meaningless.
            while (s.m_ooo) {
                PacketBuffer* x = s.m_ooo;
                s.m_ooo = x->queue_next;
                x->queue_next = nullptr;
                Packet drop(x);
            }
            s.m_ooo_bytes = 0;
            return;
        }
    }
}

void Tcp::process_data(TcpSocket& s, Seq seq, Packet&& payload, bool fin) {
    uint32_t length = uint32_t(payload.total_length());
    if (seq != s.m_rcv_nxt) {
        // Out of order: keep it (within the window, which the caller enforced) and send a
        // duplicate ACK with SACK blocks at once (RFC 5681 §4.2, RFC 2018 §4).
        m_stats.out_of_order++;
        insert_out_of_order(s, seq, std::move(payload), fin);
        s.m_ack_now = true;
        return;
    }
    bool had_holes = s.m_ooo != nullptr;
    queue_in_order(s, std::move(payload));
    if (had_holes) {
        drain_out_of_order(s);
        s.m_ack_now = true; // filling a hole is acknowledged immediately (RFC 5681 §4.2)
    }
    if (fin && !s.m_fin_received) process_fin(s);
    if (length > 0) {
        s.m_unacked_bytes += length;
        if (s.m_quickack > 0) {
            s.m_quickack--;
            s.m_ack_now = true;
        } else if (s.m_unacked_bytes >= 2u * s.m_rcv_mss) {
            s.m_ack_now = true; // every second full-sized segment (RFC 1122 §4.2.3.2)
        } else {
            schedule_ack(s);
        }
        notify(s);
    }
}

void Tcp::process_fin(TcpSocket& s) {
    if (s.m_fin_received) return;
    s.m_fin_received = true;
    s.m_rcv_nxt += 1;
    s.m_shutdown |= kReceiveShutdown;
    s.m_ack_now = true;
    uint64_t now = m_stack.now_us();
    switch (s.m_state) {
    case TcpState::SynReceived:
    case TcpState::Established:
        enter_state(s, TcpState::CloseWait);
        break;
    case TcpState::FinWait1:
        if (s.m_fin_sent && s.m_snd_una > s.m_fin_seq) {
            enter_state(s, TcpState::TimeWait);
            m_stack.timers().cancel(s.m_rtx_timer);
            s.m_rtx_mode = TcpTimerMode::None;
            m_stack.timers().arm(s.m_keepalive_timer, now + m_config.time_wait_us);
        } else {
            enter_state(s, TcpState::Closing); // simultaneous close
        }
        break;
    case TcpState::FinWait2:
        enter_state(s, TcpState::TimeWait);
        m_stack.timers().cancel(s.m_rtx_timer);
        s.m_rtx_mode = TcpTimerMode::None;
        m_stack.timers().arm(s.m_keepalive_timer, now + m_config.time_wait_us);
        break;
    default:
        break;
    }
    notify(s);
}

void Tcp::connection_established(TcpSocket& s) {
    s.m_cc.init(m_config.congestion, s.m_mss);
    // Linux's quick-ACK start: acknowledge the first segments immediately so the peer's
    // slow start is not held back by delayed ACKs.
    s.m_quickack = 16;
    uint64_t now = m_stack.now_us();
    s.m_last_receive_us = now;
    if (s.m_keepalive) arm_keepalive(s, now);
    if (s.m_passive && s.m_listener) {
        TcpSocket* l = s.m_listener;
        l->m_syn_queue.remove(&s);
        l->m_accept_queue.push_back(&s);
        s.m_accept_ready = true;
        notify(*l);
    } else {
        notify(s);
    }
}

void Tcp::icmp_error(const Ipv4Info& quoted_ip, ByteView quoted_tcp, Errno error,
                     uint16_t next_hop_mtu) {
    // The first 8 bytes of the TCP header: ports and sequence number.
    uint16_t sport, dport;
    uint32_t seq_raw;
    if (!quoted_tcp.read_be16(0, sport) || !quoted_tcp.read_be16(2, dport) ||
        !quoted_tcp.read_be32(4, seq_raw))
        return;
    TcpSocket* s = find_connection(Endpoint{quoted_ip.source, sport},
                                   Endpoint{quoted_ip.destination, dport});
    if (!s) return;
    // RFC 5927 §4.1: only errors quoting a sequence number that is in flight.
    Seq seq(seq_raw);
    if (!(s->m_snd_una <= seq && seq < s->m_snd_max) &&
        !(s->m_state == TcpState::SynSent && seq == s->m_iss))
        return;
    if (error == Errno::MSGSIZE) {
        // Path MTU discovery (RFC 1191): shrink the segment size and resend.
        if (next_hop_mtu < 68) return;
        uint32_t mss = uint32_t(next_hop_mtu) - 40 - (s->m_ts_enabled ? 12 : 0);
        if (mss < s->m_mss && mss >= 64) {
            s->m_mss = uint16_t(mss);
            s->m_snd_nxt = s->m_snd_una;
            output(*s);
        }
        return;
    }
    if (s->m_state == TcpState::SynSent) {
        // Linux treats unreachables during connection setup as hard errors.
        reset_connection(*s, error);
        return;
    }
    s->m_soft_error = error;
    s->m_has_soft_error = true;
}

} // namespace wisp::net
