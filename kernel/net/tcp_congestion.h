// SPDX-License-Identifier: MIT
#pragma once

#include <stdint.h>

// Congestion control: slow start and congestion avoidance (RFC 5681) with appropriate byte
// counting (RFC 3465), NewReno (RFC 6582) or CUBIC (RFC 9438) window growth, and the
// multiplicative decrease on loss. Integer arithmetic only: the kernel has no floating point.
// Loss detection and recovery (which segments to resend) live in the connection; this
// decides only how large the window is.
namespace wisp::net {

enum class CongestionAlgorithm : uint8_t { NewReno, Cubic };

// Integer cube root: the largest r with r^3 <= x.
uint64_t integer_cube_root(uint64_t x);

class CongestionControl {
public:
    // Far above any window TCP can use (2^30, the largest scaled window), and safe from
    // 32-bit overflow in the arithmetic below.
    static constexpr uint32_t kMaxCwnd = 1u << 30;
    void init(CongestionAlgorithm algorithm, uint32_t mss);
    // `acked` newly acknowledged bytes outside recovery. `rtt_us` is the smoothed RTT (or 0).
    void on_ack(uint32_t acked, uint32_t mss, uint64_t now_us, uint64_t rtt_us);
    // Entering fast recovery: sets ssthresh and cwnd (RFC 5681 §3.2 / RFC 9438 §4.6).
    void on_loss(uint32_t flight_size, uint32_t mss, uint64_t now_us);
    // Recovery finished (RFC 6582 §3.2 step 3: cwnd = ssthresh).
    void on_recovery_exit() { m_cwnd = m_ssthresh; }
    // Retransmission timeout (RFC 5681 §3.1 eq. 4, RFC 9438 §4.8).
    void on_timeout(uint32_t flight_size, uint32_t mss, uint64_t now_us);
    // An idle connection restarts from the restart window (RFC 5681 §4.1).
    void on_idle_restart(uint32_t mss);

    uint32_t cwnd() const { return m_cwnd; }
    uint32_t ssthresh() const { return m_ssthresh; }
    bool in_slow_start() const { return m_cwnd < m_ssthresh; }
    CongestionAlgorithm algorithm() const { return m_algorithm; }
    // For tests: force a window.
    void set_cwnd(uint32_t cwnd) { m_cwnd = cwnd; }
    void set_ssthresh(uint32_t s) { m_ssthresh = s; }
    uint32_t cubic_w_max() const { return m_w_max; }
    uint32_t cubic_k_ms() const { return m_k_ms; }

private:
    void cubic_congestion_avoidance(uint32_t acked, uint32_t mss, uint64_t now_us,
                                    uint64_t rtt_us);
    void cubic_reduce(uint32_t mss);

    CongestionAlgorithm m_algorithm = CongestionAlgorithm::Cubic;
    uint32_t m_cwnd = 0;
    uint32_t m_ssthresh = 0xffffffffu;
    uint32_t m_bytes_acked = 0; // RFC 3465 byte counter for congestion avoidance

    // CUBIC state (RFC 9438 §4): window sizes in bytes, times in ms.
    uint32_t m_w_max = 0;
    uint32_t m_w_last_max = 0;   // for fast convergence (§4.7)
    uint32_t m_cwnd_epoch = 0;
    uint32_t m_w_est = 0;        // Reno-friendly estimate (§4.3)
    uint32_t m_k_ms = 0;
    uint64_t m_epoch_start_us = 0; // 0 = no epoch yet
};

} // namespace wisp::net
