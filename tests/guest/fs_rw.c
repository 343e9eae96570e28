// SPDX-License-Identifier: MIT
// read/write and their positioned and vectored forms, lseek (SEEK_DATA/SEEK_HOLE), ftruncate,
// fallocate, sendfile, copy_file_range, fsync: results, offsets and errors.
#include "fs_check.h"

#include <sys/sendfile.h>
#include <sys/uio.h>

static void show_file(const char* label, const char* path) {
    char buf[256] = {0};
    int fd = open(path, O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0') buf[i] = '.';
    printf("%s: %zd \"%s\"\n", label, n, buf);
}

int main(void) {
    enter_work_dir("rw");
    char buf[64];
    int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    T("write", write(fd, "hello world", 11));
    T("offset", lseek(fd, 0, SEEK_CUR));
    T("read at end", read(fd, buf, sizeof buf));
    T("lseek set", lseek(fd, 6, SEEK_SET));
    T("read", read(fd, buf, 5));
    T("lseek end", lseek(fd, -5, SEEK_END));
    T("lseek cur", lseek(fd, 2, SEEK_CUR));
    T("lseek negative", lseek(fd, -100, SEEK_SET));
    T("lseek before start", lseek(fd, -100, SEEK_CUR));
    T("lseek bad whence", lseek(fd, 0, 7));
    T("lseek past end", lseek(fd, 100, SEEK_SET));
    T("read past end", read(fd, buf, 10));
    T("pread", pread(fd, buf, 5, 0));
    printf("pread data: %.5s\n", buf);
    T("offset unchanged", lseek(fd, 0, SEEK_CUR));
    T("pread negative", pread(fd, buf, 5, -1));
    T("pwrite", pwrite(fd, "HELLO", 5, 0));
    T("pwrite beyond", pwrite(fd, "!", 1, 20));
    show_file("after pwrite", "data");
    T("read 0 bytes", read(fd, buf, 0));
    T("write 0 bytes", write(fd, buf, 0));
    T("read NULL", SYS(SYS_read, fd, NULL, 0) >= 0 ? 0 : -1);
    lseek(fd, 0, SEEK_SET);
    T("read into NULL", SYS(SYS_read, fd, NULL, 5));
    T("read into wild", SYS(SYS_read, fd, WILD_POINTER, 5));
    T("read into kernel", SYS(SYS_read, fd, KERNEL_POINTER, 5));
    T("write from NULL", SYS(SYS_write, fd, NULL, 5));
    T("write from kernel", SYS(SYS_write, fd, KERNEL_POINTER, 5));
    T("read -1", read(-1, buf, 1));
    T("read 1000000", read(1000000, buf, 1));
    T("write -1", write(-1, "x", 1));
    T("pread -1", pread(-1, buf, 1, 0));
    T("read huge count", SYS(SYS_read, fd, buf, (size_t)-1));

    // Vectors.
    char a[4] = {0}, b[8] = {0};
    struct iovec in[2] = {{a, 3}, {b, 7}};
    lseek(fd, 0, SEEK_SET);
    T("readv", readv(fd, in, 2));
    printf("readv: %.3s|%.7s\n", a, b);
    struct iovec out[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
    T("writev", writev(fd, out, 3));
    T("writev count 0", writev(fd, out, 0));
    T("writev count -1", SYS(SYS_writev, fd, out, -1));
    T("writev count 1025", SYS(SYS_writev, fd, out, 1025));
    T("writev NULL iov", SYS(SYS_writev, fd, NULL, 1));
    struct iovec bad[1] = {{NULL, 5}};
    T("writev NULL base", writev(fd, bad, 1));
    struct iovec neg[2] = {{a, (size_t)-1}, {b, 1}};
    T("readv negative len", readv(fd, neg, 2));
    T("preadv", preadv(fd, in, 2, 1));
    printf("preadv: %.3s|%.7s\n", a, b);
    T("pwritev", pwritev(fd, out, 3, 2));
    show_file("after pwritev", "data");
    T("preadv2 -1", SYS(SYS_preadv2, fd, in, 2, -1, 0, 0));
    T("preadv2 bad flags", SYS(SYS_preadv2, fd, in, 2, 0, 0, 0x1000));
    T("pwritev2", SYS(SYS_pwritev2, fd, out, 1, 0, 0, 0));

    // Truncate, holes, SEEK_DATA/SEEK_HOLE.
    T("ftruncate grow", ftruncate(fd, 3 * 4096));
    T("ftruncate negative", ftruncate(fd, -1));
    T("SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
    T("SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
    T("SEEK_DATA in hole", lseek(fd, 5000, SEEK_DATA));
    T("SEEK_HOLE at end", lseek(fd, 3 * 4096, SEEK_HOLE));
    T("SEEK_DATA negative", lseek(fd, -1, SEEK_DATA));
    T("pwrite far", pwrite(fd, "x", 1, 2 * 4096 + 10));
    T("SEEK_DATA after write", lseek(fd, 4096, SEEK_DATA));
    T("SEEK_HOLE after data", lseek(fd, 2 * 4096, SEEK_HOLE));
    T("ftruncate shrink", ftruncate(fd, 4));
    show_file("after shrink", "data");
    T("ftruncate grow again", ftruncate(fd, 8));
    show_file("zeros after regrow", "data");
    int rd = open("data", O_RDONLY);
    T("ftruncate read-only fd", ftruncate(rd, 0));
    T("ftruncate -1", ftruncate(-1, 0));
    int dirfd = open(".", O_RDONLY);
    T("ftruncate dir", ftruncate(dirfd, 0));
    T("truncate dir", truncate(".", 0));
    T("truncate missing", truncate("missing", 0));
    T("truncate path", truncate("data", 2));
    show_file("after truncate", "data");
    T("fallocate", fallocate(fd, 0, 0, 8192));
    struct stat st;
    fstat(fd, &st);
    printf("fallocated size %ld\n", (long)st.st_size);
    T("fallocate zero length", fallocate(fd, 0, 0, 0));
    T("fallocate negative", fallocate(fd, 0, -1, 10));
    T("fallocate read-only", fallocate(rd, 0, 0, 10));
    T("fallocate dir", fallocate(dirfd, 0, 0, 10));
    T("fsync", fsync(fd));
    T("fdatasync", fdatasync(fd));
    T("fsync dir", fsync(dirfd));
    T("fsync -1", fsync(-1));
    T("syncfs", SYS(SYS_syncfs, fd));
    sync();

    // sendfile and copy_file_range.
    write_file("src", "0123456789abcdef");
    int src = open("src", O_RDONLY);
    int dst = open("dst", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    T("sendfile", sendfile(dst, src, NULL, 6));
    T("src offset", lseek(src, 0, SEEK_CUR));
    off_t off = 10;
    T("sendfile offset", sendfile(dst, src, &off, 100));
    printf("offset now %ld, file offset %ld\n", (long)off, (long)lseek(src, 0, SEEK_CUR));
    show_file("dst", "dst");
    T("sendfile bad in", sendfile(dst, -1, NULL, 1));
    T("sendfile to read-only", sendfile(src, src, NULL, 1));
    int cp = open("copy", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    lseek(src, 0, SEEK_SET);
    T("copy_file_range", SYS(SYS_copy_file_range, src, NULL, cp, NULL, 4, 0));
    loff_t in_off = 12, out_off = 10;
    T("copy_file_range offsets", SYS(SYS_copy_file_range, src, &in_off, cp, &out_off, 100, 0));
    printf("offsets %ld %ld\n", (long)in_off, (long)out_off);
    show_file("copy", "copy");
    T("copy_file_range flags", SYS(SYS_copy_file_range, src, NULL, cp, NULL, 4, 1));
    T("copy_file_range dir", SYS(SYS_copy_file_range, dirfd, NULL, cp, NULL, 4, 0));

    // A file written in many pieces and read back.
    int big = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
    static char chunk[10000];
    for (int i = 0; i < 100; i++) {
        memset(chunk, 'a' + i % 26, sizeof chunk);
        if (write(big, chunk, sizeof chunk) != sizeof chunk) printf("short write %d\n", i);
    }
    fstat(big, &st);
    printf("big size %ld blocks>=size: %d\n", (long)st.st_size, st.st_blocks * 512 >= st.st_size);
    lseek(big, 0, SEEK_SET);
    long sum = 0;
    ssize_t n;
    while ((n = read(big, chunk, 4096)) > 0)
        for (ssize_t i = 0; i < n; i++)
            sum += chunk[i];
    printf("big checksum %ld\n", sum);
    return 0;
}
