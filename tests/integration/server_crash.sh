#!/bin/bash
# server_crash.sh - kill -9 under load: no acknowledged record lost, nothing counted twice.
#
# A 24-hour calm scenario (about 13,600 records from 70 stations) is replayed
# at 4,000 times real time in small batches over 4 connections while the
# server is killed with SIGKILL at random moments and restarted on the same
# port each time.  The replay retries through the outages (a batch whose
# acknowledgement was lost is answered 409 "stored" on retry) and writes every
# acknowledged record to a file.  Afterwards the records the server holds,
# exported through the API, must contain every acknowledged record line
# byte for byte, hold each record (station + de-duplication key) once, and
# match the store's own counters; the transparency log must audit clean and
# processing must settle.
set -euo pipefail
: "${TL:?TL must name the truceline binary}"
: "${TL_SOURCE_DIR:?}"
W=$(mktemp -d /tmp/tl_srv_crash.XXXXXX)
trap 'cleanup_servers; rm -rf "$W"' EXIT
. "$TL_SOURCE_DIR/tests/integration/lib/server.sh"
KILLS=${TL_CRASH_KILLS:-4}

"$TL" simulate --mission "$TL_SOURCE_DIR/examples/demo/mission.geojson" --preset calm \
    --keys "$W/keys" --out "$W/sc" --quiet
M="$W/sc/mission.geojson"
D="$W/data"
ARGS=(--mission "$M" --data "$D" --max-future-s -1 --window-min 30)
start_server s0 "${ARGS[@]}" --listen 127.0.0.1:0
PORT=${URL##*:}
TOK=$("$TL" token add --data "$D" --role party --label "crash test" 2>/dev/null)

"$TL" replay --records "$W/sc/records.jsonl" --url "$URL" --keys "$W/keys" --speed 4000 \
    --batch 20 --connections 4 --acked "$W/acked" --retry-for 60 >"$W/replay.out" 2>"$W/replay.err" &
RPID=$!
for k in $(seq 1 "$KILLS"); do
    sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 1.5 + rand() * 2.5 }')"
    kill -0 "$RPID" 2>/dev/null || break
    kill -9 "$SRV_PID"
    wait "$SRV_PID" 2>/dev/null || true
    note "kill $k: $(wc -l <"$W/acked") records acknowledged so far"
    sleep 0.2
    start_server "s$k" "${ARGS[@]}" --listen "127.0.0.1:$PORT"
done
wait "$RPID" || fail "replay failed: $(cat "$W/replay.out" "$W/replay.err")"
cat "$W/replay.out"
[ "$k" -ge 2 ] || fail "the replay ended before the second kill: make it longer"

# every record the server holds, through the API
: >"$W/export"
cursor=""
while :; do
    q="/v1/records?limit=1000"
    [ -n "$cursor" ] && q="$q&cursor=$cursor"
    curl -s -D "$W/hdr" -H "Authorization: Bearer $TOK" "$URL$q" >>"$W/export"
    cursor=$(sed -n 's/^X-Next-Cursor: *//Ip' "$W/hdr" | tr -d '\r')
    [ -n "$cursor" ] || break
done
key='[.station, (.type // "pick"), (if (.type // "pick") == "pick" then (.id // .time) else .time end)]'
N=$(wc -l <"$W/export")
NK=$(jq -c "$key" "$W/export" | sort -u | wc -l)
[ "$N" = "$NK" ] || fail "$N records held but only $NK distinct: counted twice"
[ "$(status_field .store.records)" = "$N" ] || fail "store counts $(status_field .store.records), export $N"
NU=$(jq -c "$key" "$W/sc/records.jsonl" | sort -u | wc -l)
[ "$N" = "$NU" ] || fail "$N records held, the scenario has $NU distinct"
sort -u "$W/acked" >"$W/acked.s"
sort -u "$W/export" >"$W/export.s"
LOST=$(comm -23 "$W/acked.s" "$W/export.s" | wc -l)
[ "$LOST" = 0 ] || fail "$LOST acknowledged records lost: $(comm -23 "$W/acked.s" "$W/export.s" | head -3)"
wait_idle "$TOK" 120
stop_server "$SRV_PID"
"$TL" log verify --vkey "$(cat "$D/log/log.vkey")" --dir "$D/log" >/dev/null ||
    fail "the log does not audit clean"
echo "server_crash: ok ($k kills, $(wc -l <"$W/acked.s") acknowledged records all held, $N records once each)"
