// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <span>
#include <stddef.h>
#include <stdint.h>
#include <string_view>

#include "lib/result.h"

// The initial process stack of the System V x86-64 ABI (psABI §3.4.1), laid out as Linux's
// create_elf_tables (fs/binfmt_elf.c) does, because libcs and language runtimes look at more than
// the ABI promises (Go walks past envp to auxv, glibc reads AT_* values, some programs compare
// string addresses). Built straight into the memory that will be the top of the user stack (the
// kernel passes its direct-map view of the stack pages), so nothing is copied twice.
//
//   user_stack_top ->  +--------------------------------+
//                      | 8 zero bytes                   |  end marker (Linux: bprm->p)
//                      | execfn string        (AT_EXECFN)|
//                      | envp strings                    |  env_start .. env_end
//                      | argv strings                    |  arg_start .. arg_end
//                      | 0..15 zero bytes to 16 alignment|  (Linux: arch_align_stack, minus
//                      | platform "x86_64" (AT_PLATFORM) |   its random offset)
//                      | 16 random bytes      (AT_RANDOM)|
//                      | 0..15 zero bytes                |  so that rsp ends 16-byte aligned
//                      | auxv pairs ..., AT_NULL, 0      |  auxv
//                      | NULL                            |
//                      | envp[0..envc-1]                 |
//                      | NULL                            |
//                      | argv[0..argc-1]                 |
//   rsp (16-aligned)-> | argc                            |
//                      +--------------------------------+
namespace wisp::elf {

// Auxiliary vector keys (Linux include/uapi/linux/auxvec.h, arch/x86/include/uapi/asm/auxvec.h).
inline constexpr uint64_t kAtNull = 0;
inline constexpr uint64_t kAtPhdr = 3;
inline constexpr uint64_t kAtPhent = 4;
inline constexpr uint64_t kAtPhnum = 5;
inline constexpr uint64_t kAtPagesz = 6;
inline constexpr uint64_t kAtBase = 7;
inline constexpr uint64_t kAtFlags = 8;
inline constexpr uint64_t kAtEntry = 9;
inline constexpr uint64_t kAtUid = 11;
inline constexpr uint64_t kAtEuid = 12;
inline constexpr uint64_t kAtGid = 13;
inline constexpr uint64_t kAtEgid = 14;
inline constexpr uint64_t kAtPlatform = 15;
inline constexpr uint64_t kAtHwcap = 16;
inline constexpr uint64_t kAtClktck = 17;
inline constexpr uint64_t kAtSecure = 23;
inline constexpr uint64_t kAtRandom = 25;
inline constexpr uint64_t kAtHwcap2 = 26;
inline constexpr uint64_t kAtRseqFeatureSize = 27;
inline constexpr uint64_t kAtRseqAlign = 28;
inline constexpr uint64_t kAtExecfn = 31;
inline constexpr uint64_t kAtSysinfoEhdr = 33;
inline constexpr uint64_t kAtMinsigstksz = 51;

// Linux's MAX_ARG_STRLEN: one argument or environment string, NUL included, may not exceed
// 32 pages; execve fails with E2BIG beyond it.
inline constexpr size_t kMaxArgStringBytes = 32 * 4096;

// The values the auxiliary vector reports. Addresses are user addresses after the load bias.
struct AuxvInputs {
    uint64_t phdr = 0;      // AT_PHDR: the program's program headers in memory (0 = unknown)
    uint64_t phent = 56;    // AT_PHENT: sizeof(Elf64_Phdr)
    uint64_t phnum = 0;     // AT_PHNUM
    uint64_t pagesz = 4096; // AT_PAGESZ
    uint64_t base = 0;      // AT_BASE: the interpreter's load bias; 0 without one
    uint64_t flags = 0;     // AT_FLAGS
    uint64_t entry = 0;     // AT_ENTRY: the program's entry point (not the interpreter's)
    uint64_t uid = 0, euid = 0, gid = 0, egid = 0; // AT_UID, AT_EUID, AT_GID, AT_EGID
    uint64_t secure = 0;                           // AT_SECURE
    std::array<uint8_t, 16> random{}; // copied to the stack; AT_RANDOM points at the copy
    uint64_t hwcap = 0;               // AT_HWCAP: on x86, CPUID.1:EDX as the guest sees it
    uint64_t hwcap2 = 0;              // AT_HWCAP2 (x86: bit 1 HWCAP2_FSGSBASE)
    uint64_t clktck = 100;            // AT_CLKTCK: USER_HZ
    uint64_t sysinfo_ehdr = 0;        // AT_SYSINFO_EHDR: the vDSO's ELF header; 0 = omit the entry
    uint64_t minsigstksz = 0;         // AT_MINSIGSTKSZ: signal frame size; 0 = omit the entry
    uint64_t rseq_feature_size = 0;   // AT_RSEQ_FEATURE_SIZE and AT_RSEQ_ALIGN; 0 = omit both
    uint64_t rseq_align = 0;
    std::string_view execfn; // copied; AT_EXECFN points at the copy (the path given to exec)
    std::string_view platform = "x86_64"; // copied; AT_PLATFORM; empty = omit the entry
};

// Where build_initial_stack put things (user addresses). The string ranges are what Linux keeps
// as mm->arg_start/arg_end and env_start/env_end, for /proc/self/cmdline and /proc/self/environ;
// [auxv, auxv_end) is /proc/self/auxv.
struct InitialStack {
    uint64_t rsp;       // the process's initial %rsp: points at argc, 16-byte aligned
    uint64_t arg_start; // argv strings, each NUL-terminated, back to back
    uint64_t arg_end;
    uint64_t env_start; // envp strings, likewise (env_start == arg_end)
    uint64_t env_end;
    uint64_t auxv;     // the first auxv pair
    uint64_t auxv_end; // one past the AT_NULL pair
};

// Builds the initial stack in `top_of_stack_memory`, which holds the user addresses
// [user_stack_top - size, user_stack_top), so that its last byte is user_stack_top - 1. Writes
// only from the returned rsp up to user_stack_top, and every byte there (padding is zeroed), so
// the result does not depend on what the memory held.
// Errors: TOOBIG if the stack does not fit in the memory or a string is longer than
// kMaxArgStringBytes (execve's E2BIG); INVAL if user_stack_top is below the memory's size.
// Strings are copied as given: one with an embedded NUL reads as shorter to the program.
Result<InitialStack> build_initial_stack(std::span<uint8_t> top_of_stack_memory,
                                         uint64_t user_stack_top,
                                         std::span<const std::string_view> argv,
                                         std::span<const std::string_view> envp,
                                         const AuxvInputs& aux);

// How many bytes below user_stack_top build_initial_stack needs for these inputs: exactly
// user_stack_top - rsp, so memory of this size (or more) suffices and one byte less gives TOOBIG.
// For sizing the stack pages before building. Errors: TOOBIG as build_initial_stack.
Result<uint64_t> initial_stack_size(uint64_t user_stack_top, std::span<const std::string_view> argv,
                                    std::span<const std::string_view> envp, const AuxvInputs& aux);

} // namespace wisp::elf
