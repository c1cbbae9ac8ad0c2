#!/bin/sh
# scripts/demo.sh TRUCELINE OUTDIR - the demo run by `make demo`:
# validate the demo mission, simulate its busy day, process it into a bulletin, and score
# the bulletin against the simulator's ground truth.
set -eu
TL=$1
OUT=$2
mkdir -p "$OUT"
MISSION=examples/demo/mission.geojson
echo "== the demo mission (illustrative: not an actual or agreed line)"
"$TL" mission check "$MISSION"
echo
echo "== simulate a day of heavy violations (preset busy, seed 1)"
"$TL" simulate --mission "$MISSION" --preset busy --seed 1 --out "$OUT/busy"
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
