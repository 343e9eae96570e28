#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Expectation test: runs COMMAND and checks its exit status, and that its stderr matches a regex
# (grep -E). With --one-line, stderr must be exactly one line starting with "wisp: " (the CLI's
# error contract). With --needs-kvm, exits 77 (ctest SKIP_RETURN_CODE) when /dev/kvm is missing.
#
#   expect.sh --status N [--stderr REGEX] [--stdout REGEX] [--one-line] [--needs-kvm] [--stdin FILE]
#             -- COMMAND [ARGS...]
set -uo pipefail

status="" stderr_re="" stdout_re="" one_line=0 needs_kvm=0 stdin=/dev/null
while [ $# -gt 0 ]; do
    case "$1" in
    --status) status="$2"; shift 2 ;;
    --stderr) stderr_re="$2"; shift 2 ;;
    --stdout) stdout_re="$2"; shift 2 ;;
    --one-line) one_line=1; shift ;;
    --needs-kvm) needs_kvm=1; shift ;;
    --stdin) stdin="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "expect.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ -z "$status" ] || [ $# -lt 1 ]; then
    echo "usage: expect.sh --status N [options] -- COMMAND [ARGS...]" >&2
    exit 2
fi
if [ "$needs_kvm" = 1 ] && { ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; }; then
    echo "SKIP: /dev/kvm is not available (VM tests need KVM)"
    exit 77
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$@" <"$stdin" >"$work/out" 2>"$work/err"
got=$?

failed=0
if [ "$got" != "$status" ]; then
    echo "exit status: expected $status, got $got"
    failed=1
fi
if [ -n "$stderr_re" ] && ! grep -Eq -- "$stderr_re" "$work/err"; then
    echo "stderr does not match: $stderr_re"
    failed=1
fi
if [ -n "$stdout_re" ] && ! grep -Eq -- "$stdout_re" "$work/out"; then
    echo "stdout does not match: $stdout_re"
    failed=1
fi
if [ "$one_line" = 1 ]; then
    if [ "$(wc -l <"$work/err")" != 1 ] || ! head -n1 "$work/err" | grep -q '^wisp: '; then
        echo "stderr is not one line starting with 'wisp: '"
        failed=1
    fi
fi
if [ "$failed" = 1 ]; then
    echo "--- command: $*"
    echo "--- stdout:"; head -c 4000 "$work/out"
    echo "--- stderr:"; head -c 4000 "$work/err"
    exit 1
fi
echo "ok: status $got; stderr: $(head -c 300 "$work/err")"
