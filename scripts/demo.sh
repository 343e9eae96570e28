#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's demo (`make demo`): builds a static hello with musl and runs it in a wisp VM.
#   BUILD=build scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD:-build}"
demo="$build/demo"
mkdir -p "$demo"

cat >"$demo/hello.c" <<'C'
#include <stdio.h>

int main(int argc, char** argv) {
    printf("Hello");
    for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
    printf("! (argv[0] = %s)\n", argv[0]);
    return 0;
}
C
musl-gcc -static -O2 -o "$demo/hello" "$demo/hello.c"

echo "+ $build/bin/wisp run $demo/hello from wisp" >&2
exec "$build/bin/wisp" run "$demo/hello" from wisp
