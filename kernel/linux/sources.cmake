# SPDX-License-Identifier: MIT
list(APPEND WISP_PORTABLE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/elf.cpp)
list(APPEND WISP_PORTABLE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/initial_stack.cpp)
list(APPEND WISP_KERNEL_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/boot_args.cpp
    ${CMAKE_CURRENT_LIST_DIR}/exec.cpp
    ${CMAKE_CURRENT_LIST_DIR}/process.cpp
    ${CMAKE_CURRENT_LIST_DIR}/signals.cpp
    ${CMAKE_CURRENT_LIST_DIR}/strace.cpp
    ${CMAKE_CURRENT_LIST_DIR}/timers.cpp
    ${CMAKE_CURRENT_LIST_DIR}/futex.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_thread.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_exec.cpp
    ${CMAKE_CURRENT_LIST_DIR}/syscalls.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_io.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_memory.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_process.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_time.cpp
    ${CMAKE_CURRENT_LIST_DIR}/vdso.cpp)
list(APPEND WISP_PORTABLE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/fd_table.cpp)
list(APPEND WISP_KERNEL_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/console.cpp
    ${CMAKE_CURRENT_LIST_DIR}/files.cpp
    ${CMAKE_CURRENT_LIST_DIR}/procfs.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_fd.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_identity.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_path.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_poll.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_stat.cpp
    ${CMAKE_CURRENT_LIST_DIR}/terminal.cpp
    ${CMAKE_CURRENT_LIST_DIR}/user_buffer.cpp)
list(APPEND WISP_KERNEL_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/anon_inode.cpp
    ${CMAKE_CURRENT_LIST_DIR}/blocking.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cpu_timers.cpp
    ${CMAKE_CURRENT_LIST_DIR}/epoll.cpp
    ${CMAKE_CURRENT_LIST_DIR}/eventfd.cpp
    ${CMAKE_CURRENT_LIST_DIR}/interval_timer.cpp
    ${CMAKE_CURRENT_LIST_DIR}/posix_timers.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sys_sched.cpp
    ${CMAKE_CURRENT_LIST_DIR}/timerfd.cpp)
