#!/bin/bash
# server_learnt.sh - a restart that finds DIR/learnt/ lost rebuilds the learnt state.
#
# Six windy hours are replayed into a server with a 10-minute window (slices of 15 min,
# 5 min apart: about 70 hand-overs), so each slice writes the learnt met corrections it
# started from to DIR/learnt/<start>.json (docs/server.md, "Learnt state handed over").
# Once processing has settled the server is killed with SIGKILL, DIR/learnt/ is deleted and
# the server restarted on the same data.  The slices it resumes find no file; the state
# each starts from is rebuilt from the stored records by running the chain of slices again
# from the start of the data.  Every file the server had written must be written again,
# byte for byte, and the restarted slices, started from those states, must publish nothing
# new (a slice started from the priors would revise what it published).
set -euo pipefail
: "${TL:?TL must name the truceline binary}"
: "${TL_SOURCE_DIR:?}"
W=$(mktemp -d /tmp/tl_srv_learnt.XXXXXX)
trap 'cleanup_servers; rm -rf "$W"' EXIT
. "$TL_SOURCE_DIR/tests/integration/lib/server.sh"

"$TL" simulate --mission "$TL_SOURCE_DIR/examples/demo/mission.geojson" --preset windy \
    --hours 6 --keys "$W/keys" --out "$W/sc" --quiet
M="$W/sc/mission.geojson"
D="$W/data"
SPEED=${TL_LEARNT_SPEED:-2700} # slower: slices hand their state on before they hold all their records
ARGS=(--mission "$M" --data "$D" --max-future-s -1 --embargo-h 0 --window-min 10)
start_server s0 "${ARGS[@]}" --listen 127.0.0.1:0
PORT=${URL##*:}
TOK=$("$TL" token add --data "$D" --role party --label "learnt test" 2>/dev/null)
"$TL" replay --records "$W/sc/records.jsonl" --url "$URL" --keys "$W/keys" --speed "$SPEED" \
    --batch 50 >/dev/null
wait_idle "$TOK" 180
NFILES=$(ls "$D/learnt" | wc -l)
[ "$NFILES" -ge 20 ] || fail "only $NFILES learnt files written"
LEARNT=$(cat "$D"/learnt/*.json | jq -s 'map(.tiles | map(.events) | add) | max')
jq -e -n "$LEARNT > 0" >/dev/null || fail "no learnt state with events in it: too weak a test"
cp -r "$D/learnt" "$W/learnt0"
NE0=$(all_features /v1/events "$TOK" | wc -l)

kill -9 "$SRV_PID"
wait "$SRV_PID" 2>/dev/null || true
rm -rf "$D/learnt"
start_server s1 "${ARGS[@]}" --listen "127.0.0.1:$PORT"
wait_idle "$TOK" 180
grep -q "learnt state of the slice from .* was missing, rebuilt: .* from the start of the data" "$W/s1.err" ||
    fail "no rebuild logged: $(grep learnt "$W/s1.err" | head -5)"
note "$(grep -o 'learnt state of the slice from .* rebuilt: .*' "$W/s1.err" | head -2 | tr '\n' ';')"
# every file the server had written is written again, the same bytes
n=0
for f in "$W"/learnt0/*.json; do
    g="$D/learnt/$(basename "$f")"
    [ -e "$g" ] || fail "$(basename "$f") was not rebuilt ($(ls "$D/learnt" 2>/dev/null | wc -l) files)"
    cmp -s "$f" "$g" || fail "$(basename "$f") rebuilt differs: $(cat "$f") against $(cat "$g")"
    n=$((n + 1))
done
# and the slices resumed from them publish nothing new
[ "$(status_field .processing.runs "$TOK")" -ge 1 ] || fail "the restarted server did not run"
[ "$(status_field .processing.published_versions "$TOK")" = 0 ] ||
    fail "the restarted slices published $(status_field .processing.published_versions "$TOK") versions"
[ "$(all_features /v1/events "$TOK" | wc -l)" = "$NE0" ] || fail "events changed by the restart"
stop_server "$SRV_PID"
echo "server_learnt: ok ($n learnt files rebuilt byte for byte after DIR/learnt/ was deleted)"
