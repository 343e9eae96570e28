// SPDX-License-Identifier: MIT
// The system call table and dispatcher.
#include "linux/syscalls.h"

#include <array>

#include "arch/x86_64/trap_frame.h"
#include "lib/log.h"
#include "linux/process.h"
#include "linux/signals.h"
#include "linux/strace.h"
#include "sched/thread.h"
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
    t[2] = &invoke<sys_open>;
    t[3] = &invoke<sys_close>;
    t[4] = &invoke<sys_stat>;
    t[5] = &invoke<sys_fstat>;
    t[6] = &invoke<sys_lstat>;
    t[7] = &invoke<sys_poll>;
    t[8] = &invoke<sys_lseek>;
    t[9] = &invoke<sys_mmap>;
    t[10] = &invoke<sys_mprotect>;
    t[11] = &invoke<sys_munmap>;
    t[12] = &invoke<sys_brk>;
    t[13] = &invoke<sys_rt_sigaction>;
    t[14] = &invoke<sys_rt_sigprocmask>;
    t[15] = &invoke<sys_rt_sigreturn>;
    t[16] = &invoke<sys_ioctl>;
    t[17] = &invoke<sys_pread64>;
    t[18] = &invoke<sys_pwrite64>;
    t[19] = &invoke<sys_readv>;
    t[20] = &invoke<sys_writev>;
    t[21] = &invoke<sys_access>;
    t[22] = &invoke<sys_pipe>;
    t[23] = &invoke<sys_select>;
    t[24] = &invoke<sys_sched_yield>;
    t[25] = &invoke<sys_mremap>;
    t[26] = &invoke<sys_msync>;
    t[27] = &invoke<sys_mincore>;
    t[28] = &invoke<sys_madvise>;
    t[32] = &invoke<sys_dup>;
    t[33] = &invoke<sys_dup2>;
    t[34] = &invoke<sys_pause>;
    t[35] = &invoke<sys_nanosleep>;
    t[36] = &invoke<sys_getitimer>;
    t[37] = &invoke<sys_alarm>;
    t[38] = &invoke<sys_setitimer>;
    t[39] = &invoke<sys_getpid>;
    t[40] = &invoke<sys_sendfile>;
    t[56] = &invoke<sys_clone>;
    t[59] = &invoke<sys_execve>;
    t[322] = &invoke<sys_execveat>;
    t[60] = &invoke<sys_exit>;
    t[62] = &invoke<sys_kill>;
    t[63] = &invoke<sys_uname>;
    t[72] = &invoke<sys_fcntl>;
    t[73] = &invoke<sys_flock>;
    t[74] = &invoke<sys_fsync>;
    t[75] = &invoke<sys_fdatasync>;
    t[76] = &invoke<sys_truncate>;
    t[77] = &invoke<sys_ftruncate>;
    t[78] = &invoke<sys_getdents>;
    t[79] = &invoke<sys_getcwd>;
    t[80] = &invoke<sys_chdir>;
    t[81] = &invoke<sys_fchdir>;
    t[82] = &invoke<sys_rename>;
    t[83] = &invoke<sys_mkdir>;
    t[84] = &invoke<sys_rmdir>;
    t[85] = &invoke<sys_creat>;
    t[86] = &invoke<sys_link>;
    t[87] = &invoke<sys_unlink>;
    t[88] = &invoke<sys_symlink>;
    t[89] = &invoke<sys_readlink>;
    t[90] = &invoke<sys_chmod>;
    t[91] = &invoke<sys_fchmod>;
    t[92] = &invoke<sys_chown>;
    t[93] = &invoke<sys_fchown>;
    t[94] = &invoke<sys_lchown>;
    t[95] = &invoke<sys_umask>;
    t[96] = &invoke<sys_gettimeofday>;
    t[97] = &invoke<sys_getrlimit>;
    t[98] = &invoke<sys_getrusage>;
    t[99] = &invoke<sys_sysinfo>;
    t[100] = &invoke<sys_times>;
    t[102] = &invoke<sys_getuid>;
    t[104] = &invoke<sys_getgid>;
    t[105] = &invoke<sys_setuid>;
    t[106] = &invoke<sys_setgid>;
    t[107] = &invoke<sys_geteuid>;
    t[108] = &invoke<sys_getegid>;
    t[110] = &invoke<sys_getppid>;
    t[109] = &invoke<sys_setpgid>;
    t[111] = &invoke<sys_getpgrp>;
    t[112] = &invoke<sys_setsid>;
    t[121] = &invoke<sys_getpgid>;
    t[124] = &invoke<sys_getsid>;
    t[113] = &invoke<sys_setreuid>;
    t[114] = &invoke<sys_setregid>;
    t[115] = &invoke<sys_getgroups>;
    t[116] = &invoke<sys_setgroups>;
    t[117] = &invoke<sys_setresuid>;
    t[118] = &invoke<sys_getresuid>;
    t[119] = &invoke<sys_setresgid>;
    t[120] = &invoke<sys_getresgid>;
    t[122] = &invoke<sys_setfsuid>;
    t[123] = &invoke<sys_setfsgid>;
    t[127] = &invoke<sys_rt_sigpending>;
    t[128] = &invoke<sys_rt_sigtimedwait>;
    t[129] = &invoke<sys_rt_sigqueueinfo>;
    t[130] = &invoke<sys_rt_sigsuspend>;
    t[131] = &invoke<sys_sigaltstack>;
    t[132] = &invoke<sys_utime>;
    t[133] = &invoke<sys_mknod>;
    t[137] = &invoke<sys_statfs>;
    t[138] = &invoke<sys_fstatfs>;
    t[142] = &invoke<sys_sched_setparam>;
    t[143] = &invoke<sys_sched_getparam>;
    t[144] = &invoke<sys_sched_setscheduler>;
    t[145] = &invoke<sys_sched_getscheduler>;
    t[146] = &invoke<sys_sched_get_priority_max>;
    t[147] = &invoke<sys_sched_get_priority_min>;
    t[157] = &invoke<sys_prctl>;
    t[158] = &invoke<sys_arch_prctl>;
    t[160] = &invoke<sys_setrlimit>;
    t[161] = &invoke<sys_chroot>;
    t[162] = &invoke<sys_sync>;
    t[186] = &invoke<sys_gettid>;
    t[200] = &invoke<sys_tkill>;
    t[201] = &invoke<sys_time>;
    t[202] = &invoke<sys_futex>;
    t[203] = &invoke<sys_sched_setaffinity>;
    t[204] = &invoke<sys_sched_getaffinity>;
    t[213] = &invoke<sys_epoll_create>;
    t[217] = &invoke<sys_getdents64>;
    t[218] = &invoke<sys_set_tid_address>;
    t[219] = &invoke<sys_restart_syscall>;
    t[221] = &invoke<sys_fadvise64>;
    t[222] = &invoke<sys_timer_create>;
    t[223] = &invoke<sys_timer_settime>;
    t[224] = &invoke<sys_timer_gettime>;
    t[225] = &invoke<sys_timer_getoverrun>;
    t[226] = &invoke<sys_timer_delete>;
    t[228] = &invoke<sys_clock_gettime>;
    t[229] = &invoke<sys_clock_getres>;
    t[230] = &invoke<sys_clock_nanosleep>;
    t[231] = &invoke<sys_exit_group>;
    t[232] = &invoke<sys_epoll_wait>;
    t[233] = &invoke<sys_epoll_ctl>;
    t[234] = &invoke<sys_tgkill>;
    t[235] = &invoke<sys_utimes>;
    t[257] = &invoke<sys_openat>;
    t[258] = &invoke<sys_mkdirat>;
    t[259] = &invoke<sys_mknodat>;
    t[260] = &invoke<sys_fchownat>;
    t[261] = &invoke<sys_futimesat>;
    t[262] = &invoke<sys_newfstatat>;
    t[263] = &invoke<sys_unlinkat>;
    t[264] = &invoke<sys_renameat>;
    t[265] = &invoke<sys_linkat>;
    t[266] = &invoke<sys_symlinkat>;
    t[267] = &invoke<sys_readlinkat>;
    t[268] = &invoke<sys_fchmodat>;
    t[269] = &invoke<sys_faccessat>;
    t[270] = &invoke<sys_pselect6>;
    t[271] = &invoke<sys_ppoll>;
    t[273] = &invoke<sys_set_robust_list>;
    t[277] = &invoke<sys_sync_file_range>;
    t[280] = &invoke<sys_utimensat>;
    t[281] = &invoke<sys_epoll_pwait>;
    t[283] = &invoke<sys_timerfd_create>;
    t[284] = &invoke<sys_eventfd>;
    t[285] = &invoke<sys_fallocate>;
    t[286] = &invoke<sys_timerfd_settime>;
    t[287] = &invoke<sys_timerfd_gettime>;
    t[290] = &invoke<sys_eventfd2>;
    t[291] = &invoke<sys_epoll_create1>;
    t[292] = &invoke<sys_dup3>;
    t[293] = &invoke<sys_pipe2>;
    t[295] = &invoke<sys_preadv>;
    t[296] = &invoke<sys_pwritev>;
    t[297] = &invoke<sys_rt_tgsigqueueinfo>;
    t[302] = &invoke<sys_prlimit64>;
    t[306] = &invoke<sys_syncfs>;
    t[309] = &invoke<sys_getcpu>;
    t[316] = &invoke<sys_renameat2>;
    t[318] = &invoke<sys_getrandom>;
    t[435] = &invoke<sys_clone3>;
    t[324] = &invoke<sys_membarrier>;
    t[326] = &invoke<sys_copy_file_range>;
    t[327] = &invoke<sys_preadv2>;
    t[328] = &invoke<sys_pwritev2>;
    t[332] = &invoke<sys_statx>;
    t[436] = &invoke<sys_close_range>;
    t[439] = &invoke<sys_faccessat2>;
    t[441] = &invoke<sys_epoll_pwait2>;
    t[452] = &invoke<sys_fchmodat2>;
    return t;
}
constexpr std::array<RawHandler, kTableSize> kTable = make_table();

uint64_t g_reported_unimplemented[kTableSize / 64];

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

TrapFrame& current_trap_frame() { return *sched::current()->linux.frame; }

const char* syscall_name(uint64_t number) {
    if (number < kTableSize && kNames.name[number] != nullptr) return kNames.name[number];
    return "unknown";
}

} // namespace wisp::linux

namespace wisp {

void handle_syscall(TrapFrame& frame) {
    using namespace linux;
    uint64_t number = frame.rax;
    sched::Thread* self = sched::current();
    sched::enter_system_call(self);
    self->linux.frame = &frame;
    const uint64_t args[6] = {frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9};
    RawHandler handler = number < kTableSize ? kTable[number] : nullptr;
    bool strace = process().strace;
    if (strace) trace_syscall_entry(number, args);
    long result = handler != nullptr ? handler(args) : report_unimplemented(number);
    if (strace) trace_syscall_exit(number, args, result);
    frame.rax = static_cast<uint64_t>(result);
    // rt_sigreturn's result is the restored rax, whatever it holds: never a restart.
    if (is_restart_code(result) && number != 15) [[unlikely]] note_syscall_restart(number);
    deliver_pending_signals(frame);
    sched::leave_system_call(self);
}

} // namespace wisp

extern "C" void syscall_dispatch(wisp::TrapFrame* frame) { wisp::handle_syscall(*frame); }
