#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks the linked vDSO: it is mapped as is, with no loader to apply relocations, and every
# reader (glibc, musl, Go) finds its symbols through PT_DYNAMIC, DT_HASH/DT_GNU_HASH and the
# LINUX_2.6 version definition.
set -eu
so="$1"
fail() { echo "check_vdso.sh: $so: $*" >&2; rm -f "$so"; exit 1; }
readelf -rW "$so" | grep -q "There are no relocations" || fail "has relocations"
readelf -lW "$so" | grep -q " DYNAMIC " || fail "no PT_DYNAMIC"
[ "$(readelf -lW "$so" | grep -c " LOAD ")" = 1 ] || fail "not exactly one PT_LOAD"
dynamic="$(readelf -dW "$so")"
for tag in HASH GNU_HASH SYMTAB STRTAB VERSYM VERDEF; do
    echo "$dynamic" | grep -q "($tag)" || fail "no DT_$tag"
done
syms="$(readelf --dyn-syms -W "$so")"
for name in clock_gettime gettimeofday time clock_getres getcpu; do
    echo "$syms" | grep -q " __vdso_$name@@LINUX_2.6\$" || fail "no __vdso_$name@LINUX_2.6"
done
