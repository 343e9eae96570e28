// SPDX-License-Identifier: MIT
#include "linux/interval_timer.h"

#include "platform/platform.h"

namespace wisp::linux {

Result<uint64_t> timespec_to_ns(const Timespec& t) {
    if (t.tv_sec < 0 || t.tv_nsec < 0 || t.tv_nsec >= static_cast<int64_t>(kNsPerSecond))
        return Errno::INVAL;
    if (static_cast<uint64_t>(t.tv_sec) > (~0ull >> 2) / kNsPerSecond) return ~0ull >> 2;
    return static_cast<uint64_t>(t.tv_sec) * kNsPerSecond + static_cast<uint64_t>(t.tv_nsec);
}

Timespec ns_to_timespec(uint64_t ns) {
    return {static_cast<int64_t>(ns / kNsPerSecond), static_cast<int64_t>(ns % kNsPerSecond)};
}

bool is_realtime_clock(int clock) {
    return clock == kClockRealtime || clock == kClockRealtimeAlarm || clock == kClockTai;
}

IntervalTimer::IntervalTimer(Expired expired, void* owner) : m_expired(expired), m_owner(owner) {
    m_timer.fire = &IntervalTimer::fire;
    m_timer.context = this;
}

void IntervalTimer::set(uint64_t first, uint64_t interval) {
    m_expiry = first;
    m_interval = first == 0 ? 0 : interval;
    if (first == 0) sched::stop_timer(m_timer);
    else sched::start_timer(m_timer, first);
}

Result<void> IntervalTimer::set(const Itimerspec& spec, int clock, bool absolute) {
    uint64_t value = TRY(timespec_to_ns(spec.value));
    uint64_t interval = TRY(timespec_to_ns(spec.interval));
    if (value == 0) {
        set(0, 0);
        return {};
    }
    uint64_t now = platform::monotonic_ns();
    uint64_t first;
    if (absolute) {
        // The wall clock never jumps here (no settimeofday), so a realtime deadline is a
        // monotonic one shifted by the boot time.
        uint64_t offset = is_realtime_clock(clock) ? platform::boot_epoch_ns() : 0;
        first = value > offset ? value - offset : 1;
    } else {
        first = now + value;
    }
    set(first, interval);
    return {};
}

Itimerspec IntervalTimer::get() {
    uint64_t now = platform::monotonic_ns();
    catch_up(now);
    uint64_t left = m_expiry > now ? m_expiry - now : 0;
    return {ns_to_timespec(m_interval), ns_to_timespec(left)};
}

void IntervalTimer::catch_up() { catch_up(platform::monotonic_ns()); }

void IntervalTimer::catch_up(uint64_t now) {
    if (m_expiry == 0 || now < m_expiry) return;
    uint64_t count = 1;
    if (m_interval != 0) {
        count = (now - m_expiry) / m_interval + 1;
        m_expiry += count * m_interval;
        sched::start_timer(m_timer, m_expiry);
    } else {
        m_expiry = 0;
        sched::stop_timer(m_timer);
    }
    m_expired(*this, count);
}

void IntervalTimer::fire(sched::Timer& timer) {
    static_cast<IntervalTimer*>(timer.context)->catch_up(platform::monotonic_ns());
}

} // namespace wisp::linux
