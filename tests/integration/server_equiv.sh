#!/bin/bash
# server_equiv.sh - live processing equals batch processing.
#
# A 6-hour calm scenario is replayed into a server at 2,700 times real time
# (about 8 s), so the processing thread runs several times on partial data and
# publishes, revises and withdraws events as the records come in.  Once the
# replay is over and processing has settled, the events and findings the API
# serves must be those of `truceline process` on the same records, field for
# field; only the ids may differ (the server keeps the id an object got when it
# was first published, docs/server.md).  The window is unlimited here: with a
# sliding window the results near the window's start differ by design.  A
# second server with the smallest window (10 min) replays the same scenario
# and must still publish findings (the window code path runs in the tests).
set -euo pipefail
: "${TL:?TL must name the truceline binary}"
: "${TL_SOURCE_DIR:?}"
W=$(mktemp -d /tmp/tl_srv_eq.XXXXXX)
trap 'cleanup_servers; rm -rf "$W"' EXIT
. "$TL_SOURCE_DIR/tests/integration/lib/server.sh"

# check_day_marks TOKEN: the days' bulletins and reports carry the provisional mark where the
# API does: each bulletin's findings are the API's features, mark included, its counts say how
# many are provisional, and each report's rows and summary say the same.  Writes
# "<provisional> <settled>" to $W/marks.
check_day_marks() {
    local tok=$1 day np
    all_features /v1/findings "$tok" | jq -c . | sort >"$W/api_fd"
    : >"$W/bul_fd"
    : >"$W/rep_marks"
    for day in $(jq -r '.properties.time[0:10]' "$W/api_fd" | sort -u); do
        curl -sf -H "Authorization: Bearer $tok" "$URL/v1/bulletins/$day" >"$W/bul.json" ||
            fail "bulletin $day: $(cat "$W/bul.json")"
        jq -c '.features[] | select(.properties.kind == "finding")' "$W/bul.json" >>"$W/bul_fd"
        jq -e '.bulletin.counts.provisional
            == ([.features[] | select(.properties.provisional == true)] | length)' "$W/bul.json" \
            >/dev/null || fail "bulletin $day: counts.provisional $(jq .bulletin.counts "$W/bul.json")"
        curl -sf -H "Authorization: Bearer $tok" "$URL/report/$day" >"$W/rep.html" ||
            fail "report $day: $(cat "$W/rep.html")"
        { grep -o '<tr data-id="[^"]*"[^>]*>' "$W/rep.html" || true; } |
            sed -E 's/<tr data-id="([^"]*)"( class="rejected")?( data-provisional="true")?>/\1 \3/' |
            awk '{print $1, ($2 != "")}' >>"$W/rep_marks"
        np=$(jq '[.features[] | select(.properties.provisional == true)] | length' "$W/bul.json")
        grep -q "data-count=\"provisional_findings\">$np<" "$W/rep.html" ||
            fail "report $day does not say $np provisional findings"
    done
    sort -o "$W/bul_fd" "$W/bul_fd"
    diff "$W/api_fd" "$W/bul_fd" >"$W/bul.diff" ||
        fail "the bulletins' findings differ from the API's: $(head -c 2000 "$W/bul.diff")"
    jq -r '"\(.properties.id) \(if .properties.provisional == true then 1 else 0 end)"' "$W/api_fd" |
        sort >"$W/api_marks"
    sort -o "$W/rep_marks" "$W/rep_marks"
    diff "$W/api_marks" "$W/rep_marks" >"$W/rep.diff" ||
        fail "the reports' provisional marks differ from the API's: $(head -c 2000 "$W/rep.diff")"
    echo "$(grep -c ' 1$' "$W/api_marks") $(grep -c ' 0$' "$W/api_marks")" >"$W/marks"
}

"$TL" simulate --mission "$TL_SOURCE_DIR/examples/demo/mission.geojson" --preset calm \
    --hours 6 --keys "$W/keys" --out "$W/sc" --quiet
M="$W/sc/mission.geojson"
"$TL" process --mission "$M" --records "$W/sc/records.jsonl" --out "$W/batch.geojson" 2>/dev/null

start_server eq --mission "$M" --data "$W/d1" --listen 127.0.0.1:0 --window-min 0 \
    --max-future-s -1 --embargo-h 0
TOK=$("$TL" token add --data "$W/d1" --role party --label "equivalence" 2>/dev/null)
"$TL" replay --records "$W/sc/records.jsonl" --url "$URL" --keys "$W/keys" --speed 2700 \
    --batch 50 >"$W/replay.out"
wait_idle "$TOK" 120
RUNS=$(status_field .processing.runs "$TOK")
[ "$RUNS" -ge 3 ] || fail "processing ran only $RUNS times during the replay"

# events: ids and what refers to them stripped; the revision counts the server's versions
norm_ev='del(.properties.id, .properties.pair, .properties.revision)'
norm_fd='del(.properties.id, .properties.launch, .properties.impact)'
jq -c '.features[] | select(.properties.kind == "event") | '"$norm_ev" "$W/batch.geojson" | sort >"$W/b_ev"
# with one slice that runs on, no finding is ever settled: each is served marked provisional
jq -c '.features[] | select(.properties.kind == "finding") | .properties.provisional = true
    | '"$norm_fd" "$W/batch.geojson" | sort >"$W/b_fd"
all_features /v1/events "$TOK" | jq -c "$norm_ev" | sort >"$W/s_ev"
all_features /v1/findings "$TOK" | jq -c "$norm_fd" | sort >"$W/s_fd"
NE=$(wc -l <"$W/b_ev")
NF=$(wc -l <"$W/b_fd")
[ "$NF" -ge 3 ] || fail "the scenario has only $NF findings: too weak a test"
diff "$W/b_ev" "$W/s_ev" >"$W/ev.diff" || fail "events differ from batch: $(head -c 2000 "$W/ev.diff")"
diff "$W/b_fd" "$W/s_fd" >"$W/fd.diff" || fail "findings differ from batch: $(head -c 2000 "$W/fd.diff")"
# the references are consistent: each finding's launch and impact are served events
all_features /v1/findings "$TOK" | jq -r '.properties.launch, .properties.impact' | while read -r id; do
    c=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "$URL/v1/events/$id")
    [ "$c" = 200 ] || fail "finding refers to event $id: $c"
done
# settled: the last run covered the latest record, and every new finding has both latencies,
# the one from when it became derivable never the longer
[ "$(status_field .processing.processed_to "$TOK")" = "$(status_field .processing.clock "$TOK")" ] ||
    fail "settled, yet the last run did not cover the latest record"
status_field .processing "$TOK" | jq -e '.finding_latency_ms as $l | .finding_latency_derivable_ms
    | .n == $l.n and .n > 0 and .p50 <= $l.p50 and .max <= $l.max' >/dev/null ||
    fail "finding latencies inconsistent: $(status_field .processing "$TOK")"
check_day_marks "$TOK"
[ "$(cat "$W/marks")" = "$NF 0" ] || fail "unlimited window: bulletins and reports mark $(cat "$W/marks")"
VERS=$(status_field .processing.published_versions "$TOK")
WD=$(all_features "/v1/events?withdrawn=true" "$TOK" | jq -s 'map(select(.properties.withdrawn)) | length')
note "equal: $NE events, $NF findings after $RUNS runs ($VERS versions published, $WD withdrawn events)"
stop_server "$SRV_PID"

# the sliding window: smallest window, the same scenario
start_server win --mission "$M" --data "$W/d2" --listen 127.0.0.1:0 --window-min 10 \
    --max-future-s -1 --embargo-h 0
TOK2=$("$TL" token add --data "$W/d2" --role party --label "window" 2>/dev/null)
"$TL" replay --records "$W/sc/records.jsonl" --url "$URL" --keys "$W/keys" --speed 2700 \
    --batch 50 >/dev/null
wait_idle "$TOK2" 120
[ "$(status_field .processing.rebuilds "$TOK2")" -ge 5 ] || fail "the window did not slide"
NW=$(all_features /v1/findings "$TOK2" | wc -l)
[ "$NW" -ge 1 ] || fail "a windowed server published no finding"
# each region of origin time is published by one slice, from its first version to its last:
# slice k holds [F0 + 5k min, + 15 min) (F0: the earliest record) and publishes the launches
# of [its start + 5 min, + 10 min), the newest from its start + 5 min on; so the findings
# served are, region by region, those of `process` on that slice's records; those of a slice
# the data has passed the end of are settled (no "provisional"), the others are provisional
secs='def secs: (sub("(\\.[0-9]+)?Z$"; "Z") | fromdate) + ((capture("(?<f>\\.[0-9]+)Z$").f // "0") | tonumber);'
jq -c "$secs"' {t: (.time | secs), r: .}' "$W/sc/records.jsonl" >"$W/timed"
F0=$(jq -s 'map(.t) | min | floor' "$W/timed")
LAST=$(jq -s 'map(.t) | max' "$W/timed")
: >"$W/w_fd"
: >"$W/w_ev"
for ((k = 0; ; k++)); do
    f=$((F0 + 300 * k))
    newest=$(jq -n "if $f + 600 > $LAST then 1 else 0 end")
    jq -c "select(.t >= $f and .t < $f + 900) | .r" "$W/timed" >"$W/slice.jsonl"
    # the learnt state the slice started from, handed over by its predecessor (none for the
    # first): the server wrote it to DIR/learnt/<slice start in ns>.json
    seed=()
    for l in "$W"/d2/learnt/*.json; do
        [ -e "$l" ] && [ $(( $(basename "$l" .json) / 1000000000 )) = "$f" ] && seed=(--learnt-in "$l")
    done
    [ "$k" = 0 ] || [ ${#seed[@]} = 2 ] || fail "slice $k (from $f) has no learnt state to start from"
    # and the state it handed its successor: kept at the successor's first block (its start
    # less 200 s, on the minute), which `process` from the same start must reproduce exactly
    next=""
    for l in "$W"/d2/learnt/*.json; do
        [ -e "$l" ] && [ $(( $(basename "$l" .json) / 1000000000 )) = $((f + 300)) ] && next=$l
    done
    keep=()
    if [ -n "$next" ]; then
        at=$(( $(basename "$next" .json) / 1000000000 - 200 ))
        keep=(--learnt-out "$W/kept.json" --learnt-at "$(jq -nr "$((at - at % 60)) | todate")")
    fi
    "$TL" process --mission "$M" --records "$W/slice.jsonl" --out "$W/slice.geojson" "${seed[@]}" \
        "${keep[@]}" 2>/dev/null || fail "process of slice $k failed"
    [ -z "$next" ] || [ "$(jq -c .tiles "$W/kept.json")" = "$(jq -c .tiles "$next")" ] ||
        fail "slice $k handed its successor another learnt state than process keeps"
    to=$((newest ? 1 << 62 : f + 600))
    held=$(jq -n "$f + 900 > $LAST")
    jq -c "$secs"' .features[] | select(.properties.kind == "finding")
        | select(.properties.time | secs | . >= '$((f + 300))' and . < '$to')
        | if '"$held"' then .properties.provisional = true else . end | '"$norm_fd" \
        "$W/slice.geojson" >>"$W/w_fd"
    jq -c "$secs"' .features[] | select(.properties.kind == "event")
        | select(.properties.time | secs | . >= '$((f + 300))' and . < '$to') | '"$norm_ev" \
        "$W/slice.geojson" >>"$W/w_ev"
    [ "$newest" = 0 ] || break
done
# the hand-over carried something learnt (else the check above could not tell it was applied)
LEARNT=$(cat "$W"/d2/learnt/*.json | jq -s 'map(.tiles | map(.events) | add) | max')
jq -e -n "$LEARNT > 0" >/dev/null || fail "no slice was handed a learnt state with events in it"
sort -o "$W/w_fd" "$W/w_fd"
sort -o "$W/w_ev" "$W/w_ev"
all_features /v1/events "$TOK2" | jq -c "$norm_ev" | sort >"$W/sw_ev"
diff "$W/w_ev" "$W/sw_ev" >"$W/we.diff" ||
    fail "windowed events differ from their slices' batch: $(head -c 2000 "$W/we.diff")"
all_features /v1/findings "$TOK2" | jq -c "$norm_fd" | sort >"$W/sw_fd"
diff "$W/w_fd" "$W/sw_fd" >"$W/w.diff" ||
    fail "windowed findings differ from their slices' batch: $(head -c 2000 "$W/w.diff")"
NS=$(all_features /v1/findings "$TOK2" | jq -s 'map(select(.properties.provisional != true)) | length')
[ "$NS" -ge 1 ] || fail "none of $NW windowed findings was settled: too weak a test"
check_day_marks "$TOK2"
[ "$(cat "$W/marks")" = "0 $NW" ] || fail "windowed: bulletins and reports mark $(cat "$W/marks")"
stop_server "$SRV_PID"
echo "server_equiv: ok ($NE events and $NF findings equal to batch; windowed: $NW findings," \
    "each equal to its slice's batch, $NS of them settled; the bulletins and reports mark" \
    "every finding of the first server provisional and none of the second)"
