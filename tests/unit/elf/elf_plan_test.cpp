// SPDX-License-Identifier: MIT
// plan_load and load_bias_for: exact plans for hand-made files, byte-exact checks of the memory a
// plan builds for real programs (and every ELF program on the host), and the caller's errors.
#include <gtest/gtest.h>

#include <dirent.h>

#include "linux/elf.h"
#include "test_support.h"

namespace {
using namespace wisp::elf;
using elftest::Synth;
using wisp::Errno;

constexpr uint64_t kR = kProtRead, kW = kProtWrite, kX = kProtExec;

std::vector<Mapping> plan_of(const ElfFile& file, uint64_t bias) {
    std::vector<Mapping> out(file.max_mappings());
    ElfProblem why;
    auto count = plan_load(file, bias, out, &why);
    EXPECT_FALSE(count.is_error()) << describe(why);
    out.resize(count.is_error() ? 0 : *count);
    return out;
}

void expect_mapping(const Mapping& m, uint64_t vaddr, uint64_t length, uint64_t file_offset,
                    uint64_t file_bytes, uint64_t prot) {
    EXPECT_EQ(m.vaddr, vaddr);
    EXPECT_EQ(m.length, length);
    EXPECT_EQ(m.file_offset, file_offset);
    EXPECT_EQ(m.file_bytes, file_bytes);
    EXPECT_EQ(m.prot, prot);
}

TEST(ElfPlan, HandMadeExecutable) {
    const auto bytes = Synth::executable().bytes();
    auto file = ElfFile::parse(bytes);
    ASSERT_FALSE(file.is_error());
    const auto plan = plan_of(*file, 0);
    ASSERT_EQ(plan.size(), 4u);
    // R: 0x300 bytes, no .bss: the whole first page comes from the file (zero copy).
    expect_mapping(plan[0], 0x400000, 0x1000, 0, 0x1000, kR);
    // R X: 0x1234 bytes ending mid-page: two whole file pages, still zero copy.
    expect_mapping(plan[1], 0x401000, 0x2000, 0x1000, 0x2000, kR | kX);
    // RW: file bytes 0x403f00..0x404100, then .bss. The page holding the end of the file bytes
    // is partial (file_bytes 0x1100): a private copy with its tail zeroed.
    expect_mapping(plan[2], 0x403000, 0x2000, 0x2000, 0x1100, kR | kW);
    EXPECT_TRUE(plan[2].has_partial_file_page());
    // ... and the rest of the .bss, to 0x406f00 rounded up, is anonymous zero pages.
    expect_mapping(plan[3], 0x405000, 0x2000, 0, 0, kR | kW);
    EXPECT_TRUE(plan[3].is_anonymous());
    elftest::check_plan(bytes, 0, plan);
}

TEST(ElfPlan, HandMadePieAtAnyBias) {
    const auto bytes = Synth::pie().with_interpreter().bytes();
    auto file = ElfFile::parse(bytes);
    ASSERT_FALSE(file.is_error());
    for (uint64_t bias : std::vector<uint64_t>{0x10000, 0x400000, 0x5555'5555'4000,
                                               kUserAddressEnd - file->load_span().high}) {
        const auto plan = plan_of(*file, bias);
        ASSERT_EQ(plan.size(), 4u);
        expect_mapping(plan[0], bias, 0x1000, 0, 0x1000, kR);
        expect_mapping(plan[2], bias + 0x3000, 0x2000, 0x2000, 0x1100, kR | kW);
        expect_mapping(plan[3], bias + 0x5000, 0x2000, 0, 0, kR | kW);
        elftest::check_plan(bytes, bias, plan);
    }
}

// Parses a hand-made file that must be valid and plans it at bias 0; `bytes` must outlive it.
std::vector<Mapping> plan_valid(const std::vector<uint8_t>& bytes) {
    auto file = ElfFile::parse(bytes);
    EXPECT_FALSE(file.is_error());
    if (file.is_error()) return {};
    auto plan = plan_of(*file, 0);
    elftest::check_plan(bytes, 0, plan);
    return plan;
}

TEST(ElfPlan, ReadOnlySegmentWithBss) {
    // Zero-filled memory after a read-only segment's file bytes (rare, but legal): the partial
    // page must be zeroed even though the mapping is not writable.
    Synth s = Synth::executable();
    s.load(1).p_memsz = 0x1f00;
    const auto bytes = s.bytes();
    const auto plan = plan_valid(bytes);
    ASSERT_EQ(plan.size(), 4u);
    expect_mapping(plan[1], 0x401000, 0x2000, 0x1000, 0x1234, kR | kX);
}

TEST(ElfPlan, BssEndingInTheLastFilePage) {
    Synth s = Synth::executable();
    s.load(2).p_memsz = 0x300;
    const auto bytes = s.bytes();
    const auto plan = plan_valid(bytes);
    ASSERT_EQ(plan.size(), 3u);
    expect_mapping(plan[2], 0x403000, 0x2000, 0x2000, 0x1100, kR | kW);
}

TEST(ElfPlan, FileBytesEndingOnAPageBoundary) {
    // Whole file pages, then anonymous ones.
    Synth s = Synth::executable();
    s.load(2).p_filesz = 0x100;
    const auto bytes = s.bytes();
    const auto plan = plan_valid(bytes);
    ASSERT_EQ(plan.size(), 4u);
    expect_mapping(plan[2], 0x403000, 0x1000, 0x2000, 0x1000, kR | kW);
    expect_mapping(plan[3], 0x404000, 0x3000, 0, 0, kR | kW);
}

TEST(ElfPlan, OnlyBss) {
    Synth s = Synth::executable();
    s.load(2).p_filesz = 0;
    const auto bytes = s.bytes();
    const auto plan = plan_valid(bytes);
    ASSERT_EQ(plan.size(), 3u);
    expect_mapping(plan[2], 0x403000, 0x4000, 0, 0, kR | kW);
}

TEST(ElfPlan, SegmentRunningToEndOfFile) {
    // No .bss, but the file ends inside the last page: partial because of EOF, nothing to zero
    // that the image does not already hold.
    Synth s = Synth::executable();
    s.load(2).p_memsz = 0x200;
    const auto bytes = s.bytes();
    const auto plan = plan_valid(bytes);
    ASSERT_EQ(plan.size(), 3u);
    expect_mapping(plan[2], 0x403000, 0x2000, 0x2000, 0x1100, kR | kW);
}

TEST(ElfPlan, ProtectionsAsGiven) {
    // A writable and executable segment keeps both bits: W^X is the kernel's policy to apply.
    Synth s = Synth::executable();
    s.load(1).p_flags = PF_R | PF_W | PF_X;
    s.load(0).p_flags = 0;
    const auto bytes = s.bytes();
    const auto plan = plan_valid(bytes);
    ASSERT_EQ(plan.size(), 4u);
    EXPECT_EQ(plan[0].prot, 0u);
    EXPECT_EQ(plan[1].prot, kR | kW | kX);
}

TEST(ElfPlan, ZeroSizeLoadMapsNothing) {
    Synth s = Synth::executable();
    s.ph.push_back(Synth::segment(PT_LOAD, PF_R, 0, 0x500000, 0, 0));
    s.first(PT_PHDR).p_filesz = s.first(PT_PHDR).p_memsz = s.ph.size() * 56;
    const auto bytes = s.bytes();
    EXPECT_EQ(plan_valid(bytes).size(), 4u);
}

void expect_plan_error(const ElfFile& file, uint64_t bias, size_t room, ElfProblem problem) {
    std::vector<Mapping> out(room);
    ElfProblem why = ElfProblem::None;
    auto count = plan_load(file, bias, out, &why);
    ASSERT_TRUE(count.is_error()) << "bias " << bias;
    EXPECT_EQ(count.error().code, Errno::INVAL);
    EXPECT_EQ(why, problem) << describe(why);
}

TEST(ElfPlan, CallerErrors) {
    const auto exec_bytes = Synth::executable().bytes();
    auto exec = ElfFile::parse(exec_bytes);
    ASSERT_FALSE(exec.is_error());
    // ET_EXEC is linked at fixed addresses: no bias.
    expect_plan_error(*exec, 0x1000, 8, ElfProblem::BadLoadBias);
    // Too little room for the plan; exactly enough is fine.
    expect_plan_error(*exec, 0, 3, ElfProblem::OutputTooSmall);
    expect_plan_error(*exec, 0, 0, ElfProblem::OutputTooSmall);
    std::vector<Mapping> four(4);
    EXPECT_FALSE(plan_load(*exec, 0, four).is_error());

    const auto pie_bytes = Synth::pie().bytes();
    auto pie = ElfFile::parse(pie_bytes);
    ASSERT_FALSE(pie.is_error());
    expect_plan_error(*pie, 0x1234, 8, ElfProblem::BadLoadBias);
    // Bias 0 would map page 0.
    expect_plan_error(*pie, 0, 8, ElfProblem::BelowMinAddress);
    expect_plan_error(*pie, kMinUserAddress - kPageSize, 8, ElfProblem::BelowMinAddress);
    EXPECT_EQ(plan_of(*pie, kMinUserAddress).front().vaddr, kMinUserAddress);
    // Past the user half, into the kernel half, or wrapping around.
    const uint64_t last_fit = kUserAddressEnd - pie->load_span().high;
    EXPECT_EQ(plan_of(*pie, last_fit).back().end(), kUserAddressEnd);
    expect_plan_error(*pie, last_fit + kPageSize, 8, ElfProblem::SegmentOutsideUser);
    expect_plan_error(*pie, 0xffff'8000'0000'0000, 8, ElfProblem::SegmentOutsideUser);
    expect_plan_error(*pie, 0xffff'ffff'ffff'f000, 8, ElfProblem::SegmentOutsideUser);

    // An ET_EXEC linked below the minimum address.
    Synth low = Synth::executable();
    for (auto& p : low.ph)
        if (p.p_vaddr) p.p_vaddr -= 0x3f8000, p.p_paddr -= 0x3f8000; // text at 0x9000
    const auto low_bytes = low.bytes();
    auto low_file = ElfFile::parse(low_bytes);
    ASSERT_FALSE(low_file.is_error());
    expect_plan_error(*low_file, 0, 8, ElfProblem::BelowMinAddress);
}

TEST(ElfPlan, LoadBias) {
    const auto exec_bytes = Synth::executable().bytes();
    auto exec = ElfFile::parse(exec_bytes);
    ASSERT_FALSE(exec.is_error());
    auto exec_bias = load_bias_for(*exec, 0x7000'0000'0000);
    ASSERT_FALSE(exec_bias.is_error());
    EXPECT_EQ(*exec_bias, 0u) << "ET_EXEC ignores the requested base";

    Synth s = Synth::pie();
    const auto pie_bytes = s.bytes();
    auto pie = ElfFile::parse(pie_bytes);
    ASSERT_FALSE(pie.is_error());
    auto bias = load_bias_for(*pie, 0x5555'5555'4000);
    ASSERT_FALSE(bias.is_error());
    EXPECT_EQ(*bias, 0x5555'5555'4000u);
    EXPECT_EQ(load_bias_for(*pie, 0x5555'5555'4001).error().code, Errno::INVAL);

    // A PIE whose lowest segment is not at 0, asking for 2 MiB alignment.
    for (auto& p : s.ph)
        if (p.p_type != PT_GNU_STACK) p.p_vaddr += 0x200000, p.p_paddr += 0x200000;
    for (size_t i = 0; i < 3; i++)
        s.load(i).p_align = 0x200000;
    const auto aligned_bytes = s.bytes();
    auto aligned = ElfFile::parse(aligned_bytes);
    ASSERT_FALSE(aligned.is_error());
    EXPECT_EQ(aligned->load_span().low, 0x200000u);
    auto aligned_bias = load_bias_for(*aligned, 0x7f00'0000'0000);
    ASSERT_FALSE(aligned_bias.is_error());
    EXPECT_EQ(*aligned_bias, 0x7f00'0000'0000u - 0x200000);
    EXPECT_EQ(plan_of(*aligned, *aligned_bias).front().vaddr, 0x7f00'0000'0000u);
    EXPECT_EQ(load_bias_for(*aligned, 0x7f00'0000'1000).error().code, Errno::INVAL);
    EXPECT_EQ(load_bias_for(*aligned, 0x100000).error().code, Errno::INVAL); // below low
}

// --- real programs ---

class RealProgramPlan : public ::testing::TestWithParam<size_t> {};

TEST_P(RealProgramPlan, PlanBuildsTheExactImage) {
    const auto& v = elftest::hello_variants()[GetParam()];
    auto path = elftest::build_hello(v);
    if (!path) GTEST_SKIP() << v.compiler << " missing or cannot build " << v.name;
    const auto bytes = elftest::read_file(*path);
    auto file = ElfFile::parse(bytes);
    ASSERT_FALSE(file.is_error());
    std::vector<uint64_t> biases{0};
    if (file->type() == ElfType::Dyn) {
        biases = {0x5555'5555'4000, kMinUserAddress};
        const uint64_t highest_base =
            (kUserAddressEnd - file->load_span().size()) & ~(file->max_load_alignment() - 1);
        auto top = load_bias_for(*file, highest_base);
        ASSERT_FALSE(top.is_error());
        biases.push_back(*top);
    }
    for (uint64_t bias : biases) {
        SCOPED_TRACE("bias " + std::to_string(bias));
        const auto plan = plan_of(*file, bias);
        elftest::check_plan(bytes, bias, plan, /*exhaustive=*/true);
        // Zero copy: only the segment with .bss may need a copied page.
        size_t partial = 0;
        for (auto& m : plan)
            partial += m.has_partial_file_page();
        EXPECT_LE(partial, 1u);
    }
}

INSTANTIATE_TEST_SUITE_P(Hello, RealProgramPlan,
                         ::testing::Range<size_t>(0, elftest::hello_variants().size()),
                         [](const auto& info) {
                             return std::string(elftest::hello_variants()[info.param].name);
                         });

// Every x86-64 ELF program and library on the host must parse, agree with the independent
// reader, and plan into a correct image: the parser's strictness (e.g. no two segments in one
// page) must not refuse anything real toolchains produce.
TEST(ElfPlan, EveryProgramOnTheHost) {
    const char* dirs[] = {"/usr/bin",     "/usr/sbin", "/usr/lib/x86_64-linux-gnu",
                          "/usr/libexec", "/lib64",    "/usr/lib/gcc/x86_64-linux-gnu/12"};
    size_t checked = 0;
    std::vector<std::string> refused;
    for (const char* dir : dirs) {
        DIR* d = opendir(dir);
        if (!d) continue;
        while (dirent* entry = readdir(d)) {
            const std::string path = std::string(dir) + "/" + entry->d_name;
            struct stat st;
            if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 64) continue;
            elftest::MappedFile mapped(path);
            if (!mapped.ok()) continue;
            const auto bytes = mapped.bytes();
            Elf64_Ehdr eh;
            memcpy(&eh, bytes.data(), sizeof eh);
            if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
                eh.e_machine != EM_X86_64 || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
                continue;
            SCOPED_TRACE(path);
            ElfProblem why;
            auto file = ElfFile::parse(bytes, &why);
            if (file.is_error()) {
                refused.push_back(path + ": " + describe(why));
                continue;
            }
            elftest::expect_matches_reference(*file, bytes);
            auto bias = load_bias_for(*file, 0x5555'5555'4000 & ~(file->max_load_alignment() - 1));
            ASSERT_FALSE(bias.is_error());
            elftest::check_plan(bytes, *bias, plan_of(*file, *bias), /*exhaustive=*/false);
            checked++;
        }
        closedir(d);
    }
    for (auto& r : refused)
        ADD_FAILURE() << "refused " << r;
    if (checked == 0) GTEST_SKIP() << "no x86-64 ELF files found on the host";
    RecordProperty("programs_checked", static_cast<int>(checked));
    std::printf("checked %zu ELF programs and libraries\n", checked);
}

} // namespace
