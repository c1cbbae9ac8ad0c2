#!/bin/bash
# process_cli.sh - `truceline process` hands the tiles' learnt state from one run to the next
# (--learnt-out, --learnt-at, --learnt-in; docs/processing.md §1, docs/formats.md "Learnt
# state"), and reports a bad state file with its file and field.
set -uo pipefail
: "${TL:?TL must name the truceline binary}"
: "${TL_SOURCE_DIR:?}"
T=$(mktemp -d /tmp/tl_process_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
check() { [ "$2" = "$3" ] || { echo "FAIL $1: exit $3, want $2"; fail=1; }; }

"$TL" simulate --mission "$TL_SOURCE_DIR/examples/demo/mission.geojson" --preset faulty --hours 4 \
    --seed 5 --quiet --out "$T/sc" || exit 1
M="$T/sc/mission.geojson"
# two stretches: before and after 02:00 of the scenario's day
jq -c 'select(.time < "2026-03-01T02:00:00Z")' "$T/sc/records.jsonl" >"$T/a.jsonl"
jq -c 'select(.time >= "2026-03-01T02:00:00Z")' "$T/sc/records.jsonl" >"$T/b.jsonl"
[ -s "$T/a.jsonl" ] && [ -s "$T/b.jsonl" ] || { echo "FAIL the scenario does not start at 00:00"; exit 1; }

"$TL" process --mission "$M" --records "$T/a.jsonl" --out "$T/a.geojson" \
    --learnt-out "$T/a.learnt" 2>/dev/null; check "first stretch" 0 $?
jq -e '.type == "learnt" and .at == null and (.tiles | length) == 3
    and (.tiles | map(.events) | add) > 0' "$T/a.learnt" >/dev/null ||
    { echo "FAIL the first stretch's state: $(head -c 400 "$T/a.learnt")"; fail=1; }
"$TL" process --mission "$M" --records "$T/a.jsonl" --out "$T/a2.geojson" \
    --learnt-out "$T/a_mid.learnt" --learnt-at 2026-03-01T01:00:00Z 2>/dev/null
check "kept at 01:00" 0 $?
jq -e '.at == "2026-03-01T01:00:00Z"' "$T/a_mid.learnt" >/dev/null || { echo "FAIL at"; fail=1; }
# the second stretch starts from the first one's state: kept before its first block, the
# state it had is the one it was given
"$TL" process --mission "$M" --records "$T/b.jsonl" --out "$T/b.geojson" --learnt-in "$T/a.learnt" \
    --learnt-out "$T/b_start.learnt" --learnt-at 2026-03-01T01:00:00Z 2>/dev/null
check "second stretch from the first's state" 0 $?
[ "$(jq -c .tiles "$T/a.learnt")" = "$(jq -c .tiles "$T/b_start.learnt")" ] ||
    { echo "FAIL the second stretch did not start from the state it was given"; fail=1; }
cmp -s "$T/a.geojson" "$T/a2.geojson" || { echo "FAIL keeping the state changed the bulletin"; fail=1; }

# bad input: a clear message with the file and field, exit 3; usage errors exit 2
jq -c '.tiles[1].path_err_s_per_km = 0.5' "$T/a.learnt" >"$T/bad.learnt"
"$TL" process --mission "$M" --records "$T/b.jsonl" --out "$T/x.geojson" \
    --learnt-in "$T/bad.learnt" 2>"$T/err"; check "out of range" 3 $?
grep -q "bad.learnt: path_err_s_per_km: tile 1: out of range" "$T/err" || { echo "FAIL message: $(cat "$T/err")"; fail=1; }
jq -c '.tiles[0].path_sd_s_per_km = 0' "$T/a.learnt" >"$T/bad_sd.learnt"
"$TL" process --mission "$M" --records "$T/b.jsonl" --out "$T/x.geojson" \
    --learnt-in "$T/bad_sd.learnt" 2>"$T/err"; check "path_sd out of range" 3 $?
grep -q "bad_sd.learnt: path_sd_s_per_km: tile 0: out of range" "$T/err" || { echo "FAIL message: $(cat "$T/err")"; fail=1; }
# a state written before path_sd_s_per_km existed is read with its prior (4 ms/km)
jq -c 'del(.tiles[].path_sd_s_per_km)' "$T/a.learnt" >"$T/old.learnt"
"$TL" process --mission "$M" --records "$T/b.jsonl" --out "$T/x.geojson" --learnt-in "$T/old.learnt" \
    --learnt-out "$T/old_start.learnt" --learnt-at 2026-03-01T01:00:00Z 2>/dev/null
check "a state without path_sd_s_per_km" 0 $?
jq -e '[.tiles[].path_sd_s_per_km] | all(. == 0.004)' "$T/old_start.learnt" >/dev/null ||
    { echo "FAIL the old state's path_sd: $(jq -c '[.tiles[].path_sd_s_per_km]' "$T/old_start.learnt")"; fail=1; }
jq -c '.tiles = .tiles[0:2]' "$T/a.learnt" >"$T/two.learnt"
"$TL" process --mission "$M" --records "$T/b.jsonl" --out "$T/x.geojson" \
    --learnt-in "$T/two.learnt" 2>"$T/err"; check "wrong tile count" 3 $?
grep -q "two.learnt: tiles: 2, the mission's line makes 3" "$T/err" || { echo "FAIL message: $(cat "$T/err")"; fail=1; }
printf '{"type": "learnt", "tiles": [' >"$T/cut.learnt"
"$TL" process --mission "$M" --records "$T/b.jsonl" --out "$T/x.geojson" \
    --learnt-in "$T/cut.learnt" 2>"$T/err"; check "not JSON" 3 $?
grep -q "cut.learnt:1: not valid JSON" "$T/err" || { echo "FAIL message: $(cat "$T/err")"; fail=1; }
"$TL" process --mission "$M" --records "$T/b.jsonl" --out "$T/x.geojson" \
    --learnt-in "$T/none.learnt" 2>/dev/null; check "missing state file" 1 $?
"$TL" process --mission "$M" --records "$T/b.jsonl" --learnt-at 2026-03-01T01:00:00Z \
    >/dev/null 2>&1; check "--learnt-at without --learnt-out" 2 $?
"$TL" process --mission "$M" --records "$T/a.jsonl" --out "$T/x.geojson" --learnt-out "$T/x.learnt" \
    --learnt-at 2026-03-02T00:00:00Z 2>"$T/err"; check "--learnt-at after the records" 3 $?
exit $fail
