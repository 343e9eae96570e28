// SPDX-License-Identifier: MIT
// Writes through a NULL pointer. Natively the shell reports status 139 (128 + SIGSEGV); inside
// wisp the kernel prints `wisp: killed by SIGSEGV at 0x...` and `wisp run` exits with 139.
#include <stdio.h>

int main(void) {
    printf("about to crash\n");
    fflush(stdout);
    volatile int* null = 0;
    *null = 42;
    printf("still alive?\n");
    return 0;
}
