#!/bin/sh
# scripts/demo.sh TRUCELINE OUTDIR - the demo run by `make demo`:
# validate the demo mission, simulate its busy day, process it into a bulletin, and score
# the bulletin against the simulator's ground truth; then start the server on
# 127.0.0.1:8080 (DEMO_PORT) with the web map, replay the whole busy day into it at
# DEMO_SPEED (40) times real time (36 minutes), print the map's and the daily report's URLs
# and keep serving until Ctrl-C.  The server processes with a DEMO_WINDOW_MIN (20) minute
# window.  Each run re-runs the pipeline over up to 1.5 windows of records, so the evening
# peak (12,500 picks an hour) costs about a minute of processing per hour of data on 2
# cores whatever the window: at 40x the processing keeps up all day and findings appear on
# the map as the replay goes; at 60x it falls up to 48 s behind at the peak, and at 120x
# minutes (docs/server.md, "Figures").
set -eu
TL=$1
OUT=$2
mkdir -p "$OUT"
MISSION=examples/demo/mission.geojson
echo "== the demo mission (illustrative: not an actual or agreed line)"
"$TL" mission check "$MISSION"
echo
echo "== simulate a day of heavy violations (preset busy, seed 1, with station keys)"
"$TL" simulate --mission "$MISSION" --preset busy --seed 1 --keys "$OUT/keys" --out "$OUT/busy"
echo
echo "== process the records into a bulletin (a few minutes on 2 cores)"
start=$(date +%s)
"$TL" process --mission "$OUT/busy/mission.geojson" --records "$OUT/busy/records.jsonl" \
    --out "$OUT/bulletin.geojson"
echo "processed in $(( $(date +%s) - start )) s"
echo
echo "== evaluation against the ground truth"
"$TL" evaluate --truth "$OUT/busy/truth.jsonl" --bulletin "$OUT/bulletin.geojson" --table \
    | sed -n '/^events (heard/,$p'
echo
echo "bulletin: $OUT/bulletin.geojson (GeoJSON: open it in QGIS; the mission is $MISSION)"
echo

PORT=${DEMO_PORT:-8080}
SPEED=${DEMO_SPEED:-40}
WINDOW=${DEMO_WINDOW_MIN:-20}
echo "== the live server: the whole busy day, replayed at ${SPEED}x ($(( 86400 / SPEED / 60 )) min)"
rm -rf "$OUT/data"
"$TL" serve --mission "$OUT/busy/mission.geojson" --data "$OUT/data" --window-min "$WINDOW" \
    --listen "127.0.0.1:$PORT" --web web/dist >"$OUT/serve.out" 2>"$OUT/serve.err" &
SERVER=$!
REPLAY=""
stop() {
    [ -n "$REPLAY" ] && kill "$REPLAY" 2>/dev/null
    kill -TERM "$SERVER" 2>/dev/null
    wait "$SERVER" 2>/dev/null
    echo
    echo "server stopped; its data directory is $OUT/data"
    exit 0
}
trap stop INT TERM
i=0
until grep -q '^listening on ' "$OUT/serve.out" 2>/dev/null; do
    if ! kill -0 "$SERVER" 2>/dev/null || [ $i -ge 100 ]; then
        echo "demo: the server did not start (is port $PORT free? DEMO_PORT=... picks another):" >&2
        cat "$OUT/serve.err" >&2
        exit 1
    fi
    i=$((i + 1))
    sleep 0.1
done
TOKEN=$("$TL" token add --data "$OUT/data" --role analyst --label "demo analyst" 2>/dev/null)
"$TL" replay --records "$OUT/busy/records.jsonl" --url "http://127.0.0.1:$PORT" --keys "$OUT/keys" \
    --speed "$SPEED" >"$OUT/replay.out" 2>&1 &
REPLAY=$!
DAY=$(sed -n 's/.*"start": "\([0-9-]*\)T.*/\1/p' "$OUT/busy/scenario.json")
echo
echo "  map (analyst):   http://127.0.0.1:$PORT/?token=$TOKEN&date=$DAY"
echo "  map (public):    http://127.0.0.1:$PORT/?date=$DAY"
echo "  daily report:    http://127.0.0.1:$PORT/report/$DAY"
echo "  report as PDF:   $TL report --url http://127.0.0.1:$PORT --date $DAY --pdf report.pdf"
echo
echo "serving until Ctrl-C (findings appear on the map as the replay goes on)"
while kill -0 "$SERVER" 2>/dev/null; do
    sleep 1
done
echo "demo: the server exited: $(tail -3 "$OUT/serve.err")" >&2
exit 1
