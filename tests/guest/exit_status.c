// SPDX-License-Identifier: MIT
// Exits with a chosen status: `exit N` calls exit(N) (stdio flushed by libc), `return N` returns
// N from main, `_exit N` calls _exit(N) after an explicit flush. No arguments: returns 0.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 3) {
        printf("no status given\n");
        return 0;
    }
    int status = atoi(argv[2]);
    printf("%s %d\n", argv[1], status);
    if (strcmp(argv[1], "exit") == 0) exit(status);
    if (strcmp(argv[1], "_exit") == 0) {
        fflush(stdout);
        _exit(status);
    }
    return status;
}
