// SPDX-License-Identifier: MIT
#pragma once

// Helpers for the ELF tests: building real programs with the host's compilers (cached in the
// build directory, since ctest runs every test in its own process), running programs, and an
// independent reader of ELF files written against the host's <elf.h>, to check the parser's
// answers against.
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "linux/elf.h"

namespace elftest {

inline std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct RunResult {
    int status = -1;    // exit status, or -1 when the program did not exit normally
    std::string output; // stdout and stderr
};

// Runs argv[0] (looked up in PATH unless it has a '/') with `envp` if given, else the test's own
// environment.
inline RunResult run(const std::vector<std::string>& argv,
                     const std::vector<std::string>* envp = nullptr) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) return {};
    std::vector<char*> args, env;
    for (auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (envp) {
        for (auto& e : *envp)
            env.push_back(const_cast<char*>(e.c_str()));
        env.push_back(nullptr);
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fds[1], 1);
        dup2(pipe_fds[1], 2);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        if (envp)
            execve(args[0], args.data(), env.data());
        else
            execvp(args[0], args.data());
        _exit(127);
    }
    close(pipe_fds[1]);
    RunResult result;
    char buffer[4096];
    ssize_t n;
    while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0)
        result.output.append(buffer, n);
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

inline bool have_program(const std::string& name) {
    return run({"sh", "-c", "command -v " + name}).status == 0;
}

// Compiles C `source` with `compiler` and `flags` into the build directory's cache and returns
// the executable's path, or nothing if the compiler is missing or fails (the caller skips).
// The name carries a hash of everything that went into it; concurrent test processes write to a
// private name and rename() into place, so readers never see half a file.
inline std::optional<std::string> compile(const std::string& compiler, const std::string& name,
                                          const std::string& source,
                                          const std::vector<std::string>& flags) {
    std::string key = compiler + '\0' + source;
    for (auto& f : flags)
        key += '\0' + f;
    const std::string dir = std::string(WISP_BINARY_DIR) + "/elf-test-programs";
    std::filesystem::create_directories(dir);
    const std::string stem =
        dir + "/" + name + "-" + std::to_string(std::hash<std::string>{}(key) % 1000000007);
    const std::string exe = stem + ".exe";
    if (access(exe.c_str(), X_OK) == 0) return exe;
    if (!have_program(compiler)) return std::nullopt;

    const std::string unique = stem + "." + std::to_string(getpid());
    {
        std::ofstream out(unique + ".c");
        out << source;
    }
    std::vector<std::string> argv{compiler};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"-o", unique + ".tmp", unique + ".c"});
    const RunResult built = run(argv);
    std::filesystem::remove(unique + ".c");
    if (built.status != 0) {
        std::filesystem::remove(unique + ".tmp");
        return std::nullopt;
    }
    std::filesystem::rename(unique + ".tmp", exe);
    return exe;
}

// A C program with a bit of everything a loader must handle: text, rodata, data, a large .bss and
// a thread-local variable (PT_TLS).
inline const char* kHelloSource = R"(#include <stdio.h>
__thread int tls_counter = 7;
static char big_bss[1 << 20];
int initialized_data[64] = {1, 2, 3};
int main(int argc, char** argv) {
    (void)argv;
    big_bss[argc] = 1;
    printf("hello %d %d %d\n", tls_counter, big_bss[1], initialized_data[2]);
    return 0;
}
)";

struct Variant {
    const char* name;
    const char* compiler;
    std::vector<std::string> flags;
};

inline const std::vector<Variant>& hello_variants() {
    static const std::vector<Variant> variants{
        {"musl_static", "musl-gcc", {"-O1", "-static"}},
        // (Debian's musl-gcc cannot make a static PIE: -static-pie gives a dynamic one.)
        {"musl_dynamic_pie", "musl-gcc", {"-O1", "-pie", "-fPIE"}},
        {"glibc_static", "gcc", {"-O1", "-static"}},
        {"glibc_static_pie", "gcc", {"-O1", "-static-pie"}},
        {"glibc_dynamic_pie", "gcc", {"-O1", "-pie", "-fPIE"}},
        {"glibc_dynamic_nopie", "gcc", {"-O1", "-no-pie"}},
        {"glibc_execstack", "gcc", {"-O1", "-static", "-z", "execstack"}},
    };
    return variants;
}

inline std::optional<std::string> build_hello(const Variant& v) {
    return compile(v.compiler, v.name, kHelloSource, v.flags);
}

// What the host's <elf.h> says about a file, read without any of the code under test.
struct Reference {
    Elf64_Ehdr header{};
    std::vector<Elf64_Phdr> phdrs;
    std::vector<Elf64_Phdr> loads;

    // Only for files the test knows to have a header and an in-bounds program header table.
    static Reference of(std::span<const uint8_t> bytes) {
        Reference r;
        if (bytes.size() < sizeof r.header) return r;
        memcpy(&r.header, bytes.data(), sizeof r.header);
        for (size_t i = 0; i < r.header.e_phnum; i++) {
            Elf64_Phdr ph;
            const uint64_t at = r.header.e_phoff + i * sizeof ph;
            if (at > bytes.size() || bytes.size() - at < sizeof ph) break;
            memcpy(&ph, bytes.data() + at, sizeof ph);
            r.phdrs.push_back(ph);
            if (ph.p_type == PT_LOAD) r.loads.push_back(ph);
        }
        return r;
    }
    const Elf64_Phdr* find(uint32_t type) const {
        for (auto& ph : phdrs)
            if (ph.p_type == type) return &ph;
        return nullptr;
    }
};

// A read-only mmap of a whole file (the sweep over system programs reads hundreds of MiB).
class MappedFile {
  public:
    explicit MappedFile(const std::string& path) {
        int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            void* p = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                m_data = static_cast<const uint8_t*>(p);
                m_size = st.st_size;
            }
        }
        close(fd);
    }
    ~MappedFile() {
        if (m_data) munmap(const_cast<uint8_t*>(m_data), m_size);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    std::span<const uint8_t> bytes() const { return {m_data, m_size}; }
    bool ok() const { return m_data != nullptr; }

  private:
    const uint8_t* m_data = nullptr;
    size_t m_size = 0;
};

inline Reference reference_of(std::span<const uint8_t> bytes) {
    return Reference::of(bytes);
}

constexpr uint64_t kPage = 4096;
inline uint64_t page_down(uint64_t v) {
    return v & ~(kPage - 1);
}
inline uint64_t page_up(uint64_t v) {
    return page_down(v + kPage - 1);
}

// Checks every accessor of `file` against the independent reading of the same bytes.
inline void expect_matches_reference(const wisp::elf::ElfFile& file,
                                     std::span<const uint8_t> bytes) {
    const Reference ref = reference_of(bytes);
    EXPECT_EQ(static_cast<uint16_t>(file.type()), ref.header.e_type);
    EXPECT_EQ(file.entry(), ref.header.e_entry);
    EXPECT_EQ(file.program_header_count(), ref.header.e_phnum);
    EXPECT_EQ(file.program_header_size(), sizeof(Elf64_Phdr));
    EXPECT_EQ(file.program_headers_offset(), ref.header.e_phoff);

    const Elf64_Phdr* interp = ref.find(PT_INTERP);
    if (interp) {
        std::string path(reinterpret_cast<const char*>(bytes.data() + interp->p_offset));
        EXPECT_EQ(file.interpreter(), path);
    } else {
        EXPECT_TRUE(file.interpreter().empty());
    }
    EXPECT_EQ(file.is_static_pie(), ref.header.e_type == ET_DYN && !interp);

    const Elf64_Phdr* tls = ref.find(PT_TLS);
    ASSERT_EQ(file.tls().has_value(), tls != nullptr);
    if (tls) {
        EXPECT_EQ(file.tls()->vaddr, tls->p_vaddr);
        EXPECT_EQ(file.tls()->offset, tls->p_offset);
        EXPECT_EQ(file.tls()->filesz, tls->p_filesz);
        EXPECT_EQ(file.tls()->memsz, tls->p_memsz);
        EXPECT_EQ(file.tls()->align, tls->p_align);
    }
    bool exec_stack = false;
    for (auto& ph : ref.phdrs)
        if (ph.p_type == PT_GNU_STACK) exec_stack = (ph.p_flags & PF_X) != 0;
    EXPECT_EQ(file.wants_executable_stack(), exec_stack);

    std::optional<uint64_t> phdr_vaddr;
    if (const Elf64_Phdr* phdr = ref.find(PT_PHDR)) {
        phdr_vaddr = phdr->p_vaddr;
    } else {
        for (auto& load : ref.loads) {
            if (load.p_offset <= ref.header.e_phoff &&
                ref.header.e_phoff + ref.header.e_phnum * sizeof(Elf64_Phdr) <=
                    load.p_offset + load.p_filesz) {
                phdr_vaddr = load.p_vaddr + (ref.header.e_phoff - load.p_offset);
                break;
            }
        }
    }
    EXPECT_EQ(file.program_headers_vaddr(), phdr_vaddr);

    ASSERT_EQ(file.load_segment_count(), ref.loads.size());
    uint64_t low = UINT64_MAX, high = 0, align = kPage;
    for (size_t i = 0; i < ref.loads.size(); i++) {
        const auto ph = file.load_segment(i);
        const auto& r = ref.loads[i];
        EXPECT_EQ(ph.type, r.p_type);
        EXPECT_EQ(ph.flags, r.p_flags);
        EXPECT_EQ(ph.offset, r.p_offset);
        EXPECT_EQ(ph.vaddr, r.p_vaddr);
        EXPECT_EQ(ph.paddr, r.p_paddr);
        EXPECT_EQ(ph.filesz, r.p_filesz);
        EXPECT_EQ(ph.memsz, r.p_memsz);
        EXPECT_EQ(ph.align, r.p_align);
        if (r.p_memsz == 0) continue;
        low = std::min(low, page_down(r.p_vaddr));
        high = std::max(high, page_up(r.p_vaddr + r.p_memsz));
        if (r.p_align > align && (r.p_align & (r.p_align - 1)) == 0) align = r.p_align;
    }
    EXPECT_EQ(file.load_span().low, low);
    EXPECT_EQ(file.load_span().high, high);
    EXPECT_EQ(file.max_load_alignment(), align);
}

inline uint32_t prot_of(uint32_t p_flags) {
    return ((p_flags & PF_R) ? wisp::elf::kProtRead : 0) |
           ((p_flags & PF_W) ? wisp::elf::kProtWrite : 0) |
           ((p_flags & PF_X) ? wisp::elf::kProtExec : 0);
}

inline bool all_zero(const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0) return false;
    return true;
}

// Checks a load plan against the program headers: structure (alignment, order, bounds), the
// zero-copy rules, and that memory built from the plan holds exactly the gABI's image of every
// segment — its file bytes, then zeros up to p_memsz — with the segment's protection.
// `exhaustive` compares every byte; otherwise only the pages at the segments' edges.
inline void check_plan(std::span<const uint8_t> bytes, uint64_t bias,
                       std::span<const wisp::elf::Mapping> plan, bool exhaustive = true) {
    using wisp::elf::Mapping;
    const Reference ref = reference_of(bytes);
    for (size_t i = 0; i < plan.size(); i++) {
        const Mapping& m = plan[i];
        SCOPED_TRACE("mapping " + std::to_string(i));
        EXPECT_EQ(m.vaddr % kPage, 0u);
        EXPECT_EQ(m.length % kPage, 0u);
        EXPECT_GT(m.length, 0u);
        EXPECT_LE(m.file_bytes, m.length);
        if (m.file_bytes > 0) {
            EXPECT_EQ(m.file_offset % kPage, 0u);
            EXPECT_LE(m.file_offset + m.file_bytes, bytes.size());
            // Only the last page may be partial: every earlier page is a whole file page.
            EXPECT_GT(m.file_bytes, m.length - kPage);
        }
        EXPECT_GE(m.vaddr, wisp::elf::kMinUserAddress);
        EXPECT_LE(m.end(), wisp::elf::kUserAddressEnd);
        if (i > 0) {
            EXPECT_LE(plan[i - 1].end(), m.vaddr) << "mappings overlap or are unsorted";
        }
    }

    size_t used = 0;
    for (const auto& seg : ref.loads) {
        if (seg.p_memsz == 0) continue;
        SCOPED_TRACE("segment at vaddr " + std::to_string(seg.p_vaddr));
        const uint64_t start = seg.p_vaddr + bias, end = start + seg.p_memsz;
        const uint64_t file_end = start + seg.p_filesz;
        // The mappings of this segment: consecutive, exactly covering its pages.
        std::vector<const Mapping*> mine;
        for (auto& m : plan)
            if (m.vaddr < page_up(end) && m.end() > page_down(start)) mine.push_back(&m);
        ASSERT_FALSE(mine.empty());
        ASSERT_LE(mine.size(), 2u);
        used += mine.size();
        EXPECT_EQ(mine.front()->vaddr, page_down(start));
        EXPECT_EQ(mine.back()->end(), page_up(end));
        if (mine.size() == 2) {
            EXPECT_EQ(mine[0]->end(), mine[1]->vaddr);
            EXPECT_GT(mine[0]->file_bytes, 0u);
            EXPECT_TRUE(mine[1]->is_anonymous());
        }
        for (auto* m : mine) {
            EXPECT_EQ(m->prot, prot_of(seg.p_flags));
            // A partial last file page happens only for .bss after the file data, or at EOF.
            if (m->has_partial_file_page()) {
                EXPECT_TRUE(seg.p_memsz > seg.p_filesz ||
                            m->file_offset + m->file_bytes == bytes.size());
            }
        }
        if (seg.p_memsz == seg.p_filesz && seg.p_filesz > 0) {
            EXPECT_EQ(mine.size(), 1u) << "a segment without .bss needs one file mapping";
        }

        // Compare memory as the plan builds it with the segment's image, piece by piece.
        auto compare = [&](uint64_t a, uint64_t b) {
            while (a < b) {
                const Mapping* m = nullptr;
                for (auto* c : mine)
                    if (c->vaddr <= a && a < c->end()) m = c;
                ASSERT_NE(m, nullptr) << "address " << a << " not mapped";
                uint64_t piece_end = std::min(b, m->end());
                const uint64_t map_file_end = m->vaddr + m->file_bytes;
                if (a < file_end) piece_end = std::min(piece_end, file_end);
                if (a < map_file_end) piece_end = std::min(piece_end, map_file_end);
                const size_t n = piece_end - a;
                const bool want_file = a < file_end, have_file = a < map_file_end;
                const uint8_t* want = bytes.data() + seg.p_offset + (a - start);
                const uint8_t* have = bytes.data() + m->file_offset + (a - m->vaddr);
                if (want_file && have_file) {
                    ASSERT_EQ(memcmp(want, have, n), 0) << "file bytes differ at " << a;
                } else if (want_file) {
                    ASSERT_TRUE(all_zero(want, n)) << "file bytes missing at " << a;
                } else if (have_file) {
                    ASSERT_TRUE(all_zero(have, n)) << "non-zero .bss at " << a;
                }
                a = piece_end;
            }
        };
        if (exhaustive) {
            compare(start, end);
        } else {
            compare(start, std::min(end, page_up(start + 1)));
            compare(std::max(start, page_down(file_end) < kPage ? 0 : page_down(file_end) - kPage),
                    std::min(end, page_up(file_end) + kPage));
            compare(std::max(start, page_down(end - 1)), end);
        }
    }
    EXPECT_EQ(used, plan.size()) << "mappings that belong to no segment";
}

// A small static executable, written out from headers the test controls:
//   0x0000  ELF header, program headers at 0x40      R   -> 0x400000
//   0x0200  "/lib/ld-test.so.1" (used by interpreter cases)
//   0x1000  text (0x1234 bytes)                       R X -> 0x401000
//   0x2f00  data 0x200 bytes + .bss to 0x3000 bytes   RW  -> 0x403f00
//           (its first 0x10 bytes are the TLS image)
// File size 0x3100.
struct Synth {
    Elf64_Ehdr eh{};
    std::vector<Elf64_Phdr> ph;
    size_t size = 0x3100;
    std::optional<uint16_t> phnum; // to write an e_phnum that disagrees with ph.size()

    static Elf64_Phdr segment(uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
                              uint64_t filesz, uint64_t memsz, uint64_t align = 0x1000) {
        return Elf64_Phdr{type, flags, offset, vaddr, vaddr, filesz, memsz, align};
    }

    static Synth executable() {
        Synth s;
        memcpy(s.eh.e_ident, ELFMAG, SELFMAG);
        s.eh.e_ident[EI_CLASS] = ELFCLASS64;
        s.eh.e_ident[EI_DATA] = ELFDATA2LSB;
        s.eh.e_ident[EI_VERSION] = EV_CURRENT;
        s.eh.e_type = ET_EXEC;
        s.eh.e_machine = EM_X86_64;
        s.eh.e_version = EV_CURRENT;
        s.eh.e_entry = 0x401000;
        s.eh.e_phoff = 0x40;
        s.eh.e_ehsize = sizeof(Elf64_Ehdr);
        s.eh.e_phentsize = sizeof(Elf64_Phdr);
        s.ph = {
            segment(PT_PHDR, PF_R, 0x40, 0x400040, 6 * 56, 6 * 56, 8),
            segment(PT_LOAD, PF_R, 0, 0x400000, 0x300, 0x300),
            segment(PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x1234, 0x1234),
            segment(PT_LOAD, PF_R | PF_W, 0x2f00, 0x403f00, 0x200, 0x3000),
            segment(PT_TLS, PF_R, 0x2f00, 0x403f00, 0x10, 0x20, 8),
            segment(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16),
        };
        return s;
    }
    // The same layout as a position-independent executable linked at 0.
    static Synth pie() {
        Synth s = executable();
        s.eh.e_type = ET_DYN;
        s.eh.e_entry -= 0x400000;
        for (auto& p : s.ph)
            if (p.p_vaddr) p.p_vaddr -= 0x400000, p.p_paddr -= 0x400000;
        return s;
    }
    Synth& with_interpreter(std::string_view path = "/lib/ld-test.so.1") {
        m_interp = path;
        ph.insert(ph.begin() + 1,
                  segment(PT_INTERP, PF_R, 0x200, (ph[1].p_vaddr & ~0xfffull) + 0x200,
                          path.size() + 1, path.size() + 1, 1));
        ph[0].p_filesz = ph[0].p_memsz = ph.size() * 56;
        return *this;
    }
    Elf64_Phdr& load(size_t n) {
        for (auto& p : ph)
            if (p.p_type == PT_LOAD && n-- == 0) return p;
        throw std::out_of_range("no such PT_LOAD");
    }
    Elf64_Phdr& first(uint32_t type) {
        for (auto& p : ph)
            if (p.p_type == type) return p;
        throw std::out_of_range("no such segment");
    }

    std::vector<uint8_t> bytes() const {
        std::vector<uint8_t> out(size);
        for (size_t i = 0; i < out.size(); i++)
            out[i] = static_cast<uint8_t>(i * 7 + 1);
        Elf64_Ehdr header = eh;
        header.e_phnum = phnum.value_or(static_cast<uint16_t>(ph.size()));
        memcpy(out.data(), &header, std::min(out.size(), sizeof header));
        for (size_t i = 0; i < ph.size(); i++) {
            // (Only entries that fit: tests point e_phoff anywhere, even at 2^64 - 100.)
            if (eh.e_phoff > out.size() || (out.size() - eh.e_phoff) / sizeof(Elf64_Phdr) <= i)
                break;
            memcpy(out.data() + eh.e_phoff + i * sizeof(Elf64_Phdr), &ph[i], sizeof(Elf64_Phdr));
        }
        if (!m_interp.empty() && 0x200 + m_interp.size() < out.size()) {
            memcpy(out.data() + 0x200, m_interp.data(), m_interp.size());
            out[0x200 + m_interp.size()] = 0;
        }
        return out;
    }

  private:
    std::string m_interp;
};

} // namespace elftest
