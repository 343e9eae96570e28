#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ctrl-C: starts `wisp run [--hypervisor H] PROGRAM ARGS` with stdin on a fifo this script keeps
# open (so a read of stdin blocks), waits for the program to print "ready", sends SIGINT to the
# wisp process by its PID, and checks the exit status and that stdout matches a regex.
#
#   sigint.sh --wisp PATH [--hypervisor H] --status N --stdout REGEX PROGRAM [ARGS...]
set -uo pipefail
wisp="" hypervisor=wisp status="" pattern=""
while [ $# -gt 0 ]; do
    case "$1" in
    --wisp) wisp="$2"; shift 2 ;;
    --hypervisor) hypervisor="$2"; shift 2 ;;
    --status) status="$2"; shift 2 ;;
    --stdout) pattern="$2"; shift 2 ;;
    *) break ;;
    esac
done
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is not available (VM tests need KVM)"
    exit 77
fi
work="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
mkfifo "$work/in"
exec 3<>"$work/in" # held open: the program's stdin never ends by itself
"$wisp" run --hypervisor "$hypervisor" "$@" <"$work/in" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 300); do
    grep -q '^ready$' "$work/out" 2>/dev/null && break
    sleep 0.1
done
if ! grep -q '^ready$' "$work/out"; then
    echo "FAIL: the program never printed ready"
    cat "$work/out" "$work/err"
    exit 1
fi
sleep 0.2 # into the blocking read (or the busy loop)
kill -INT "$pid"
actual=0
for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    echo "FAIL: still running 10 s after SIGINT"
    cat "$work/out" "$work/err"
    exit 1
fi
wait "$pid"
actual=$?
pid=""
failed=0
if [ "$actual" != "$status" ]; then
    echo "FAIL: exit status $actual, expected $status"
    failed=1
fi
if ! grep -Eq -- "$pattern" "$work/out"; then
    echo "FAIL: stdout does not match $pattern"
    failed=1
fi
if [ "$failed" = 1 ]; then
    echo "--- stdout:"; cat "$work/out"; echo "--- stderr:"; cat "$work/err"
    exit 1
fi
echo "ok: $* -> status $actual"
