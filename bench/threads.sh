#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Threads and time (docs/benchmarks.md, "Threads and time"): bench/threads.c, static musl.
#  1. Wall time per operation inside wisp (1 and 2 vCPUs) and natively, in the same run, and the
#     ratios.
#  2. CPL0 instructions per operation (deterministic): bench/kernel_profile.py (QEMU TCG with
#     -icount) with 101 and with 1 iteration, difference divided by 100 — so one-time costs of
#     the first operation (the first thread's stack faults, calibrating the APIC timer on TCG
#     the first time a time slice is armed) are left out.
#
#   bench/threads.sh [--build build] [--iterations N] [--skip-profile]
set -euo pipefail
build=build
iterations=2000
skip_profile=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    --skip-profile) skip_profile=1; shift ;;
    *) echo "usage: $0 [--build DIR] [--iterations N] [--skip-profile]" >&2; exit 2 ;;
    esac
done
source "$(dirname "$0")/lib.sh"
musl-gcc -static -O2 -pthread -o "$work/threads" "$root/bench/threads.c"

names="getpid clock_gettime futex_pingpong yield thread_create"
"$work/threads" all "$iterations" >"$work/native"
"$wisp" run "$work/threads" all "$iterations" >"$work/wisp"
# The same inside a VM with 2 vCPUs: the two threads of the ping-pong and of create+join run on
# different CPUs (a wake-up is a kick IPI to the other one).
"$wisp" run -c 2 "$work/threads" all "$iterations" >"$work/wisp2"
printf '%-16s %14s %14s %10s %14s %10s\n' operation "native (ns)" "wisp (ns)" ratio \
    "wisp -c 2 (ns)" ratio
for name in $names; do
    n=$(awk -v k="$name" '$1 == k {print $2}' "$work/native")
    w=$(awk -v k="$name" '$1 == k {print $2}' "$work/wisp")
    w2=$(awk -v k="$name" '$1 == k {print $2}' "$work/wisp2")
    printf '%-16s %14s %14s %9.0fx %14s %9.0fx\n' "$name" "$n" "$w" "$(echo "$w / $n" | bc -l)" \
        "$w2" "$(echo "$w2 / $n" | bc -l)"
done

[ "$skip_profile" = 1 ] && exit 0
"$wisp" build -o "$work/threads.img" "$work/threads" >/dev/null
total() { # $1 benchmark, $2 iterations
    kernel_instructions "$kernel" "$work/threads.img" "$work/threads" "$1" "$2"
}
echo
printf '%-16s %14s\n' operation "CPL0 instr/op"
for name in $names; do
    base=$(total "$name" 1)
    with=$(total "$name" 101)
    printf '%-16s %14s\n' "$name" $(( (with - base) / 100 ))
done
