// SPDX-License-Identifier: MIT
// Allocates and touches memory until the kernel runs out: never run natively (it would eat the
// host), only inside a small VM, where it must be killed with SIGKILL and a clear reason.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
    size_t total = 0;
    for (;;) {
        char* p = malloc(1 << 20);
        if (!p) { printf("malloc failed after %zu MiB\n", total); return 3; }
        memset(p, 1, 1 << 20);
        total++;
    }
}
