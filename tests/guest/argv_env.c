// SPDX-License-Identifier: MIT
// Prints argc, every argv entry and the whole environment, sorted (the order the kernel builds
// the environment in is not part of the contract). Run natively under `env -i` with the same
// variables wisp passes (tests/vm/diff.sh), the output must match exactly.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

static int compare(const void* a, const void* b) {
    return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    printf("argv[argc]=%s\n", argv[argc] == NULL ? "NULL" : "not NULL");

    size_t count = 0;
    while (environ[count])
        count++;
    char** sorted = malloc((count + 1) * sizeof(char*));
    if (!sorted) return 1;
    memcpy(sorted, environ, count * sizeof(char*));
    qsort(sorted, count, sizeof(char*), compare);
    printf("envc=%zu\n", count);
    for (size_t i = 0; i < count; i++)
        printf("env: [%s]\n", sorted[i]);
    free(sorted);
    return 0;
}
