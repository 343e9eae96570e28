#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# wisp's TCP/IP stack against Linux's TCP: runs wisp-netstack-tap on a TAP device in a
# network namespace this script creates, and talks to it from Linux inside that namespace
# with curl and wisp-net-linux-client (large transfers both ways, with and without loss
# injected by the tool). Only addresses inside the private namespace are used.
#   tap_test.sh TOOL CLIENT
# Exit 77 (ctest: skipped) without root or /dev/net/tun. Always removes the namespace and
# stops the processes it started.
set -uo pipefail

TOOL=${1:?usage: tap_test.sh TOOL CLIENT}
CLIENT=${2:?usage: tap_test.sh TOOL CLIENT}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to create a network namespace and a TAP device"
[ -c /dev/net/tun ] || skip "no /dev/net/tun (TAP devices unavailable)"
command -v ip >/dev/null || skip "iproute2 (ip) not installed"
command -v curl >/dev/null || skip "curl not installed"

NS="wispnet$$"
TAP="wtap$$"
LOG=$(mktemp)
TOOL_PID=""
FAILURES=0

cleanup() {
    if [ -n "$TOOL_PID" ]; then
        kill "$TOOL_PID" 2>/dev/null
        wait "$TOOL_PID" 2>/dev/null
    fi
    ip netns del "$NS" 2>/dev/null
    rm -f "$LOG"
}
trap cleanup EXIT

ip netns add "$NS" || skip "cannot create network namespace $NS"
ip -n "$NS" link set lo up

start_tool() {
    "$TOOL" --netns "$NS" --tap "$TAP" --ip 10.0.0.2/24 "$@" 2>>"$LOG" &
    TOOL_PID=$!
    for _ in $(seq 100); do
        ip -n "$NS" link show "$TAP" >/dev/null 2>&1 && break
        kill -0 "$TOOL_PID" 2>/dev/null || { cat "$LOG"; echo "FAIL: tool exited"; exit 1; }
        sleep 0.05
    done
    ip -n "$NS" addr add 10.0.0.1/24 dev "$TAP"
    ip -n "$NS" link set "$TAP" up
}

stop_tool() {
    kill "$TOOL_PID" 2>/dev/null
    wait "$TOOL_PID" 2>/dev/null
    TOOL_PID=""
    tail -1 "$LOG"
}

in_ns() { timeout 120 ip netns exec "$NS" "$@"; }

check() {
    local name=$1
    shift
    local out
    if out=$("$@" 2>&1); then
        echo "ok   $name: $out"
    else
        echo "FAIL $name: $out"
        FAILURES=$((FAILURES + 1))
    fi
}

pattern() { # the first N bytes of the tool's HTTP pattern
    local alphabet=0123456789abcdefghijklmnopqrstuvwxyz s="" i
    for ((i = 0; i < $1; i++)); do s+=${alphabet:i%36:1}; done
    printf '%s' "$s"
}

curl_small() {
    local body
    body=$(in_ns curl -sS --max-time 20 http://10.0.0.2/100) || return 1
    [ "$body" = "$(pattern 100)" ] || { echo "body mismatch: $body"; return 1; }
    echo "100-byte body matches"
}

curl_large() {
    local size
    size=$(in_ns curl -sS --max-time 60 -o /dev/null -w '%{size_download} bytes at %{speed_download} B/s' http://10.0.0.2/"$1") || return 1
    case "$size" in "$1 bytes"*) echo "$size" ;; *) echo "got $size"; return 1 ;; esac
}

parallel_echo() {
    local pids=() rc=0
    for _ in 1 2 3 4; do
        in_ns "$CLIENT" echo 10.0.0.2 7 "$1" >/dev/null &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    [ $rc -eq 0 ] && echo "4 parallel echo connections of $1 bytes verified"
    return $rc
}

echo "== clean link"
start_tool
check "curl small" curl_small
check "curl 10 MB" curl_large 10000000
check "http 20 MB (verified)" in_ns "$CLIENT" http 10.0.0.2 80 20000000
check "echo 8 MB both ways" in_ns "$CLIENT" echo 10.0.0.2 7 8000000
check "discard 20 MB" in_ns "$CLIENT" discard 10.0.0.2 9 20000000
check "parallel echo" parallel_echo 2000000
check "udp echo" in_ns "$CLIENT" udp-echo 10.0.0.2 7 50
stop_tool

echo "== 5% loss each way (injected by the tool, seed 1)"
start_tool --loss 0.05 --seed 1
check "curl small (loss)" curl_small
check "http 10 MB (loss)" in_ns "$CLIENT" http 10.0.0.2 80 10000000
check "echo 5 MB both ways (loss)" in_ns "$CLIENT" echo 10.0.0.2 7 5000000
check "discard 10 MB (loss)" in_ns "$CLIENT" discard 10.0.0.2 9 10000000
stop_tool

if [ "$FAILURES" -ne 0 ]; then
    echo "$FAILURES check(s) failed; tool log:"
    cat "$LOG"
    exit 1
fi
echo "all checks passed"
