#!/bin/sh
# scripts/fuzz.sh BUILD_DIR SECONDS - run each libFuzzer harness on a copy of its corpus.
# New interesting inputs land in build/fuzz/corpus-new/<target>; copy the ones that
# found bugs into fuzz/corpus/<target>/ so that `make check` replays them.
set -eu
B=$1
SECS=$2
for f in "$B"/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    t=$(basename "$f" | sed 's/^fuzz_//')
    mkdir -p "$B/corpus-new/$t"
    echo "== fuzz $t for ${SECS}s"
    "$f" -max_total_time="$SECS" -max_len=65536 "$B/corpus-new/$t" "fuzz/corpus/$t"
done
