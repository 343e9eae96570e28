// SPDX-License-Identifier: MIT
// Steal time: the reader of KVM's steal-time area (its version protocol, against a host thread
// playing the hypervisor) and the run clock the scheduler measures CPU time on.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "arch/x86_64/steal_time.h"
#include "time/run_clock.h"

namespace {

using wisp::time::RunClock;
using wisp::x86::KvmStealTime;
using wisp::x86::read_steal_ns;
using wisp::x86::StealClock;

TEST(StealTime, LayoutIsKvms) {
    // Documentation/virt/kvm/x86/msr.rst: steal at 0, version at 8, flags at 12, preempted at 16.
    EXPECT_EQ(offsetof(KvmStealTime, steal), 0u);
    EXPECT_EQ(offsetof(KvmStealTime, version), 8u);
    EXPECT_EQ(offsetof(KvmStealTime, flags), 12u);
    EXPECT_EQ(offsetof(KvmStealTime, preempted), 16u);
    EXPECT_EQ(alignof(KvmStealTime), 64u);
}

TEST(StealTime, ReadsThePublishedTotal) {
    KvmStealTime area{};
    uint64_t steal = 1;
    EXPECT_FALSE(read_steal_ns(area, steal)); // version 0: the host has not written it yet
    area.version = 2;
    area.steal = 123'456'789;
    EXPECT_TRUE(read_steal_ns(area, steal));
    EXPECT_EQ(steal, 123'456'789u);
}

// An odd version: the host is in the middle of an update. The reader must wait for it to end
// and return the new total, not the half-written one.
TEST(StealTime, WaitsWhileTheHostWrites) {
    KvmStealTime area{};
    area.version = 5;
    area.steal = 111;
    std::atomic<bool> done{false};
    uint64_t got = 0;
    std::thread reader([&] {
        EXPECT_TRUE(read_steal_ns(area, got));
        done.store(true);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(done.load());
    __atomic_store_n(&area.steal, 222, __ATOMIC_RELAXED);
    __atomic_store_n(&area.version, 6, __ATOMIC_RELEASE);
    reader.join();
    EXPECT_EQ(got, 222u);
}

// A host thread publishes totals whose two halves are equal, writing the halves one at a time
// inside the version protocol; every total the reader returns must be whole, and they must
// never go down.
TEST(StealTime, NeverReturnsATornTotal) {
    KvmStealTime area{};
    std::atomic<bool> stop{false};
    std::thread host([&] {
        auto* halves = reinterpret_cast<uint32_t*>(&area.steal);
        uint32_t version = 0;
        for (uint32_t k = 1; !stop.load(std::memory_order_relaxed); k++) {
            __atomic_store_n(&area.version, ++version, __ATOMIC_RELAXED);
            __atomic_thread_fence(__ATOMIC_RELEASE);
            __atomic_store_n(&halves[0], k, __ATOMIC_RELAXED);
            __atomic_store_n(&halves[1], k, __ATOMIC_RELAXED);
            __atomic_store_n(&area.version, ++version, __ATOMIC_RELEASE);
        }
    });
    uint64_t last = 0;
    int torn = 0, backwards = 0;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (std::chrono::steady_clock::now() < end) {
        for (int i = 0; i < 1000; i++) {
            uint64_t steal = 0;
            (void)read_steal_ns(area, steal);
            torn += (steal >> 32) != (steal & 0xffff'ffff);
            backwards += steal < last;
            last = steal;
        }
    }
    stop.store(true);
    host.join();
    EXPECT_EQ(torn, 0);
    EXPECT_EQ(backwards, 0);
    EXPECT_GT(last, 0u);
}

// KVM's first update of an area adds everything its host thread waited since it began: that
// is not steal of this guest's, and counting starts there.
TEST(StealTime, CountsFromTheFirstUpdate) {
    StealClock clock{};
    EXPECT_EQ(clock.stolen_ns(), 0u); // nothing published yet
    clock.area.steal = 528'000'000;
    clock.area.version = 2;
    EXPECT_EQ(clock.stolen_ns(), 0u);
    clock.area.steal = 600'000'000;
    clock.area.version = 4;
    EXPECT_EQ(clock.stolen_ns(), 72'000'000u);
    EXPECT_EQ(clock.stolen_ns(), 72'000'000u);
}

TEST(RunClock, FollowsTheMonotonicClockWithoutSteal) {
    RunClock clock;
    EXPECT_EQ(clock.advance(100, 0), 100u);
    EXPECT_EQ(clock.advance(250, 0), 250u);
    EXPECT_EQ(clock.value(), 250u);
}

TEST(RunClock, LeavesOutStolenTime) {
    RunClock clock;
    EXPECT_EQ(clock.advance(1000, 200), 800u); // steal since boot counts from the first call
    EXPECT_EQ(clock.advance(2000, 600), 1400u);
}

// Another CPU read the clock while this vCPU was stalled and its steal not yet published: the
// stall counted as run time. When the steal arrives the clock stands still until the excess is
// taken off, rather than going back.
TEST(RunClock, NeverGoesBackAndTakesLateStealFromLaterTime) {
    RunClock clock;
    EXPECT_EQ(clock.advance(1000, 0), 1000u);
    EXPECT_EQ(clock.advance(1500, 0), 1500u);   // the stall of 500, unknown yet
    EXPECT_EQ(clock.advance(1600, 500), 1500u); // published: 100 of it taken off now
    EXPECT_EQ(clock.advance(2000, 500), 1500u); // 400 more
    EXPECT_EQ(clock.advance(2500, 500), 2000u); // and then time runs again
}

TEST(RunClock, AnEarlierReadingChangesNothing) {
    RunClock clock;
    EXPECT_EQ(clock.advance(1000, 100), 900u);
    EXPECT_FALSE(clock.behind(1000));
    EXPECT_FALSE(clock.behind(900));
    EXPECT_EQ(clock.advance(900, 0), 900u);
    EXPECT_TRUE(clock.behind(1001));
}

TEST(RunClock, ASmallerStealTotalAddsNoTime) {
    RunClock clock;
    EXPECT_EQ(clock.advance(1000, 300), 700u);
    EXPECT_EQ(clock.advance(2000, 100), 1700u);
    EXPECT_EQ(clock.advance(3000, 400), 2600u);
}

} // namespace
