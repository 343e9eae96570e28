// SPDX-License-Identifier: MIT
// TCP segment transmission: what to send and when (RFC 9293 §3.8.6.2 sender SWS avoidance
// and Nagle, RFC 5681/6675 window and pipe limits), building segments with their options,
// window advertisement (RFC 9293 §3.8.6.2.2 receiver SWS avoidance), RSTs and ACKs.
#include <string.h>

#include "net/checksum.h"
#include "net/stack.h"
#include "net/tcp.h"

namespace wisp::net {

uint32_t Tcp::ts_now() const { return uint32_t(m_stack.now_us() / 1000); }

uint32_t Tcp::flight_size(const TcpSocket& s) const {
    return seq_distance(s.m_snd_una, s.m_snd_max);
}

uint32_t Tcp::receive_window(TcpSocket& s) {
    size_t used = s.m_rcv_queued + s.m_ooo_bytes;
    uint32_t space = used < s.m_receive_buffer ? uint32_t(s.m_receive_buffer - used) : 0;
    uint32_t max = uint32_t(65535) << s.m_rcv_wscale;
    if (space > max) space = max;
    int32_t adv = s.m_rcv_adv - s.m_rcv_nxt;
    uint32_t current = adv > 0 ? uint32_t(adv) : 0;
    if (space <= current) return current; // never shrink the window (RFC 9293 §3.8.6.2.2)
    // Receiver SWS avoidance: open the window only by a useful amount.
    uint32_t threshold = s.m_receive_buffer / 2 < s.m_rcv_mss ? s.m_receive_buffer / 2
                                                              : s.m_rcv_mss;
    if (space - current < threshold) return current;
    return space;
}

void Tcp::cleanup_receive_window(TcpSocket& s) {
    // After the application read data: advertise the opened window now if it at least
    // doubled (Linux tcp_cleanup_rbuf), instead of waiting for the next segment.
    if (s.m_state != TcpState::Established && s.m_state != TcpState::FinWait1 &&
        s.m_state != TcpState::FinWait2)
        return;
    int32_t adv = s.m_rcv_adv - s.m_rcv_nxt;
    uint32_t current = adv > 0 ? uint32_t(adv) : 0;
    uint32_t max = uint32_t(65535) << s.m_rcv_wscale;
    uint32_t clamp = s.m_receive_buffer < max ? s.m_receive_buffer : max;
    if (2 * current > clamp) return;
    uint32_t next = receive_window(s);
    if (next > 0 && next >= 2 * current && next > current) send_ack(s);
}

void Tcp::build_sack_blocks(TcpSocket& s, TcpOptionsOut& o, size_t max_blocks) {
    // RFC 2018 §4: the first block reports the most recently received segment; the rest
    // report other received ranges (here: in sequence order).
    SackBlock blocks[8];
    size_t n = 0;
    for (PacketBuffer* b = s.m_ooo; b && n < 8;) {
        Seq start(b->meta.seq);
        Seq end = start + b->meta.value;
        b = b->queue_next;
        while (b && Seq(b->meta.seq) <= end) {
            Seq e = Seq(b->meta.seq) + b->meta.value;
            if (e > end) end = e;
            b = b->queue_next;
        }
        if (end > start) blocks[n++] = SackBlock{start, end};
    }
    size_t first = 0;
    for (size_t i = 0; i < n; i++)
        if (blocks[i].start <= s.m_ooo_last_start && s.m_ooo_last_start < blocks[i].end)
            first = i;
    o.sack_count = 0;
    if (n == 0) return;
    o.sack[o.sack_count++] = blocks[first];
    for (size_t i = 0; i < n && o.sack_count < max_blocks; i++)
        if (i != first) o.sack[o.sack_count++] = blocks[i];
}

bool Tcp::transmit_segment(TcpSocket& s, Seq seq, uint32_t length, uint8_t flags,
                           bool retransmission) {
    Packet p = m_stack.allocate_tx(0);
    if (!p) {
        m_stats.no_buffer_drops++;
        return false;
    }
    TcpOptionsOut o;
    bool syn = (flags & kTcpSyn) != 0;
    if (syn) {
        o.mss = local_mss();
        if (s.m_user_mss && s.m_user_mss < o.mss) o.mss = s.m_user_mss;
        bool passive = s.m_state == TcpState::SynReceived && s.m_passive;
        // A SYN-ACK offers only what the peer's SYN offered (RFC 7323 §2.2, RFC 2018 §2).
        if (m_config.window_scaling && (!passive || s.m_ws_enabled))
            o.window_scale = int8_t(s.m_rcv_wscale);
        if (m_config.sack && (!passive || s.m_sack_enabled)) o.sack_permitted = true;
        if (m_config.timestamps && (!passive || s.m_ts_enabled)) {
            o.timestamp = true;
            o.ts_value = ts_now() + s.m_ts_offset;
            o.ts_echo = passive ? s.m_ts_recent : 0;
        }
    } else if (s.m_ts_enabled) {
        o.timestamp = true;
        o.ts_value = ts_now() + s.m_ts_offset;
        o.ts_echo = s.m_ts_recent;
    }
    if (!syn && s.m_sack_enabled && s.m_ooo && !(flags & kTcpRst)) {
        // As many blocks as fit in the MTU next to this payload (callers leave room by
        // sending smaller segments while SACK blocks are due, as Linux does).
        size_t used = 40 + (o.timestamp ? 12 : 0) + length;
        size_t room = m_stack.mtu() > used ? m_stack.mtu() - used : 0;
        size_t fit = room >= 12 ? (room - 4) / 8 : 0;
        size_t limit = o.timestamp ? 3 : 4;
        if (fit > 0) build_sack_blocks(s, o, fit < limit ? fit : limit);
    }
    size_t options_length = tcp_options_length(o);
    size_t header_length = sizeof(TcpHeader) + options_length;

    if (length > 0) {
        Seq start = send_buffer_start(s);
        s.m_send.copy_out(seq_distance(start, seq), p.put(length), length);
    }
    auto* h = reinterpret_cast<TcpHeader*>(p.push(header_length));
    h->source_port.set(s.m_local.port);
    h->destination_port.set(s.m_remote.port);
    h->seq.set(seq.raw());
    h->ack.set((flags & kTcpAck) ? s.m_rcv_nxt.raw() : 0);
    h->data_offset = uint8_t((header_length / 4) << 4);
    h->flags = flags;
    // The window: never scaled in a SYN; rounded up so the right edge never moves left.
    uint32_t window = (flags & kTcpRst) ? 0 : receive_window(s);
    uint32_t field;
    if (syn) {
        field = window > 65535 ? 65535 : window;
        window = field;
    } else {
        uint32_t unit = (uint32_t(1) << s.m_rcv_wscale) - 1;
        field = (window + unit) >> s.m_rcv_wscale;
        if (field > 65535) field = 65535;
        window = field << s.m_rcv_wscale;
    }
    h->window.set(uint16_t(field));
    h->checksum.set(0);
    h->urgent.set(0);
    write_tcp_options(reinterpret_cast<uint8_t*>(h) + sizeof(TcpHeader), o);
    Checksum sum;
    size_t total = header_length + length;
    sum.add_pseudo_header(s.m_local.address, s.m_remote.address, kIpProtoTcp, uint16_t(total));
    sum.add(reinterpret_cast<const uint8_t*>(h), total);
    h->checksum.set(sum.finish());

    if (flags & kTcpAck) {
        s.m_last_ack_sent = s.m_rcv_nxt;
        Seq edge = s.m_rcv_nxt + window;
        if (edge > s.m_rcv_adv) s.m_rcv_adv = edge;
        // An ACK went out: nothing is waiting to be acknowledged any more.
        s.m_ack_now = false;
        s.m_unacked_bytes = 0;
        if (s.m_delack_timer.armed()) m_stack.timers().cancel(s.m_delack_timer);
    }
    if (retransmission) m_stats.retransmitted_segments++;
    m_stats.segments_sent++;
    s.m_last_send_us = m_stack.now_us();
    // RFC 1191 / RFC 9293 §3.7.5: TCP segments are sent with DF (we never fragment them).
    m_stack.ipv4().output(std::move(p), s.m_local.address, s.m_remote.address, kIpProtoTcp,
                          s.m_ttl, true);
    return true;
}

void Tcp::send_syn(TcpSocket& s) {
    uint8_t flags = kTcpSyn;
    if (s.m_state == TcpState::SynReceived) flags |= kTcpAck;
    bool retransmission = s.m_snd_max != s.m_iss;
    transmit_segment(s, s.m_iss, 0, flags, retransmission);
    if (s.m_snd_nxt == s.m_iss) s.m_snd_nxt = s.m_iss + 1;
    if (s.m_snd_max == s.m_iss) s.m_snd_max = s.m_iss + 1;
    if (!s.m_rtx_timer.armed()) arm_retransmit(s, m_stack.now_us());
}

void Tcp::send_ack(TcpSocket& s) {
    if (s.m_state == TcpState::SynSent || s.m_state == TcpState::Closed ||
        s.m_state == TcpState::Listen)
        return;
    // SND.MAX rather than SND.NXT: after a timeout rewinds SND.NXT, an ACK carrying the
    // rewound number would fall left of the peer's window and be discarded with the
    // acknowledgment it carries (BSD does the same).
    transmit_segment(s, s.m_snd_max, 0, kTcpAck, false);
}

void Tcp::send_control(TcpSocket& s, Seq seq, uint8_t flags) {
    if (flags & kTcpRst) m_stats.resets_sent++;

    transmit_segment(s, seq, 0, flags, false);
}

bool Tcp::challenge_ack_allowed() {
    // RFC 5961 §7: a global limit on challenge ACKs per second.
    uint64_t now = m_stack.now_us();
    if (now - m_challenge_window_start_us >= 1'000'000) {
        m_challenge_window_start_us = now;
        m_challenge_count = 0;
    }
    if (m_challenge_count >= m_config.challenge_ack_per_second) return false;
    m_challenge_count++;
    return true;
}

void Tcp::send_challenge_ack(TcpSocket& s) {
    if (!challenge_ack_allowed()) {
        m_stats.challenge_acks_suppressed++;
        return;
    }
    m_stats.challenge_acks++;
    send_ack(s);
}

void Tcp::send_reset_for(const Ipv4Info& ip, const TcpHeader& h, uint32_t seg_len) {
    // RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST> if the segment had an ACK, else
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    if (ip.source.is_any() || m_stack.is_broadcast_address(ip.source)) return;
    Packet p = m_stack.allocate_tx(0);
    if (!p) return;
    auto* r = reinterpret_cast<TcpHeader*>(p.push(sizeof(TcpHeader)));
    r->source_port = h.destination_port;
    r->destination_port = h.source_port;
    if (h.flags & kTcpAck) {
        r->seq = h.ack;
        r->ack.set(0);
        r->flags = kTcpRst;
    } else {
        r->seq.set(0);
        r->ack.set(h.seq.value() + seg_len);
        r->flags = kTcpRst | kTcpAck;
    }
    r->data_offset = 5 << 4;
    r->window.set(0);
    r->checksum.set(0);
    r->urgent.set(0);
    Checksum sum;
    sum.add_pseudo_header(ip.destination, ip.source, kIpProtoTcp, sizeof(TcpHeader));
    sum.add(reinterpret_cast<const uint8_t*>(r), sizeof(TcpHeader));
    r->checksum.set(sum.finish());
    m_stats.resets_sent++;
    m_stats.segments_sent++;
    m_stack.ipv4().output(std::move(p), ip.destination, ip.source, kIpProtoTcp,
                          m_stack.config().default_ttl, true);
}

// --- SACK-based loss recovery helpers (RFC 6675 §4) ---

Seq Tcp::lost_boundary(const TcpSocket& s) const {
    // Sequence numbers below the boundary are "lost" when not SACKed (IsLost): more than
    // (DupThresh - 1) * SMSS bytes, or DupThresh separate ranges, are SACKed above them.
    const SackScoreboard& sb = s.m_scoreboard;
    Seq boundary = s.m_snd_una;
    uint32_t above = 0;
    for (size_t i = sb.count(); i-- > 0;) {
        above += seq_distance(sb.range(i).start, sb.range(i).end);
        if (above > 2u * s.m_mss || sb.count() - i >= 3) {
            boundary = sb.range(i).start;
            break;
        }
    }
    // In recovery the segment at SND.UNA is always presumed lost (RFC 6582, RFC 6675 4.3).
    if (s.m_in_recovery) {
        Seq first = s.m_snd_una + s.m_mss;
        if (first > s.m_snd_max) first = s.m_snd_max;
        boundary = seq_max(boundary, first);
    }
    return boundary;
}

bool Tcp::next_hole(const TcpSocket& s, Seq& start, uint32_t& length) const {
    Seq boundary = lost_boundary(s);
    Seq from = seq_max(s.m_high_rxt, s.m_snd_una);
    const SackScoreboard& sb = s.m_scoreboard;
    while (from < boundary) {
        Seq range_end;
        if (sb.sacked(from, range_end)) {
            from = range_end;
            continue;
        }
        // The hole runs to the next SACKed range (or the highest sequence sent).
        Seq hole_end = s.m_snd_max;
        for (size_t i = 0; i < sb.count(); i++)
            if (sb.range(i).start > from) {
                hole_end = sb.range(i).start;
                break;
            }
        uint32_t n = seq_distance(from, hole_end);
        if (n > s.m_mss) n = s.m_mss;
        start = from;
        length = n;
        return n > 0;
    }
    return false;
}

uint32_t Tcp::pipe(const TcpSocket& s) const {
    if (!s.m_sack_enabled) return seq_distance(s.m_snd_una, s.m_snd_nxt);
    if (!s.m_in_recovery) {
        // SACKed segments have left the network (RFC 6675 §4, outside recovery too).
        return s.m_scoreboard.holes_between(s.m_snd_una, s.m_snd_nxt);
    }
    // RFC 6675 §4 SetPipe: unSACKed data in flight, minus what is lost and not yet resent.
    const SackScoreboard& sb = s.m_scoreboard;
    uint32_t outstanding = sb.holes_between(s.m_snd_una, s.m_snd_max);
    Seq boundary = lost_boundary(s);
    Seq resent_to = seq_max(s.m_high_rxt, s.m_snd_una);
    uint32_t lost = resent_to < boundary ? sb.holes_between(resent_to, boundary) : 0;
    return outstanding > lost ? outstanding - lost : 0;
}

bool Tcp::new_data_only(const TcpSocket& s) const { return s.m_snd_nxt == s.m_snd_max; }

uint32_t Tcp::effective_mss(const TcpSocket& s) const {
    // While we owe the peer SACK blocks, leave room for them (RFC 2018: up to 3 with
    // timestamps, 4 without).
    if (s.m_sack_enabled && s.m_ooo) return s.m_mss - (s.m_ts_enabled ? 28u : 36u);
    return s.m_mss;
}

bool Tcp::retransmit_range(TcpSocket& s, Seq start, uint32_t max_length) {
    uint32_t mss = effective_mss(s);
    if (max_length > mss) max_length = mss;
    Seq data_end = send_buffer_start(s) + uint32_t(s.m_send.size());
    uint32_t data_length = start < data_end ? seq_distance(start, data_end) : 0;
    if (data_length > max_length) data_length = max_length;
    bool fin = s.m_fin_sent && start + data_length == s.m_fin_seq;
    if (data_length == 0 && !fin) return false;
    if (!transmit_segment(s, start, data_length, kTcpAck | (fin ? kTcpFin : 0), true))
        return false;
    Seq end = start + data_length + (fin ? 1 : 0);
    if (end > s.m_high_rxt) s.m_high_rxt = end;
    s.m_rtt_timing = false; // Karn
    return true;
}

void Tcp::output(TcpSocket& s) {
    switch (s.m_state) {
    case TcpState::Established:
    case TcpState::CloseWait:
    case TcpState::FinWait1:
    case TcpState::Closing:
    case TcpState::LastAck:
        break;
    case TcpState::FinWait2:
    case TcpState::TimeWait:
        if (s.m_ack_now) send_ack(s);
        return;
    default:
        return;
    }
    uint64_t now = m_stack.now_us();
    bool sent = false;
    uint32_t mss = effective_mss(s);

    // RFC 5681 §4.1: after an idle period longer than the RTO, restart from a small window.
    if (s.m_snd_una == s.m_snd_max && s.m_last_send_us != 0 &&
        now - s.m_last_send_us > current_rto(s) && s.unsent_bytes() > 0)
        s.m_cc.on_idle_restart(mss);

    // 1. Loss recovery with SACK: resend lost segments while the pipe allows (RFC 6675 §5).
    if (s.m_in_recovery && s.m_sack_enabled) {
        for (int guard = 0; guard < 1024; guard++) {
            uint32_t cwnd = s.m_cc.cwnd();
            uint32_t in_flight = pipe(s);
            if (cwnd <= in_flight || cwnd - in_flight < mss) break;
            Seq start;
            uint32_t length;
            if (!next_hole(s, start, length)) break;
            if (!retransmit_range(s, start, length)) break; // out of buffers: next ACK
            sent = true;
        }
    }

    // 2. New data (or data after an RTO rewind of SND.NXT).
    for (int guard = 0; guard < 4096; guard++) {
        Seq start = send_buffer_start(s);
        Seq data_end = start + uint32_t(s.m_send.size());
        // Going back over data after a timeout: skip what the peer has SACKed.
        Seq sacked_end;
        while (s.m_snd_nxt < s.m_snd_max && s.m_scoreboard.sacked(s.m_snd_nxt, sacked_end))
            s.m_snd_nxt = sacked_end;
        uint32_t available = s.m_snd_nxt < data_end ? seq_distance(s.m_snd_nxt, data_end) : 0;
        if (s.m_snd_nxt < s.m_snd_max && !s.m_scoreboard.empty()) {
            for (size_t i = 0; i < s.m_scoreboard.count(); i++)
                if (s.m_scoreboard.range(i).start > s.m_snd_nxt) {
                    uint32_t gap = seq_distance(s.m_snd_nxt, s.m_scoreboard.range(i).start);
                    if (gap < available) available = gap;
                    break;
                }
        }
        int32_t wnd_left = (s.m_snd_una + s.m_snd_wnd) - s.m_snd_nxt;
        uint32_t window = wnd_left > 0 ? uint32_t(wnd_left) : 0;
        uint32_t cwnd = s.m_cc.cwnd();
        // RFC 3042 limited transmit: each of the first two duplicate ACKs lets one new
        // segment out beyond cwnd, so a small window still produces the three duplicate
        // ACKs fast retransmit needs.
        if (!s.m_in_recovery && s.m_dupacks > 0 && s.m_dupacks < 3 && new_data_only(s))
            cwnd += s.m_dupacks * mss;
        if (s.m_tlp_probe) cwnd += mss; // RFC 8985 §7.3: the probe ignores cwnd
        uint32_t in_flight = pipe(s);
        uint32_t cwnd_room = cwnd > in_flight ? cwnd - in_flight : 0;
        uint32_t length = available;
        if (length > mss) length = mss;
        if (length > window) length = window;
        if (length > cwnd_room) length = cwnd_room;
        // The FIN goes out with (or after) the last byte, once the data before it is sent.
        bool fin = s.m_fin_queued && s.m_snd_nxt + length == data_end &&
                   (!s.m_fin_sent || s.m_snd_nxt <= s.m_fin_seq) &&
                   (length > 0 || cwnd_room > 0 || s.m_snd_nxt == s.m_snd_una);
        if (length == 0 && !fin) break;
        if (length < mss && !fin && !s.m_force_send) {
            // Sender SWS avoidance and Nagle (RFC 9293 §3.8.6.2.1, RFC 1122 §4.2.3.4).
            bool idle = s.m_snd_nxt == s.m_snd_una;
            bool all_queued = length == available;
            bool ok = (all_queued && (idle || s.m_nodelay)) ||
                      ((idle || s.m_nodelay) && length >= s.m_max_snd_wnd / 2 && length > 0);
            if (!ok) break;
        }
        bool new_data = s.m_snd_nxt == s.m_snd_max;
        uint8_t flags = kTcpAck;
        if (length > 0 && length == available) flags |= kTcpPsh;
        if (fin) flags |= kTcpFin;
        if (!transmit_segment(s, s.m_snd_nxt, length, flags, !new_data)) break;
        if (new_data && !s.m_ts_enabled && !s.m_rtt_timing && length > 0) {
            s.m_rtt_timing = true;
            s.m_rtt_seq = s.m_snd_nxt;
            s.m_rtt_start_us = now;
        }
        if (!new_data) s.m_rtt_timing = false;
        if (fin) {
            s.m_fin_seq = s.m_snd_nxt + length;
            s.m_fin_sent = true;
        }
        s.m_snd_nxt += length + (fin ? 1 : 0);
        if (s.m_snd_nxt > s.m_snd_max) s.m_snd_max = s.m_snd_nxt;
        sent = true;
        if (s.m_rtx_mode == TcpTimerMode::None || s.m_rtx_mode == TcpTimerMode::Persist ||
            !s.m_rtx_timer.armed())
            arm_retransmit(s, now);
        if (fin) break;
        s.m_force_send = false;
        if (s.m_tlp_probe) break; // one segment
    }

    // RFC 8985 §7.2: new data (re)schedules the tail loss probe for the final flight.
    uint64_t pto;
    if (sent && s.m_rtx_mode == TcpTimerMode::Probe && probe_timeout(s, pto))
        m_stack.timers().arm(s.m_rtx_timer, now + pto);
    else if (sent && s.m_rtx_mode == TcpTimerMode::Retransmit && probe_timeout(s, pto) &&
             s.m_rtx_timer.expiry() > now + pto) {
        s.m_rtx_mode = TcpTimerMode::Probe;
        m_stack.timers().arm(s.m_rtx_timer, now + pto);
    }

    // 3. Zero window with data waiting and nothing in flight: probe (RFC 9293 §3.8.6.1).
    if (s.m_snd_una == s.m_snd_max && s.unsent_bytes() > 0 &&
        s.m_rtx_mode != TcpTimerMode::Persist) {
        arm_persist(s, now);
    }
    // 4. An ACK still owed.
    if (!sent && s.m_ack_now) send_ack(s);
}

} // namespace wisp::net
