#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Differential test under QEMU TCG (no KVM, so no kvmclock: the kernel's clock is the TSC at
# CPUID's rate): PROGRAM runs natively and in an image booted by qemu-system-x86_64 -accel tcg
# with the output on the serial port; stdout and the exit status must match. Exits 77 (ctest
# SKIP_RETURN_CODE) when QEMU is not installed.
#
#   tcg_diff.sh --wisp PATH PROGRAM [ARGS...]
set -uo pipefail
[ "${1:-}" = --wisp ] || { echo "usage: tcg_diff.sh --wisp PATH PROGRAM [ARGS...]" >&2; exit 2; }
wisp="$2"
shift 2
program="$(realpath -s "$1")"
shift
if ! command -v qemu-system-x86_64 >/dev/null; then
    echo "SKIP: qemu-system-x86_64 is not installed"
    exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
kernel="$(dirname "$wisp")/wisp-kernel"

env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root "$program" "$@" >"$work/native"
native_status=$?
"$wisp" build -o "$work/image" "$program" >/dev/null || exit 1
# The kernel writes the status to isa-debug-exit; QEMU exits with (status << 1) | 1.
timeout 300 qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=off -accel tcg -cpu max -m 256M \
    -nodefaults -no-user-config -nographic -kernel "$kernel" -initrd "$work/image" \
    -append "-- $program $*" -device isa-debug-exit -serial stdio </dev/null >"$work/serial"
qemu_status=$?
tr -d '\r' <"$work/serial" >"$work/tcg"
tcg_status=$(( qemu_status >> 1 ))

if [ "$tcg_status" != "$native_status" ] || ! cmp -s "$work/native" "$work/tcg"; then
    echo "exit status: native $native_status, TCG $tcg_status (QEMU $qemu_status)"
    diff -u --label native --label tcg "$work/native" "$work/tcg"
    exit 1
fi
echo "ok: $program: status $native_status, $(wc -l <"$work/native") lines of stdout"
