// SPDX-License-Identifier: MIT
// The dynamic section reader: against `readelf -d` on the host's libraries, and on damaged
// copies of a real one.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>

#include <cstring>
#include <span>

#include "elf_dynamic.h"
#include "helpers.h"

namespace {

using namespace deps_test;
using wisp::cli::DynamicSection;
using wisp::cli::read_dynamic_section;
namespace elf = wisp::elf;

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    std::vector<uint8_t> bytes(size_t(std::max<std::streamoff>(in.tellg(), 0)));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
    return bytes;
}

bool is_x86_64_elf(std::span<const uint8_t> bytes) {
    return bytes.size() >= 20 &&
           std::memcmp(bytes.data(),
                       "\x7f"
                       "ELF",
                       4) == 0 &&
           bytes[4] == 2 && bytes[5] == 1 && bytes[18] == 62 && bytes[19] == 0;
}

std::optional<DynamicSection> dynamic_of(const std::vector<uint8_t>& bytes,
                                         const char** why = nullptr) {
    auto parsed = elf::ElfFile::parse(bytes);
    if (parsed.is_error()) return std::nullopt;
    return read_dynamic_section(parsed.value(), why);
}

// readelf -d's view: "(NEEDED) Shared library: [libc.so.6]", "(SONAME) Library soname: [x]",
// "(RUNPATH) Library runpath: [x]", "(RPATH) Library rpath: [x]".
struct Readelf {
    std::vector<std::string> needed;
    std::string soname, rpath, runpath;
};
Readelf readelf(const std::string& path) {
    Readelf out;
    std::istringstream lines(run("readelf -dW " + shell_quote(path) + " 2>/dev/null"));
    std::string line;
    auto bracketed = [&] {
        size_t open = line.find('['), close = line.rfind(']');
        return line.substr(open + 1, close - open - 1);
    };
    while (std::getline(lines, line)) {
        if (line.find("(NEEDED)") != std::string::npos)
            out.needed.push_back(bracketed());
        else if (line.find("(SONAME)") != std::string::npos)
            out.soname = bracketed();
        else if (line.find("(RUNPATH)") != std::string::npos)
            out.runpath = bracketed();
        else if (line.find("(RPATH)") != std::string::npos)
            out.rpath = bracketed();
    }
    return out;
}

// A file mapped read-only: the parsers touch only headers and the dynamic section, so a
// thousand libraries cost little more than their first pages.
class Mapped {
  public:
    explicit Mapped(const std::string& path) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_size > 0) {
            m_size = size_t(st.st_size);
            void* bytes = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (bytes != MAP_FAILED) m_bytes = static_cast<const uint8_t*>(bytes);
        }
        if (fd >= 0) ::close(fd);
    }
    Mapped(const Mapped&) = delete;
    ~Mapped() {
        if (m_bytes) ::munmap(const_cast<uint8_t*>(m_bytes), m_size);
    }
    std::span<const uint8_t> bytes() const { return {m_bytes, m_bytes ? m_size : 0}; }

  private:
    const uint8_t* m_bytes = nullptr;
    size_t m_size = 0;
};

// Every x86-64 shared object in the multiarch directory parses (the kernel's ELF parser plus
// the dynamic section), and a sample agrees with readelf field by field.
TEST(ElfDynamic, HostLibrariesAgreeWithReadelf) {
    const std::string dir = "/usr/lib/x86_64-linux-gnu";
    if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no " << dir;
    std::vector<std::string> libraries;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.is_symlink()) continue;
        const std::string name = entry.path().filename().string();
        if (name.find(".so") == std::string::npos) continue;
        libraries.push_back(entry.path().string());
    }
    std::sort(libraries.begin(), libraries.end());
    ASSERT_FALSE(libraries.empty());
    size_t parsed = 0, compared = 0;
    for (size_t i = 0; i < libraries.size(); i++) {
        Mapped mapped(libraries[i]);
        auto bytes = mapped.bytes();
        if (!is_x86_64_elf(bytes)) continue; // linker scripts
        elf::ElfProblem problem = elf::ElfProblem::None;
        auto file = elf::ElfFile::parse(bytes, &problem);
        ASSERT_FALSE(file.is_error()) << libraries[i] << ": " << elf::describe(problem);
        const char* why = nullptr;
        auto dynamic = read_dynamic_section(file.value(), &why);
        ASSERT_TRUE(dynamic) << libraries[i] << ": " << why;
        parsed++;
        if (i % 25 != 0) continue; // readelf on a sample: it is slow
        Readelf expected = readelf(libraries[i]);
        EXPECT_EQ(dynamic->needed, expected.needed) << libraries[i];
        EXPECT_EQ(dynamic->soname.value_or(""), expected.soname) << libraries[i];
        EXPECT_EQ(dynamic->runpath.value_or(""), expected.runpath) << libraries[i];
        if (expected.runpath.empty()) {
            EXPECT_EQ(dynamic->rpath.value_or(""), expected.rpath) << libraries[i];
        }
        compared++;
    }
    EXPECT_GT(parsed, 10u);
    EXPECT_GT(compared, 0u);
}

TEST(ElfDynamic, SearchPathsAndFlags) {
    Scratch dir;
    ASSERT_TRUE(compile(dir, "gcc", "int f(void){return 1;}\n", dir / "librp.so",
                        "-shared -fPIC -Wl,-soname,librp.so.3 -Wl,--disable-new-dtags "
                        "-Wl,-rpath,'/a:$ORIGIN/b' -Wl,-z,nodefaultlib"));
    auto rpath = dynamic_of(read_bytes(dir / "librp.so"));
    ASSERT_TRUE(rpath);
    EXPECT_EQ(rpath->soname, "librp.so.3");
    EXPECT_EQ(rpath->rpath, "/a:$ORIGIN/b");
    EXPECT_FALSE(rpath->runpath);
    EXPECT_TRUE(rpath->flags_1 & wisp::cli::kDf1Nodeflib);
    EXPECT_EQ(rpath->needed, readelf(dir / "librp.so").needed);

    ASSERT_TRUE(compile(dir, "gcc", "int f(void){return 1;}\n", dir / "librun.so",
                        "-shared -fPIC -Wl,--enable-new-dtags -Wl,-rpath,/c"));
    auto runpath = dynamic_of(read_bytes(dir / "librun.so"));
    ASSERT_TRUE(runpath);
    EXPECT_EQ(runpath->runpath, "/c");
    EXPECT_FALSE(runpath->rpath);
    EXPECT_FALSE(runpath->soname);

    // A static executable has no PT_DYNAMIC: nothing needed.
    ASSERT_TRUE(compile(dir, "gcc", "int main(void){return 0;}\n", dir / "static", "-static"));
    auto none = dynamic_of(read_bytes(dir / "static"));
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->needed.empty());
}

// Damaged dynamic sections are refused with a reason, never read out of bounds (ASan checks).
TEST(ElfDynamic, DamagedSectionsAreRefused) {
    Scratch dir;
    ASSERT_TRUE(compile(dir, "gcc", "#include <stdio.h>\nint main(void){puts(\"x\");return 0;}\n",
                        dir / "app", "-Wl,-rpath,/somewhere"));
    const auto good = read_bytes(dir / "app");
    auto file = elf::ElfFile::parse(good);
    ASSERT_FALSE(file.is_error());
    ASSERT_TRUE(read_dynamic_section(file.value(), nullptr));

    // Find PT_DYNAMIC and the DT_STRTAB / DT_STRSZ / DT_NEEDED entries in it.
    std::optional<elf::ProgramHeader> dynamic;
    for (size_t i = 0; i < file.value().program_header_count(); i++) {
        if (file.value().program_header(i).type == elf::kPtDynamic)
            dynamic = file.value().program_header(i);
    }
    ASSERT_TRUE(dynamic);
    auto entry_with_tag = [&](int64_t tag) -> size_t {
        for (uint64_t at = dynamic->offset; at + 16 <= dynamic->offset + dynamic->filesz;
             at += 16) {
            int64_t t;
            std::memcpy(&t, good.data() + at, 8);
            if (t == tag) return size_t(at);
        }
        return 0;
    };
    auto refused = [&](std::vector<uint8_t> bytes, const char* what) {
        auto parsed = elf::ElfFile::parse(bytes);
        ASSERT_FALSE(parsed.is_error()) << what;
        const char* why = nullptr;
        EXPECT_FALSE(read_dynamic_section(parsed.value(), &why)) << what;
        EXPECT_NE(why, nullptr) << what;
    };
    auto with_value = [&](int64_t tag, uint64_t value) {
        auto bytes = good;
        size_t at = entry_with_tag(tag);
        EXPECT_NE(at, 0u);
        std::memcpy(bytes.data() + at + 8, &value, 8);
        return bytes;
    };
    refused(with_value(wisp::cli::kDtStrtab, 0x7fff0000), "DT_STRTAB outside every segment");
    refused(with_value(wisp::cli::kDtNeeded, 0xffffffff), "DT_NEEDED past DT_STRSZ");
    refused(with_value(wisp::cli::kDtStrsz, 1), "DT_STRSZ too small for the names");
    refused(with_value(wisp::cli::kDtRunpath, 1u << 30), "DT_RUNPATH past the table");
    {
        // No DT_STRTAB at all (its tag turned into DT_NULL ends the section early, so turn it
        // into an unknown tag instead).
        auto bytes = good;
        int64_t unknown = 0x12345;
        std::memcpy(bytes.data() + entry_with_tag(wisp::cli::kDtStrtab), &unknown, 8);
        refused(bytes, "no DT_STRTAB");
    }
    {
        auto bytes = good;
        uint64_t huge = bytes.size();
        // PT_DYNAMIC's p_filesz beyond the file: parse() does not look at PT_DYNAMIC.
        for (size_t i = 0; i < file.value().program_header_count(); i++) {
            if (file.value().program_header(i).type != elf::kPtDynamic) continue;
            size_t header = size_t(file.value().program_headers_offset()) + i * 56;
            std::memcpy(bytes.data() + header + 32, &huge, 8);
        }
        refused(bytes, "PT_DYNAMIC beyond the file");
    }
}

} // namespace
