// SPDX-License-Identifier: MIT
#include "kvm/cpu_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kvm/vm.h"
#include "test_elf.h"

namespace wisp::vmm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

kvm_cpuid_entry2 leaf(uint32_t function, uint32_t index, uint32_t eax, uint32_t ebx, uint32_t ecx,
                      uint32_t edx) {
    kvm_cpuid_entry2 e{};
    e.function = function;
    e.index = index;
    e.eax = eax;
    e.ebx = ebx;
    e.ecx = ecx;
    e.edx = edx;
    return e;
}

// What a KVM advertising everything might report.
std::vector<kvm_cpuid_entry2> everything() {
    return {
        leaf(0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65),
        leaf(1, 0, 0xb00f21, 0x800, 0x7ffefbff, 0x178bfbff),
        leaf(7, 0, 1, 0xffffffff, 0xffffffff, 0xffffffff),
        leaf(7, 1, 0xffffffff, 0, 0, 0xffffffff),
        leaf(0xd, 0, 0x2e7, 0x340, 0xa88, 0),
        leaf(0xd, 1, 0xf, 0x340, 0, 0),
        leaf(0xd, 2, 0x100, 0x240, 0, 0),
        leaf(0xd, 5, 0x40, 0x340, 0, 0),
        leaf(0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d),
        leaf(0x40000001, 0, 0x01007efb, 0, 0, 0),
        leaf(0x80000001, 0, 0, 0, 0xffffffff, 0xffffffff),
        leaf(0x8000000a, 0, 1, 0x8000, 0, 0xffff),
    };
}

const kvm_cpuid_entry2& find(const std::vector<kvm_cpuid_entry2>& v, uint32_t f, uint32_t i = 0) {
    for (auto& e : v)
        if (e.function == f && e.index == i) return e;
    throw std::runtime_error("leaf missing");
}

bool bit(uint32_t reg, unsigned n) {
    return reg >> n & 1;
}

CpuProbe all_work() {
    CpuProbe p;
    for (bool CpuProbe::*m :
         {&CpuProbe::xsave,  &CpuProbe::xsaveopt, &CpuProbe::xsavec, &CpuProbe::avx,
          &CpuProbe::avx2,   &CpuProbe::avx512,   &CpuProbe::smap,   &CpuProbe::sysret,
          &CpuProbe::popcnt, &CpuProbe::cx16,     &CpuProbe::rdtscp, &CpuProbe::rdpid,
          &CpuProbe::sse42,  &CpuProbe::bmi1,     &CpuProbe::bmi2,   &CpuProbe::lzcnt,
          &CpuProbe::movbe,  &CpuProbe::fsgsbase, &CpuProbe::rdrand, &CpuProbe::rdseed})
        p.*m = true;
    p.complete = true;
    return p;
}

TEST(FilterCpuid, NothingWorks) {
    auto cpuid = everything();
    filter_cpuid(cpuid, CpuProbe{});
    const auto& l1 = find(cpuid, 1);
    for (unsigned b : {5u, 12u, 13u, 20u, 22u, 23u, 26u, 27u, 28u, 29u, 30u})
        EXPECT_FALSE(bit(l1.ecx, b)) << "leaf 1 ecx bit " << b;
    EXPECT_TRUE(bit(l1.ecx, 31)); // hypervisor
    EXPECT_TRUE(bit(l1.ecx, 0));  // SSE3 untouched
    EXPECT_TRUE(bit(l1.ecx, 19)); // SSE4.1 untouched: only the kernel avoids SSE
    const auto& l7 = find(cpuid, 7);
    for (unsigned b : {0u, 3u, 5u, 8u, 16u, 17u, 18u, 20u, 21u, 26u, 27u, 28u, 30u, 31u})
        EXPECT_FALSE(bit(l7.ebx, b)) << "leaf 7 ebx bit " << b;
    EXPECT_TRUE(bit(l7.ebx, 7)); // SMEP untouched
    for (unsigned b : {1u, 3u, 4u, 6u, 9u, 10u, 11u, 12u, 14u, 22u})
        EXPECT_FALSE(bit(l7.ecx, b)) << "leaf 7 ecx bit " << b;
    EXPECT_TRUE(bit(l7.ecx, 2));                 // UMIP untouched
    EXPECT_FALSE(bit(find(cpuid, 7, 1).eax, 4)); // AVX-VNNI
    EXPECT_FALSE(bit(find(cpuid, 7, 1).eax, 5)); // AVX512-BF16
    for (uint32_t sub : {0u, 1u, 2u, 5u}) {
        const auto& d = find(cpuid, 0xd, sub);
        EXPECT_EQ(d.eax | d.ebx | d.ecx | d.edx, 0u) << "leaf 0xd." << sub;
    }
    const auto& ext = find(cpuid, 0x80000001);
    EXPECT_FALSE(bit(ext.edx, 27)); // RDTSCP
    EXPECT_TRUE(bit(ext.edx, 11));  // SYSCALL stays: the kernel returns with iretq instead
    EXPECT_FALSE(bit(ext.ecx, 2));  // SVM
    EXPECT_FALSE(bit(ext.ecx, 5));  // ABM
    const auto& svm = find(cpuid, 0x8000000a);
    EXPECT_EQ(svm.eax | svm.ebx | svm.ecx | svm.edx, 0u);
}

TEST(FilterCpuid, KeepsKvmParavirtLeaves) {
    auto cpuid = everything();
    filter_cpuid(cpuid, CpuProbe{});
    EXPECT_EQ(find(cpuid, 0x40000000).ebx, 0x4b4d564bu); // "KVMK"
    EXPECT_EQ(find(cpuid, 0x40000001).eax, 0x01007efbu); // kvmclock and friends
}

TEST(FilterCpuid, EverythingWorksStillNoNestedVirtualization) {
    auto cpuid = everything();
    filter_cpuid(cpuid, all_work());
    EXPECT_FALSE(bit(find(cpuid, 1).ecx, 5));          // VMX
    EXPECT_FALSE(bit(find(cpuid, 0x80000001).ecx, 2)); // SVM
    EXPECT_TRUE(bit(find(cpuid, 1).ecx, 28));          // AVX kept
    EXPECT_TRUE(bit(find(cpuid, 7).ebx, 20));          // SMAP kept
    EXPECT_EQ(find(cpuid, 0xd).eax, 0x2e7u);           // XCR0 bits kept
    EXPECT_FALSE(bit(find(cpuid, 0xd, 1).eax, 3));     // XSAVES: untested, never shown
}

TEST(FilterCpuid, XsaveWithoutAvx) {
    auto cpuid = everything();
    CpuProbe p = all_work();
    p.avx = false;
    filter_cpuid(cpuid, p);
    EXPECT_TRUE(bit(find(cpuid, 1).ecx, 26));   // XSAVE
    EXPECT_FALSE(bit(find(cpuid, 1).ecx, 28));  // AVX
    EXPECT_FALSE(bit(find(cpuid, 7).ebx, 5));   // AVX2 depends on AVX
    EXPECT_FALSE(bit(find(cpuid, 7).ebx, 16));  // AVX-512 too
    EXPECT_EQ(find(cpuid, 0xd).eax & 0xe4, 0u); // no AVX/AVX-512 state in XCR0
    EXPECT_EQ(find(cpuid, 0xd, 2).eax, 0u);
}

TEST(FilterCpuid, AvxNeedsXsave) {
    // An instruction that runs is no use if its state cannot be saved.
    auto cpuid = everything();
    CpuProbe p = all_work();
    p.xsave = false;
    filter_cpuid(cpuid, p);
    EXPECT_FALSE(bit(find(cpuid, 1).ecx, 28));
    EXPECT_EQ(find(cpuid, 0xd).eax, 0u);
}

TEST(QemuCpuFlags, MatchesTheProbe) {
    std::string none = qemu_cpu_flags(CpuProbe{});
    EXPECT_EQ(none.rfind("host,-arch-capabilities,", 0), 0u);
    for (const char* f :
         {"-vmx",    "-svm",   "-xsave",    "-avx",    "-avx2",   "-avx512f", "-smap",
          "-popcnt", "-cx16",  "-rdtscp",   "-rdpid",  "-sse4.2", "-bmi1",    "-bmi2",
          "-abm",    "-movbe", "-fsgsbase", "-rdrand", "-rdseed", "-fma",     "-f16c"})
        EXPECT_THAT(none + ",", HasSubstr(std::string(f) + ",")) << f;

    std::string all = qemu_cpu_flags(all_work());
    EXPECT_THAT(all, HasSubstr("-vmx"));
    EXPECT_THAT(all + ",", Not(HasSubstr("-avx,")));
    EXPECT_THAT(all + ",", Not(HasSubstr("-smap,")));
    EXPECT_THAT(all + ",", Not(HasSubstr("-popcnt,")));
}

TEST(CpuProbeCache, JsonRoundTrip) {
    CpuProbe p = all_work();
    p.smap = false;
    p.supported_cpuid = everything();
    CpuProbe q;
    ASSERT_TRUE(cpu_probe_from_json(cpu_probe_to_json(p), q));
    EXPECT_TRUE(q.complete);
    EXPECT_TRUE(q.avx);
    EXPECT_FALSE(q.smap);
    ASSERT_EQ(q.supported_cpuid.size(), p.supported_cpuid.size());
    for (size_t i = 0; i < p.supported_cpuid.size(); i++) {
        EXPECT_EQ(q.supported_cpuid[i].function, p.supported_cpuid[i].function);
        EXPECT_EQ(q.supported_cpuid[i].index, p.supported_cpuid[i].index);
        EXPECT_EQ(q.supported_cpuid[i].eax, p.supported_cpuid[i].eax);
        EXPECT_EQ(q.supported_cpuid[i].ebx, p.supported_cpuid[i].ebx);
        EXPECT_EQ(q.supported_cpuid[i].ecx, p.supported_cpuid[i].ecx);
        EXPECT_EQ(q.supported_cpuid[i].edx, p.supported_cpuid[i].edx);
    }
}

TEST(CpuProbeCache, RejectsIncompleteAndMalformed) {
    CpuProbe p = all_work();
    p.supported_cpuid = everything();
    CpuProbe q;
    p.complete = false; // a probe that could not run must never be reused
    EXPECT_FALSE(cpu_probe_from_json(cpu_probe_to_json(p), q));
    EXPECT_FALSE(cpu_probe_from_json("", q));
    EXPECT_FALSE(cpu_probe_from_json("{", q));
    EXPECT_FALSE(cpu_probe_from_json("[]", q));
    EXPECT_FALSE(cpu_probe_from_json(R"({"format": 2, "complete": true})", q));
    p.complete = true;
    std::string good = cpu_probe_to_json(p);
    std::string bad_row = good;
    bad_row.replace(bad_row.find("\"0000000"), 2, "\"zz");
    EXPECT_FALSE(cpu_probe_from_json(bad_row, q));
    std::string missing_feature = good;
    missing_feature.replace(missing_feature.find("\"popcnt\""), 8, "\"popcnx\"");
    EXPECT_FALSE(cpu_probe_from_json(missing_feature, q));
    EXPECT_TRUE(cpu_probe_from_json(good, q));
}

TEST(CpuProbeCache, PathFollowsXdg) {
    const char* old_xdg = std::getenv("XDG_CACHE_HOME");
    std::string saved = old_xdg ? old_xdg : "";
    ::setenv("XDG_CACHE_HOME", "/some/cache", 1);
    std::string path = cpu_probe_cache_path(12);
    EXPECT_EQ(path.rfind("/some/cache/wisp/cpu-probe-", 0), 0u) << path;
    EXPECT_EQ(path.substr(path.size() - 5), ".json");
    EXPECT_EQ(path, cpu_probe_cache_path(12));         // stable
    EXPECT_NE(path, cpu_probe_cache_path(13));         // keyed on the KVM API version
    ::setenv("XDG_CACHE_HOME", "relative/ignored", 1); // the XDG spec: absolute paths only
    EXPECT_EQ(cpu_probe_cache_path(12).find("relative"), std::string::npos);
    if (old_xdg)
        ::setenv("XDG_CACHE_HOME", saved.c_str(), 1);
    else
        ::unsetenv("XDG_CACHE_HOME");
}

} // namespace
} // namespace wisp::vmm

namespace wisp::vmm {
namespace {

TEST(CpuProbeOnKvm, RunsAndCaches) {
    if (::access("/dev/kvm", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/kvm is not available";
    Kvm kvm = Kvm::open();
    CpuProbe probe = run_cpu_probe(kvm);
    EXPECT_TRUE(probe.complete);
    EXPECT_FALSE(probe.supported_cpuid.empty());

    // host_cpu_probe() keeps its answer for the life of the process: ask a child.
    test::TempDir cache;
    pid_t child = ::fork();
    if (child == 0) {
        ::setenv("XDG_CACHE_HOME", cache.file("xdg").c_str(), 1);
        const CpuProbe& first = host_cpu_probe();
        std::string path = cpu_probe_cache_path(kvm.api_version());
        CpuProbe cached;
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        bool ok = first.complete && cpu_probe_from_json(text.str(), cached) &&
                  cached.supported_cpuid.size() == first.supported_cpuid.size() &&
                  cached.xsave == first.xsave && cached.sysret == first.sysret;
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

} // namespace
} // namespace wisp::vmm
