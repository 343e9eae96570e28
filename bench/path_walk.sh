#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Path walks (docs/benchmarks.md, "Path walks"): CPL0 instructions per stat() of a file five
# components deep in the image (seen through the overlay root), of a name that does not exist in
# the same directory, and of a one-component path. Deterministic: bench/fs_stat.c under
# bench/kernel_profile.py, 200 stats minus 0 stats, divided by 200. --before KERNEL adds a column
# for another kernel build (e.g. one from an older commit) run on the same images.
#
#   bench/path_walk.sh [--build build] [--before path/to/wisp-kernel]
set -euo pipefail
build=build
before=""
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build="$2"; shift 2 ;;
    --before) before="$2"; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--before KERNEL]" >&2; exit 2 ;;
    esac
done
source "$(dirname "$0")/lib.sh"

musl-gcc -static -O2 -o "$work/fs_stat" "$root/bench/fs_stat.c"
mkdir -p "$work/tree/usr/lib/python3.11/json"
echo data >"$work/tree/usr/lib/python3.11/json/decoder.py"
"$wisp" build -o "$work/stat.img" --file "$work/tree/usr:/usr" "$work/fs_stat" >/dev/null

per_stat() { # KERNEL PATH
    local counts=()
    for n in 0 200; do
        counts+=("$(kernel_instructions "$1" "$work/stat.img" "$work/fs_stat" "$2" "$n")")
    done
    echo $(( (counts[1] - counts[0]) / 200 ))
}

printf '%-45s %10s' "CPL0 instructions per stat()" "this build"
[ -n "$before" ] && printf ' %10s' "--before"
echo
for path in /usr/lib/python3.11/json/decoder.py /usr/lib/python3.11/json/missing.py /usr; do
    printf '%-45s %10s' "$path" "$(per_stat "$kernel" "$path")"
    [ -n "$before" ] && printf ' %10s' "$(per_stat "$before" "$path")"
    echo
done
