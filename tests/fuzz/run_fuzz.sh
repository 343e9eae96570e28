#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs one fuzz target for SECONDS from its (generated) seed corpus; new interesting inputs
# are kept in the corpus directory between runs. Crashes fail the test and leave the input
# as crash-* in the corpus directory.
#   run_fuzz.sh BIN_DIR TARGET CORPUS_ROOT SECONDS
set -euo pipefail
bin=$(cd "$1" && pwd) target=$2 root=$3 seconds=$4
"$bin/fuzz_seeds" "$root"
mkdir -p "$root/$target"
cd "$root"
exec "$bin/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$root/$target/" "$root/$target"
