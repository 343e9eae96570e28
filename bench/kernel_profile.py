#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""CPL0 instruction profile of one boot: which kernel functions execute how many instructions.

Runs the kernel under QEMU TCG with `-d in_asm,exec,nochain` (every translated block logged once,
every execution of it logged each time), then attributes each executed block's instruction count
to the kernel symbol containing its start. Deterministic: the same kernel, image and command
line give the same counts on every machine.

  bench/kernel_profile.py [--kernel build/bin/wisp-kernel] [--top 30] IMAGE -- ARGV...
"""
import argparse
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile


def symbols(kernel):
    out = subprocess.run(["nm", "-n", "-C", kernel], capture_output=True, text=True, check=True)
    addrs, names = [], []
    for line in out.stdout.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) == 3 and parts[1].lower() in "tw":
            addr = int(parts[0], 16)
            if addrs and addrs[-1] == addr:
                # An assembly label and a function at one address: name the function.
                if "::" in parts[2] or "(" in parts[2]:
                    names[-1] = parts[2]
                continue
            addrs.append(addr)
            names.append(parts[2])
    return addrs, names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="build/bin/wisp-kernel")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--options", default="", help="kernel options before --")
    ap.add_argument("image")
    ap.add_argument("argv", nargs="+")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "qemu.log")
        cmdline = f"{args.options} -- " + " ".join(args.argv)
        subprocess.run(
            ["qemu-system-x86_64", "-M", "microvm,x-option-roms=off,rtc=off", "-accel", "tcg",
             "-cpu", "max", "-icount", "shift=0", "-m", "256M", "-nodefaults", "-no-user-config",
             "-nographic", "-kernel", args.kernel, "-initrd", args.image, "-append", cmdline,
             "-device", "isa-debug-exit", "-d", "in_asm,exec,nochain", "-D", log],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        sizes = {}
        counts = collections.Counter()
        current = None
        with open(log, errors="replace") as f:
            for line in f:
                if line.startswith("IN:"):
                    current = None
                    continue
                m = re.match(r"0x([0-9a-f]+):\s", line)
                if m:
                    pc = int(m.group(1), 16)
                    if current is None:
                        current = pc
                        sizes[current] = 0
                    sizes[current] += 1
                    continue
                if not line.strip():
                    current = None
                    continue
                m = re.match(r"Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/", line)
                if m:
                    pc = int(m.group(1), 16)
                    counts[pc] += sizes.get(pc, 1)

    addrs, names = symbols(args.kernel)
    per_symbol = collections.Counter()
    kernel_total = user_total = firmware_total = 0
    for pc, n in counts.items():
        if pc >= 0xFFFF800000000000 or 0x200000 <= pc < 0x400000:
            kernel_total += n
            i = bisect.bisect_right(addrs, pc) - 1
            per_symbol[names[i] if i >= 0 else hex(pc)] += n
        elif pc < 0x100000 or pc >= 0xF0000000 and pc < 0x100000000:
            firmware_total += n
        else:
            user_total += n
    print(f"kernel (CPL0) instructions: {kernel_total}")
    print(f"application instructions:   {user_total}")
    print(f"firmware instructions:      {firmware_total}")
    print()
    for name, n in per_symbol.most_common(args.top):
        print(f"{n:8d}  {100.0 * n / kernel_total:5.1f}%  {name}")


if __name__ == "__main__":
    sys.exit(main())
