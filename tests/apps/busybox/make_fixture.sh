#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the busybox tests' input tree: data/ copied to OUT plus generated files (symlinks, a
# 1 MiB file, a gzip file, a tar archive, a checksum list), modes set explicitly and every time
# set to the epoch, which is what the image builder gives every file (mkfs.erofs -T0). Both
# sides of each test read this tree: natively at OUT, inside wisp through `--file OUT` at the
# same path.
#   make_fixture.sh DATA_DIR OUT
set -euo pipefail
data="$1" out="$2"
rm -rf "$out"
mkdir -p "$out"
cp -R "$data"/. "$out"/
find "$out" -type d -exec chmod 0755 {} +
find "$out" -type f -exec chmod 0644 {} +
chmod 0755 "$out/tree/run.sh"
chmod 0600 "$out/tree/secret"
ln -s a.txt "$out/tree/link"
ln -s ../a.txt "$out/tree/sub/up"
ln -s nowhere "$out/tree/sub/dangling"
ln -s loop2 "$out/tree/loop1"
ln -s loop1 "$out/tree/loop2"
seq 1 150000 >"$out/big.txt"
gzip -n -c "$out/words.txt" >"$out/words.gz"
# Entries in a fixed order with fixed owners and times, so the archive is the same bytes
# every build.
(cd "$out" && find tree -print0 | LC_ALL=C sort -z |
    tar --null --no-recursion --owner=0 --group=0 --numeric-owner --mtime=@0 \
        --format=ustar -cf "$out/tree.tar" -T -)
(cd "$out" && sha256sum words.txt table.csv big.txt >"$out/sums.sha256")
find "$out" -exec touch -h -d @0 {} +
