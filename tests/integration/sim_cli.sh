#!/bin/bash
# sim_cli.sh - `truceline simulate`: usage errors, the files it writes, byte-identical
# output for the same arguments, records that parse, the mirror mission that validates.
set -u
fail=0
check() { # check NAME EXPECTED_RC ACTUAL_RC
    if [ "$2" != "$3" ]; then echo "FAIL $1: exit $3, want $2"; fail=1; else echo "ok   $1"; fi
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
M="$TL_SOURCE_DIR/examples/demo/mission.geojson"

"$TL" simulate >/dev/null 2>&1; check "no arguments" 2 $?
"$TL" simulate --mission "$M" --preset stormy --out "$T/x" >/dev/null 2>&1; check "unknown preset" 2 $?
"$TL" simulate --mission "$M" --preset calm --hours 0 --out "$T/x" >/dev/null 2>&1; check "hours 0" 2 $?
"$TL" simulate --mission "$M" --preset calm --start 2026-03-01 --out "$T/x" >/dev/null 2>&1; check "bad start" 2 $?
"$TL" simulate --mission "$M" --preset calm --seed -3 --out "$T/x" >/dev/null 2>&1; check "bad seed" 2 $?
"$TL" simulate --mission /nonexistent --preset calm --out "$T/x" >/dev/null 2>&1; check "missing mission" 1 $?

for p in calm faulty mirror; do
    "$TL" simulate --mission "$M" --preset $p --seed 9 --start 2026-03-02T17:00:00Z --hours 2 \
        --out "$T/$p.a" >"$T/out" 2>&1; check "simulate $p" 0 $?
    "$TL" simulate --mission "$M" --preset $p --seed 9 --start 2026-03-02T17:00:00Z --hours 2 \
        --quiet --out "$T/$p.b" >/dev/null 2>&1; check "simulate $p again" 0 $?
    for f in records.jsonl truth.jsonl mission.geojson scenario.json; do
        [ -s "$T/$p.a/$f" ] || { echo "FAIL $p: no $f"; fail=1; }
        cmp -s "$T/$p.a/$f" "$T/$p.b/$f" || { echo "FAIL $p: $f differs between runs"; fail=1; }
    done
    "$TL" mission check "$T/$p.a/mission.geojson" >"$T/check" 2>&1; check "$p mission.geojson valid" 0 $?
    # every truth pick line names a pick that was sent
    n_truth=$(grep -c '"type":"pick"' "$T/$p.a/truth.jsonl")
    n_found=$(grep '"type":"pick"' "$T/$p.a/truth.jsonl" | sed 's/.*"id":"\([^"]*\)".*/\1/' | sort -u |
        join - <(grep '"type":"pick"' "$T/$p.a/records.jsonl" | sed 's/.*"id":"\([^"]*\)".*/\1/' | sort -u) | wc -l)
    [ "$n_truth" -gt 0 ] && [ "$n_truth" = "$n_found" ] ||
        { echo "FAIL $p: $n_found of $n_truth truth picks in records"; fail=1; }
done
grep -q "0 with arrays" "$T/check" || { echo "FAIL mirror mission keeps arrays"; fail=1; }
grep -q '"baz_deg"' "$T/mirror.a/records.jsonl" && { echo "FAIL mirror picks carry bearings"; fail=1; }
grep -q '"baz_deg"' "$T/calm.a/records.jsonl" || { echo "FAIL calm picks carry no bearings"; fail=1; }
grep -q '"shock":true' "$T/faulty.a/records.jsonl" || { echo "FAIL no shock cues"; fail=1; }
grep -q '"fault":"clock_offset"' "$T/faulty.a/truth.jsonl" || { echo "FAIL no clock fault"; fail=1; }
"$TL" simulate --mission "$M" --preset calm --seed 10 --hours 2 --quiet --out "$T/c10" >/dev/null 2>&1
cmp -s "$T/calm.a/records.jsonl" "$T/c10/records.jsonl" && { echo "FAIL another seed, same records"; fail=1; }
exit $fail
