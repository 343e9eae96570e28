#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boot-to-exit of a static hello: natively, in a wisp VM (wisp monitor) and in a wisp VM on
# QEMU, measured side by side with hyperfine. Prints a markdown table (median of repeated runs
# and the ratio to native) on stdout, for docs/benchmarks.md.
#   bench/boot.sh [--runs N] [--build DIR] [--no-qemu]
set -euo pipefail
cd "$(dirname "$0")/.."

runs=30 build=build qemu=1
command_line="bench/boot.sh $*"
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --no-qemu) qemu=0; shift ;;
    *) echo "usage: bench/boot.sh [--runs N] [--build DIR] [--no-qemu]" >&2; exit 2 ;;
    esac
done

wisp="$build/bin/wisp"
hello="$build/tests/guest/hello.musl"
for tool in hyperfine jq; do
    command -v "$tool" >/dev/null || { echo "boot.sh: $tool is missing (scripts/setup.sh)" >&2; exit 1; }
done
[ -x "$wisp" ] && [ -x "$hello" ] || { echo "boot.sh: build first (make): need $wisp and $hello" >&2; exit 1; }
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    echo "boot.sh: /dev/kvm is not available; nothing to measure" >&2
    exit 1
fi

# name|command, in table order; the first is the baseline.
cases=("native|$hello" "wisp|$wisp run $hello")
[ "$qemu" = 1 ] && cases+=("wisp on QEMU|$wisp run --hypervisor qemu $hello")

# Each command must work before it is timed (hyperfine would stop at the first failure anyway,
# with a less helpful message); this also fills the image cache.
for c in "${cases[@]}"; do
    cmd="${c#*|}"
    if ! out=$($cmd 2>&1 >/dev/null); then
        echo "boot.sh: '$cmd' failed:" >&2
        echo "$out" >&2
        exit 1
    fi
done

json="$(mktemp)"
trap 'rm -f "$json"' EXIT
hyperfine_args=(--shell=none --warmup 3 --runs "$runs" --export-json "$json" --style none)
for c in "${cases[@]}"; do hyperfine_args+=(--command-name "${c%%|*}" "${c#*|}"); done
hyperfine "${hyperfine_args[@]}" >/dev/null

echo "Boot to exit of \`$hello\` (static musl hello), median of $runs runs ($(date -u +%Y-%m-%d), $(uname -r)):"
echo
echo "| run | median (ms) | mean ± σ (ms) | min (ms) | ratio to native |"
echo "|---|---:|---:|---:|---:|"
jq -r '
  (.results[0].median) as $base
  | .results[]
  | "| \(.command) | \(.median * 1000 * 100 | round / 100) | \(.mean * 1000 * 100 | round / 100) ± \(.stddev * 1000 * 100 | round / 100) | \(.min * 1000 * 100 | round / 100) | \(.median / $base * 10 | round / 10)× |"
' "$json"
echo
echo "Command: \`${command_line% }\`"
