#!/bin/sh
# scripts/bench.sh BUILD_DIR - run every benchmark program and print its figures.
set -eu
B=$1
for b in "$B"/bench/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b"
done
