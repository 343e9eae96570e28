// SPDX-License-Identifier: MIT
// Calls a system call number far beyond Linux's x86-64 table (about 470 entries in 2025), so
// natively and inside wisp it fails with ENOSYS and the program carries on. Not a number from
// the old 335..423 gap: Linux 6.11 gave 335 to uretprobe (SIGILL when called directly) and keeps
// filling the gap.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { kUnassigned = 1000 };

int main(void) {
    errno = 0;
    long result = syscall(kUnassigned, 1, 2, 3);
    int saved = errno;
    printf("syscall(%d) = %ld, errno = %d (%s)\n", kUnassigned, result, saved,
           saved == ENOSYS ? "ENOSYS" : strerror(saved));
    printf("still running\n");
    return 0;
}
