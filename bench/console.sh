#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Console throughput (docs/benchmarks.md, "Console"):
#  1. 10 MB written to stdout by the app (bench/console_write.c, 64 KiB and 4 KiB writes, stdout
#     to a file): wall time inside wisp and natively, and the VM exits (`wisp run --timings`),
#     through the virtio console and through the serial port (`--kernel-option console.serial`,
#     what every run used before; 1 MB there, it is slow).
#  2. busybox cat of a 64 MiB file from the image to a file, and of 64 MiB on stdin.
#
#   bench/console.sh [--build build] [--runs N]
set -euo pipefail
build=build runs=3
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--runs N]" >&2; exit 2 ;;
    esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
wisp="$root/$build/bin/wisp"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
musl-gcc -static -O2 -o "$work/console_write" "$root/bench/console_write.c"

# Best of $runs wall times, in seconds, of a shell command.
best() {
    local best_s=""
    for _ in $(seq 1 "$runs"); do
        local t0 t1
        t0=$(date +%s.%N)
        bash -c "$1"
        t1=$(date +%s.%N)
        best_s=$(python3 -c "t=$t1-$t0; b='$best_s'; print(t if not b or t<float(b) else b)")
    done
    printf '%.3f' "$best_s"
}
exits() { # the exit counts of one run under --timings
    bash -c "$1" 2>&1 >/dev/null | sed -n 's/^wisp: exits: //p'
}

w="$work/console_write"
for chunk in 65536 4096; do
    native=$(best "$w 10000000 $chunk >$work/out")
    inside=$(best "$wisp run $w 10000000 $chunk >$work/out")
    ratio=$(python3 -c "print(f'{$inside/$native:.0f}')")
    echo "10 MB in $chunk-byte writes: native ${native}s, wisp ${inside}s (x$ratio);" \
         "exits: $(exits "$wisp run --timings $w 10000000 $chunk >$work/out")"
done
empty=$(best "$wisp run $w 0 >$work/out")
echo "the same program writing nothing (boot + exit): ${empty}s"
serial=$(best "$wisp run --kernel-option console.serial $w 1000000 65536 >$work/out")
echo "serial port, 1 MB in 64 KiB writes: ${serial}s; exits:" \
     "$(exits "$wisp run --timings --kernel-option console.serial $w 1000000 65536 >$work/out")"

head -c 67108864 /dev/urandom >"$work/64m.bin"
bb=/bin/busybox
native=$(best "$bb cat $work/64m.bin >$work/out")
"$wisp" build -o "$work/cat.img" --file "$work/64m.bin:/data/64m.bin" "$bb" >/dev/null
inside=$(best "$wisp run $work/cat.img $bb cat /data/64m.bin >$work/out")
cmp -s "$work/out" "$work/64m.bin" || { echo "cat output differs"; exit 1; }
echo "busybox cat 64 MiB from the image: native ${native}s, wisp ${inside}s; exits:" \
     "$(exits "$wisp run --timings $work/cat.img $bb cat /data/64m.bin >$work/out")"
native=$(best "$bb cat <$work/64m.bin >$work/out")
inside=$(best "$wisp run $bb cat <$work/64m.bin >$work/out")
cmp -s "$work/out" "$work/64m.bin" || { echo "cat output differs"; exit 1; }
echo "busybox cat 64 MiB stdin to stdout: native ${native}s, wisp ${inside}s"
