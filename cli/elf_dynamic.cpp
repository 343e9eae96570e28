// SPDX-License-Identifier: MIT
#include "elf_dynamic.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace wisp::cli {

namespace {

// Elf64_Dyn: d_tag (Elf64_Sxword) then d_un (Elf64_Xword), little-endian (the parser only
// accepts ELFDATA2LSB x86-64 files).
constexpr size_t kDynEntrySize = 16;

uint64_t load_le64(const uint8_t* p) {
    uint64_t value;
    std::memcpy(&value, p, sizeof value);
    return value;
}

// The file offset of virtual address `vaddr` and how many file bytes follow it in the same
// PT_LOAD segment, or nullopt when no segment's file bytes contain it.
struct FileRange {
    uint64_t offset;
    uint64_t available;
};
std::optional<FileRange> file_range_of(const elf::ElfFile& file, uint64_t vaddr) {
    for (size_t i = 0; i < file.load_segment_count(); i++) {
        elf::ProgramHeader segment = file.load_segment(i);
        // parse() checked p_offset + p_filesz against the file and against wrap-around.
        if (vaddr >= segment.vaddr && vaddr - segment.vaddr < segment.filesz) {
            uint64_t into = vaddr - segment.vaddr;
            return FileRange{segment.offset + into, segment.filesz - into};
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<DynamicSection> read_dynamic_section(const elf::ElfFile& file, const char** why) {
    auto fail = [&](const char* reason) -> std::optional<DynamicSection> {
        if (why) *why = reason;
        return std::nullopt;
    };
    const std::span<const uint8_t> bytes = file.image();

    std::optional<elf::ProgramHeader> dynamic;
    for (size_t i = 0; i < file.program_header_count(); i++) {
        elf::ProgramHeader header = file.program_header(i);
        if (header.type != elf::kPtDynamic) continue;
        if (dynamic) return fail("more than one PT_DYNAMIC");
        dynamic = header;
    }
    DynamicSection section;
    if (!dynamic) return section;
    if (dynamic->offset > bytes.size() || dynamic->filesz > bytes.size() - dynamic->offset)
        return fail("PT_DYNAMIC outside the file");

    // First pass: the tags, with string-valued ones kept as offsets until DT_STRTAB is known
    // (the gABI does not order the entries).
    std::vector<uint64_t> needed_offsets;
    std::optional<uint64_t> strtab, strsz, soname, rpath, runpath;
    const uint8_t* entry = bytes.data() + dynamic->offset;
    const size_t count = dynamic->filesz / kDynEntrySize;
    for (size_t i = 0; i < count; i++, entry += kDynEntrySize) {
        const int64_t tag = static_cast<int64_t>(load_le64(entry));
        const uint64_t value = load_le64(entry + 8);
        if (tag == kDtNull) break;
        switch (tag) {
        case kDtNeeded:
            needed_offsets.push_back(value);
            break;
        case kDtStrtab:
            strtab = value;
            break;
        case kDtStrsz:
            strsz = value;
            break;
        case kDtSoname:
            soname = value;
            break;
        case kDtRpath:
            rpath = value;
            break;
        case kDtRunpath:
            runpath = value;
            break;
        case kDtFlags1:
            section.flags_1 = value;
            break;
        default:
            break;
        }
    }

    const bool has_strings = !needed_offsets.empty() || soname || rpath || runpath;
    if (!has_strings) return section;
    if (!strtab) return fail("DT_NEEDED, DT_SONAME or a search path without DT_STRTAB");
    auto range = file_range_of(file, *strtab);
    if (!range) return fail("DT_STRTAB is not in the file bytes of any PT_LOAD segment");
    uint64_t table_size = range->available;
    if (strsz) table_size = std::min(table_size, *strsz);
    const std::string_view table(reinterpret_cast<const char*>(bytes.data() + range->offset),
                                 static_cast<size_t>(table_size));

    bool bad_string = false;
    auto string_at = [&](uint64_t offset) -> std::string {
        if (offset >= table.size()) {
            bad_string = true;
            return {};
        }
        size_t end = table.find('\0', static_cast<size_t>(offset));
        if (end == std::string_view::npos) {
            bad_string = true;
            return {};
        }
        return std::string(table.substr(static_cast<size_t>(offset), end - offset));
    };
    for (uint64_t offset : needed_offsets)
        section.needed.push_back(string_at(offset));
    if (soname) section.soname = string_at(*soname);
    if (runpath)
        section.runpath = string_at(*runpath);
    else if (rpath)
        section.rpath = string_at(*rpath);
    if (bad_string) return fail("a dynamic string runs past DT_STRTAB/DT_STRSZ");
    return section;
}

} // namespace wisp::cli
