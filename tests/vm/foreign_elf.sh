#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# foreign_elf.sh IN OUT MACHINE: copies the ELF IN to OUT with e_machine (bytes 18..19, little
# endian) set to MACHINE, e.g. 183 (EM_AARCH64), for the wrong-architecture CLI test.
set -euo pipefail
in="$1" out="$2" machine="$3"
cp "$in" "$out.tmp"
printf "$(printf '\\%03o\\%03o' $((machine & 255)) $((machine >> 8)))" |
    dd of="$out.tmp" bs=1 seek=18 conv=notrunc status=none
mv "$out.tmp" "$out"
