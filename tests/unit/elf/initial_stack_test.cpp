// SPDX-License-Identifier: MIT
// build_initial_stack: the stack is walked exactly as a libc's _start walks it (argc, argv, envp,
// auxv), every value and address is checked, and the layout is compared with what Linux gives a
// real program on this host.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <sstream>

#include "linux/initial_stack.h"
#include "test_support.h"

namespace {
using namespace wisp::elf;
using wisp::Errno;
using wisp::Result;

constexpr uint8_t kPoison = 0xaa;

// The stack memory as the program will see it: user addresses [top - size, top).
struct UserMemory {
    std::vector<uint8_t> bytes;
    uint64_t top;

    UserMemory(size_t size, uint64_t top_) : bytes(size, kPoison), top(top_) {}
    uint64_t low() const { return top - bytes.size(); }
    bool contains(uint64_t address, uint64_t length) const {
        return address >= low() && address <= top && length <= top - address;
    }
    uint64_t word(uint64_t address) const {
        EXPECT_TRUE(contains(address, 8)) << address;
        if (!contains(address, 8)) return 0;
        uint64_t v;
        memcpy(&v, bytes.data() + (address - low()), 8);
        return v;
    }
    std::string string_at(uint64_t address) const {
        std::string s;
        while (contains(address, 1) && address < top) {
            const char c = static_cast<char>(bytes[address - low()]);
            if (c == '\0') return s;
            s += c;
            address++;
        }
        ADD_FAILURE() << "string runs off the stack";
        return s;
    }
    const uint8_t* at(uint64_t address) const { return bytes.data() + (address - low()); }
};

// What a libc's _start finds at rsp.
struct Walked {
    uint64_t argc = 0;
    std::vector<uint64_t> argv_ptrs, envp_ptrs;
    std::vector<std::string> argv, envp;
    std::vector<std::pair<uint64_t, uint64_t>> auxv;
    uint64_t auxv_address = 0, auxv_end = 0;

    uint64_t aux(uint64_t key) const {
        for (auto& [k, v] : auxv)
            if (k == key) return v;
        return 0;
    }
    bool has(uint64_t key) const {
        for (auto& [k, v] : auxv)
            if (k == key) return true;
        return false;
    }
    std::vector<uint64_t> keys() const {
        std::vector<uint64_t> out;
        for (auto& [k, v] : auxv)
            out.push_back(k);
        return out;
    }
};

Walked walk(const UserMemory& m, uint64_t rsp) {
    Walked w;
    uint64_t p = rsp;
    w.argc = m.word(p);
    p += 8;
    for (uint64_t i = 0; i < w.argc && m.contains(p, 8); i++, p += 8) {
        w.argv_ptrs.push_back(m.word(p));
        w.argv.push_back(m.string_at(m.word(p)));
    }
    EXPECT_EQ(m.word(p), 0u) << "argv is NULL-terminated";
    p += 8;
    while (m.contains(p, 8) && m.word(p) != 0) {
        w.envp_ptrs.push_back(m.word(p));
        w.envp.push_back(m.string_at(m.word(p)));
        p += 8;
    }
    p += 8;
    w.auxv_address = p;
    while (m.contains(p, 16)) {
        const uint64_t key = m.word(p), value = m.word(p + 8);
        w.auxv.emplace_back(key, value);
        p += 16;
        if (key == kAtNull) break;
    }
    w.auxv_end = p;
    return w;
}

AuxvInputs sample_aux() {
    AuxvInputs aux;
    aux.phdr = 0x400040;
    aux.phnum = 11;
    aux.base = 0x7f12'3456'0000;
    aux.entry = 0x401bc0;
    aux.hwcap = 0x178bfbff;
    aux.hwcap2 = 0x2;
    aux.sysinfo_ehdr = 0x7fff'f7fc'1000;
    aux.minsigstksz = 3632;
    for (size_t i = 0; i < aux.random.size(); i++)
        aux.random[i] = static_cast<uint8_t>(0x11 * i + 3);
    aux.execfn = "/usr/bin/app";
    return aux;
}

// Linux's x86-64 order (create_elf_tables, ARCH_DLINFO first), for everything sample_aux sets.
const std::vector<uint64_t> kLinuxOrder{
    kAtSysinfoEhdr, kAtMinsigstksz, kAtHwcap,  kAtPagesz, kAtClktck, kAtPhdr,     kAtPhent,
    kAtPhnum,       kAtBase,        kAtFlags,  kAtEntry,  kAtUid,    kAtEuid,     kAtGid,
    kAtEgid,        kAtSecure,      kAtRandom, kAtHwcap2, kAtExecfn, kAtPlatform, kAtNull};

// Everything the layout promises, for any inputs.
void check_stack(const UserMemory& m, const InitialStack& s,
                 const std::vector<std::string_view>& argv,
                 const std::vector<std::string_view>& envp, const AuxvInputs& aux) {
    ASSERT_EQ(s.rsp % 16, 0u) << "psABI §3.4.1: rsp is 16-byte aligned at process entry";
    ASSERT_TRUE(m.contains(s.rsp, m.top - s.rsp));
    const Walked w = walk(m, s.rsp);

    ASSERT_EQ(w.argc, argv.size());
    for (size_t i = 0; i < argv.size(); i++)
        EXPECT_EQ(w.argv[i], argv[i]);
    ASSERT_EQ(w.envp.size(), envp.size());
    for (size_t i = 0; i < envp.size(); i++)
        EXPECT_EQ(w.envp[i], envp[i]);

    // The auxiliary vector: Linux's order, the caller's values, AT_NULL last.
    std::vector<uint64_t> expected_keys;
    for (uint64_t key : kLinuxOrder) {
        if (key == kAtSysinfoEhdr && aux.sysinfo_ehdr == 0) continue;
        if (key == kAtMinsigstksz && aux.minsigstksz == 0) continue;
        if (key == kAtPlatform && aux.platform.empty()) continue;
        if (key == kAtNull && aux.rseq_feature_size != 0) {
            expected_keys.push_back(kAtRseqFeatureSize);
            expected_keys.push_back(kAtRseqAlign);
        }
        expected_keys.push_back(key);
    }
    EXPECT_EQ(w.keys(), expected_keys);
    EXPECT_EQ(w.aux(kAtPhdr), aux.phdr);
    EXPECT_EQ(w.aux(kAtPhent), aux.phent);
    EXPECT_EQ(w.aux(kAtPhnum), aux.phnum);
    EXPECT_EQ(w.aux(kAtPagesz), aux.pagesz);
    EXPECT_EQ(w.aux(kAtBase), aux.base);
    EXPECT_EQ(w.aux(kAtFlags), aux.flags);
    EXPECT_EQ(w.aux(kAtEntry), aux.entry);
    EXPECT_EQ(w.aux(kAtUid), aux.uid);
    EXPECT_EQ(w.aux(kAtEuid), aux.euid);
    EXPECT_EQ(w.aux(kAtGid), aux.gid);
    EXPECT_EQ(w.aux(kAtEgid), aux.egid);
    EXPECT_EQ(w.aux(kAtSecure), aux.secure);
    EXPECT_EQ(w.aux(kAtHwcap), aux.hwcap);
    EXPECT_EQ(w.aux(kAtHwcap2), aux.hwcap2);
    EXPECT_EQ(w.aux(kAtClktck), aux.clktck);
    EXPECT_EQ(w.aux(kAtSysinfoEhdr), aux.sysinfo_ehdr);
    EXPECT_EQ(w.aux(kAtMinsigstksz), aux.minsigstksz);
    EXPECT_EQ(w.aux(kAtRseqFeatureSize), aux.rseq_feature_size);
    EXPECT_EQ(w.aux(kAtRseqAlign), aux.rseq_align);

    const uint64_t random = w.aux(kAtRandom);
    ASSERT_TRUE(m.contains(random, 16));
    EXPECT_EQ(memcmp(m.at(random), aux.random.data(), 16), 0);
    const uint64_t execfn = w.aux(kAtExecfn);
    EXPECT_EQ(m.string_at(execfn), aux.execfn);
    if (!aux.platform.empty()) {
        const uint64_t platform = w.aux(kAtPlatform);
        EXPECT_EQ(m.string_at(platform), aux.platform);
        EXPECT_EQ(platform, random + 16) << "platform string right above the random bytes";
        EXPECT_EQ((platform + aux.platform.size() + 1) % 16, 0u);
    } else {
        EXPECT_EQ((random + 16) % 16, 0u);
    }
    // Between auxv and the random bytes only STACK_ROUND's padding.
    EXPECT_GE(random, w.auxv_end);
    EXPECT_LT(random - w.auxv_end, 16u);

    // Strings: argv then envp then execfn, back to back, ending 8 bytes below the top.
    uint64_t next = s.arg_start;
    for (size_t i = 0; i < argv.size(); i++) {
        EXPECT_EQ(w.argv_ptrs[i], next);
        next += argv[i].size() + 1;
    }
    EXPECT_EQ(s.arg_end, next);
    EXPECT_EQ(s.env_start, next);
    for (size_t i = 0; i < envp.size(); i++) {
        EXPECT_EQ(w.envp_ptrs[i], next);
        next += envp[i].size() + 1;
    }
    EXPECT_EQ(s.env_end, next);
    EXPECT_EQ(execfn, next);
    EXPECT_EQ(execfn + aux.execfn.size() + 1, m.top - 8);
    EXPECT_EQ(m.word(m.top - 8), 0u);
    EXPECT_GE(s.arg_start, random + 16 + (aux.platform.empty() ? 0 : aux.platform.size() + 1));
    EXPECT_LT(s.arg_start - (random + 16 + (aux.platform.empty() ? 0 : aux.platform.size() + 1)),
              16u);

    EXPECT_EQ(s.auxv, w.auxv_address);
    EXPECT_EQ(s.auxv_end, w.auxv_end);
    EXPECT_EQ(w.auxv_address, s.rsp + 8 * (1 + argv.size() + 1 + envp.size() + 1));

    // Nothing below rsp was touched; everything from rsp up was written (padding zeroed).
    for (uint64_t a = m.low(); a < s.rsp; a++)
        ASSERT_EQ(*m.at(a), kPoison) << "wrote below rsp";
    for (uint64_t a = w.auxv_end; a < random; a++)
        EXPECT_EQ(*m.at(a), 0) << "padding";
}

Result<InitialStack> build(UserMemory& m, const std::vector<std::string_view>& argv,
                           const std::vector<std::string_view>& envp, const AuxvInputs& aux) {
    return build_initial_stack(m.bytes, m.top, argv, envp, aux);
}

TEST(InitialStack, LayoutAsLibcWalksIt) {
    UserMemory m(16384, 0x7fff'ffff'e000);
    const std::vector<std::string_view> argv{"/usr/bin/app", "--flag", "hello world", ""};
    const std::vector<std::string_view> envp{"HOME=/", "PATH=/bin:/usr/bin", "EMPTY="};
    const AuxvInputs aux = sample_aux();
    auto s = build(m, argv, envp, aux);
    ASSERT_FALSE(s.is_error());
    check_stack(m, *s, argv, envp, aux);
    // No poison left anywhere above rsp: every byte there is meaningful or zero.
    for (uint64_t a = s->rsp; a < m.top; a++)
        ASSERT_NE(*m.at(a), kPoison) << a;
    // Without a random offset the platform string ends where the strings' 16-byte block starts.
    EXPECT_EQ(walk(m, s->rsp).aux(kAtPlatform) + 7, s->arg_start & ~uint64_t{15});
}

TEST(InitialStack, NoArgumentsNoEnvironment) {
    UserMemory m(4096, 0x7000'0000'0000);
    AuxvInputs aux = sample_aux();
    aux.execfn = "";
    auto s = build(m, {}, {}, aux);
    ASSERT_FALSE(s.is_error());
    check_stack(m, *s, {}, {}, aux);
    EXPECT_EQ(s->arg_start, s->arg_end);
    EXPECT_EQ(s->env_start, s->env_end);
}

TEST(InitialStack, OptionalEntriesAreOmitted) {
    UserMemory m(4096, 0x7000'0000'0000);
    AuxvInputs aux = sample_aux();
    aux.sysinfo_ehdr = 0;
    aux.minsigstksz = 0;
    aux.platform = "";
    auto s = build(m, {"a"}, {"B=c"}, aux);
    ASSERT_FALSE(s.is_error());
    check_stack(m, *s, {"a"}, {"B=c"}, aux);
    const Walked w = walk(m, s->rsp);
    EXPECT_FALSE(w.has(kAtSysinfoEhdr));
    EXPECT_FALSE(w.has(kAtMinsigstksz));
    EXPECT_FALSE(w.has(kAtPlatform));
    EXPECT_FALSE(w.has(kAtRseqFeatureSize));

    UserMemory m2(4096, 0x7000'0000'0000);
    aux.rseq_feature_size = 32;
    aux.rseq_align = 32;
    auto with_rseq = build(m2, {"a"}, {"B=c"}, aux);
    ASSERT_FALSE(with_rseq.is_error());
    check_stack(m2, *with_rseq, {"a"}, {"B=c"}, aux);
}

// rsp alignment, exact size and layout for many shapes of input and unaligned stack tops; the
// stack needs exactly top - rsp bytes: that much succeeds with the same bytes, one less is E2BIG.
TEST(InitialStack, AlignmentAndExactSizeForManyShapes) {
    std::mt19937 rng(7);
    std::vector<std::string> pool;
    for (int i = 0; i < 64; i++)
        pool.push_back(std::string(rng() % 40, static_cast<char>('a' + i % 26)));
    for (int round = 0; round < 400; round++) {
        std::vector<std::string_view> argv, envp;
        for (size_t i = 0, n = rng() % 7; i < n; i++)
            argv.push_back(pool[rng() % pool.size()]);
        for (size_t i = 0, n = rng() % 5; i < n; i++)
            envp.push_back(pool[rng() % pool.size()]);
        AuxvInputs aux = sample_aux();
        aux.execfn = pool[rng() % pool.size()];
        if (rng() % 3 == 0) aux.platform = "";
        if (rng() % 2) aux.sysinfo_ehdr = 0;
        if (rng() % 2) aux.minsigstksz = 0;
        const uint64_t top = 0x7fff'ffff'0000 + rng() % 64;
        SCOPED_TRACE("round " + std::to_string(round));

        UserMemory big(8192, top);
        auto s = build(big, argv, envp, aux);
        ASSERT_FALSE(s.is_error());
        check_stack(big, *s, argv, envp, aux);
        const uint64_t needed = top - s->rsp;
        auto predicted = initial_stack_size(top, argv, envp, aux);
        ASSERT_FALSE(predicted.is_error());
        EXPECT_EQ(*predicted, needed);

        UserMemory exact(needed, top);
        auto t = build(exact, argv, envp, aux);
        ASSERT_FALSE(t.is_error());
        EXPECT_EQ(t->rsp, s->rsp);
        EXPECT_EQ(memcmp(exact.bytes.data(), big.at(s->rsp), needed), 0);

        UserMemory short_by_one(needed - 1, top);
        auto u = build(short_by_one, argv, envp, aux);
        ASSERT_TRUE(u.is_error());
        EXPECT_EQ(u.error().code, Errno::TOOBIG);
    }
}

TEST(InitialStack, TooBig) {
    const AuxvInputs aux = sample_aux();
    // Every size too small to hold even the vectors.
    for (size_t size : {0, 1, 8, 64, 200}) {
        UserMemory m(size, 0x7000'0000'0000);
        auto s = build(m, {"prog"}, {"A=B"}, aux);
        ASSERT_TRUE(s.is_error()) << size;
        EXPECT_EQ(s.error().code, Errno::TOOBIG);
    }
    // Linux's MAX_ARG_STRLEN: 32 pages per string, NUL included.
    const std::string longest(kMaxArgStringBytes - 1, 'x'), too_long(kMaxArgStringBytes, 'x');
    UserMemory roomy(4 * kMaxArgStringBytes, 0x7000'0000'0000);
    EXPECT_FALSE(build(roomy, {longest}, {}, aux).is_error());
    EXPECT_EQ(build(roomy, {too_long}, {}, aux).error().code, Errno::TOOBIG);
    EXPECT_EQ(build(roomy, {}, {too_long}, aux).error().code, Errno::TOOBIG);
    AuxvInputs long_name = aux;
    long_name.execfn = too_long;
    EXPECT_EQ(build(roomy, {}, {}, long_name).error().code, Errno::TOOBIG);
    const std::vector<std::string_view> too_long_list{too_long};
    EXPECT_EQ(initial_stack_size(roomy.top, too_long_list, {}, aux).error().code, Errno::TOOBIG);
    EXPECT_EQ(initial_stack_size(roomy.top, {}, {}, long_name).error().code, Errno::TOOBIG);
    // A stack top too low for the stack is E2BIG too (the stack cannot fit below it).
    EXPECT_EQ(initial_stack_size(64, {}, {}, aux).error().code, Errno::TOOBIG);

    // A huge argument count fails fast without overflowing the size computation.
    std::vector<std::string_view> many(1 << 20, "");
    UserMemory small(4096, 0x7000'0000'0000);
    EXPECT_EQ(build(small, many, {}, aux).error().code, Errno::TOOBIG);
    EXPECT_EQ(build(small, {}, many, aux).error().code, Errno::TOOBIG);
}

TEST(InitialStack, StackTopBelowMemorySizeIsInvalid) {
    UserMemory m(4096, 100);
    EXPECT_EQ(build(m, {"a"}, {}, sample_aux()).error().code, Errno::INVAL);
}

// --- against Linux ---

// A static program that reports the layout Linux gave it, in the same terms check_stack uses.
const char* kLayoutProbe = R"(#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char** argv, char** envp) {
    char** e = envp;
    while (*e) e++;
    Elf64_auxv_t* a = (Elf64_auxv_t*)(e + 1);
    uintptr_t random = 0, platform = 0, execfn = 0;
    printf("argc_slot_mod16 %lu\n", (unsigned long)((uintptr_t)(argv - 1) % 16));
    printf("argc_slot %ld\n", *(long*)(argv - 1));
    printf("aux");
    for (;; a++) {
        printf(" %lu", (unsigned long)a->a_type);
        if (a->a_type == AT_RANDOM) random = a->a_un.a_val;
        if (a->a_type == AT_PLATFORM) platform = a->a_un.a_val;
        if (a->a_type == AT_EXECFN) execfn = a->a_un.a_val;
        if (a->a_type == AT_NULL) break;
    }
    printf("\n");
    uintptr_t auxv_end = (uintptr_t)(a + 1);
    printf("random_after_auxv_within_16 %d\n", random >= auxv_end && random - auxv_end < 16);
    printf("platform_minus_random %ld\n", (long)(platform - random));
    printf("platform_end_mod16 %lu\n", (unsigned long)((platform + strlen((char*)platform) + 1) % 16));
    printf("platform %s\n", (char*)platform);
    int contiguous = 1;
    char* expect = argv[0];
    for (int i = 0; i < argc; i++) {
        contiguous &= argv[i] == expect;
        expect = argv[i] + strlen(argv[i]) + 1;
    }
    for (char** p = envp; *p; p++) {
        contiguous &= *p == expect;
        expect = *p + strlen(*p) + 1;
    }
    contiguous &= (char*)execfn == expect;
    printf("strings_contiguous %d\n", contiguous);
    unsigned long stack_end = 0, lo, hi;
    char line[512];
    FILE* maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps))
        if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) stack_end = hi;
    printf("top_minus_execfn_end %lu\n", stack_end - (execfn + strlen((char*)execfn) + 1));
    printf("top_word_zero %d\n", *(uint64_t*)(stack_end - 8) == 0);
    return 0;
}
)";

std::map<std::string, std::string> parse_report(const std::string& text) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto space = line.find(' ');
        if (space != std::string::npos) out[line.substr(0, space)] = line.substr(space + 1);
    }
    return out;
}

std::vector<uint64_t> parse_keys(const std::string& text) {
    std::vector<uint64_t> keys;
    std::istringstream in(text);
    uint64_t k;
    while (in >> k)
        keys.push_back(k);
    return keys;
}

TEST(InitialStack, MatchesLinuxLayout) {
    auto probe = elftest::compile("gcc", "layout_probe", kLayoutProbe, {"-O1", "-static"});
    if (!probe) GTEST_SKIP() << "gcc cannot build a static program";
    const std::vector<std::string> argv{*probe, "x", "yy", ""};
    const std::vector<std::string> envp{"A=1", "LONGER_VARIABLE=some value"};
    const auto linux_run = elftest::run(argv, &envp);
    ASSERT_EQ(linux_run.status, 0) << linux_run.output;
    auto linux_facts = parse_report(linux_run.output);

    // The same program start built by wisp, reported in the same terms.
    std::vector<std::string_view> argv_views(argv.begin(), argv.end());
    std::vector<std::string_view> envp_views(envp.begin(), envp.end());
    AuxvInputs aux = sample_aux();
    aux.execfn = *probe;
    aux.rseq_feature_size = 32;
    aux.rseq_align = 32;
    UserMemory m(8192, 0x7ffd'1234'5000);
    auto s = build(m, argv_views, envp_views, aux);
    ASSERT_FALSE(s.is_error());
    check_stack(m, *s, argv_views, envp_views, aux);
    const Walked w = walk(m, s->rsp);
    const uint64_t random = w.aux(kAtRandom), platform = w.aux(kAtPlatform);
    const uint64_t execfn = w.aux(kAtExecfn);
    std::map<std::string, std::string> wisp_facts{
        {"argc_slot_mod16", std::to_string(s->rsp % 16)},
        {"argc_slot", std::to_string(argv.size())},
        {"random_after_auxv_within_16",
         std::to_string(random >= w.auxv_end && random - w.auxv_end < 16)},
        {"platform_minus_random", std::to_string(platform - random)},
        {"platform_end_mod16", std::to_string((platform + m.string_at(platform).size() + 1) % 16)},
        {"platform", m.string_at(platform)},
        {"strings_contiguous", "1"}, // checked by check_stack
        {"top_minus_execfn_end", std::to_string(m.top - (execfn + aux.execfn.size() + 1))},
        {"top_word_zero", std::to_string(m.word(m.top - 8) == 0)},
    };
    for (auto& [key, value] : wisp_facts)
        EXPECT_EQ(linux_facts[key], value) << key;

    // Auxiliary vector order: Linux's keys must appear in wisp's order. Linux may emit entries
    // wisp leaves out (list them here when a kernel adds one), and may lack optional ones.
    const std::vector<uint64_t> linux_keys = parse_keys(linux_facts["aux"]);
    const std::vector<uint64_t> wisp_keys = w.keys();
    const std::vector<uint64_t> linux_only_allowed{2 /* AT_EXECFD */, 24 /* AT_BASE_PLATFORM */,
                                                   29 /* AT_HWCAP3 */, 30 /* AT_HWCAP4 */};
    std::vector<uint64_t> linux_common, wisp_common;
    for (uint64_t k : linux_keys) {
        if (std::find(wisp_keys.begin(), wisp_keys.end(), k) != wisp_keys.end())
            linux_common.push_back(k);
        else
            EXPECT_NE(std::find(linux_only_allowed.begin(), linux_only_allowed.end(), k),
                      linux_only_allowed.end())
                << "Linux emits auxv key " << k << " that wisp does not";
    }
    for (uint64_t k : wisp_keys)
        if (std::find(linux_keys.begin(), linux_keys.end(), k) != linux_keys.end())
            wisp_common.push_back(k);
    EXPECT_EQ(linux_common, wisp_common) << "Linux: " << linux_facts["aux"];
    // The always-present entries are indeed present on Linux.
    for (uint64_t k : {kAtHwcap, kAtPagesz, kAtClktck, kAtPhdr, kAtPhent, kAtPhnum, kAtBase,
                       kAtFlags, kAtEntry, kAtUid, kAtEuid, kAtGid, kAtEgid, kAtSecure, kAtRandom,
                       kAtHwcap2, kAtExecfn, kAtPlatform, kAtNull})
        EXPECT_NE(std::find(linux_keys.begin(), linux_keys.end(), k), linux_keys.end()) << k;
}

} // namespace
