// SPDX-License-Identifier: MIT
#include "boot/elf_loader.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include <wisp/abi/pvh.h>

#include "kvm/handles.h"
#include "vmm.h"

namespace wisp::vmm {
namespace {

std::string hex(uint64_t value) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
    return buffer;
}

class KernelFile {
  public:
    explicit KernelFile(const std::string& path) : m_path(path) {
        m_fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!m_fd) {
            int err = errno;
            if (err == ENOENT)
                fail("not found (build it with 'make', it is build/bin/wisp-kernel)");
            fail(std::string("cannot be opened: ") + std::strerror(err));
        }
        struct stat st;
        if (::fstat(m_fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) fail("is not a regular file");
        m_size = static_cast<uint64_t>(st.st_size);
    }

    [[noreturn]] void fail(const std::string& why) const {
        throw UserError("wisp: kernel " + m_path + " " + why);
    }

    uint64_t size() const { return m_size; }

    // Reads exactly [offset, offset + length) or fails as a truncated file.
    void read(uint64_t offset, void* out, uint64_t length) const {
        if (length > m_size || offset > m_size - length)
            fail("is truncated or corrupt (data beyond the end of the file)");
        auto* dest = static_cast<uint8_t*>(out);
        while (length > 0) {
            ssize_t n = ::pread(m_fd.get(), dest, length, static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) fail(std::string("cannot be read: ") + std::strerror(n < 0 ? errno : EIO));
            dest += n;
            offset += static_cast<uint64_t>(n);
            length -= static_cast<uint64_t>(n);
        }
    }

  private:
    std::string m_path;
    UniqueFd m_fd;
    uint64_t m_size = 0;
};

// ELF notes (ELF gABI "Note Section"): namesz, descsz, type, name padded to 4, desc padded to 4.
std::optional<uint32_t> find_pvh_entry(const std::vector<uint8_t>& notes) {
    size_t offset = 0;
    while (notes.size() - offset >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr header;
        std::memcpy(&header, notes.data() + offset, sizeof header);
        offset += sizeof header;
        uint64_t name_size = (uint64_t{header.n_namesz} + 3) & ~uint64_t{3};
        uint64_t desc_size = (uint64_t{header.n_descsz} + 3) & ~uint64_t{3};
        if (name_size > notes.size() - offset) break;
        const uint8_t* name = notes.data() + offset;
        offset += name_size;
        if (desc_size > notes.size() - offset) break;
        const uint8_t* desc = notes.data() + offset;
        offset += desc_size;
        bool is_xen = header.n_namesz == 4 && std::memcmp(name, "Xen", 4) == 0;
        if (!is_xen || header.n_type != abi::kXenElfNotePhys32Entry) continue;
        // The descriptor is a 32-bit physical address (Linux emits .long, some kernels .quad).
        if (header.n_descsz == 4) {
            uint32_t entry;
            std::memcpy(&entry, desc, 4);
            return entry;
        }
        if (header.n_descsz == 8) {
            uint64_t entry;
            std::memcpy(&entry, desc, 8);
            if (entry >> 32) return std::nullopt;
            return static_cast<uint32_t>(entry);
        }
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace

LoadedKernel load_kernel(const std::string& path, const GuestMemory& ram) {
    KernelFile file(path);

    Elf64_Ehdr ehdr;
    if (file.size() < sizeof ehdr) file.fail("is not an ELF file (too short)");
    file.read(0, &ehdr, sizeof ehdr);
    if (std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0) file.fail("is not an ELF file");
    if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_ident[EI_DATA] != ELFDATA2LSB ||
        ehdr.e_machine != EM_X86_64)
        file.fail("is not an x86-64 ELF64 file");
    if (ehdr.e_type != ET_EXEC) file.fail("is not an ELF executable (ET_EXEC)");
    if (ehdr.e_phentsize != sizeof(Elf64_Phdr) || ehdr.e_phnum == 0 || ehdr.e_phnum > 64)
        file.fail("has a corrupt program header table");

    std::vector<Elf64_Phdr> phdrs(ehdr.e_phnum);
    file.read(ehdr.e_phoff, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr));

    LoadedKernel kernel;
    kernel.phys_start = UINT64_MAX;
    std::optional<uint32_t> entry;
    for (const Elf64_Phdr& ph : phdrs) {
        if (ph.p_type == PT_NOTE && !entry) {
            if (ph.p_filesz > 64 * 1024) file.fail("has an oversized note segment");
            std::vector<uint8_t> notes(ph.p_filesz);
            file.read(ph.p_offset, notes.data(), notes.size());
            entry = find_pvh_entry(notes);
        }
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        if (ph.p_filesz > ph.p_memsz) file.fail("has a corrupt segment (p_filesz > p_memsz)");
        if (ph.p_paddr < kKernelMinPhys || !ram.contains(ph.p_paddr, ph.p_memsz))
            throw UserError("wisp: kernel segment at physical " + hex(ph.p_paddr) + ".." +
                            hex(ph.p_paddr + ph.p_memsz) + " does not fit in guest memory [" +
                            hex(kKernelMinPhys) + ", " + hex(ram.size()) +
                            "): raise the memory size (-m)");
        file.read(ph.p_offset, ram.bytes(ph.p_paddr, ph.p_filesz).data(), ph.p_filesz);
        kernel.phys_start = std::min(kernel.phys_start, ph.p_paddr);
        kernel.phys_end = std::max(kernel.phys_end, ph.p_paddr + ph.p_memsz);
    }
    if (kernel.phys_end == 0) file.fail("has no loadable segments");
    if (!entry)
        file.fail("is not a PVH kernel (no XEN_ELFNOTE_PHYS32_ENTRY note): "
                  "use build/bin/wisp-kernel");
    if (*entry < kernel.phys_start || *entry >= kernel.phys_end)
        file.fail("has a PVH entry point " + hex(*entry) + " outside its loaded segments");
    kernel.pvh_entry = *entry;
    return kernel;
}

} // namespace wisp::vmm
