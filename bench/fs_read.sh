#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reading files from the image (docs/benchmarks.md, "File system"):
#  1. CPL0 instructions per 4 KiB read() from the image, deterministic: bench/fs_pread.c under
#     bench/kernel_profile.py, 256 preads of a 1 MiB file minus 0 preads, divided by 256.
#  2. Wall time to read a 64 MiB file from the image inside wisp and natively:
#     busybox dd (4 KiB and 64 KiB blocks, to /dev/null), busybox sha256sum, and
#     `sh -c 'exec cat F >/dev/null'` (sh execs cat: execve of /proc/self/exe inside wisp).
#
#   bench/fs_read.sh [--build build] [--skip-wall]
set -euo pipefail
build=build
skip_wall=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build="$2"; shift 2 ;;
    --skip-wall) skip_wall=1; shift ;;
    *) echo "usage: $0 [--build DIR] [--skip-wall]" >&2; exit 2 ;;
    esac
done
source "$(dirname "$0")/lib.sh"

musl-gcc -static -O2 -o "$work/fs_pread" "$root/bench/fs_pread.c"
head -c 1048576 /dev/urandom >"$work/1m.bin"
"$wisp" build -o "$work/pread.img" --file "$work/1m.bin:/data/1m.bin" "$work/fs_pread" >/dev/null
total() {
    kernel_instructions "$kernel" "$work/pread.img" "$work/fs_pread" /data/1m.bin "$1"
}
base=$(total 0)
reads=$(total 256)
echo "CPL0 instructions: boot+open $base, with 256 preads $reads"
echo "per 4 KiB pread: $(( (reads - base) / 256 )) (of which 512 are the rep movsq copy)"

[ "$skip_wall" = 1 ] && exit 0
head -c 67108864 /dev/urandom >"$work/64m.bin"
bb=/bin/busybox
for args in "dd if=/data/64m.bin of=/dev/null bs=4096" "dd if=/data/64m.bin of=/dev/null bs=65536" \
    "sha256sum /data/64m.bin" "sh -c 'exec cat /data/64m.bin >/dev/null'"; do
    img="$work/$(echo "$args" | tr -c 'a-z0-9' _).img"
    eval "set -- $args"
    "$wisp" build -o "$img" --file "$work/64m.bin:/data/64m.bin" "$bb" "$@" >/dev/null
    native_args="${args//\/data\//$work/}"
    eval "set -- $native_args"
    start=$(date +%s.%N)
    "$bb" "$@" >/dev/null 2>&1
    native=$(echo "$(date +%s.%N) - $start" | bc)
    start=$(date +%s.%N)
    "$wisp" run "$img" >/dev/null 2>&1
    inside=$(echo "$(date +%s.%N) - $start" | bc)
    printf '%-40s native %6.2f s   wisp %6.2f s\n' "$args" "$native" "$inside"
done
