// SPDX-License-Identifier: MIT
// stat() in a loop: `fs_stat PATH N` stats PATH N times and prints how many succeeded. Run under
// bench/kernel_profile.py by bench/path_walk.sh to count the kernel's path-walk instructions.
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: fs_stat PATH N\n");
        return 2;
    }
    struct stat st;
    int n = atoi(argv[2]), found = 0;
    for (int i = 0; i < n; i++) found += stat(argv[1], &st) == 0;
    printf("%d\n", found);
    return 0;
}
