// SPDX-License-Identifier: MIT
#pragma once

// Builds small ELF64 kernels for the monitor's tests: PT_LOAD segments, an optional PVH note
// and an optional symbol table, written to a temporary directory removed with the object.
#include <elf.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace wisp::vmm::test {

class TempDir {
  public:
    TempDir() {
        char pattern[] = "/tmp/wisp-vmm-test-XXXXXX";
        m_path = ::mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(m_path); }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

  private:
    std::string m_path;
};

inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

struct TestSegment {
    uint64_t paddr = 0;
    uint64_t vaddr = 0; // 0: same as paddr
    std::vector<uint8_t> bytes;
    uint64_t memsz = 0; // 0: bytes.size()
};

struct TestSymbol {
    std::string name;
    uint64_t addr = 0;
    uint64_t size = 0;
    unsigned char type = STT_FUNC;
};

struct TestElf {
    std::vector<TestSegment> segments;
    std::optional<uint32_t> pvh_entry; // XEN_ELFNOTE_PHYS32_ENTRY
    std::vector<TestSymbol> symbols;
    uint16_t machine = EM_X86_64;

    std::vector<uint8_t> build() const {
        std::vector<uint8_t> out(sizeof(Elf64_Ehdr));
        auto append = [&](const void* data, size_t size) {
            size_t at = out.size();
            out.resize(at + size);
            if (size) std::memcpy(out.data() + at, data, size);
            return at;
        };
        auto align = [&](size_t a) { out.resize((out.size() + a - 1) / a * a); };

        size_t phnum = segments.size() + (pvh_entry ? 1 : 0);
        size_t phoff = out.size();
        out.resize(phoff + phnum * sizeof(Elf64_Phdr));
        std::vector<Elf64_Phdr> phdrs;

        if (pvh_entry) {
            align(4);
            Elf64_Nhdr note{4, 4, 18};
            size_t at = append(&note, sizeof note);
            append("Xen", 4);
            append(&*pvh_entry, 4);
            Elf64_Phdr ph{};
            ph.p_type = PT_NOTE;
            ph.p_align = 4;
            ph.p_offset = at;
            ph.p_filesz = ph.p_memsz = out.size() - at;
            phdrs.push_back(ph);
        }
        std::vector<uint64_t> section_addr, section_size;
        for (const TestSegment& s : segments) {
            align(4096); // p_offset and p_vaddr agree modulo p_align, as loaders may expect
            size_t at = append(s.bytes.data(), s.bytes.size());
            Elf64_Phdr ph{};
            ph.p_type = PT_LOAD;
            ph.p_flags = PF_R | PF_W | PF_X;
            ph.p_align = 4096;
            ph.p_offset = at;
            ph.p_paddr = s.paddr;
            ph.p_vaddr = s.vaddr ? s.vaddr : s.paddr;
            ph.p_filesz = s.bytes.size();
            ph.p_memsz = s.memsz ? s.memsz : s.bytes.size();
            phdrs.push_back(ph);
            section_addr.push_back(ph.p_vaddr);
            section_size.push_back(ph.p_memsz);
        }
        std::memcpy(out.data() + phoff, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr));

        Elf64_Ehdr eh{};
        std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        eh.e_type = ET_EXEC;
        eh.e_machine = machine;
        eh.e_version = EV_CURRENT;
        eh.e_entry = pvh_entry.value_or(0);
        eh.e_phoff = phoff;
        eh.e_ehsize = sizeof(Elf64_Ehdr);
        eh.e_phentsize = sizeof(Elf64_Phdr);
        eh.e_phnum = static_cast<uint16_t>(phnum);

        if (!symbols.empty()) {
            // Sections: 0 null, 1..n one per segment, then .symtab, .strtab.
            std::string strtab(1, '\0');
            std::vector<Elf64_Sym> syms(1);
            for (const TestSymbol& t : symbols) {
                Elf64_Sym sym{};
                sym.st_name = static_cast<uint32_t>(strtab.size());
                strtab += t.name;
                strtab += '\0';
                sym.st_info = ELF64_ST_INFO(STB_GLOBAL, t.type);
                sym.st_value = t.addr;
                sym.st_size = t.size;
                sym.st_shndx = 1;
                for (size_t i = 0; i < section_addr.size(); i++)
                    if (t.addr >= section_addr[i] && t.addr < section_addr[i] + section_size[i])
                        sym.st_shndx = static_cast<uint16_t>(1 + i);
                syms.push_back(sym);
            }
            align(8);
            size_t symoff = append(syms.data(), syms.size() * sizeof(Elf64_Sym));
            size_t stroff = append(strtab.data(), strtab.size());
            align(8);
            std::vector<Elf64_Shdr> shdrs(1);
            for (size_t i = 0; i < segments.size(); i++) {
                Elf64_Shdr sh{};
                sh.sh_type = SHT_PROGBITS;
                sh.sh_flags = SHF_ALLOC | SHF_EXECINSTR;
                sh.sh_addr = section_addr[i];
                sh.sh_size = section_size[i];
                shdrs.push_back(sh);
            }
            Elf64_Shdr symtab{};
            symtab.sh_type = SHT_SYMTAB;
            symtab.sh_offset = symoff;
            symtab.sh_size = syms.size() * sizeof(Elf64_Sym);
            symtab.sh_entsize = sizeof(Elf64_Sym);
            symtab.sh_link = static_cast<uint32_t>(shdrs.size() + 1);
            shdrs.push_back(symtab);
            Elf64_Shdr strsec{};
            strsec.sh_type = SHT_STRTAB;
            strsec.sh_offset = stroff;
            strsec.sh_size = strtab.size();
            shdrs.push_back(strsec);
            eh.e_shoff = append(shdrs.data(), shdrs.size() * sizeof(Elf64_Shdr));
            eh.e_shentsize = sizeof(Elf64_Shdr);
            eh.e_shnum = static_cast<uint16_t>(shdrs.size());
        }
        std::memcpy(out.data(), &eh, sizeof eh);
        return out;
    }

    std::string write(const TempDir& dir, const std::string& name) const {
        std::string path = dir.file(name);
        write_file(path, build());
        return path;
    }
};

// The kernel the build produced, or "" when it has not been built.
inline std::string built_kernel_path() {
    std::string path = std::string(WISP_BINARY_DIR) + "/bin/wisp-kernel";
    return ::access(path.c_str(), R_OK) == 0 ? path : "";
}

} // namespace wisp::vmm::test
