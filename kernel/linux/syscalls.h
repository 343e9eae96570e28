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

// sys_io.cpp — reading and writing open files
Result<long> sys_read(int fd, UserPtr<char> buffer, uint64_t count);
Result<long> sys_write(int fd, UserPtr<const char> buffer, uint64_t count);
Result<long> sys_pread64(int fd, UserPtr<char> buffer, uint64_t count, int64_t position);
Result<long> sys_pwrite64(int fd, UserPtr<const char> buffer, uint64_t count, int64_t position);
Result<long> sys_readv(int fd, UserPtr<const IoVec> iov, int count);
Result<long> sys_writev(int fd, UserPtr<const IoVec> iov, int count);
Result<long> sys_preadv(int fd, UserPtr<const IoVec> iov, int count, int64_t position);
Result<long> sys_pwritev(int fd, UserPtr<const IoVec> iov, int count, int64_t position);
Result<long> sys_preadv2(int fd, UserPtr<const IoVec> iov, int count, int64_t position,
                         uint64_t position_high, int flags);
Result<long> sys_pwritev2(int fd, UserPtr<const IoVec> iov, int count, int64_t position,
                          uint64_t position_high, int flags);
Result<long> sys_lseek(int fd, int64_t offset, int whence);
Result<long> sys_ioctl(int fd, uint64_t request, uint64_t argument);
Result<long> sys_sendfile(int out_fd, int in_fd, UserPtr<int64_t> offset, uint64_t count);
Result<long> sys_copy_file_range(int in_fd, UserPtr<int64_t> in_offset, int out_fd,
                                 UserPtr<int64_t> out_offset, uint64_t length, unsigned flags);
Result<long> sys_fsync(int fd);
Result<long> sys_fdatasync(int fd);
Result<long> sys_sync();
Result<long> sys_syncfs(int fd);
Result<long> sys_sync_file_range(int fd, int64_t offset, int64_t length, unsigned flags);
Result<long> sys_fadvise64(int fd, int64_t offset, int64_t length, int advice);
Result<long> sys_ftruncate(int fd, int64_t length);
Result<long> sys_fallocate(int fd, int mode, int64_t offset, int64_t length);

// sys_fd.cpp — descriptors
Result<long> sys_close(int fd);
Result<long> sys_close_range(unsigned first, unsigned last, unsigned flags);
Result<long> sys_dup(int fd);
Result<long> sys_dup2(int old_fd, int new_fd);
Result<long> sys_dup3(int old_fd, int new_fd, int flags);
Result<long> sys_fcntl(int fd, int command, uint64_t argument);
Result<long> sys_flock(int fd, unsigned operation);
Result<long> sys_pipe(UserPtr<int> fds);
Result<long> sys_pipe2(UserPtr<int> fds, int flags);

// sys_poll.cpp — readiness of open files
Result<long> sys_poll(UserPtr<char> fds, uint64_t count, int timeout_ms);
Result<long> sys_ppoll(UserPtr<char> fds, uint64_t count, UserPtr<const Timespec> timeout,
                       UserPtr<const uint64_t> mask, uint64_t mask_size);
Result<long> sys_select(int count, UserPtr<uint64_t> read_set, UserPtr<uint64_t> write_set,
                        UserPtr<uint64_t> except_set, UserPtr<Timeval> timeout);
Result<long> sys_pselect6(int count, UserPtr<uint64_t> read_set, UserPtr<uint64_t> write_set,
                          UserPtr<uint64_t> except_set, UserPtr<const Timespec> timeout,
                          UserPtr<const uint64_t> mask);

// sys_path.cpp — calls that name files by path
Result<long> sys_open(UserPtr<const char> path, int flags, uint32_t mode);
Result<long> sys_openat(int dirfd, UserPtr<const char> path, int flags, uint32_t mode);
Result<long> sys_creat(UserPtr<const char> path, uint32_t mode);
Result<long> sys_mkdir(UserPtr<const char> path, uint32_t mode);
Result<long> sys_mkdirat(int dirfd, UserPtr<const char> path, uint32_t mode);
Result<long> sys_mknod(UserPtr<const char> path, uint32_t mode, uint32_t dev);
Result<long> sys_mknodat(int dirfd, UserPtr<const char> path, uint32_t mode, uint32_t dev);
Result<long> sys_unlink(UserPtr<const char> path);
Result<long> sys_unlinkat(int dirfd, UserPtr<const char> path, int flags);
Result<long> sys_rmdir(UserPtr<const char> path);
Result<long> sys_rename(UserPtr<const char> old_path, UserPtr<const char> new_path);
Result<long> sys_renameat(int old_dirfd, UserPtr<const char> old_path, int new_dirfd,
                          UserPtr<const char> new_path);
Result<long> sys_renameat2(int old_dirfd, UserPtr<const char> old_path, int new_dirfd,
                           UserPtr<const char> new_path, unsigned flags);
Result<long> sys_link(UserPtr<const char> old_path, UserPtr<const char> new_path);
Result<long> sys_linkat(int old_dirfd, UserPtr<const char> old_path, int new_dirfd,
                        UserPtr<const char> new_path, int flags);
Result<long> sys_symlink(UserPtr<const char> target, UserPtr<const char> path);
Result<long> sys_symlinkat(UserPtr<const char> target, int new_dirfd, UserPtr<const char> path);
Result<long> sys_truncate(UserPtr<const char> path, int64_t length);
Result<long> sys_chmod(UserPtr<const char> path, uint32_t mode);
Result<long> sys_fchmod(int fd, uint32_t mode);
Result<long> sys_fchmodat(int dirfd, UserPtr<const char> path, uint32_t mode);
Result<long> sys_fchmodat2(int dirfd, UserPtr<const char> path, uint32_t mode, int flags);
Result<long> sys_chown(UserPtr<const char> path, uint32_t uid, uint32_t gid);
Result<long> sys_lchown(UserPtr<const char> path, uint32_t uid, uint32_t gid);
Result<long> sys_fchown(int fd, uint32_t uid, uint32_t gid);
Result<long> sys_fchownat(int dirfd, UserPtr<const char> path, uint32_t uid, uint32_t gid,
                          int flags);
Result<long> sys_utimensat(int dirfd, UserPtr<const char> path, UserPtr<const Timespec> times,
                           int flags);
Result<long> sys_futimesat(int dirfd, UserPtr<const char> path, UserPtr<const Timeval> times);
Result<long> sys_utimes(UserPtr<const char> path, UserPtr<const Timeval> times);
Result<long> sys_utime(UserPtr<const char> path, UserPtr<const int64_t> times);
Result<long> sys_chdir(UserPtr<const char> path);
Result<long> sys_fchdir(int fd);
Result<long> sys_chroot(UserPtr<const char> path);
Result<long> sys_getcwd(UserPtr<char> buffer, uint64_t size);
Result<long> sys_umask(uint32_t mask);

// sys_stat.cpp — looking at files
Result<long> sys_stat(UserPtr<const char> path, UserPtr<char> stat);
Result<long> sys_lstat(UserPtr<const char> path, UserPtr<char> stat);
Result<long> sys_fstat(int fd, UserPtr<char> stat);
Result<long> sys_newfstatat(int dirfd, UserPtr<const char> path, UserPtr<char> stat, int flags);
Result<long> sys_statx(int dirfd, UserPtr<const char> path, int flags, unsigned mask,
                       UserPtr<char> statx);
Result<long> sys_statfs(UserPtr<const char> path, UserPtr<char> buffer);
Result<long> sys_fstatfs(int fd, UserPtr<char> buffer);
Result<long> sys_access(UserPtr<const char> path, int mode);
Result<long> sys_faccessat(int dirfd, UserPtr<const char> path, int mode);
Result<long> sys_faccessat2(int dirfd, UserPtr<const char> path, int mode, int flags);
Result<long> sys_readlink(UserPtr<const char> path, UserPtr<char> buffer, uint64_t size);
Result<long> sys_readlinkat(int dirfd, UserPtr<const char> path, UserPtr<char> buffer,
                            uint64_t size);
Result<long> sys_getdents(int fd, UserPtr<char> buffer, uint64_t count);
Result<long> sys_getdents64(int fd, UserPtr<char> buffer, uint64_t count);

// sys_identity.cpp — identities and resource use
Result<long> sys_getuid();
Result<long> sys_geteuid();
Result<long> sys_getgid();
Result<long> sys_getegid();
Result<long> sys_setuid(uint32_t uid);
Result<long> sys_setgid(uint32_t gid);
Result<long> sys_setreuid(uint32_t real, uint32_t effective);
Result<long> sys_setregid(uint32_t real, uint32_t effective);
Result<long> sys_setresuid(uint32_t real, uint32_t effective, uint32_t saved);
Result<long> sys_setresgid(uint32_t real, uint32_t effective, uint32_t saved);
Result<long> sys_getresuid(uint64_t real, uint64_t effective, uint64_t saved);
Result<long> sys_getresgid(uint64_t real, uint64_t effective, uint64_t saved);
Result<long> sys_setfsuid(uint32_t uid);
Result<long> sys_setfsgid(uint32_t gid);
Result<long> sys_getgroups(int size, UserPtr<uint32_t> list);
Result<long> sys_setgroups(int size, UserPtr<const uint32_t> list);
Result<long> sys_sysinfo(UserPtr<char> info);
Result<long> sys_times(UserPtr<char> buffer);
Result<long> sys_getrusage(int who, UserPtr<char> usage);
Result<long> sys_sched_getaffinity(int pid, uint64_t length, UserPtr<uint64_t> mask);
Result<long> sys_sched_setaffinity(int pid, uint64_t length, UserPtr<const uint64_t> mask);
Result<long> sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5);

// sys_memory.cpp
Result<long> sys_brk(uint64_t address);
Result<long> sys_mmap(uint64_t address, uint64_t length, int prot, int flags, int fd,
                      int64_t offset);
Result<long> sys_munmap(uint64_t address, uint64_t length);
Result<long> sys_mprotect(uint64_t address, uint64_t length, int prot);
Result<long> sys_madvise(uint64_t address, uint64_t length, int advice);
Result<long> sys_mremap(uint64_t old_address, uint64_t old_length, uint64_t new_length, int flags,
                        uint64_t new_address);
Result<long> sys_msync(uint64_t address, uint64_t length, int flags);
Result<long> sys_mincore(uint64_t address, uint64_t length, UserPtr<uint8_t> vector);

// sys_thread.cpp, futex.cpp
Result<long> sys_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                       uint64_t tls);
Result<long> sys_clone3(UserPtr<const char> args, uint64_t size);
Result<long> sys_exit(int status);
Result<long> sys_execve(UserPtr<const char> path, UserPtr<const uint64_t> argv,
                        UserPtr<const uint64_t> envp);
Result<long> sys_execveat(int dirfd, UserPtr<const char> path, UserPtr<const uint64_t> argv,
                          UserPtr<const uint64_t> envp, int flags);
Result<long> sys_exit_group(int status);
Result<long> sys_gettid();
Result<long> sys_set_tid_address(uint64_t tidptr);
Result<long> sys_set_robust_list(uint64_t head, uint64_t length);
Result<long> sys_futex(uint64_t address, int op, uint32_t value, uint64_t timeout_or_value2,
                       uint64_t address2, uint32_t value3);

// sys_process.cpp
Result<long> sys_getpid();
Result<long> sys_getppid();
Result<long> sys_getpgrp();
Result<long> sys_getpgid(int pid);
Result<long> sys_getsid(int pid);
Result<long> sys_setpgid(int pid, int pgid);
Result<long> sys_setsid();
Result<long> sys_arch_prctl(int code, uint64_t address);
Result<long> sys_uname(UserPtr<char> buffer);
Result<long> sys_prlimit64(int pid, int resource, UserPtr<const uint64_t> new_limit,
                           UserPtr<uint64_t> old_limit);
Result<long> sys_getrlimit(int resource, UserPtr<uint64_t> limit);
Result<long> sys_setrlimit(int resource, UserPtr<const uint64_t> limit);
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
Result<long> sys_rt_sigtimedwait(UserPtr<const uint64_t> set, UserPtr<char> info,
                                 UserPtr<const Timespec> timeout, uint64_t sigsetsize);
Result<long> sys_rt_sigqueueinfo(int pid, int signal, UserPtr<const char> info);
Result<long> sys_rt_tgsigqueueinfo(int tgid, int tid, int signal, UserPtr<const char> info);
Result<long> sys_restart_syscall();

// timers.cpp
Result<long> sys_nanosleep(UserPtr<const Timespec> request, UserPtr<Timespec> remaining);
Result<long> sys_clock_nanosleep(int clock, int flags, UserPtr<const Timespec> request,
                                 UserPtr<Timespec> remaining);
Result<long> sys_getitimer(int which, UserPtr<char> value);
Result<long> sys_setitimer(int which, UserPtr<const char> value, UserPtr<char> old_value);
Result<long> sys_alarm(unsigned seconds);

// eventfd.cpp, timerfd.cpp, epoll.cpp — event files
struct Itimerspec;
Result<long> sys_eventfd(unsigned initial);
Result<long> sys_eventfd2(unsigned initial, int flags);
Result<long> sys_timerfd_create(int clock, int flags);
Result<long> sys_timerfd_settime(int fd, int flags, UserPtr<const Itimerspec> new_value,
                                 UserPtr<Itimerspec> old_value);
Result<long> sys_timerfd_gettime(int fd, UserPtr<Itimerspec> value);
Result<long> sys_epoll_create(int size);
Result<long> sys_epoll_create1(int flags);
Result<long> sys_epoll_ctl(int epfd, int op, int fd, UserPtr<const char> event);
Result<long> sys_epoll_wait(int epfd, UserPtr<char> events, int max, int timeout_ms);
Result<long> sys_epoll_pwait(int epfd, UserPtr<char> events, int max, int timeout_ms,
                             UserPtr<const uint64_t> mask, uint64_t mask_size);
Result<long> sys_epoll_pwait2(int epfd, UserPtr<char> events, int max,
                              UserPtr<const Timespec> timeout, UserPtr<const uint64_t> mask,
                              uint64_t mask_size);

// posix_timers.cpp
Result<long> sys_timer_create(int clock, UserPtr<const char> event, UserPtr<int> id);
Result<long> sys_timer_settime(int id, int flags, UserPtr<const Itimerspec> new_value,
                               UserPtr<Itimerspec> old_value);
Result<long> sys_timer_gettime(int id, UserPtr<Itimerspec> value);
Result<long> sys_timer_getoverrun(int id);
Result<long> sys_timer_delete(int id);

// sys_sched.cpp
Result<long> sys_sched_getscheduler(int pid);
Result<long> sys_sched_setscheduler(int pid, int policy, UserPtr<const int> param);
Result<long> sys_sched_getparam(int pid, UserPtr<int> param);
Result<long> sys_sched_setparam(int pid, UserPtr<const int> param);
Result<long> sys_sched_get_priority_max(int policy);
Result<long> sys_sched_get_priority_min(int policy);
Result<long> sys_membarrier(int command, unsigned flags, int cpu);
Result<long> sys_getcpu(UserPtr<unsigned> cpu, UserPtr<unsigned> node, uint64_t cache);

// sys_time.cpp
Result<long> sys_clock_gettime(int clock, UserPtr<char> ts);
Result<long> sys_clock_getres(int clock, UserPtr<char> ts);
Result<long> sys_gettimeofday(UserPtr<char> tv, uint64_t tz);
Result<long> sys_time(UserPtr<int64_t> t);

} // namespace wisp::linux
