// SPDX-License-Identifier: MIT
// The vDSO as built (build/kernel/vdso/linux-vdso.so.1), loaded into this host process the way
// the kernel maps it — a [vvar] page the test writes, the image right above it — and called:
// with the clock published it computes from the page's parameters alone; without (the kernel's
// clock not set up yet, or not readable from user mode) and for clocks it cannot serve it makes
// the real system call, here the host's. The guest side is tests/guest/time_vdso.c.
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <x86intrin.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vdso/vvar.h"

namespace {

using wisp::vdso::ClockMode;
using wisp::vdso::ClockParams;
using wisp::vdso::VvarPage;

constexpr int64_t kNsPerSec = 1'000'000'000;

int64_t ns_of(const timespec& t) { return t.tv_sec * kNsPerSec + t.tv_nsec; }

int64_t host_ns(clockid_t clock) {
    timespec t;
    clock_gettime(clock, &t);
    return ns_of(t);
}

class Vdso : public ::testing::Test {
  protected:
    void SetUp() override {
        std::ifstream file(std::string(WISP_BINARY_DIR) + "/kernel/vdso/linux-vdso.so.1", std::ios::binary);
        ASSERT_TRUE(file) << "build the kernel first (ninja wisp-kernel builds the vDSO)";
        std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        m_image_bytes = (bytes.size() + 4095) / 4096 * 4096;
        m_mapping = static_cast<char*>(mmap(nullptr, 4096 + m_image_bytes, PROT_READ | PROT_WRITE,
                                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        ASSERT_NE(m_mapping, MAP_FAILED);
        memcpy(m_mapping + 4096, bytes.data(), bytes.size());
        ASSERT_EQ(mprotect(m_mapping + 4096, m_image_bytes, PROT_READ | PROT_EXEC), 0);
        m_vvar = reinterpret_cast<VvarPage*>(m_mapping);
        clock_gettime_ = reinterpret_cast<int (*)(clockid_t, timespec*)>(symbol("__vdso_clock_gettime"));
        gettimeofday_ = reinterpret_cast<int (*)(timeval*, struct timezone*)>(symbol("__vdso_gettimeofday"));
        time_ = reinterpret_cast<time_t (*)(time_t*)>(symbol("__vdso_time"));
        clock_getres_ = reinterpret_cast<int (*)(clockid_t, timespec*)>(symbol("__vdso_clock_getres"));
        getcpu_ = reinterpret_cast<int (*)(unsigned*, unsigned*, void*)>(symbol("__vdso_getcpu"));
        ASSERT_TRUE(clock_gettime_ && gettimeofday_ && time_ && clock_getres_ && getcpu_);
    }
    void TearDown() override {
        if (m_mapping != nullptr && m_mapping != MAP_FAILED) munmap(m_mapping, 4096 + m_image_bytes);
    }

    // Through DT_HASH, as musl does (linked at 0: addresses are offsets from the image).
    void* symbol(const char* name) {
        char* base = m_mapping + 4096;
        auto* ehdr = reinterpret_cast<Elf64_Ehdr*>(base);
        auto* ph = reinterpret_cast<Elf64_Phdr*>(base + ehdr->e_phoff);
        const Elf64_Dyn* dyn = nullptr;
        for (int i = 0; i < ehdr->e_phnum; i++)
            if (ph[i].p_type == PT_DYNAMIC) dyn = reinterpret_cast<Elf64_Dyn*>(base + ph[i].p_offset);
        if (dyn == nullptr) return nullptr;
        const Elf64_Sym* symtab = nullptr;
        const char* strtab = nullptr;
        const Elf32_Word* hash = nullptr;
        for (; dyn->d_tag != DT_NULL; dyn++) {
            if (dyn->d_tag == DT_SYMTAB) symtab = reinterpret_cast<Elf64_Sym*>(base + dyn->d_un.d_ptr);
            if (dyn->d_tag == DT_STRTAB) strtab = base + dyn->d_un.d_ptr;
            if (dyn->d_tag == DT_HASH) hash = reinterpret_cast<Elf32_Word*>(base + dyn->d_un.d_ptr);
        }
        if (!symtab || !strtab || !hash) return nullptr;
        for (uint32_t i = 1; i < hash[1]; i++)
            if (strcmp(strtab + symtab[i].st_name, name) == 0) return base + symtab[i].st_value;
        return nullptr;
    }

    // Publishes `p` as the kernel does (vdso/vvar.h).
    void publish(const ClockParams& p) {
        m_vvar->seq++;
        m_vvar->clock = p;
        m_vvar->mode = ClockMode::Tsc;
        m_vvar->seq++;
    }

    char* m_mapping = nullptr;
    size_t m_image_bytes = 0;
    VvarPage* m_vvar = nullptr;
    int (*clock_gettime_)(clockid_t, timespec*) = nullptr;
    int (*gettimeofday_)(timeval*, struct timezone*) = nullptr;
    time_t (*time_)(time_t*) = nullptr;
    int (*clock_getres_)(clockid_t, timespec*) = nullptr;
    int (*getcpu_)(unsigned*, unsigned*, void*) = nullptr;
};

TEST(VvarFormula, PvclockScaling) {
    // 1000 ticks, shifted right once, times 0.5: 250 ns.
    EXPECT_EQ(wisp::vdso::monotonic_ns_at({0, 0, 1u << 31, -1, 0}, 1000), 250u);
    // Shifted left twice, times 0.25: one ns per tick, from the bases.
    EXPECT_EQ(wisp::vdso::monotonic_ns_at({100, 7, 1u << 30, 2, 0}, 1100), 1007u);
    // A reading before the base counts as the base.
    EXPECT_EQ(wisp::vdso::monotonic_ns_at({1000, 5, 1u << 31, 1, 0}, 999), 5u);
    // 16 hours at 3 GHz without overflow.
    EXPECT_EQ(wisp::vdso::monotonic_ns_at({0, 0, 1u << 31, 1, 0}, 57'600'000'000'000ull),
              57'600'000'000'000ull);
}

TEST(VvarFormula, ParamsForTscHzGiveOneSecondPerHzTicks) {
    for (uint64_t hz : {1'000'000'000ull, 2'500'000'000ull, 2'999'999'000ull, 3'700'000'000ull,
                        100'000'000ull, 19'200'000ull, 1ull}) {
        ClockParams p = wisp::vdso::params_for_tsc_hz(hz);
        uint64_t ns = wisp::vdso::monotonic_ns_at(p, hz * 3600); // one hour of ticks
        EXPECT_NEAR(static_cast<double>(ns), 3600e9, 3600e9 * 1e-9 + 1) << hz;
        if (hz <= 1'000'000'000) {
            EXPECT_GE(p.mul, 1u << 31) << hz;
        }
    }
}

TEST_F(Vdso, UnpublishedClockMakesTheSystemCall) {
    // The [vvar] page as before the kernel's clock is set up: all zero.
    for (clockid_t clock : {CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME, CLOCK_MONOTONIC_COARSE}) {
        int64_t before = host_ns(clock);
        timespec t;
        ASSERT_EQ(clock_gettime_(clock, &t), 0);
        EXPECT_LE(before, ns_of(t)) << clock;
        EXPECT_LE(ns_of(t), host_ns(clock)) << clock;
    }
    timeval tv;
    int64_t before = host_ns(CLOCK_REALTIME) / 1000;
    ASSERT_EQ(gettimeofday_(&tv, nullptr), 0);
    EXPECT_LE(before, tv.tv_sec * 1'000'000 + tv.tv_usec);
    EXPECT_LE(tv.tv_sec * 1'000'000 + tv.tv_usec, host_ns(CLOCK_REALTIME) / 1000);
    time_t out = 0;
    time_t now = time_(&out);
    EXPECT_EQ(now, out);
    EXPECT_LE(std::abs(now - time(nullptr)), 1);
    // getcpu without a published CPU count: the host's answer (the thread may move: retry).
    bool same = false;
    for (int i = 0; i < 100 && !same; i++) {
        unsigned cpu = ~0u, node = ~0u;
        same = getcpu_(&cpu, &node, nullptr) == 0 && static_cast<int>(cpu) == sched_getcpu();
    }
    EXPECT_TRUE(same);
}

TEST_F(Vdso, PublishedClockIsComputedFromThePage) {
    // One ns per tick (shift 1, mul 0.5), a monotonic clock at 1000 s and a wall clock far from
    // the host's, so a value from the system call would show.
    const int64_t kBase = 1000 * kNsPerSec, kEpoch = 1'000'000'000 * kNsPerSec;
    uint64_t tsc_base = __rdtsc();
    publish({tsc_base, kBase, 1u << 31, 1, kEpoch});
    auto expected = [&](uint64_t tsc) { return kBase + static_cast<int64_t>(tsc - tsc_base); };
    for (clockid_t clock : {CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC_COARSE,
                            CLOCK_BOOTTIME, CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_TAI}) {
        bool realtime = clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE || clock == CLOCK_TAI;
        int64_t offset = realtime ? kEpoch : 0;
        uint64_t tsc0 = __rdtsc();
        timespec t;
        ASSERT_EQ(clock_gettime_(clock, &t), 0);
        uint64_t tsc1 = __rdtsc();
        EXPECT_GE(ns_of(t), expected(tsc0) + offset) << clock;
        EXPECT_LE(ns_of(t), expected(tsc1) + offset) << clock;
        EXPECT_LT(t.tv_nsec, kNsPerSec);
    }
    uint64_t tsc0 = __rdtsc();
    timeval tv;
    struct timezone tz = {-1, -1};
    ASSERT_EQ(gettimeofday_(&tv, &tz), 0);
    uint64_t tsc1 = __rdtsc();
    EXPECT_GE(tv.tv_sec * 1'000'000 + tv.tv_usec, (expected(tsc0) + kEpoch) / 1000);
    EXPECT_LE(tv.tv_sec * 1'000'000 + tv.tv_usec, (expected(tsc1) + kEpoch) / 1000);
    EXPECT_EQ(tz.tz_minuteswest, 0);
    EXPECT_EQ(tz.tz_dsttime, 0);
    EXPECT_EQ(time_(nullptr), (expected(__rdtsc()) + kEpoch) / kNsPerSec);

    // CPU-time clocks are never the page's: the host's process CPU time, far below 1000 s.
    timespec cpu;
    ASSERT_EQ(clock_gettime_(CLOCK_PROCESS_CPUTIME_ID, &cpu), 0);
    EXPECT_LT(ns_of(cpu), kBase);
    EXPECT_LE(ns_of(cpu), host_ns(CLOCK_PROCESS_CPUTIME_ID));
    // Unknown ids: the system call's error, as -errno.
    EXPECT_EQ(clock_gettime_(100, &cpu), -EINVAL);
    EXPECT_EQ(clock_getres_(100, &cpu), -EINVAL);

    timespec res;
    ASSERT_EQ(clock_getres_(CLOCK_MONOTONIC, &res), 0);
    EXPECT_EQ(ns_of(res), 1);
    ASSERT_EQ(clock_getres_(CLOCK_REALTIME_COARSE, &res), 0);
    EXPECT_EQ(ns_of(res), wisp::vdso::kCoarseResolutionNs);
    EXPECT_EQ(clock_getres_(CLOCK_MONOTONIC, nullptr), 0);
}

TEST_F(Vdso, ReadingBeforeTheBaseGivesTheBase) {
    publish({__rdtsc() + (1ull << 50), 42, 1u << 31, 1, 0});
    timespec t;
    ASSERT_EQ(clock_gettime_(CLOCK_MONOTONIC, &t), 0);
    EXPECT_EQ(ns_of(t), 42);
}

TEST_F(Vdso, OneCpuNeedsNoSystemCall) {
    m_vvar->cpus = 1;
    unsigned cpu = ~0u, node = ~0u;
    ASSERT_EQ(getcpu_(&cpu, &node, nullptr), 0);
    EXPECT_EQ(cpu, 0u);
    EXPECT_EQ(node, 0u);
    EXPECT_EQ(getcpu_(nullptr, nullptr, nullptr), 0);
}

} // namespace
