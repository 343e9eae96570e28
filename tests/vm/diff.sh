#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Differential test: runs PROGRAM natively and inside wisp with the same arguments, environment
# and stdin, and compares stdout and the exit status (and stderr with --stderr). On a mismatch
# prints a unified diff and exits 1. Exits 77 (ctest SKIP_RETURN_CODE) when /dev/kvm is missing.
#
#   diff.sh --wisp PATH [--hypervisor wisp|qemu] [--stderr] [--stdin FILE] [--sort]
#           [-e NAME=VALUE]... [--wisp-arg ARG]... [--line 'SHELL WORDS'] PROGRAM [ARGS...]
#
# --wisp-arg passes ARG to `wisp run` before PROGRAM (e.g. `--file PATH` so the guest sees the
# native side's input files at the same path). --sort compares stdout (and stderr) sorted by
# line, for output whose order Linux leaves unspecified (readdir order differs between file
# systems: hashed on ext4, sorted by name on EROFS).
# --line takes one line of a tests/guest/NAME.args file: shell words, the leading NAME=VALUE
# ones setting environment variables, the rest appended to ARGS.
# The native side runs under `env -i` with the environment wisp gives every app (PATH, HOME;
# cli/options.h) plus the -e values, so both sides see the same environment.
set -uo pipefail

wisp="" hypervisor=wisp compare_stderr=0 stdin=/dev/null sort_output=0
env_vars=() extra_wisp_args=()
line=""
while [ $# -gt 0 ]; do
    case "$1" in
    --wisp) wisp="$2"; shift 2 ;;
    --hypervisor) hypervisor="$2"; shift 2 ;;
    --stderr) compare_stderr=1; shift ;;
    --stdin) stdin="$2"; shift 2 ;;
    --sort) sort_output=1; shift ;;
    --wisp-arg) extra_wisp_args+=("$2"); shift 2 ;;
    -e) env_vars+=("$2"); shift 2 ;;
    --line) line="$2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "diff.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ -z "$wisp" ] || [ $# -lt 1 ]; then
    echo "usage: diff.sh --wisp PATH [options] PROGRAM [ARGS...]" >&2
    exit 2
fi
program="$(realpath -s "$1")"
shift
args=("$@")
if [ -n "$line" ]; then
    eval "set -- $line"
    while [ $# -gt 0 ] && [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
        env_vars+=("$1")
        shift
    done
    args+=("$@")
fi

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is not available (VM tests need KVM)"
    exit 77
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Native: what Linux does. The shell reports a death by signal N as 128+N, like wisp run (the
# outer redirection silences bash's own "Segmentation fault" line).
{ env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/ "${env_vars[@]}" "$program" "${args[@]}" \
    <"$stdin" >"$work/native.out" 2>"$work/native.err"; } 2>/dev/null
native_status=$?

wisp_args=(run --hypervisor "$hypervisor")
for e in "${env_vars[@]}"; do wisp_args+=(-e "$e"); done
wisp_args+=("${extra_wisp_args[@]}")
"$wisp" "${wisp_args[@]}" "$program" "${args[@]}" <"$stdin" >"$work/wisp.out" 2>"$work/wisp.err"
wisp_status=$?
# The CLI's own notes about building the image ("wisp: note: ... not in the image") come only
# when the image is not cached yet: not the program's output.
grep -v '^wisp: note: ' "$work/wisp.err" >"$work/wisp.err.app" || true
mv "$work/wisp.err.app" "$work/wisp.err"

if [ "$sort_output" = 1 ]; then
    for f in native.out native.err wisp.out wisp.err; do
        LC_ALL=C sort "$work/$f" >"$work/$f.sorted" && mv "$work/$f.sorted" "$work/$f"
    done
fi

failed=0
if ! diff -u --label "stdout (native)" --label "stdout (wisp, $hypervisor)" \
    "$work/native.out" "$work/wisp.out"; then
    failed=1
fi
if [ "$compare_stderr" = 1 ] && ! diff -u --label "stderr (native)" \
    --label "stderr (wisp, $hypervisor)" "$work/native.err" "$work/wisp.err"; then
    failed=1
fi
if [ "$native_status" != "$wisp_status" ]; then
    echo "exit status: native $native_status, wisp $wisp_status"
    failed=1
fi
if [ "$failed" = 1 ]; then
    echo "--- command: $program ${args[*]} (env: ${env_vars[*]})"
    if [ "$compare_stderr" = 0 ] && [ -s "$work/wisp.err" ]; then
        echo "--- stderr (wisp, $hypervisor):"
        head -c 4000 "$work/wisp.err"
    fi
    exit 1
fi
echo "ok: $program ${args[*]}: status $wisp_status, $(wc -l <"$work/wisp.out") lines of stdout"
