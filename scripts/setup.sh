#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages wisp needs to build and test, when missing.
#   scripts/setup.sh              install what is missing
#   scripts/setup.sh --deps-only  same (kept for the Makefile; quiet when nothing is missing)
set -euo pipefail

packages=(
    # build
    cmake ninja-build g++ make binutils clang lld llvm libclang-rt-14-dev
    libcli11-dev libfmt-dev nlohmann-json3-dev libslirp-dev libseccomp-dev
    libgtest-dev libgmock-dev
    # images and guests
    erofs-utils musl-tools qemu-system-x86
    # tests and benchmarks
    busybox-static hyperfine jq iproute2 curl valgrind
    # dynamic programs run unchanged (issue 5)
    lua5.4 sqlite3 python3 libpython3.11-testsuite
    # the Go runtime on wisp (issue 4)
    golang-go
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
