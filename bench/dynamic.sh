#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Dynamically linked programs (docs/benchmarks.md, "Dynamic programs"):
#  1. Start to exit inside wisp vs natively (hyperfine, cached images): `python3 -c pass`,
#     `lua5.4 -e ''`, a glibc PIE hello and a musl dynamic hello; the ratios wisp/native.
#  2. The python3 image: cold build (empty cache) and cache hit, and its size.
#  3. Host memory of N idle python3 instances (default 20): the monitors' summed RSS and PSS
#     (/proc/PID/smaps_rollup) and how much of that is the shared image file.
#
# --kernel PATH runs another kernel (e.g. one built from an earlier commit, for before/after).
#
#   bench/dynamic.sh [--build build] [--kernel PATH] [--runs 10] [--idle 20] [--skip-idle]
set -euo pipefail
build=build runs=10 idle=20 skip_idle=0 kernel=
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --idle) idle="$2"; shift 2 ;;
    --skip-idle) skip_idle=1; shift ;;
    --kernel) kernel="$2"; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--kernel PATH] [--runs N] [--idle N] [--skip-idle]" >&2; exit 2 ;;
    esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
wisp="$root/$build/bin/wisp"
run="$wisp run${kernel:+ --kernel $(realpath "$kernel")}"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -o "$work/hello.glibc-dyn" "$root/tests/guest/hello.c"
musl-gcc -O2 -o "$work/hello.musl-dyn" "$root/tests/guest/hello.c"
# Warm the image cache so that (1) measures running, not building.
for cmd in "/usr/bin/python3 -c pass" "/usr/bin/lua5.4 -e ''" "$work/hello.glibc-dyn" \
    "$work/hello.musl-dyn"; do
    eval "$run $cmd" >/dev/null 2>&1
done

echo "== 1. start to exit (hyperfine, $runs runs)"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/start.json" \
    "/usr/bin/python3 -c pass" "$run /usr/bin/python3 -c pass" \
    "/usr/bin/lua5.4 -e ''" "$run /usr/bin/lua5.4 -e ''" \
    "$work/hello.glibc-dyn" "$run $work/hello.glibc-dyn" \
    "$work/hello.musl-dyn" "$run $work/hello.musl-dyn" >/dev/null 2>&1
python3 - "$work/start.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
names = ["python3 -c pass", "lua5.4 -e ''", "hello (glibc, PIE)", "hello (musl, dynamic)"]
print(f"{'program':24} {'native ms':>10} {'wisp ms':>10} {'ratio':>7}")
for i, name in enumerate(names):
    native, inside = r[2 * i]["median"] * 1e3, r[2 * i + 1]["median"] * 1e3
    print(f"{name:24} {native:10.1f} {inside:10.1f} {inside / native:7.1f}")
PY
echo "   (wisp run --timings of python3 -c pass, guest side:)"
$run --timings /usr/bin/python3 -c pass 2>&1 | grep -E "^  (app|exit|image build)" || true

echo "== 2. python3 image: cold build and cache hit"
# Cold: `wisp build -o` (always builds) with an empty cache, so file digests are computed too.
# Hit: the "image build/cache" row of `wisp run --timings` (resolve, hash, one stat).
hyperfine -N --runs 3 --prepare "rm -rf $work/cache" --export-json "$work/cold.json" \
    "env XDG_CACHE_HOME=$work/cache $wisp build -o $work/py.img /usr/bin/python3" >/dev/null 2>&1
for i in 1 2 3 4 5; do
    $run --timings /usr/bin/python3 -c pass 2>&1 | awk '/image build\/cache/ {print $3}'
done >"$work/hit.txt"
python3 - "$work/cold.json" "$work/hit.txt" "$work/py.img" <<'PY'
import json, os, statistics, sys
cold = json.load(open(sys.argv[1]))["results"][0]["median"]
hit = statistics.median(float(x) for x in open(sys.argv[2]).read().split())
print(f"cold build {cold * 1e3:.0f} ms (wisp build -o), cache hit {hit:.0f} ms (wisp run), "
      f"image {os.path.getsize(sys.argv[3]) / 2**20:.1f} MiB")
PY

[ "$skip_idle" = 1 ] && exit 0
echo "== 3. $idle idle python3 instances"
for i in $(seq "$idle"); do
    $run /usr/bin/python3 -c 'import time; print("up", flush=True); time.sleep(600)' \
        >"$work/idle.$i" 2>/dev/null &
    pids+=($!)
done
for _ in $(seq 600); do
    up=$(cat "$work"/idle.* 2>/dev/null | grep -c up || true)
    [ "$up" -ge "$idle" ] && break
    sleep 1
done
python3 - "${pids[@]}" <<'PY'
import sys
fields = {}
for pid in sys.argv[1:]:
    for line in open(f"/proc/{pid}/smaps_rollup"):
        parts = line.split()
        if len(parts) >= 3 and parts[2] == "kB":
            fields[parts[0].rstrip(":")] = fields.get(parts[0].rstrip(":"), 0) + int(parts[1])
    image_rss = image_pss = 0
    current = None
    for line in open(f"/proc/{pid}/smaps"):
        if not line[0].isupper() or ":" not in line.split()[0]:
            current = line.split()[-1] if len(line.split()) >= 6 else ""
        elif current and current.endswith(".erofs"):
            key, value = line.split()[0].rstrip(":"), line.split()[1]
            if key == "Rss": image_rss += int(value)
            if key == "Pss": image_pss += int(value)
    fields["image Rss"] = fields.get("image Rss", 0) + image_rss
    fields["image Pss"] = fields.get("image Pss", 0) + image_pss
n = len(sys.argv) - 1
print(f"{n} instances: RSS {fields['Rss'] / 1024:.0f} MiB, PSS {fields['Pss'] / 1024:.0f} MiB "
      f"(per instance: RSS {fields['Rss'] / 1024 / n:.1f} MiB, PSS {fields['Pss'] / 1024 / n:.1f} MiB); "
      f"image pages: RSS {fields['image Rss'] / 1024:.0f} MiB, PSS {fields['image Pss'] / 1024:.0f} MiB")
PY
