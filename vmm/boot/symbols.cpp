// SPDX-License-Identifier: MIT
#include "boot/symbols.h"

#include <cxxabi.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "kvm/handles.h"

namespace wisp::vmm {
namespace {

constexpr uint64_t kMaxTableBytes = 64ull << 20;

bool read_exact(int fd, uint64_t file_size, uint64_t offset, void* out, uint64_t length) {
    if (length > file_size || offset > file_size - length) return false;
    auto* dest = static_cast<uint8_t*>(out);
    while (length > 0) {
        ssize_t n = ::pread(fd, dest, length, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        dest += n;
        offset += static_cast<uint64_t>(n);
        length -= static_cast<uint64_t>(n);
    }
    return true;
}

// Which of several symbols at one address names it best: functions, then objects, then
// plain labels (assembly, linker script); sized before unsized; global before local.
int rank(const Elf64_Sym& sym) {
    int type = ELF64_ST_TYPE(sym.st_info);
    int r = type == STT_FUNC ? 0 : type == STT_OBJECT ? 4 : 8;
    if (sym.st_size == 0) r += 2;
    if (ELF64_ST_BIND(sym.st_info) == STB_LOCAL) r += 1;
    return r;
}

std::string demangle(const std::string& name) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> demangled(
        abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), &std::free);
    return status == 0 && demangled ? std::string(demangled.get()) : name;
}

} // namespace

KernelSymbols KernelSymbols::load(const std::string& kernel_elf_path) {
    KernelSymbols table;
    try {
        UniqueFd fd(::open(kernel_elf_path.c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st;
        if (!fd || ::fstat(fd.get(), &st) != 0) return table;
        auto file_size = static_cast<uint64_t>(st.st_size);

        Elf64_Ehdr ehdr;
        if (!read_exact(fd.get(), file_size, 0, &ehdr, sizeof ehdr)) return table;
        if (std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0 ||
            ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_shentsize != sizeof(Elf64_Shdr) ||
            ehdr.e_shnum == 0 || ehdr.e_shnum >= SHN_LORESERVE)
            return table;
        std::vector<Elf64_Shdr> sections(ehdr.e_shnum);
        if (!read_exact(fd.get(), file_size, ehdr.e_shoff, sections.data(),
                        sections.size() * sizeof(Elf64_Shdr)))
            return table;

        auto symtab = std::find_if(sections.begin(), sections.end(),
                                   [](const Elf64_Shdr& s) { return s.sh_type == SHT_SYMTAB; });
        if (symtab == sections.end() || symtab->sh_link >= sections.size()) return table;
        const Elf64_Shdr& strtab = sections[symtab->sh_link];
        if (symtab->sh_size > kMaxTableBytes || strtab.sh_size > kMaxTableBytes) return table;

        std::vector<Elf64_Sym> syms(symtab->sh_size / sizeof(Elf64_Sym));
        std::string strings(strtab.sh_size, '\0');
        if (!read_exact(fd.get(), file_size, symtab->sh_offset, syms.data(),
                        syms.size() * sizeof(Elf64_Sym)) ||
            !read_exact(fd.get(), file_size, strtab.sh_offset, strings.data(), strings.size()))
            return table;

        struct Candidate {
            const Elf64_Sym* sym;
            uint64_t section_end;
        };
        std::vector<Candidate> candidates;
        for (const Elf64_Sym& sym : syms) {
            int type = ELF64_ST_TYPE(sym.st_info);
            if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE) continue;
            // Absolute symbols are constants (KERNEL_VIRT, .set counters), not places.
            if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= sections.size()) continue;
            if (sym.st_name == 0 || sym.st_name >= strings.size()) continue;
            const Elf64_Shdr& section = sections[sym.st_shndx];
            if (!(section.sh_flags & SHF_ALLOC)) continue;
            candidates.push_back({&sym, section.sh_addr + section.sh_size});
        }
        std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
            if (a.sym->st_value != b.sym->st_value) return a.sym->st_value < b.sym->st_value;
            return rank(*a.sym) < rank(*b.sym);
        });

        for (size_t i = 0; i < candidates.size(); i++) {
            const Elf64_Sym& sym = *candidates[i].sym;
            if (!table.m_symbols.empty() && table.m_symbols.back().addr == sym.st_value) continue;
            // An unsized label covers up to the next symbol or the end of its section.
            uint64_t end = candidates[i].section_end;
            if (sym.st_size > 0) {
                end = sym.st_value + sym.st_size;
            } else {
                for (size_t j = i + 1; j < candidates.size(); j++) {
                    if (candidates[j].sym->st_value > sym.st_value) {
                        end = std::min(end, candidates[j].sym->st_value);
                        break;
                    }
                }
            }
            const char* name = strings.c_str() + sym.st_name;
            table.m_symbols.push_back({sym.st_value, end, name});
        }
    } catch (...) {
        table.m_symbols.clear();
    }
    return table;
}

const KernelSymbols::Symbol* KernelSymbols::find(uint64_t addr) const {
    auto after = std::upper_bound(m_symbols.begin(), m_symbols.end(), addr,
                                  [](uint64_t a, const Symbol& s) { return a < s.addr; });
    if (after == m_symbols.begin()) return nullptr;
    const Symbol& symbol = *(after - 1);
    return addr < symbol.end ? &symbol : nullptr;
}

std::string KernelSymbols::format(const Symbol& symbol, uint64_t addr) {
    char offset[24];
    std::snprintf(offset, sizeof offset, "+0x%llx",
                  static_cast<unsigned long long>(addr - symbol.addr));
    return demangle(symbol.name) + offset;
}

std::string KernelSymbols::describe(uint64_t addr) const {
    const Symbol* symbol = find(addr);
    return symbol ? format(*symbol, addr) : std::string();
}

std::string KernelSymbols::symbolize_line(std::string_view line) const {
    // `  #N 0x<hex>`, optionally followed by a newline.
    std::string_view body = line;
    std::string_view newline;
    if (size_t nl = body.find_first_of("\r\n"); nl != std::string_view::npos) {
        newline = body.substr(nl);
        body = body.substr(0, nl);
        if (newline.find_first_not_of("\r\n") != std::string_view::npos) return std::string(line);
    }
    size_t i = 0;
    while (i < body.size() && body[i] == ' ')
        i++;
    if (i == 0 || i >= body.size() || body[i] != '#') return std::string(line);
    i++;
    size_t digits = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9')
        i++;
    if (i == digits || i >= body.size() || body[i] != ' ') return std::string(line);
    i++;
    if (body.substr(i, 2) != "0x") return std::string(line);
    i += 2;
    size_t hex_start = i;
    uint64_t addr = 0;
    while (i < body.size() && std::isxdigit(static_cast<unsigned char>(body[i]))) {
        if (i - hex_start >= 16) return std::string(line);
        char c = body[i];
        int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        addr = addr << 4 | static_cast<uint64_t>(v);
        i++;
    }
    if (i == hex_start || i != body.size() || addr == 0) return std::string(line);

    const Symbol* symbol = find(addr - 1);
    if (!symbol) return std::string(line);
    std::string out(body);
    out += ' ';
    out += format(*symbol, addr);
    out += newline;
    return out;
}

} // namespace wisp::vmm
