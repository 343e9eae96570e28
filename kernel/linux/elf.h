// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <optional>
#include <span>
#include <stddef.h>
#include <stdint.h>
#include <string_view>

#include "lib/result.h"

// ELF64 x86-64 executables as the program loader sees them: a validating parser over the raw file
// bytes (untrusted input: every offset, size and address is checked before use) and a load
// planner that turns PT_LOAD segments into page-granular mappings. Portable: no allocation, no
// exceptions; the ElfFile only borrows the caller's bytes, which must outlive it.
//
// References: System V gABI ch. 5 "Program Loading"; System V x86-64 psABI §3.4 and §5;
// Linux fs/binfmt_elf.c for the behaviour applications expect.
namespace wisp::elf {

inline constexpr uint64_t kPageSize = 4096;
// End of the user half. Linux's TASK_SIZE_MAX stops one page short of 2^47 so that no user
// instruction can end at the non-canonical boundary (the SYSRET #GP erratum); we keep its limit.
inline constexpr uint64_t kUserAddressEnd = 0x0000'7fff'ffff'f000;
// Lowest address a segment may be placed at: page 0 and its neighbours stay unmapped so NULL
// dereferences fault (Linux's default vm.mmap_min_addr).
inline constexpr uint64_t kMinUserAddress = 0x10000;
// Linux (load_elf_phdrs) refuses program header tables larger than one page: at most 73 entries.
inline constexpr size_t kProgramHeaderSize = 56;
inline constexpr size_t kMaxProgramHeaders = kPageSize / kProgramHeaderSize;
// Linux limits PT_INTERP to PATH_MAX bytes including the NUL.
inline constexpr size_t kMaxInterpreterBytes = 4096;

// e_type values we accept (gABI "ELF Header").
enum class ElfType : uint16_t { Exec = 2 /* ET_EXEC */, Dyn = 3 /* ET_DYN */ };

// p_type values (gABI "Program Header", GNU extensions from glibc <elf.h>).
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtDynamic = 2;
inline constexpr uint32_t kPtInterp = 3;
inline constexpr uint32_t kPtNote = 4;
inline constexpr uint32_t kPtPhdr = 6;
inline constexpr uint32_t kPtTls = 7;
inline constexpr uint32_t kPtGnuStack = 0x6474e551;
// p_flags bits.
inline constexpr uint32_t kPfX = 1;
inline constexpr uint32_t kPfW = 2;
inline constexpr uint32_t kPfR = 4;

// Mapping protections, numerically equal to mmap's PROT_READ/PROT_WRITE/PROT_EXEC so the
// kernel's mmap layer can take them as they are.
inline constexpr uint32_t kProtRead = 1;
inline constexpr uint32_t kProtWrite = 2;
inline constexpr uint32_t kProtExec = 4;

// Why a file was refused, for a one-line message naming the cause ("wisp: ./app: not an x86-64
// program"). Every parse failure is Errno::NOEXEC, as on Linux; this says which check failed.
enum class ElfProblem : uint8_t {
    None,
    NotElf,              // shorter than an ELF header or no \x7fELF magic (e.g. a script)
    Not64Bit,            // EI_CLASS is not ELFCLASS64
    NotLittleEndian,     // EI_DATA is not ELFDATA2LSB
    BadVersion,          // EI_VERSION is not EV_CURRENT
    NotX86_64,           // e_machine is not EM_X86_64
    NotExecutable,       // e_type is neither ET_EXEC nor ET_DYN (object file, core dump)
    BadProgramHeaders,   // e_phentsize, e_phnum or e_phoff unusable; PT_PHDR not loaded
    NoLoadableSegments,  // no PT_LOAD with a non-zero p_memsz
    SegmentOutsideFile,  // p_offset + p_filesz beyond the end of the file
    SegmentSizes,        // p_filesz > p_memsz
    MisalignedSegment,   // p_offset and p_vaddr differ modulo the page size
    SegmentOutsideUser,  // a segment wraps around or reaches past the user half
    UnsortedSegments,    // PT_LOAD entries not in ascending p_vaddr order (gABI requires it)
    OverlappingSegments, // two PT_LOAD segments share a page
    BadInterpreter,      // PT_INTERP out of bounds, empty, too long, not NUL-terminated, repeated
    BadTls,              // PT_TLS repeated, p_filesz > p_memsz, out of the file, bad p_align
    // Load planning (plan_load): problems with the caller's bias, not the file.
    BadLoadBias,     // non-zero bias for ET_EXEC, or a bias that is not page aligned
    BelowMinAddress, // a mapping would start below kMinUserAddress
    OutputTooSmall,  // the caller's Mapping array cannot hold the plan
};
const char* describe(ElfProblem problem);

// One program header (Elf64_Phdr), copied out of the file so that callers never read unaligned
// or out-of-bounds memory.
struct ProgramHeader {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t paddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};
static_assert(sizeof(ProgramHeader) == kProgramHeaderSize);

// [low, high): page-aligned virtual range covered by all PT_LOAD segments, before any bias.
struct LoadSpan {
    uint64_t low;
    uint64_t high;
    uint64_t size() const { return high - low; }
};

// One page-granular mapping of a load plan.
//
//   vaddr ........................................................ vaddr + length
//   |<---------- file_bytes from file_offset ---------->|<----- zero ------>|
//
// - vaddr, length and file_offset are page aligned; length > 0.
// - file_bytes == 0: anonymous zero-filled memory (the .bss pages past the file data).
// - file_bytes == length: whole file pages; read-only/executable ones may be mapped straight from
//   the image (zero copy), writable ones privately (copy on write).
// - file_bytes not page aligned: the page holding byte file_bytes - 1 must read as zero from
//   file_bytes to its end. This happens only when the segment has .bss after its file data
//   (p_memsz > p_filesz) — those bytes are .bss and must be zero — or when the segment reaches
//   the end of the file (the rest of the page is past EOF). The first case needs a private copy
//   of that page with its tail zeroed; in the second the kernel may still map the image page
//   directly if it knows the image pads files with zeros (EROFS does) and the mapping is not
//   writable. Pages before it are whole file pages as above.
// When p_memsz == p_filesz the segment's last page is taken whole from the file (as Linux does):
// the bytes after p_filesz in that page are not part of the segment and the gABI leaves their
// contents unspecified, so text and rodata stay zero copy.
struct Mapping {
    uint64_t vaddr;
    uint64_t length;
    uint64_t file_offset;
    uint64_t file_bytes;
    uint32_t prot; // kProtRead | kProtWrite | kProtExec

    bool is_anonymous() const { return file_bytes == 0; }
    bool has_partial_file_page() const { return file_bytes % kPageSize != 0; }
    uint64_t end() const { return vaddr + length; }
};

class ElfFile {
  public:
    // Validates `image` (the whole file) as an ELF64 little-endian x86-64 ET_EXEC or ET_DYN
    // whose program headers and loadable segments are well formed; see ElfProblem for the
    // checks. Errors: NOEXEC, with the reason in *why when `why` is not null.
    static Result<ElfFile> parse(std::span<const uint8_t> image, ElfProblem* why = nullptr);

    ElfType type() const { return m_type; }
    bool is_dynamic_object() const { return m_type == ElfType::Dyn; }
    // A static PIE (or the dynamic linker itself): position independent, no interpreter.
    bool is_static_pie() const { return m_type == ElfType::Dyn && m_interpreter.empty(); }
    // e_entry, before the load bias.
    uint64_t entry() const { return m_entry; }

    // PT_INTERP path without its NUL (up to the first NUL); empty when there is none.
    std::string_view interpreter() const { return m_interpreter; }
    bool has_interpreter() const { return !m_interpreter.empty(); }

    std::optional<ProgramHeader> tls() const { return m_tls; }
    // PT_GNU_STACK with PF_X. Without PT_GNU_STACK, x86-64 Linux gives a non-executable stack.
    bool wants_executable_stack() const { return m_executable_stack; }

    // Virtual address (before bias) of the program header table in the loaded image, for
    // AT_PHDR: PT_PHDR's p_vaddr, else computed from the PT_LOAD whose file bytes contain it.
    // Empty when the table is not part of any loaded segment.
    std::optional<uint64_t> program_headers_vaddr() const { return m_phdr_vaddr; }
    uint64_t program_headers_offset() const { return m_phoff; }
    size_t program_header_count() const { return m_phnum; }           // AT_PHNUM
    size_t program_header_size() const { return kProgramHeaderSize; } // AT_PHENT
    ProgramHeader program_header(size_t index) const;

    // PT_LOAD segments in ascending vaddr order (including any with p_memsz == 0).
    size_t load_segment_count() const { return m_load_count; }
    ProgramHeader load_segment(size_t index) const;

    LoadSpan load_span() const { return m_span; }
    // Largest power-of-two p_align of the PT_LOAD segments, at least kPageSize: a PIE's bias
    // must be a multiple of this for segments that ask for large-page alignment.
    uint64_t max_load_alignment() const { return m_max_align; }
    // Upper bound on the number of Mappings plan_load produces: two per PT_LOAD.
    size_t max_mappings() const { return 2 * m_load_count; }

    std::span<const uint8_t> image() const { return m_image; }

  private:
    ElfFile() = default;

    std::span<const uint8_t> m_image;
    ElfType m_type{ElfType::Exec};
    uint64_t m_entry{0};
    uint64_t m_phoff{0};
    size_t m_phnum{0};
    std::string_view m_interpreter;
    std::optional<ProgramHeader> m_tls;
    std::optional<uint64_t> m_phdr_vaddr;
    bool m_executable_stack{false};
    std::array<uint8_t, kMaxProgramHeaders> m_load_index{};
    size_t m_load_count{0};
    LoadSpan m_span{0, 0};
    uint64_t m_max_align{kPageSize};
};

// The load bias rule. ET_EXEC is linked at its final addresses: its bias is always 0 and `base`
// is ignored. ET_DYN (PIE, static PIE, the dynamic linker) goes wherever the caller chooses:
// this returns the bias that puts load_span().low at `base`, so the image occupies
// [base, base + load_span().size()). Errors: INVAL if `base` lies below load_span().low or
// base - load_span().low is not a multiple of max_load_alignment().
Result<uint64_t> load_bias_for(const ElfFile& file, uint64_t base);

// Writes the mappings for every PT_LOAD of `file` placed at `load_bias` into `out`, in ascending
// address order, and returns how many it wrote (at most file.max_mappings()). Segment i gives a
// file-backed Mapping for its file bytes (if p_filesz > 0) followed by an anonymous one for the
// whole pages past them up to p_memsz (if any). Mappings never overlap.
// Errors (reason in *why): INVAL for a bad bias (BadLoadBias), a mapping outside
// [kMinUserAddress, kUserAddressEnd) (BelowMinAddress, SegmentOutsideUser), or an `out` shorter
// than needed (OutputTooSmall). The file's own consistency was established by parse().
Result<size_t> plan_load(const ElfFile& file, uint64_t load_bias, std::span<Mapping> out,
                         ElfProblem* why = nullptr);

} // namespace wisp::elf
