#!/bin/sh
# scripts/demo.sh TRUCELINE OUTDIR - the demo run by `make demo`.
set -eu
TL=$1
OUT=$2
mkdir -p "$OUT"
MISSION=examples/demo/mission.geojson
echo "== the demo mission"
"$TL" mission check "$MISSION"
