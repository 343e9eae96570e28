#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Differential test under QEMU TCG (no KVM, so no kvmclock: the kernel's clock is the TSC at
# CPUID's rate; no x2APIC and no TSC-deadline timer in QEMU 7.2's TCG: the kernel drives the
# xAPIC and its one-shot timer): PROGRAM runs natively and in an image booted by
# qemu-system-x86_64 -accel tcg with the output on the serial port; stdout and the exit status
# must match. Exits 77 (ctest SKIP_RETURN_CODE) when QEMU is not installed.
#
#   tcg_diff.sh --wisp PATH [--cpus N] [--max-cpu-percent P] PROGRAM [ARGS...]
#
# --cpus N boots N vCPUs (QEMU's -smp; the kernel starts the others with INIT/SIPI).
# --max-cpu-percent P also fails when QEMU used more host CPU time than P percent of the wall
# time it ran (a guest that sleeps must halt its vCPUs rather than poll the clock).
# --expect-stdout TEXT compares with TEXT (and status 0) instead of a native run, for output
# that depends on the machine (smp.c's "parallel" verdict).
set -uo pipefail
wisp="" cpus=1 max_cpu_percent="" expected=""
while [ $# -gt 0 ]; do
    case "$1" in
    --wisp) wisp="$2"; shift 2 ;;
    --cpus) cpus="$2"; shift 2 ;;
    --max-cpu-percent) max_cpu_percent="$2"; shift 2 ;;
    --expect-stdout) expected="$2"; shift 2 ;;
    -*) echo "tcg_diff.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ -z "$wisp" ] || [ $# -lt 1 ]; then
    echo "usage: tcg_diff.sh --wisp PATH [--cpus N] [--max-cpu-percent P] [--expect-stdout TEXT] PROGRAM [ARGS...]" >&2
    exit 2
fi
program="$(realpath -s "$1")"
shift
if ! command -v qemu-system-x86_64 >/dev/null; then
    echo "SKIP: qemu-system-x86_64 is not installed"
    exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
kernel="$(dirname "$wisp")/wisp-kernel"

if [ -n "$expected" ]; then
    printf '%s\n' "$expected" >"$work/native"
    native_status=0
else
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root "$program" "$@" >"$work/native"
    native_status=$?
fi
"$wisp" build -o "$work/image" "$program" >/dev/null || exit 1
# The kernel writes the status to isa-debug-exit; QEMU exits with (status << 1) | 1. bash's
# `time` writes QEMU's wall, user and system seconds (TIMEFORMAT) to the group's stderr.
TIMEFORMAT='%R %U %S'
{ time timeout 300 qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=off -accel tcg \
    -cpu max -smp "$cpus" -m 256M -nodefaults -no-user-config -nographic -kernel "$kernel" \
    -initrd "$work/image" -append "-- $program $*" -device isa-debug-exit -serial stdio \
    </dev/null >"$work/serial" 2>&3; } 3>&2 2>"$work/times"
qemu_status=$?
tr -d '\r' <"$work/serial" >"$work/tcg"
tcg_status=$(( qemu_status >> 1 ))

if [ "$tcg_status" != "$native_status" ] || ! cmp -s "$work/native" "$work/tcg"; then
    echo "exit status: native $native_status, TCG $tcg_status (QEMU $qemu_status)"
    diff -u --label native --label tcg "$work/native" "$work/tcg"
    exit 1
fi
read -r wall user system <"$work/times"
cpu_percent=$(awk -v w="$wall" -v u="$user" -v s="$system" 'BEGIN { printf "%d", (u + s) * 100 / w }')
echo "ok: $program: status $native_status, $(wc -l <"$work/native") lines of stdout;" \
     "$cpus vCPUs: QEMU ran ${wall} s using ${cpu_percent}% of a host CPU"
if [ -n "$max_cpu_percent" ] && [ "$cpu_percent" -gt "$max_cpu_percent" ]; then
    echo "FAIL: QEMU used ${cpu_percent}% of a host CPU (more than $max_cpu_percent%)"
    exit 1
fi
