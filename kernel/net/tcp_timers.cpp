// SPDX-License-Identifier: MIT
// TCP timers: retransmission (RFC 6298) with exponential backoff, persist (zero-window
// probes, RFC 9293 §3.8.6.1), delayed ACK (RFC 1122 §4.2.3.2), keepalive (RFC 1122
// §4.2.3.6), TIME-WAIT and orphaned FIN-WAIT-2.
#include "net/stack.h"
#include "net/tcp.h"

namespace wisp::net {

void Tcp::update_rtt(TcpSocket& s, uint64_t r) {
    // RFC 6298 §2.2-2.3 with alpha = 1/8, beta = 1/4; G = 1 ms (our timestamp clock).
    if (!s.m_rtt_valid) {
        s.m_srtt_us = r;
        s.m_rttvar_us = r / 2;
        s.m_rtt_valid = true;
    } else {
        uint64_t diff = s.m_srtt_us > r ? s.m_srtt_us - r : r - s.m_srtt_us;
        s.m_rttvar_us = (3 * s.m_rttvar_us + diff) / 4;
        s.m_srtt_us = (7 * s.m_srtt_us + r) / 8;
    }
    uint64_t var = 4 * s.m_rttvar_us;
    if (var < 1000) var = 1000;
    uint64_t rto = s.m_srtt_us + var;
    if (rto < m_config.rto_min_us) rto = m_config.rto_min_us;
    if (rto > m_config.rto_max_us) rto = m_config.rto_max_us;
    s.m_rto_us = rto;
}

uint64_t Tcp::current_rto(const TcpSocket& s) const {
    // RFC 6298 §5.5: double per expiry, capped.
    uint32_t shift = s.m_retries < 16 ? s.m_retries : 16;
    uint64_t rto = s.m_rto_us << shift;
    return rto > m_config.rto_max_us ? m_config.rto_max_us : rto;
}

bool Tcp::probe_timeout(const TcpSocket& s, uint64_t& pto) const {
    // RFC 8985 §7.2: with an RTT estimate and SACK, a tail loss probe at PTO = 2*SRTT (plus
    // the worst-case delayed ACK when only one segment is out), so a lost tail is found by
    // SACK recovery instead of a full RTO.
    bool established = s.m_state == TcpState::Established || s.m_state == TcpState::CloseWait;
    if (!established || !s.m_sack_enabled || !s.m_rtt_valid || s.m_in_recovery || s.m_tlp_sent ||
        s.m_retries != 0)
        return false;
    pto = 2 * s.m_srtt_us;
    if (flight_size(s) <= s.m_mss) pto += 200'000;
    if (pto < 10'000) pto = 10'000;
    return pto < current_rto(s);
}

void Tcp::arm_retransmit(TcpSocket& s, uint64_t now) {
    uint64_t pto;
    if (probe_timeout(s, pto)) {
        s.m_rtx_mode = TcpTimerMode::Probe;
        m_stack.timers().arm(s.m_rtx_timer, now + pto);
        return;
    }
    s.m_rtx_mode = TcpTimerMode::Retransmit;
    m_stack.timers().arm(s.m_rtx_timer, now + current_rto(s));
}

void Tcp::tail_loss_probe(TcpSocket& s, uint64_t now) {
    if (s.m_snd_una == s.m_snd_max) return;
    m_stats.tail_loss_probes++;
    s.m_tlp_sent = true;
    // RFC 8985 §7.3: send one new segment if there is one and the peer's window allows,
    // else retransmit the last segment sent.
    Seq before = s.m_snd_max;
    if (s.unsent_bytes() > 0 && s.m_snd_nxt == s.m_snd_max) {
        s.m_tlp_probe = true;
        output(s);
        s.m_tlp_probe = false;
    }
    if (s.m_snd_max == before) {
        Seq start = s.m_snd_max - (flight_size(s) < s.m_mss ? flight_size(s) : s.m_mss);
        if (start < s.m_snd_una) start = s.m_snd_una;
        Seq high = s.m_high_rxt;
        retransmit_range(s, start, seq_distance(start, s.m_snd_max));
        s.m_high_rxt = high; // a probe is not part of any recovery
    }
    arm_retransmit(s, now);
}

void Tcp::arm_persist(TcpSocket& s, uint64_t now) {
    // Probe intervals back off like the RTO, bounded by persist_max (RFC 1122 §4.2.2.17).
    uint64_t base = s.m_rto_us;
    uint32_t shift = s.m_persist_backoff < 16 ? s.m_persist_backoff : 16;
    uint64_t interval = base << shift;
    if (interval > m_config.persist_max_us) interval = m_config.persist_max_us;
    if (interval < m_config.rto_min_us) interval = m_config.rto_min_us;
    s.m_rtx_mode = TcpTimerMode::Persist;
    m_stack.timers().arm(s.m_rtx_timer, now + interval);
}

void Tcp::arm_keepalive(TcpSocket& s, uint64_t now) {
    (void)now;
    m_stack.timers().arm(s.m_keepalive_timer,
                         s.m_last_receive_us + uint64_t(s.m_keepalive_idle_s) * 1'000'000);
}

void Tcp::schedule_ack(TcpSocket& s) {
    if (!s.m_delack_timer.armed())
        m_stack.timers().arm(s.m_delack_timer, m_stack.now_us() + m_config.delayed_ack_us);
}

void Tcp::on_delack_timer(void* owner, uint64_t) {
    auto& s = *static_cast<TcpSocket*>(owner);
    s.m_tcp.send_ack(s);
}

void Tcp::on_rtx_timer(void* owner, uint64_t now) {
    auto& s = *static_cast<TcpSocket*>(owner);
    Tcp& tcp = s.m_tcp;
    TcpTimerMode mode = s.m_rtx_mode;
    s.m_rtx_mode = TcpTimerMode::None;
    if (mode == TcpTimerMode::Retransmit)
        tcp.retransmit_timeout(s, now);
    else if (mode == TcpTimerMode::Persist)
        tcp.persist_timeout(s, now);
    else if (mode == TcpTimerMode::Probe)
        tcp.tail_loss_probe(s, now);
}

void Tcp::retransmit_timeout(TcpSocket& s, uint64_t now) {
    m_stats.timeouts++;
    if (s.m_state == TcpState::SynSent || s.m_state == TcpState::SynReceived) {
        uint32_t limit = s.m_state == TcpState::SynSent ? m_config.syn_retries
                                                        : m_config.synack_retries;
        if (s.m_retries >= limit) {
            if (s.m_passive) {
                enter_state(s, TcpState::Closed); // an embryonic child simply goes away
                return;
            }
            reset_connection(s, s.m_has_soft_error ? s.m_soft_error : Errno::TIMEDOUT);
            return;
        }
        s.m_retries++;
        send_syn(s);
        arm_retransmit(s, now);
        return;
    }
    if (s.m_snd_una == s.m_snd_max) return; // everything was acknowledged meanwhile
    if (s.m_retries >= m_config.retries) {
        reset_connection(s, s.m_has_soft_error ? s.m_soft_error : Errno::TIMEDOUT);
        return;
    }
    s.m_retries++;
    // RFC 5681 §3.1: ssthresh from the flight size on the first timeout only; the loss
    // window is one segment. RFC 6582 §3.2 step 4: remember the highest sequence sent.
    if (s.m_retries == 1)
        s.m_cc.on_timeout(flight_size(s), s.m_mss, now);
    else
        s.m_cc.set_cwnd(s.m_mss);
    s.m_in_recovery = false;
    s.m_dupacks = 0;
    s.m_recover = s.m_snd_max;
    // RFC 2018 §8 says to forget SACK information after a timeout, in case the receiver
    // reneged; RFC 6675 §5.1 allows keeping it. Keep it for the first timeout (so the
    // resend skips what the peer holds) and forget it if the timeout repeats.
    if (s.m_retries > 1) s.m_scoreboard.clear();
    s.m_rtt_timing = false;
    if (!s.m_rto_ts_floor_valid) {
        s.m_rto_ts_floor = ts_now() + s.m_ts_offset;
        s.m_rto_ts_floor_valid = true;
    }
    // Go back to SND.UNA and resend from there as the window reopens.
    s.m_snd_nxt = s.m_snd_una;
    s.m_high_rxt = s.m_snd_una;
    output(s);
    if (s.m_state != TcpState::Closed && !s.m_rtx_timer.armed()) arm_retransmit(s, now);
}

void Tcp::persist_timeout(TcpSocket& s, uint64_t now) {
    if (s.m_state == TcpState::Closed) return;
    if (s.unsent_bytes() == 0) {
        s.m_persist_backoff = 0;
        return;
    }
    if (s.m_snd_wnd > 0) {
        // A window too small for the sender's SWS rules: the override timeout of RFC 9293
        // §3.8.6.2.1 (d) sends what fits anyway.
        s.m_persist_backoff = 0;
        s.m_force_send = true;
        output(s);
        s.m_force_send = false;
        if (s.m_snd_una == s.m_snd_max && s.unsent_bytes() > 0 && !s.m_rtx_timer.armed())
            arm_persist(s, now);
        return;
    }
    if (s.m_persist_backoff >= m_config.retries) {
        // The peer has stopped answering probes altogether.
        reset_connection(s, Errno::TIMEDOUT);
        return;
    }
    // A zero-window probe: an old sequence number forces the peer to answer with an ACK
    // carrying its current window (Linux's tcp_write_wakeup style probe).
    send_control(s, s.m_snd_una - 1, kTcpAck);
    s.m_persist_backoff++;
    arm_persist(s, now);
}

void Tcp::on_keepalive_timer(void* owner, uint64_t now) {
    auto& s = *static_cast<TcpSocket*>(owner);
    Tcp& tcp = s.m_tcp;
    switch (s.m_state) {
    case TcpState::TimeWait:
        tcp.enter_state(s, TcpState::Closed);
        tcp.notify(s);
        return;
    case TcpState::FinWait2:
        if (s.m_user_closed) {
            tcp.enter_state(s, TcpState::Closed);
            return;
        }
        break;
    default:
        break;
    }
    if (!s.m_keepalive) return;
    if (s.m_state != TcpState::Established && s.m_state != TcpState::CloseWait &&
        s.m_state != TcpState::FinWait2)
        return;
    uint64_t idle_us = uint64_t(s.m_keepalive_idle_s) * 1'000'000;
    uint64_t interval_us = uint64_t(s.m_keepalive_interval_s) * 1'000'000;
    // Data in flight or queued: the retransmission timer is watching the peer.
    if (s.m_snd_una != s.m_snd_max || s.m_send.size() > 0) {
        tcp.stack().timers().arm(s.m_keepalive_timer, now + idle_us);
        return;
    }
    uint64_t idle = now - s.m_last_receive_us;
    if (s.m_keepalive_probes == 0 && idle < idle_us) {
        tcp.stack().timers().arm(s.m_keepalive_timer, s.m_last_receive_us + idle_us);
        return;
    }
    if (s.m_keepalive_probes >= s.m_keepalive_count) {
        tcp.reset_connection(s, Errno::TIMEDOUT);
        return;
    }
    // RFC 1122 §4.2.3.6: a segment with SEG.SEQ = SND.NXT - 1 and no data.
    tcp.send_control(s, s.m_snd_nxt - 1, kTcpAck);
    s.m_keepalive_probes++;
    tcp.stack().timers().arm(s.m_keepalive_timer, now + interval_us);
}

} // namespace wisp::net
