// SPDX-License-Identifier: MIT
// The system call table and dispatcher.
#include "linux/syscalls.h"

#include <array>

#include "arch/x86_64/trap_frame.h"
#include "lib/log.h"
#include "linux/process.h"
#include "linux/signals.h"
#include "linux/strace.h"
#include "platform/traps.h"

namespace wisp::linux {
namespace {

constexpr size_t kTableSize = 512;

struct Names {
    const char* name[kTableSize]{};
    constexpr Names() {
#define X(number, n) name[number] = #n;
#include "linux/syscall_list.inc"
#undef X
    }
};
constexpr Names kNames;

constexpr std::array<RawHandler, kTableSize> make_table() {
    std::array<RawHandler, kTableSize> t{};
    t[0] = &invoke<sys_read>;
    t[1] = &invoke<sys_write>;
    t[3] = &invoke<sys_close>;
    t[5] = &invoke<sys_fstat>;
    t[8] = &invoke<sys_lseek>;
    t[9] = &invoke<sys_mmap>;
    t[10] = &invoke<sys_mprotect>;
    t[11] = &invoke<sys_munmap>;
    t[12] = &invoke<sys_brk>;
    t[13] = &invoke<sys_rt_sigaction>;
    t[14] = &invoke<sys_rt_sigprocmask>;
    t[15] = &invoke<sys_rt_sigreturn>;
    t[16] = &invoke<sys_ioctl>;
    t[19] = &invoke<sys_readv>;
    t[20] = &invoke<sys_writev>;
    t[24] = &invoke<sys_sched_yield>;
    t[28] = &invoke<sys_madvise>;
    t[34] = &invoke<sys_pause>;
    t[35] = &invoke<sys_nanosleep>;
    t[36] = &invoke<sys_getitimer>;
    t[37] = &invoke<sys_alarm>;
    t[38] = &invoke<sys_setitimer>;
    t[39] = &invoke<sys_getpid>;
    t[60] = &invoke<sys_exit>;
    t[62] = &invoke<sys_kill>;
    t[63] = &invoke<sys_uname>;
    t[89] = &invoke<sys_readlink>;
    t[96] = &invoke<sys_gettimeofday>;
    t[97] = &invoke<sys_getrlimit>;
    t[102] = &invoke<sys_getuid>; // getuid
    t[104] = &invoke<sys_getuid>; // getgid
    t[107] = &invoke<sys_getuid>; // geteuid
    t[108] = &invoke<sys_getuid>; // getegid
    t[110] = &invoke<sys_getppid>;
    t[127] = &invoke<sys_rt_sigpending>;
    t[130] = &invoke<sys_rt_sigsuspend>;
    t[131] = &invoke<sys_sigaltstack>;
    t[158] = &invoke<sys_arch_prctl>;
    t[186] = &invoke<sys_gettid>;
    t[200] = &invoke<sys_tkill>;
    t[201] = &invoke<sys_time>;
    t[218] = &invoke<sys_set_tid_address>;
    t[228] = &invoke<sys_clock_gettime>;
    t[229] = &invoke<sys_clock_getres>;
    t[230] = &invoke<sys_clock_nanosleep>;
    t[231] = &invoke<sys_exit_group>;
    t[234] = &invoke<sys_tgkill>;
    t[262] = &invoke<sys_newfstatat>;
    t[267] = &invoke<sys_readlinkat>;
    t[273] = &invoke<sys_set_robust_list>;
    t[302] = &invoke<sys_prlimit64>;
    t[318] = &invoke<sys_getrandom>;
    return t;
}
constexpr std::array<RawHandler, kTableSize> kTable = make_table();

uint64_t g_reported_unimplemented[kTableSize / 64];
TrapFrame* g_current_frame; // FIXME: per thread, with threads

// Deliberately absent, with ENOSYS as Linux kernels without them answer; callers handle it, so
// these are not reported. rseq: glibc registers it at start and lives without it.
bool silently_unsupported(uint64_t number) { return number == 334 /* rseq */; }

long report_unimplemented(uint64_t number) {
    if (silently_unsupported(number)) return Error(Errno::NOSYS).negated();
    bool in_table = number < kTableSize;
    if (!in_table || !(g_reported_unimplemented[number / 64] & (1ull << (number % 64)))) {
        if (in_table) g_reported_unimplemented[number / 64] |= 1ull << (number % 64);
        log("wisp: unimplemented syscall %s (%lu) returns ENOSYS\n", syscall_name(number), number);
    }
    return Error(Errno::NOSYS).negated();
}

} // namespace

TrapFrame& current_trap_frame() { return *g_current_frame; }

const char* syscall_name(uint64_t number) {
    if (number < kTableSize && kNames.name[number] != nullptr) return kNames.name[number];
    return "unknown";
}

} // namespace wisp::linux

namespace wisp {

void handle_syscall(TrapFrame& frame) {
    using namespace linux;
    uint64_t number = frame.rax;
    g_current_frame = &frame;
    const uint64_t args[6] = {frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9};
    RawHandler handler = number < kTableSize ? kTable[number] : nullptr;
    bool strace = process().strace;
    if (strace) trace_syscall_entry(number, args);
    long result = handler != nullptr ? handler(args) : report_unimplemented(number);
    if (strace) trace_syscall_exit(number, args, result);
    frame.rax = static_cast<uint64_t>(result);
    deliver_pending_signals(frame);
}

} // namespace wisp

extern "C" void syscall_dispatch(wisp::TrapFrame* frame) { wisp::handle_syscall(*frame); }
