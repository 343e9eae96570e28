#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Long fuzzing run of every network fuzz target (ctest runs them only for seconds).
#   bench/net/fuzz_long.sh [BUILD_DIR] [SECONDS_PER_TARGET]   (default: build, 600)
# The corpus is kept in BUILD_DIR/fuzz-corpus; crashes are left there as crash-*.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
seconds=${2:-600}
status=0
for target in frame ipv4 tcp parsers; do
    echo "== fuzz_$target for ${seconds}s"
    "$here/../../tests/fuzz/run_fuzz.sh" "$build/bin/fuzz" "$target" "$build/fuzz-corpus" "$seconds" \
        2>&1 | grep -E "^#[0-9]+[[:space:]]+DONE|ERROR|SUMMARY|crash-" || status=1
done
exit $status
