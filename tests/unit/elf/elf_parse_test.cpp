// SPDX-License-Identifier: MIT
// ElfFile::parse on real programs built by the host's compilers, on hand-made headers that break
// one rule each, and on truncated, mutated and non-ELF input.
#include <gtest/gtest.h>

#include <random>

#include "linux/elf.h"
#include "test_support.h"

namespace {
using namespace wisp::elf;
using elftest::Reference;
using elftest::Synth;
using wisp::Errno;

// --- real programs ---

class RealProgram : public ::testing::TestWithParam<size_t> {
  protected:
    void SetUp() override {
        const auto& v = elftest::hello_variants()[GetParam()];
        auto path = elftest::build_hello(v);
        if (!path) GTEST_SKIP() << v.compiler << " missing or cannot build " << v.name;
        m_name = v.name;
        m_path = *path;
        m_bytes = elftest::read_file(m_path);
    }
    bool is(std::string_view prefix) const { return m_name.rfind(prefix, 0) == 0; }

    std::string m_name, m_path;
    std::vector<uint8_t> m_bytes;
};

TEST_P(RealProgram, ParsesAndMatchesIndependentReader) {
    ElfProblem why = ElfProblem::NotElf;
    auto file = ElfFile::parse(m_bytes, &why);
    ASSERT_FALSE(file.is_error()) << describe(why);
    EXPECT_EQ(why, ElfProblem::None);
    elftest::expect_matches_reference(*file, m_bytes);

    // What each way of linking must produce.
    const bool pie =
        m_name.find("pie") != std::string::npos && m_name.find("nopie") == std::string::npos;
    const bool dynamic = m_name.find("dynamic") != std::string::npos;
    EXPECT_EQ(file->type(), pie ? ElfType::Dyn : ElfType::Exec);
    EXPECT_EQ(file->has_interpreter(), dynamic);
    EXPECT_EQ(file->is_static_pie(), pie && !dynamic);
    if (dynamic) {
        EXPECT_EQ(file->interpreter(),
                  is("musl") ? "/lib/ld-musl-x86_64.so.1" : "/lib64/ld-linux-x86-64.so.2");
    }
    EXPECT_TRUE(file->tls().has_value()) << "the program has a __thread variable";
    EXPECT_GE(file->tls()->memsz, sizeof(int));
    EXPECT_EQ(file->wants_executable_stack(), m_name == "glibc_execstack");
    ASSERT_TRUE(file->program_headers_vaddr().has_value()) << "needed for AT_PHDR";
    EXPECT_GE(file->load_segment_count(), 2u);
    EXPECT_GE(file->load_span().size(), 1u << 20) << "includes the 1 MiB .bss";
}

TEST_P(RealProgram, RunsNatively) {
    // The binaries the other tests trust really are working programs.
    auto result = elftest::run({m_path});
    EXPECT_EQ(result.status, 0);
    EXPECT_EQ(result.output, "hello 7 1 3\n");
}

TEST_P(RealProgram, TruncatedAtAnyLengthIsRefusedUntilAllSegmentsArePresent) {
    // The parser needs the header, the program header table and the file bytes of every segment
    // it validates (PT_LOAD, PT_INTERP, PT_TLS); anything after (section headers) is optional.
    const Reference ref = Reference::of(m_bytes);
    uint64_t needed = ref.header.e_phoff + ref.header.e_phnum * sizeof(Elf64_Phdr);
    for (auto& ph : ref.phdrs)
        if (ph.p_type == PT_LOAD || ph.p_type == PT_INTERP || ph.p_type == PT_TLS)
            needed = std::max<uint64_t>(needed, ph.p_offset + ph.p_filesz);
    ASSERT_LE(needed, m_bytes.size());

    std::vector<size_t> lengths;
    for (size_t n = 0; n <= 4096 && n <= m_bytes.size(); n++)
        lengths.push_back(n);
    for (size_t n = 4096; n < m_bytes.size(); n += m_bytes.size() / 500 + 1)
        lengths.push_back(n);
    for (auto& ph : ref.phdrs)
        for (int64_t d = -2; d <= 2; d++)
            if (ph.p_offset + ph.p_filesz + d <= m_bytes.size())
                lengths.push_back(ph.p_offset + ph.p_filesz + d);
    lengths.push_back(needed - 1);
    lengths.push_back(needed);
    lengths.push_back(m_bytes.size());

    for (size_t n : lengths) {
        // A private copy of exactly n bytes, so ASan catches any read past the end.
        std::vector<uint8_t> prefix(m_bytes.begin(), m_bytes.begin() + n);
        ElfProblem why;
        auto file = ElfFile::parse(prefix, &why);
        if (n >= needed) {
            EXPECT_FALSE(file.is_error()) << "length " << n << ": " << describe(why);
        } else {
            ASSERT_TRUE(file.is_error()) << "length " << n;
            EXPECT_EQ(file.error().code, Errno::NOEXEC);
            if (n < 64) {
                EXPECT_EQ(why, ElfProblem::NotElf);
            }
        }
    }
}

TEST_P(RealProgram, HeaderChangesNameTheProblem) {
    // A copy changed the way a 32-bit or foreign-architecture build would differ.
    struct Case {
        size_t offset;
        std::vector<uint8_t> bytes;
        ElfProblem problem;
    };
    const std::vector<Case> cases{
        {EI_CLASS, {ELFCLASS32}, ElfProblem::Not64Bit},
        {EI_DATA, {ELFDATA2MSB}, ElfProblem::NotLittleEndian},
        {EI_VERSION, {0}, ElfProblem::BadVersion},
        {offsetof(Elf64_Ehdr, e_machine), {EM_AARCH64, 0}, ElfProblem::NotX86_64},
        {offsetof(Elf64_Ehdr, e_machine), {EM_386, 0}, ElfProblem::NotX86_64},
        {offsetof(Elf64_Ehdr, e_machine), {EM_RISCV, 0}, ElfProblem::NotX86_64},
        {offsetof(Elf64_Ehdr, e_type), {ET_REL, 0}, ElfProblem::NotExecutable},
        {offsetof(Elf64_Ehdr, e_type), {ET_CORE, 0}, ElfProblem::NotExecutable},
        {0, {'#', '!'}, ElfProblem::NotElf},
    };
    for (const auto& c : cases) {
        auto copy = m_bytes;
        memcpy(copy.data() + c.offset, c.bytes.data(), c.bytes.size());
        ElfProblem why;
        auto file = ElfFile::parse(copy, &why);
        ASSERT_TRUE(file.is_error());
        EXPECT_EQ(file.error().code, Errno::NOEXEC);
        EXPECT_EQ(why, c.problem) << describe(why);
    }
}

INSTANTIATE_TEST_SUITE_P(Hello, RealProgram,
                         ::testing::Range<size_t>(0, elftest::hello_variants().size()),
                         [](const auto& info) {
                             return std::string(elftest::hello_variants()[info.param].name);
                         });

TEST(ElfParse, TheDynamicLinkerIsAStaticPie) {
    elftest::MappedFile ld("/lib64/ld-linux-x86-64.so.2");
    if (!ld.ok()) GTEST_SKIP() << "no glibc dynamic linker";
    auto file = ElfFile::parse(ld.bytes());
    ASSERT_FALSE(file.is_error());
    EXPECT_EQ(file->type(), ElfType::Dyn);
    EXPECT_TRUE(file->is_static_pie());
    EXPECT_EQ(file->load_span().low, 0u);
    elftest::expect_matches_reference(*file, ld.bytes());
}

// --- input that is not an ELF program at all ---

TEST(ElfParse, NonElfInputIsNotElf) {
    std::vector<std::string> inputs{
        "",
        "\x7f",
        "\x7f"
        "ELF",
        "#!/bin/sh\necho hello\n",
        "#!/usr/bin/env python3\nprint('hello')\n" + std::string(200, '#'),
        std::string(4096, '\0'),
        "MZ" + std::string(200, 'x'), // a PE file
    };
    for (const auto& s : inputs) {
        ElfProblem why = ElfProblem::None;
        auto file = ElfFile::parse({reinterpret_cast<const uint8_t*>(s.data()), s.size()}, &why);
        ASSERT_TRUE(file.is_error());
        EXPECT_EQ(file.error().code, Errno::NOEXEC);
        EXPECT_EQ(why, ElfProblem::NotElf);
    }
    // Without a `why`, the same answer.
    auto file = ElfFile::parse({});
    ASSERT_TRUE(file.is_error());
    EXPECT_EQ(file.error().code, Errno::NOEXEC);
}

TEST(ElfParse, RandomGarbageIsRefused) {
    std::mt19937_64 rng(1);
    for (size_t size : {1, 63, 64, 65, 500, 4096, 100000}) {
        for (int round = 0; round < 20; round++) {
            std::vector<uint8_t> garbage(size);
            for (auto& b : garbage)
                b = static_cast<uint8_t>(rng());
            ElfProblem why;
            auto file = ElfFile::parse(garbage, &why);
            ASSERT_TRUE(file.is_error());
            EXPECT_EQ(why, ElfProblem::NotElf);
            // With a valid magic and class the rest is still garbage.
            if (size >= 64) {
                memcpy(garbage.data(),
                       "\x7f"
                       "ELF\x02\x01\x01",
                       7);
                garbage[16] = ET_EXEC;
                garbage[17] = 0;
                garbage[18] = EM_X86_64;
                garbage[19] = 0;
                EXPECT_TRUE(ElfFile::parse(garbage).is_error());
            }
        }
    }
}

TEST(ElfParse, EveryProblemHasADescription) {
    for (int p = 0; p <= static_cast<int>(ElfProblem::OutputTooSmall); p++) {
        const char* text = describe(static_cast<ElfProblem>(p));
        ASSERT_NE(text, nullptr);
        EXPECT_GT(strlen(text), 5u);
        EXPECT_STRNE(text, "unknown ELF problem") << p;
        for (int q = 0; q < p; q++)
            EXPECT_STRNE(text, describe(static_cast<ElfProblem>(q)));
    }
}

// --- hand-made files, each breaking one rule ---

void expect_refused(const Synth& s, ElfProblem expected) {
    const auto bytes = s.bytes();
    ElfProblem why = ElfProblem::None;
    auto file = ElfFile::parse(bytes, &why);
    ASSERT_TRUE(file.is_error()) << "expected " << describe(expected);
    EXPECT_EQ(file.error().code, Errno::NOEXEC);
    EXPECT_EQ(why, expected) << "got: " << describe(why);
}

TEST(ElfParse, HandMadeExecutable) {
    const auto bytes = Synth::executable().bytes();
    auto file = ElfFile::parse(bytes);
    ASSERT_FALSE(file.is_error());
    elftest::expect_matches_reference(*file, bytes);
    EXPECT_EQ(file->type(), ElfType::Exec);
    EXPECT_EQ(file->entry(), 0x401000u);
    EXPECT_FALSE(file->has_interpreter());
    EXPECT_FALSE(file->is_static_pie());
    EXPECT_EQ(file->program_headers_vaddr(), 0x400040u);
    EXPECT_EQ(file->program_header_count(), 6u);
    EXPECT_EQ(file->load_segment_count(), 3u);
    EXPECT_EQ(file->load_span().low, 0x400000u);
    EXPECT_EQ(file->load_span().high, 0x407000u);
    EXPECT_EQ(file->max_mappings(), 6u);
    ASSERT_TRUE(file->tls());
    EXPECT_EQ(file->tls()->memsz, 0x20u);
    EXPECT_FALSE(file->wants_executable_stack());
    EXPECT_EQ(file->image().data(), bytes.data());
}

TEST(ElfParse, HandMadeDynamicPie) {
    Synth s = Synth::pie();
    s.with_interpreter();
    const auto bytes = s.bytes();
    auto file = ElfFile::parse(bytes);
    ASSERT_FALSE(file.is_error());
    elftest::expect_matches_reference(*file, bytes);
    EXPECT_EQ(file->interpreter(), "/lib/ld-test.so.1");
    EXPECT_FALSE(file->is_static_pie());
    EXPECT_EQ(file->program_headers_vaddr(), 0x40u);
}

TEST(ElfParse, ProgramHeadersFoundWithoutPtPhdr) {
    Synth s = Synth::executable();
    s.ph.erase(s.ph.begin()); // AT_PHDR then comes from the PT_LOAD holding e_phoff
    const auto file_bytes = s.bytes();
    auto file = ElfFile::parse(file_bytes);
    ASSERT_FALSE(file.is_error());
    EXPECT_EQ(file->program_headers_vaddr(), 0x400040u);

    // Table not inside any segment's file bytes: no address, but still loadable.
    s.eh.e_phoff = 0x3000; // straddles the end of the data segment's file bytes
    s.size = 0x3200;
    const auto without_bytes = s.bytes();
    auto without = ElfFile::parse(without_bytes);
    ASSERT_FALSE(without.is_error());
    EXPECT_FALSE(without->program_headers_vaddr());
}

TEST(ElfParse, ExecutableStackFlag) {
    Synth s = Synth::executable();
    s.first(PT_GNU_STACK).p_flags = PF_R | PF_W | PF_X;
    const auto file_bytes = s.bytes();
    auto file = ElfFile::parse(file_bytes);
    ASSERT_FALSE(file.is_error());
    EXPECT_TRUE(file->wants_executable_stack());
    s.ph.pop_back(); // no PT_GNU_STACK: x86-64 Linux defaults to a non-executable stack
    s.first(PT_PHDR).p_filesz = s.first(PT_PHDR).p_memsz = s.ph.size() * 56;
    const auto none_bytes = s.bytes();
    auto none = ElfFile::parse(none_bytes);
    ASSERT_FALSE(none.is_error());
    EXPECT_FALSE(none->wants_executable_stack());
}

TEST(ElfParse, LargeAlignmentIsReportedForTheBias) {
    Synth s = Synth::pie();
    s.load(0).p_align = s.load(1).p_align = s.load(2).p_align = 0x200000;
    const auto huge_pages = s.bytes();
    auto file = ElfFile::parse(huge_pages);
    ASSERT_FALSE(file.is_error());
    EXPECT_EQ(file->max_load_alignment(), 0x200000u);
    // Not a power of two, or absurd: ignored (page alignment is all correctness needs).
    s.load(0).p_align = 0x300000;
    s.load(1).p_align = 1ull << 62;
    s.load(2).p_align = 0;
    const auto odd = s.bytes();
    auto odd_file = ElfFile::parse(odd);
    ASSERT_FALSE(odd_file.is_error());
    EXPECT_EQ(odd_file->max_load_alignment(), 0x1000u);
}

TEST(ElfParse, HeaderProblems) {
    int line = 0;
    auto refused = [&line](auto change, ElfProblem problem) {
        SCOPED_TRACE("case " + std::to_string(++line));
        Synth s = Synth::executable();
        change(s);
        expect_refused(s, problem);
    };
    refused([](Synth& s) { s.eh.e_ident[1] = 'e'; }, ElfProblem::NotElf);
    refused([](Synth& s) { s.eh.e_ident[EI_CLASS] = ELFCLASS32; }, ElfProblem::Not64Bit);
    refused([](Synth& s) { s.eh.e_ident[EI_CLASS] = ELFCLASSNONE; }, ElfProblem::Not64Bit);
    refused([](Synth& s) { s.eh.e_ident[EI_DATA] = ELFDATA2MSB; }, ElfProblem::NotLittleEndian);
    refused([](Synth& s) { s.eh.e_ident[EI_VERSION] = 2; }, ElfProblem::BadVersion);
    refused([](Synth& s) { s.eh.e_machine = EM_AARCH64; }, ElfProblem::NotX86_64);
    refused([](Synth& s) { s.eh.e_machine = EM_386; }, ElfProblem::NotX86_64);
    refused([](Synth& s) { s.eh.e_type = ET_REL; }, ElfProblem::NotExecutable);
    refused([](Synth& s) { s.eh.e_type = ET_CORE; }, ElfProblem::NotExecutable);
    refused([](Synth& s) { s.eh.e_type = ET_NONE; }, ElfProblem::NotExecutable);
    refused([](Synth& s) { s.eh.e_phentsize = 32; }, ElfProblem::BadProgramHeaders);
    refused([](Synth& s) { s.eh.e_phentsize = 64; }, ElfProblem::BadProgramHeaders);
    refused([](Synth& s) { s.phnum = 0; }, ElfProblem::BadProgramHeaders);
    refused([](Synth& s) { s.phnum = 0xffff; }, ElfProblem::BadProgramHeaders); // PN_XNUM
    refused([](Synth& s) { s.phnum = kMaxProgramHeaders + 1; }, ElfProblem::BadProgramHeaders);
    refused([](Synth& s) { s.eh.e_phoff = 0x3100; }, ElfProblem::BadProgramHeaders);
    refused([](Synth& s) { s.eh.e_phoff = 0x3100 - 56; }, ElfProblem::BadProgramHeaders);
    refused([](Synth& s) { s.eh.e_phoff = UINT64_MAX - 100; }, ElfProblem::BadProgramHeaders);
    refused([](Synth& s) { s.ph.erase(s.ph.begin() + 1, s.ph.begin() + 4); },
            ElfProblem::NoLoadableSegments);
    refused(
        [](Synth& s) {
            for (auto& p : s.ph)
                if (p.p_type == PT_LOAD) p.p_filesz = p.p_memsz = 0;
        },
        ElfProblem::NoLoadableSegments);

    // The most program headers Linux accepts: one page of them (here overlapping the text's
    // file bytes, which is harmless; no PT_PHDR, and no segment holds the table).
    Synth s = Synth::executable();
    s.ph.erase(s.ph.begin());
    while (s.ph.size() < kMaxProgramHeaders)
        s.ph.push_back(Synth::segment(PT_NOTE, PF_R, 0x300, 0x400300, 0, 0, 4));
    const auto file_bytes = s.bytes();
    auto file = ElfFile::parse(file_bytes);
    ASSERT_FALSE(file.is_error());
    EXPECT_EQ(file->program_header_count(), kMaxProgramHeaders);
    EXPECT_FALSE(file->program_headers_vaddr());
}

TEST(ElfParse, LoadSegmentProblems) {
    auto refused = [](auto change, ElfProblem problem) {
        Synth s = Synth::executable();
        change(s);
        expect_refused(s, problem);
    };
    // File bytes outside the file, including offsets that overflow.
    refused([](Synth& s) { s.load(2).p_filesz = 0x201; }, ElfProblem::SegmentOutsideFile);
    refused(
        [](Synth& s) {
            s.load(1).p_offset = 0x4000;
            s.load(1).p_vaddr = 0x404000;
        },
        ElfProblem::SegmentOutsideFile);
    refused(
        [](Synth& s) {
            s.load(2).p_offset = 0xffff'ffff'ffff'ff00;
            s.load(2).p_vaddr = 0x403f00;
        },
        ElfProblem::SegmentOutsideFile);
    // More file bytes than memory bytes.
    refused([](Synth& s) { s.load(1).p_memsz = 0x1000; }, ElfProblem::SegmentSizes);
    // Offset and address not congruent modulo the page size.
    refused([](Synth& s) { s.load(1).p_offset = 0x1010; }, ElfProblem::MisalignedSegment);
    refused([](Synth& s) { s.load(2).p_vaddr = 0x404000; }, ElfProblem::MisalignedSegment);
    // Addresses in the kernel half, past the user half, or wrapping around.
    refused([](Synth& s) { s.load(2).p_vaddr = 0xffff'ffff'8000'0f00; },
            ElfProblem::SegmentOutsideUser);
    refused([](Synth& s) { s.load(2).p_vaddr = 0x0000'8000'0000'0f00; },
            ElfProblem::SegmentOutsideUser);
    refused([](Synth& s) { s.load(2).p_memsz = 0xffff'ffff'ffff'f000; },
            ElfProblem::SegmentOutsideUser);
    refused([](Synth& s) { s.load(2).p_memsz = kUserAddressEnd - 0x403f00 + 1; },
            ElfProblem::SegmentOutsideUser);
    // Order and overlap, at page granularity.
    refused([](Synth& s) { std::swap(s.load(1), s.load(2)); }, ElfProblem::UnsortedSegments);
    refused([](Synth& s) { s.load(0).p_filesz = s.load(0).p_memsz = 0x1001; },
            ElfProblem::OverlappingSegments);
    refused([](Synth& s) { s.load(1).p_memsz = 0x2f01; }, ElfProblem::OverlappingSegments);
    refused(
        [](Synth& s) {
            s.load(2).p_vaddr = 0x402f00; // shares its first page with the text's last page
        },
        ElfProblem::OverlappingSegments);
    refused([](Synth& s) { s.load(1) = s.load(0); }, ElfProblem::OverlappingSegments);

    // Up to the last user byte is fine; a segment ending exactly on a page boundary does not
    // touch the next one.
    Synth s = Synth::executable();
    s.load(2).p_memsz = kUserAddressEnd - 0x403f00;
    EXPECT_FALSE(ElfFile::parse(s.bytes()).is_error());
    s = Synth::executable();
    s.load(1).p_memsz = 0x2000; // text ends at 0x403000, data starts in page 0x403000
    s.load(1).p_filesz = 0x2000;
    EXPECT_FALSE(ElfFile::parse(s.bytes()).is_error());
    // Zero-size PT_LOADs are ignored for order and overlap, as Linux ignores them.
    s = Synth::executable();
    s.ph.push_back(Synth::segment(PT_LOAD, PF_R, 0, 0x400000, 0, 0));
    s.first(PT_PHDR).p_filesz = s.first(PT_PHDR).p_memsz = s.ph.size() * 56;
    const auto file_bytes = s.bytes();
    auto file = ElfFile::parse(file_bytes);
    ASSERT_FALSE(file.is_error());
    EXPECT_EQ(file->load_segment_count(), 4u);
}

TEST(ElfParse, InterpreterProblems) {
    auto refused = [](auto change) {
        Synth s = Synth::executable();
        s.with_interpreter();
        change(s);
        expect_refused(s, ElfProblem::BadInterpreter);
    };
    refused([](Synth& s) { s.first(PT_INTERP).p_filesz -= 1; }); // NUL not included
    refused([](Synth& s) { s.first(PT_INTERP).p_filesz = 1; });
    refused([](Synth& s) { s.first(PT_INTERP).p_filesz = 0; });
    refused([](Synth& s) { s.first(PT_INTERP).p_filesz = 4097; });
    refused([](Synth& s) { s.first(PT_INTERP).p_offset = 0x3100 - 5; });
    refused([](Synth& s) { s.first(PT_INTERP).p_offset = UINT64_MAX - 3; });
    refused([](Synth& s) { s.ph.insert(s.ph.begin() + 1, s.first(PT_INTERP)); });
    {
        Synth s = Synth::executable();
        s.with_interpreter(std::string_view("\0\0", 2)); // an empty path
        expect_refused(s, ElfProblem::BadInterpreter);
    }
    // An embedded NUL: the path is what a C string would read.
    Synth s = Synth::executable();
    s.with_interpreter(std::string_view("/lib/ld.so\0junk", 15));
    const auto file_bytes = s.bytes();
    auto file = ElfFile::parse(file_bytes);
    ASSERT_FALSE(file.is_error());
    EXPECT_EQ(file->interpreter(), "/lib/ld.so");
}

TEST(ElfParse, PhdrAndTlsProblems) {
    auto refused = [](auto change, ElfProblem problem) {
        Synth s = Synth::executable();
        change(s);
        expect_refused(s, problem);
    };
    refused([](Synth& s) { s.ph.push_back(s.first(PT_PHDR)); }, ElfProblem::BadProgramHeaders);
    refused([](Synth& s) { s.first(PT_PHDR).p_vaddr = 0x500000; }, ElfProblem::BadProgramHeaders);
    refused([](Synth& s) { s.first(PT_PHDR).p_vaddr = 0x400300 - 56; },
            ElfProblem::BadProgramHeaders); // runs past the file bytes of its segment
    refused([](Synth& s) { s.ph.push_back(s.first(PT_TLS)); }, ElfProblem::BadTls);
    refused([](Synth& s) { s.first(PT_TLS).p_filesz = 0x21; }, ElfProblem::BadTls);
    refused([](Synth& s) { s.first(PT_TLS).p_offset = 0x3100; }, ElfProblem::BadTls);
    refused([](Synth& s) { s.first(PT_TLS).p_align = 24; }, ElfProblem::BadTls);
}

// Random corruption of the header and program headers: never a crash or an out-of-bounds read
// (ASan/UBSan watch), and whatever parses also plans into sane mappings.
TEST(ElfParse, MutatedHeadersNeverCrash) {
    std::mt19937_64 rng(42);
    const std::vector<std::vector<uint8_t>> seeds{Synth::executable().bytes(),
                                                  Synth::pie().with_interpreter().bytes()};
    // A real program too; it is large, so it is mutated in place and restored after each round
    // instead of copied (and never truncated: the truncation test covers that).
    std::vector<uint8_t> real;
    if (auto path = elftest::build_hello(elftest::hello_variants()[2])) // glibc_static
        real = elftest::read_file(*path);
    size_t parsed = 0, planned = 0;
    std::vector<Mapping> plan(2 * kMaxProgramHeaders);
    std::vector<uint8_t> bytes, saved;
    for (int round = 0; round < 30000; round++) {
        const bool use_real = !real.empty() && round % 10 == 9;
        std::vector<uint8_t>& target = use_real ? real : bytes;
        if (!use_real) bytes = seeds[round % 2];
        const size_t region = std::min<size_t>(target.size(), 64 + 16 * 56);
        saved.assign(target.begin(), target.begin() + region);
        const int changes = 1 + static_cast<int>(rng() % 4);
        for (int c = 0; c < changes; c++) {
            const size_t at = rng() % region;
            switch (rng() % 4) {
            case 0:
                target[at] = static_cast<uint8_t>(rng());
                break;
            case 1:
                target[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
                break;
            case 2:
                target[at] = (rng() & 1) ? 0xff : 0;
                break;
            case 3: // a whole 8-byte field
                for (size_t k = at & ~size_t{7}; k < (at & ~size_t{7}) + 8 && k < region; k++)
                    target[k] = static_cast<uint8_t>(rng());
                break;
            }
        }
        if (!use_real && rng() % 8 == 0) bytes.resize(rng() % bytes.size());
        bytes.shrink_to_fit(); // no spare capacity: ASan flags any read past the end
        const std::vector<uint8_t>& exact = target;
        struct Restore {
            std::vector<uint8_t>& target;
            const std::vector<uint8_t>& saved;
            bool active;
            ~Restore() {
                if (active) std::copy(saved.begin(), saved.end(), target.begin());
            }
        } restore{target, saved, use_real};
        auto file = ElfFile::parse(exact);
        if (file.is_error()) {
            EXPECT_EQ(file.error().code, Errno::NOEXEC);
            continue;
        }
        parsed++;
        const uint64_t bias = file->type() == ElfType::Dyn ? 0x5555'5555'0000 : 0;
        auto count = plan_load(*file, bias, plan);
        if (count.is_error()) continue;
        planned++;
        ASSERT_LE(*count, file->max_mappings());
        for (size_t i = 0; i < *count; i++) {
            const Mapping& m = plan[i];
            ASSERT_EQ(m.vaddr % kPageSize, 0u);
            ASSERT_EQ(m.length % kPageSize, 0u);
            ASSERT_GT(m.length, 0u);
            ASSERT_LE(m.file_bytes, m.length);
            ASSERT_LE(m.file_offset + m.file_bytes, exact.size());
            ASSERT_GE(m.vaddr, kMinUserAddress);
            ASSERT_LE(m.end(), kUserAddressEnd);
            if (i > 0) {
                ASSERT_LE(plan[i - 1].end(), m.vaddr);
            }
        }
    }
    EXPECT_GT(parsed, 100u);
    EXPECT_GT(planned, 100u);
}

} // namespace
