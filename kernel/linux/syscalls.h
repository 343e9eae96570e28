// SPDX-License-Identifier: MIT
#pragma once

// Every implemented system call, grouped by the file that implements it.
#include <stdint.h>

#include "linux/abi_types.h"
#include "linux/syscall.h"

namespace wisp::linux {

struct IoVec {
    uint64_t base;
    uint64_t length;
};

// sys_io.cpp — the console descriptors 0, 1, 2 (the VFS comes with the static-programs issue)
Result<long> sys_read(int fd, UserPtr<char> buffer, uint64_t count);
Result<long> sys_write(int fd, UserPtr<const char> buffer, uint64_t count);
Result<long> sys_writev(int fd, UserPtr<const IoVec> iov, int count);
Result<long> sys_readv(int fd, UserPtr<const IoVec> iov, int count);
Result<long> sys_close(int fd);
Result<long> sys_ioctl(int fd, uint64_t request, uint64_t argument);
Result<long> sys_lseek(int fd, int64_t offset, int whence);
Result<long> sys_fstat(int fd, UserPtr<char> stat);
Result<long> sys_newfstatat(int dirfd, UserPtr<const char> path, UserPtr<char> stat, int flags);
Result<long> sys_readlink(UserPtr<const char> path, UserPtr<char> buffer, uint64_t size);
Result<long> sys_readlinkat(int dirfd, UserPtr<const char> path, UserPtr<char> buffer,
                            uint64_t size);

// sys_memory.cpp
Result<long> sys_brk(uint64_t address);
Result<long> sys_mmap(uint64_t address, uint64_t length, int prot, int flags, int fd,
                      int64_t offset);
Result<long> sys_munmap(uint64_t address, uint64_t length);
Result<long> sys_mprotect(uint64_t address, uint64_t length, int prot);
Result<long> sys_madvise(uint64_t address, uint64_t length, int advice);

// sys_process.cpp
Result<long> sys_exit(int status);
Result<long> sys_exit_group(int status);
Result<long> sys_getpid();
Result<long> sys_gettid();
Result<long> sys_getppid();
Result<long> sys_getuid();
Result<long> sys_set_tid_address(uint64_t tidptr);
Result<long> sys_set_robust_list(uint64_t head, uint64_t length);
Result<long> sys_arch_prctl(int code, uint64_t address);
Result<long> sys_uname(UserPtr<char> buffer);
Result<long> sys_prlimit64(int pid, int resource, UserPtr<const uint64_t> new_limit,
                           UserPtr<uint64_t> old_limit);
Result<long> sys_getrlimit(int resource, UserPtr<uint64_t> limit);
Result<long> sys_sched_yield();
Result<long> sys_getrandom(UserPtr<char> buffer, uint64_t length, unsigned flags);

// signals.cpp
Result<long> sys_rt_sigaction(int signal, UserPtr<const char> act, UserPtr<char> oldact,
                              uint64_t sigsetsize);
Result<long> sys_rt_sigprocmask(int how, UserPtr<const uint64_t> set, UserPtr<uint64_t> oldset,
                                uint64_t sigsetsize);
Result<long> sys_rt_sigpending(UserPtr<uint64_t> set, uint64_t sigsetsize);
Result<long> sys_rt_sigreturn();
Result<long> sys_sigaltstack(UserPtr<const char> ss, UserPtr<char> old_ss);
Result<long> sys_kill(int pid, int signal);
Result<long> sys_tgkill(int tgid, int tid, int signal);
Result<long> sys_tkill(int tid, int signal);
Result<long> sys_pause();
Result<long> sys_rt_sigsuspend(UserPtr<const uint64_t> mask, uint64_t sigsetsize);

// timers.cpp
Result<long> sys_nanosleep(UserPtr<const Timespec> request, UserPtr<Timespec> remaining);
Result<long> sys_clock_nanosleep(int clock, int flags, UserPtr<const Timespec> request,
                                 UserPtr<Timespec> remaining);
Result<long> sys_getitimer(int which, UserPtr<char> value);
Result<long> sys_setitimer(int which, UserPtr<const char> value, UserPtr<char> old_value);
Result<long> sys_alarm(unsigned seconds);

// sys_time.cpp
Result<long> sys_clock_gettime(int clock, UserPtr<char> ts);
Result<long> sys_clock_getres(int clock, UserPtr<char> ts);
Result<long> sys_gettimeofday(UserPtr<char> tv, uint64_t tz);
Result<long> sys_time(UserPtr<int64_t> t);

} // namespace wisp::linux
