#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Network stack benchmarks. Prints a Markdown table of:
#   - bulk TCP throughput between two wisp stacks in one process (in-memory link)
#   - instructions per received data segment, per sent segment and per received ACK on the
#     fast path, counted exactly by valgrind's callgrind (host build, same code as the kernel)
#   - throughput against Linux's TCP over a TAP device in a private network namespace (root
#     only), both directions, clean and with 1% injected loss
#   bench/net/run.sh [BUILD_DIR]     (default: build; needs wisp-netstack-bench,
#                                     wisp-netstack-tap, wisp-net-linux-client built)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
bin=$build/bin
bench=$bin/wisp-netstack-bench

echo "| measurement | result |"
echo "|---|---|"
out=$("$bench" throughput 2000000000) && echo "| in-memory, 2 stacks, 1 core: bulk TCP | ${out#throughput: } |"

if command -v valgrind >/dev/null; then
    for mode in rx tx ack; do
        n=4000
        file=$(mktemp)
        valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$file" "$bench" "$mode" $n >/dev/null 2>"$file.log"
        ir=$(grep -oP 'Collected : \K[0-9]+' "$file.log")
        case $mode in
        rx) per=$((ir / n)); what="instructions per received 1448-byte segment (incl. ACK every 2nd)" ;;
        tx) per=$((ir / n)); what="instructions per sent 1448-byte segment (send() to NIC)" ;;
        ack) per=$((ir / (n / 2))); what="instructions per received ACK (frees 2 segments)" ;;
        esac
        echo "| $what | $per |"
        rm -f "$file" "$file.log"
    done
fi

if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ] || [ ! -x "$bin/wisp-netstack-tap" ]; then
    echo "| against Linux over TAP | skipped (needs root, /dev/net/tun and wisp-netstack-tap) |"
    exit 0
fi
ns=wispbench$$
tap=wbtap$$
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
start() {
    "$bin/wisp-netstack-tap" --netns "$ns" --tap "$tap" --ip 10.0.0.2/24 "$@" 2>/dev/null &
    pid=$!
    for _ in $(seq 100); do ip -n "$ns" link show "$tap" >/dev/null 2>&1 && break; sleep 0.05; done
    ip -n "$ns" addr add 10.0.0.1/24 dev "$tap"
    ip -n "$ns" link set "$tap" up
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; pid=""; }
client() { timeout 300 ip netns exec "$ns" "$bin/wisp-net-linux-client" "$@"; }
rate() { sed -n 's/.*= \(.*\)$/\1/p'; }
for loss in 0 0.01; do
    if [ "$loss" = 0 ]; then start; label="clean"; else start --loss "$loss" --seed 1; label="1% loss each way"; fi
    size=200000000
    [ "$loss" = 0 ] || size=20000000
    echo "| TAP, $label: Linux -> wisp (discard) | $(client discard 10.0.0.2 9 $size | rate) |"
    echo "| TAP, $label: wisp -> Linux (HTTP GET) | $(client http 10.0.0.2 80 $size | rate) |"
    echo "| TAP, $label: echo both ways | $(client echo 10.0.0.2 7 $((size / 4)) | rate) |"
    stop
done
