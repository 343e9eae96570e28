// SPDX-License-Identifier: MIT
#pragma once

// The dynamic section of an ELF file (PT_DYNAMIC), as far as the dependency resolver needs it:
// which shared objects it asks for and where it says to look.
//
// References: System V gABI ch. 5 "Dynamic Section" (DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_SONAME,
// DT_RPATH, DT_RUNPATH); DT_FLAGS_1 and DF_1_NODEFLIB from glibc <elf.h>.
#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "linux/elf.h"

namespace wisp::cli {

inline constexpr int64_t kDtNull = 0;
inline constexpr int64_t kDtNeeded = 1;
inline constexpr int64_t kDtStrtab = 5;
inline constexpr int64_t kDtStrsz = 10;
inline constexpr int64_t kDtSoname = 14;
inline constexpr int64_t kDtRpath = 15;
inline constexpr int64_t kDtRunpath = 29;
inline constexpr int64_t kDtFlags1 = 0x6ffffffb;
inline constexpr uint64_t kDf1Nodeflib = 0x800; // ignore the default library search path

struct DynamicSection {
    std::vector<std::string> needed; // DT_NEEDED, in file order
    std::optional<std::string> soname;
    // Search paths as stored (colon-separated, DSTs like $ORIGIN not expanded). When both are
    // present, rpath is left empty: ld.so ignores DT_RPATH in an object that has DT_RUNPATH
    // (glibc elf/get-dynamic-info.h; musl's dynlink.c lets RUNPATH replace RPATH too).
    std::optional<std::string> rpath;
    std::optional<std::string> runpath;
    uint64_t flags_1 = 0;
};

// Reads `file`'s PT_DYNAMIC from its bytes (file.image()). A file without PT_DYNAMIC gives an
// empty DynamicSection. Every offset is checked against the file: DT_STRTAB is a virtual
// address, found in the file through the PT_LOAD segment whose file bytes contain it, and every
// string must end (NUL) inside DT_STRSZ and inside that segment's file bytes. Returns nullopt
// for a malformed section, with a short reason in *why.
std::optional<DynamicSection> read_dynamic_section(const elf::ElfFile& file, const char** why);

} // namespace wisp::cli
