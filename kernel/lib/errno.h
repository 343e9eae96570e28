// SPDX-License-Identifier: MIT
#pragma once

// Linux errno values (asm-generic/errno-base.h, errno.h): the ABI the application sees, on every
// build. Named without the leading E (Errno::NOENT for ENOENT) so they never collide with the
// host's <errno.h> macros in host builds of portable code.
namespace wisp {

enum class Errno : int {
    PERM = 1, NOENT = 2, SRCH = 3, INTR = 4, IO = 5, NXIO = 6, TOOBIG = 7 /* E2BIG */, NOEXEC = 8,
    BADF = 9, CHILD = 10, AGAIN = 11, NOMEM = 12, ACCES = 13, FAULT = 14, NOTBLK = 15,
    BUSY = 16, EXIST = 17, XDEV = 18, NODEV = 19, NOTDIR = 20, ISDIR = 21, INVAL = 22,
    NFILE = 23, MFILE = 24, NOTTY = 25, TXTBSY = 26, FBIG = 27, NOSPC = 28, SPIPE = 29,
    ROFS = 30, MLINK = 31, PIPE = 32, DOM = 33, RANGE = 34, DEADLK = 35,
    NAMETOOLONG = 36, NOLCK = 37, NOSYS = 38, NOTEMPTY = 39, LOOP = 40, NOMSG = 42,
    NODATA = 61, TIME = 62, OVERFLOW = 75, BADFD = 77, ILSEQ = 84, NOTSOCK = 88,
    DESTADDRREQ = 89, MSGSIZE = 90, PROTOTYPE = 91, NOPROTOOPT = 92,
    PROTONOSUPPORT = 93, SOCKTNOSUPPORT = 94, OPNOTSUPP = 95, PFNOSUPPORT = 96,
    AFNOSUPPORT = 97, ADDRINUSE = 98, ADDRNOTAVAIL = 99, NETDOWN = 100,
    NETUNREACH = 101, NETRESET = 102, CONNABORTED = 103, CONNRESET = 104, NOBUFS = 105,
    ISCONN = 106, NOTCONN = 107, SHUTDOWN = 108, TIMEDOUT = 110, CONNREFUSED = 111,
    HOSTDOWN = 112, HOSTUNREACH = 113, ALREADY = 114, INPROGRESS = 115, CANCELED = 125,
    // Kernel-internal (include/linux/errno.h): a system call a signal interrupted, to be
    // restarted or turned into EINTR on the way back to user mode; never seen by the app.
    RESTARTSYS = 512,           // restart if no handler ran or the handler has SA_RESTART
    RESTARTNOINTR = 513,        // always restart
    RESTARTNOHAND = 514,        // restart only if no handler ran
    RESTART_RESTARTBLOCK = 516, // restart_syscall (the thread's restart block) if no handler ran
};

} // namespace wisp
