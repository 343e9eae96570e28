#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One busybox case (a line of cases.txt): /bin/busybox with the case's arguments, natively and
# inside wisp, compared by tests/vm/diff.sh.
#   run.sh --diff DIFF_SH --wisp PATH --hypervisor H --fixture DIR --scratch DIR
#          --cases FILE --case NAME
# The case's line is `NAME [+FLAG]... WORDS`: +sort and +stderr become diff.sh options, +stdin
# gives both sides words.txt on standard input (+qemu is for CMake), WORDS are shell words (bash syntax: diff.sh evaluates them). In WORDS, @D@
# stands for the fixture tree (make_fixture.sh) and @T@ for a scratch directory under /tmp
# that the case may write into, holding w.txt (a copy of words.txt). Both exist natively and,
# through `wisp run --file`, at the same paths inside the guest. The scratch directory is made
# afresh for each run and removed afterwards.
set -uo pipefail
diff_sh="" wisp="" hypervisor=wisp fixture="" scratch="" cases="" case=""
flags=()
while [ $# -gt 0 ]; do
    case "$1" in
    --diff) diff_sh="$2"; shift 2 ;;
    --wisp) wisp="$2"; shift 2 ;;
    --hypervisor) hypervisor="$2"; shift 2 ;;
    --fixture) fixture="$2"; shift 2 ;;
    --scratch) scratch="$2"; shift 2 ;;
    --cases) cases="$2"; shift 2 ;;
    --case) case="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if ! [ -d "$fixture" ]; then
    echo "run.sh: fixture $fixture missing (build the busybox-fixture target)" >&2
    exit 2
fi
line="$(grep -m1 -E "^$case[[:space:]]" "$cases")"
if [ -z "$line" ]; then
    echo "run.sh: no case $case in $cases" >&2
    exit 2
fi
line="${line#"$case"}"
line="${line#"${line%%[![:space:]]*}"}"
while [[ "$line" =~ ^\+([a-z]+)[[:space:]]+ ]]; do
    case "${BASH_REMATCH[1]}" in
    qemu) ;;
    stdin) flags+=(--stdin "$fixture/words.txt") ;; # the host's stdin reaches the app
    *) flags+=("--${BASH_REMATCH[1]}") ;;
    esac
    line="${line:${#BASH_REMATCH[0]}}"
done

empty="$scratch.empty"
rm -rf "$scratch" "$empty"
mkdir -p "$scratch" "$empty"
# Seed files a case may modify (busybox sh cannot copy them itself without fork).
for dir in "$scratch" "$empty"; do
    cp -p "$fixture/words.txt" "$dir/w.txt"
done
trap 'rm -rf "$scratch" "$empty"' EXIT
line="${line//@D@/$fixture}"
line="${line//@T@/$scratch}"
# The native side runs first and writes into $scratch; the guest gets a directory that keeps
# the seed only, at the same path (so the image, and its cache key, is the same on every run).
"$diff_sh" --wisp "$wisp" --hypervisor "$hypervisor" "${flags[@]}" \
    --wisp-arg --file --wisp-arg "$fixture" --wisp-arg --file --wisp-arg "$empty:$scratch" \
    --line "$line" /bin/busybox
