// SPDX-License-Identifier: MIT
#include "linux/elf.h"

#include <algorithm>
#include <bit>
#include <string.h>

namespace wisp::elf {
namespace {

static_assert(std::endian::native == std::endian::little,
              "fields are read by copying little-endian file bytes into native integers");

// Fixed-size copies and compares use the builtins: the kernel is built -ffreestanding, where a
// plain memcpy(.., 8) is a call into the `rep movs` routine instead of one or two moves.

// Elf64_Ehdr (gABI "ELF Header").
struct FileHeader {
    uint8_t ident[16];
    uint16_t type;
    uint16_t machine;
    uint32_t version;
    uint64_t entry;
    uint64_t phoff;
    uint64_t shoff;
    uint32_t flags;
    uint16_t ehsize;
    uint16_t phentsize;
    uint16_t phnum;
    uint16_t shentsize;
    uint16_t shnum;
    uint16_t shstrndx;
};
static_assert(sizeof(FileHeader) == 64);

constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr size_t kEiClass = 4, kEiData = 5, kEiVersion = 6;
constexpr uint8_t kElfClass64 = 2, kElfData2Lsb = 1, kEvCurrent = 1;
constexpr uint16_t kEmX86_64 = 62;
// p_align values above this are ignored for the PIE bias: honouring a malicious 2^63 would leave
// no valid bias at all, and nothing needs more than 1 GiB pages.
constexpr uint64_t kMaxLoadAlignment = 1ull << 30;

constexpr uint64_t page_down(uint64_t v) {
    return v & ~(kPageSize - 1);
}
// Callers guarantee v <= kUserAddressEnd, so this cannot wrap.
constexpr uint64_t page_up(uint64_t v) {
    return page_down(v + kPageSize - 1);
}

// Not std::has_single_bit: that becomes a libgcc popcount call in the kernel build.
constexpr bool is_power_of_two(uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

// a + b <= limit, without overflow.
constexpr bool fits(uint64_t a, uint64_t b, uint64_t limit) {
    return a <= limit && b <= limit - a;
}

// Program header `index` of the table at `phoff`, which parse() checked lies inside `image`.
// Field by field, so each is one load (a 56-byte copy becomes `rep movs`, one emulated step per
// 4 bytes, and the fields would then be loaded again).
[[gnu::always_inline]] inline ProgramHeader read_program_header(std::span<const uint8_t> image,
                                                                uint64_t phoff, size_t index) {
    const uint8_t* raw = image.data() + phoff + index * kProgramHeaderSize;
    auto load = [raw]<typename T>(T& field, size_t offset) {
        __builtin_memcpy(&field, raw + offset, sizeof field);
    };
    ProgramHeader ph;
    load(ph.type, offsetof(ProgramHeader, type));
    load(ph.flags, offsetof(ProgramHeader, flags));
    load(ph.offset, offsetof(ProgramHeader, offset));
    load(ph.vaddr, offsetof(ProgramHeader, vaddr));
    load(ph.paddr, offsetof(ProgramHeader, paddr));
    load(ph.filesz, offsetof(ProgramHeader, filesz));
    load(ph.memsz, offsetof(ProgramHeader, memsz));
    load(ph.align, offsetof(ProgramHeader, align));
    return ph;
}

Error refuse(ElfProblem* why, ElfProblem problem, Errno code = Errno::NOEXEC) {
    if (why) *why = problem;
    return code;
}

uint32_t prot_from_flags(uint32_t p_flags) {
    uint32_t prot = 0;
    if (p_flags & kPfR) prot |= kProtRead;
    if (p_flags & kPfW) prot |= kProtWrite;
    if (p_flags & kPfX) prot |= kProtExec;
    return prot;
}

// The PT_LOAD checks that need only the segment itself and the file size.
ElfProblem check_load_segment(const ProgramHeader& ph, uint64_t file_size) {
    if (ph.filesz > ph.memsz) return ElfProblem::SegmentSizes;
    if (!fits(ph.offset, ph.filesz, file_size)) return ElfProblem::SegmentOutsideFile;
    // Pages are mapped from the file, so a page's offset within the file and within memory
    // must agree (gABI: "p_vaddr should equal p_offset, modulo p_align").
    if (ph.offset % kPageSize != ph.vaddr % kPageSize) return ElfProblem::MisalignedSegment;
    if (!fits(ph.vaddr, ph.memsz, kUserAddressEnd)) return ElfProblem::SegmentOutsideUser;
    return ElfProblem::None;
}

ElfProblem check_tls_segment(const ProgramHeader& ph, uint64_t file_size) {
    if (ph.filesz > ph.memsz) return ElfProblem::BadTls;
    if (!fits(ph.offset, ph.filesz, file_size)) return ElfProblem::BadTls;
    if (ph.align > 1 && !is_power_of_two(ph.align)) return ElfProblem::BadTls;
    return ElfProblem::None;
}

} // namespace

const char* describe(ElfProblem problem) {
    switch (problem) {
    case ElfProblem::None:
        return "no problem";
    case ElfProblem::NotElf:
        return "not an ELF executable";
    case ElfProblem::Not64Bit:
        return "a 32-bit program; wisp runs 64-bit x86-64 programs only";
    case ElfProblem::NotLittleEndian:
        return "a big-endian ELF file; wisp runs x86-64 programs";
    case ElfProblem::BadVersion:
        return "unknown ELF version";
    case ElfProblem::NotX86_64:
        return "built for another CPU architecture; wisp runs x86-64";
    case ElfProblem::NotExecutable:
        return "an ELF file that is not a program (object file or core dump?)";
    case ElfProblem::BadProgramHeaders:
        return "corrupt ELF program header table";
    case ElfProblem::NoLoadableSegments:
        return "ELF file has no loadable segments";
    case ElfProblem::SegmentOutsideFile:
        return "ELF segment extends past the end of the file";
    case ElfProblem::SegmentSizes:
        return "ELF segment has more file bytes than memory bytes";
    case ElfProblem::MisalignedSegment:
        return "ELF segment file offset and address are not page-congruent";
    case ElfProblem::SegmentOutsideUser:
        return "ELF segment lies outside the user address space";
    case ElfProblem::UnsortedSegments:
        return "ELF loadable segments are not in address order";
    case ElfProblem::OverlappingSegments:
        return "ELF loadable segments overlap";
    case ElfProblem::BadInterpreter:
        return "corrupt ELF interpreter (PT_INTERP) entry";
    case ElfProblem::BadTls:
        return "corrupt ELF thread-local storage (PT_TLS) entry";
    case ElfProblem::BadLoadBias:
        return "invalid load address for this ELF file";
    case ElfProblem::BelowMinAddress:
        return "ELF segment would be mapped below the minimum address";
    case ElfProblem::OutputTooSmall:
        return "too many ELF mappings for the planner's output";
    }
    return "unknown ELF problem";
}

ProgramHeader ElfFile::program_header(size_t index) const {
    VERIFY(index < m_phnum);
    return read_program_header(m_image, m_phoff, index);
}

ProgramHeader ElfFile::load_segment(size_t index) const {
    VERIFY(index < m_load_count);
    return read_program_header(m_image, m_phoff, m_load_index[index]);
}

Result<ElfFile> ElfFile::parse(std::span<const uint8_t> image, ElfProblem* why) {
    if (why) *why = ElfProblem::None;
    FileHeader header;
    if (image.size() < sizeof header) return refuse(why, ElfProblem::NotElf);
    __builtin_memcpy(&header, image.data(), sizeof header);

    if (__builtin_memcmp(header.ident, kElfMagic, sizeof kElfMagic) != 0)
        return refuse(why, ElfProblem::NotElf);
    if (header.ident[kEiClass] != kElfClass64) return refuse(why, ElfProblem::Not64Bit);
    if (header.ident[kEiData] != kElfData2Lsb) return refuse(why, ElfProblem::NotLittleEndian);
    if (header.ident[kEiVersion] != kEvCurrent) return refuse(why, ElfProblem::BadVersion);
    if (header.machine != kEmX86_64) return refuse(why, ElfProblem::NotX86_64);
    if (header.type != static_cast<uint16_t>(ElfType::Exec) &&
        header.type != static_cast<uint16_t>(ElfType::Dyn))
        return refuse(why, ElfProblem::NotExecutable);

    // Like Linux's load_elf_phdrs: entries of exactly sizeof(Elf64_Phdr), 1..73 of them (at most
    // one page), all inside the file. e_phnum == PN_XNUM (extended numbering) falls out here too.
    if (header.phentsize != kProgramHeaderSize || header.phnum == 0 ||
        header.phnum > kMaxProgramHeaders)
        return refuse(why, ElfProblem::BadProgramHeaders);
    const uint64_t table_size = uint64_t{header.phnum} * kProgramHeaderSize;
    if (!fits(header.phoff, table_size, image.size()))
        return refuse(why, ElfProblem::BadProgramHeaders);

    ElfFile file;
    file.m_image = image;
    file.m_type = static_cast<ElfType>(header.type);
    file.m_entry = header.entry;
    file.m_phoff = header.phoff;
    file.m_phnum = header.phnum;

    // (Plain values and flags rather than std::optional<ProgramHeader>: no 64-byte payloads to
    // clear and copy per header.)
    bool has_phdr_segment = false;
    uint64_t phdr_segment_vaddr = 0;
    bool has_previous_load = false; // the last PT_LOAD with p_memsz > 0: its p_vaddr and end
    uint64_t previous_vaddr = 0, previous_end = 0;
    bool seen_interpreter = false;
    for (size_t i = 0; i < file.m_phnum; i++) {
        const ProgramHeader ph = read_program_header(image, file.m_phoff, i);
        switch (ph.type) {
        case kPtLoad: {
            if (auto problem = check_load_segment(ph, image.size()); problem != ElfProblem::None)
                return refuse(why, problem);
            file.m_load_index[file.m_load_count++] = static_cast<uint8_t>(i);
            if (ph.align > kPageSize && ph.align <= kMaxLoadAlignment && is_power_of_two(ph.align))
                file.m_max_align = std::max(file.m_max_align, ph.align);
            if (ph.memsz == 0) break; // maps nothing; Linux skips these too
            if (has_previous_load) {
                // gABI: "Loadable segment entries ... appear in ascending order, sorted on the
                // p_vaddr member." Segments are mapped in whole pages, so they may not even
                // share a page: one page cannot have two sets of contents or protections.
                if (ph.vaddr < previous_vaddr) return refuse(why, ElfProblem::UnsortedSegments);
                if (page_down(ph.vaddr) < page_up(previous_end))
                    return refuse(why, ElfProblem::OverlappingSegments);
            } else {
                file.m_span.low = page_down(ph.vaddr);
            }
            file.m_span.high = page_up(ph.vaddr + ph.memsz);
            has_previous_load = true;
            previous_vaddr = ph.vaddr;
            previous_end = ph.vaddr + ph.memsz;
            break;
        }
        case kPtInterp: {
            // Linux: 2 <= p_filesz <= PATH_MAX and the last byte is NUL.
            if (seen_interpreter || ph.filesz < 2 || ph.filesz > kMaxInterpreterBytes ||
                !fits(ph.offset, ph.filesz, image.size()))
                return refuse(why, ElfProblem::BadInterpreter);
            const auto* path = reinterpret_cast<const char*>(image.data() + ph.offset);
            if (path[ph.filesz - 1] != '\0') return refuse(why, ElfProblem::BadInterpreter);
            size_t length = 0;
            while (path[length] != '\0')
                length++; // stops at the checked final NUL at the latest
            if (length == 0) return refuse(why, ElfProblem::BadInterpreter);
            file.m_interpreter = std::string_view(path, length);
            seen_interpreter = true;
            break;
        }
        case kPtPhdr:
            if (has_phdr_segment) return refuse(why, ElfProblem::BadProgramHeaders);
            has_phdr_segment = true;
            phdr_segment_vaddr = ph.vaddr;
            break;
        case kPtTls:
            if (file.m_tls) return refuse(why, ElfProblem::BadTls);
            if (auto problem = check_tls_segment(ph, image.size()); problem != ElfProblem::None)
                return refuse(why, problem);
            file.m_tls = ph;
            break;
        case kPtGnuStack:
            // The last one wins, as in Linux's loop over the program headers.
            file.m_executable_stack = (ph.flags & kPfX) != 0;
            break;
        default:
            break;
        }
    }
    if (!has_previous_load) return refuse(why, ElfProblem::NoLoadableSegments);

    // AT_PHDR must point at the table in memory, since libc walks it (static glibc finds PT_TLS
    // that way, ld.so computes the main program's bias from PT_PHDR). PT_PHDR, when present, must
    // name loaded file bytes; otherwise use the PT_LOAD whose file bytes contain the table.
    for (size_t i = 0; i < file.m_load_count; i++) {
        const ProgramHeader load = read_program_header(image, file.m_phoff, file.m_load_index[i]);
        if (has_phdr_segment) {
            if (phdr_segment_vaddr >= load.vaddr &&
                fits(phdr_segment_vaddr - load.vaddr, table_size, load.filesz)) {
                file.m_phdr_vaddr = phdr_segment_vaddr;
                break;
            }
        } else if (file.m_phoff >= load.offset &&
                   fits(file.m_phoff - load.offset, table_size, load.filesz)) {
            file.m_phdr_vaddr = load.vaddr + (file.m_phoff - load.offset);
            break;
        }
    }
    if (has_phdr_segment && !file.m_phdr_vaddr) return refuse(why, ElfProblem::BadProgramHeaders);
    return file;
}

Result<uint64_t> load_bias_for(const ElfFile& file, uint64_t base) {
    if (file.type() == ElfType::Exec) return uint64_t{0};
    const uint64_t low = file.load_span().low;
    if (base < low || (base - low) % file.max_load_alignment() != 0) return Errno::INVAL;
    return base - low;
}

Result<size_t> plan_load(const ElfFile& file, uint64_t load_bias, std::span<Mapping> out,
                         ElfProblem* why) {
    if (why) *why = ElfProblem::None;
    if ((file.type() == ElfType::Exec && load_bias != 0) || load_bias % kPageSize != 0)
        return refuse(why, ElfProblem::BadLoadBias, Errno::INVAL);

    size_t count = 0;
    auto emit = [&](const Mapping& mapping) -> bool {
        if (count == out.size()) return false;
        out[count++] = mapping;
        return true;
    };
    for (size_t i = 0; i < file.load_segment_count(); i++) {
        const ProgramHeader ph = file.load_segment(i);
        if (ph.memsz == 0) continue;
        // parse() established p_vaddr + p_memsz <= kUserAddressEnd; recheck with the bias.
        if (!fits(ph.vaddr, load_bias, kUserAddressEnd) ||
            !fits(ph.vaddr + load_bias, ph.memsz, kUserAddressEnd))
            return refuse(why, ElfProblem::SegmentOutsideUser, Errno::INVAL);
        const uint64_t start = ph.vaddr + load_bias;
        const uint64_t map_start = page_down(start);
        if (map_start < kMinUserAddress)
            return refuse(why, ElfProblem::BelowMinAddress, Errno::INVAL);
        const uint64_t mem_end = page_up(start + ph.memsz);
        const uint32_t prot = prot_from_flags(ph.flags);

        uint64_t anonymous_start = map_start;
        if (ph.filesz > 0) {
            // p_offset ≡ p_vaddr (mod page), so the page-aligned file offset lines up with
            // map_start and the bytes before p_vaddr in the first page are file bytes too.
            const uint64_t file_offset = ph.offset - start % kPageSize;
            const uint64_t file_end = start + ph.filesz;
            uint64_t file_bytes = file_end - map_start;
            if (ph.memsz == ph.filesz) {
                // No .bss: take the last page whole (or up to EOF) so it can be mapped as is.
                file_bytes =
                    std::min(page_up(file_end) - map_start, file.image().size() - file_offset);
            }
            anonymous_start = page_up(file_end);
            if (!emit({map_start, anonymous_start - map_start, file_offset, file_bytes, prot}))
                return refuse(why, ElfProblem::OutputTooSmall, Errno::INVAL);
        }
        if (mem_end > anonymous_start) {
            if (!emit({anonymous_start, mem_end - anonymous_start, 0, 0, prot}))
                return refuse(why, ElfProblem::OutputTooSmall, Errno::INVAL);
        }
    }
    return count;
}

} // namespace wisp::elf
