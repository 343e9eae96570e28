// SPDX-License-Identifier: MIT
// For bench/fs_read.sh: pread()s COUNT 4 KiB blocks of FILE, one after the other (COUNT 0
// opens the file only: the baseline the per-read cost is measured against).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    int count = atoi(argv[2]);
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) return 3;
    static char block[4096];
    for (int i = 0; i < count; i++)
        if (pread(fd, block, sizeof block, (off_t)i * 4096) != (ssize_t)sizeof block) return 4;
    return 0;
}
