// SPDX-License-Identifier: MIT
#include "net/tcp_congestion.h"

namespace wisp::net {

uint64_t integer_cube_root(uint64_t x) {
    // Bitwise: decide the result one bit at a time from the top (the root of a 64-bit
    // value has at most 22 bits). c^3 <= x is tested as c*c <= x/c to avoid overflow.
    uint64_t r = 0;
    for (int bit = 21; bit >= 0; bit--) {
        uint64_t candidate = r | (uint64_t(1) << bit);
        if (candidate * candidate <= x / candidate) r = candidate;
    }
    return r;
}

void CongestionControl::init(CongestionAlgorithm algorithm, uint32_t mss) {
    m_algorithm = algorithm;
    // RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)).
    uint32_t iw = 10 * mss;
    uint32_t cap = 2 * mss > 14600 ? 2 * mss : 14600;
    m_cwnd = iw < cap ? iw : cap;
    m_ssthresh = 0xffffffffu;
    m_bytes_acked = 0;
    m_w_max = m_w_last_max = m_cwnd_epoch = m_w_est = m_k_ms = 0;
    m_epoch_start_us = 0;
}

void CongestionControl::on_ack(uint32_t acked, uint32_t mss, uint64_t now_us, uint64_t rtt_us) {
    if (acked == 0) return;
    if (m_cwnd >= kMaxCwnd) return;
    if (m_cwnd < m_ssthresh) {
        // Slow start with ABC, L = 2*SMSS (RFC 3465 §2.2).
        uint32_t inc = acked < 2 * mss ? acked : 2 * mss;
        m_cwnd += inc;
        if (m_cwnd > m_ssthresh && m_ssthresh != 0xffffffffu) m_cwnd = m_ssthresh;
        return;
    }
    if (m_algorithm == CongestionAlgorithm::Cubic) {
        cubic_congestion_avoidance(acked, mss, now_us, rtt_us);
        return;
    }
    // Reno congestion avoidance with byte counting: one SMSS per cwnd of acked bytes.
    m_bytes_acked += acked;
    if (m_bytes_acked >= m_cwnd) {
        m_bytes_acked -= m_cwnd;
        m_cwnd += mss;
    }
}

void CongestionControl::on_loss(uint32_t flight_size, uint32_t mss, uint64_t now_us) {
    (void)now_us;
    if (m_algorithm == CongestionAlgorithm::Cubic) {
        cubic_reduce(mss);
        m_cwnd = m_ssthresh;
        return;
    }
    // RFC 5681 §3.2 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS); RFC 6582 then sets
    // cwnd = ssthresh (+3*SMSS of inflation, which the caller's pipe accounting replaces).
    uint32_t half = flight_size / 2;
    m_ssthresh = half > 2 * mss ? half : 2 * mss;
    m_cwnd = m_ssthresh;
    m_bytes_acked = 0;
}

void CongestionControl::on_timeout(uint32_t flight_size, uint32_t mss, uint64_t now_us) {
    (void)now_us;
    if (m_algorithm == CongestionAlgorithm::Cubic) {
        cubic_reduce(mss);
    } else {
        uint32_t half = flight_size / 2;
        m_ssthresh = half > 2 * mss ? half : 2 * mss;
    }
    m_cwnd = mss; // the loss window (RFC 5681 §3.1)
    m_bytes_acked = 0;
}

void CongestionControl::on_idle_restart(uint32_t mss) {
    uint32_t rw = 10 * mss < m_cwnd ? 10 * mss : m_cwnd;
    m_cwnd = rw;
    m_epoch_start_us = 0;
}

// RFC 9438 §4.6-4.7: W_max is the window where loss happened (reduced further under fast
// convergence), ssthresh = cwnd * beta_cubic with beta_cubic = 0.7.
void CongestionControl::cubic_reduce(uint32_t mss) {
    uint32_t cwnd = m_cwnd;
    if (cwnd < m_w_last_max) {
        // Fast convergence: release bandwidth to new flows. W_max = cwnd * (1 + beta) / 2.
        m_w_last_max = cwnd;
        m_w_max = uint32_t(uint64_t(cwnd) * 17 / 20);
    } else {
        m_w_last_max = cwnd;
        m_w_max = cwnd;
    }
    uint32_t reduced = uint32_t(uint64_t(cwnd) * 7 / 10);
    m_ssthresh = reduced > 2 * mss ? reduced : 2 * mss;
    m_epoch_start_us = 0;
    m_bytes_acked = 0;
}

void CongestionControl::cubic_congestion_avoidance(uint32_t acked, uint32_t mss,
                                                   uint64_t now_us, uint64_t rtt_us) {
    if (m_epoch_start_us == 0) {
        // §4.2: a new congestion-avoidance epoch.
        m_epoch_start_us = now_us ? now_us : 1;
        m_cwnd_epoch = m_cwnd;
        m_w_est = m_cwnd;
        if (m_w_max <= m_cwnd) {
            m_k_ms = 0;
            m_w_max = m_cwnd;
        } else {
            // K = cbrt((W_max - cwnd_epoch) / C) seconds, C = 0.4 segments/s^3. In ms and
            // bytes: K_ms^3 = (W_max - cwnd_epoch)/MSS / 0.4 * 10^9.
            uint64_t diff = m_w_max - m_cwnd;
            m_k_ms = uint32_t(integer_cube_root(diff * 2'500'000'000ull / mss));
        }
    }
    // t = time since epoch start + one RTT (§4.2: W_cubic(t + RTT) as the target).
    uint64_t t_ms = (now_us - m_epoch_start_us + rtt_us) / 1000;
    int64_t d = int64_t(t_ms) - int64_t(m_k_ms);
    if (d > (int64_t(1) << 20)) d = int64_t(1) << 20;
    if (d < -(int64_t(1) << 20)) d = -(int64_t(1) << 20);
    // W_cubic = C * (t - K)^3 + W_max: 0.4 * MSS bytes per s^3, d in ms.
    int64_t cube = d * d * d; // |d| <= 2^20, so |cube| <= 2^60
    int64_t delta = (cube / 1'000'000) * int64_t(4 * mss) / 10'000;
    int64_t target = int64_t(m_w_max) + delta;
    // Never grow by more than half the window per RTT (§4.4: target <= 1.5 cwnd).
    int64_t limit = int64_t(m_cwnd) + m_cwnd / 2;
    if (target > limit) target = limit;
    if (target < int64_t(m_cwnd)) target = m_cwnd;

    // §4.3 Reno-friendly region: W_est grows by alpha_cubic = 3(1-beta)/(1+beta) ~ 0.53
    // segments per window of acked data (1 segment once W_est reaches W_max).
    m_bytes_acked += acked;
    uint32_t alpha_num = m_w_est >= m_w_max ? 1024 : 541;
    if (m_bytes_acked >= m_w_est && m_w_est > 0) {
        m_bytes_acked -= m_w_est;
        m_w_est += uint32_t(uint64_t(mss) * alpha_num / 1024);
    }
    if (int64_t(m_w_est) > target) {
        target = m_w_est;
        if (target > limit) target = limit;
    }
    // §4.4: cwnd += (target - cwnd) / cwnd per SMSS acked.
    uint64_t increase = uint64_t(target - int64_t(m_cwnd)) * acked / m_cwnd;
    if (increase == 0 && target > int64_t(m_cwnd) && acked >= mss) increase = 1;
    m_cwnd += uint32_t(increase);
}

} // namespace wisp::net
