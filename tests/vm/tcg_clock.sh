#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `wisp run --hypervisor qemu` without KVM (QEMU TCG) keeps time: the guest's 2 s sleep takes at
# least 2 s of the host's clock and reads as 2 s inside. TCG's TSC is the host's, whose rate the
# CLI measures and passes (clock.tsc_khz); at the kernel's 1 GHz guess the clock ran ≈ 2.5x fast.
# KVM is hidden from the CLI by a bind mount over /dev/kvm in a private mount namespace (needs
# root: skipped otherwise).
#   tcg_clock.sh WISP SLEEPER   (SLEEPER: tests/guest/smp.musl, run as "idle 2000")
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: tcg_clock.sh WISP SLEEPER" >&2; exit 2; }
wisp="$(realpath "$1")" sleeper="$(realpath "$2")"
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$work/not-kvm"
if ! unshare -m sh -c 'mount --bind "$1" /dev/kvm' sh "$work/not-kvm" 2>/dev/null; then
    echo "SKIP: cannot hide /dev/kvm in a mount namespace (not root, or no /dev/kvm)"
    exit 77
fi
start=$(date +%s%N)
unshare -m sh -c 'mount --bind "$1" /dev/kvm && exec "$2" run --hypervisor qemu "$3" idle 2000' \
    sh "$work/not-kvm" "$wisp" "$sleeper" >"$work/out" 2>"$work/err"
status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$work/out"
if [ $status -ne 0 ] || ! grep -q "^idle: done$" "$work/out"; then
    echo "FAIL: wisp exited with $status"; cat "$work/err"; exit 1
fi
grep -q "QEMU emulates the CPU (TCG)" "$work/err" || { echo "FAIL: KVM was not hidden"; cat "$work/err"; exit 1; }
echo "host time for the guest's 2 s sleep (boot included): $elapsed_ms ms"
# 1.9 s: the guest's sleep cannot end sooner on a right clock; a clock 2.5x fast ends it at 0.8 s.
[ "$elapsed_ms" -ge 1900 ] || { echo "FAIL: the guest's clock runs fast"; exit 1; }
