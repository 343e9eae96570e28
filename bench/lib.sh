# SPDX-License-Identifier: MIT
# Sourced by the bench/*.sh scripts after their options are read ($build set): where the build
# under test is, a scratch directory that goes at exit, and the kernel-instruction count.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wisp="$root/$build/bin/wisp"
kernel="$root/$build/bin/wisp-kernel"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# kernel_instructions KERNEL IMAGE ARGV...: CPL0 instructions from boot to exit of ARGV booted
# from IMAGE (bench/kernel_profile.py: QEMU TCG, deterministic).
kernel_instructions() {
    python3 "$root/bench/kernel_profile.py" --kernel "$1" --top 0 "$2" -- "${@:3}" |
        awk '/kernel \(CPL0\) instructions/ {print $4}'
}
