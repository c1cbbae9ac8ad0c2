#!/bin/bash
# server_api.sh - `truceline serve` black-box: signed ingest and every way it
# refuses a request (401, 400, 404, 405, 409, 413, 429, 403) without storing
# anything; duplicates counted once; replay; tokens and roles; the public
# embargo; the read API (paging, filters, errors), stations, records,
# bulletins; reviews (confirm, amend, reject, stale version) and the audit, and the reviews
# in the day's bulletin and report (kept, marked, counted apart); the live
# feed; the log (static files, proofs that verify offline, nothing private
# served); a clean stop and a restart that changes nothing.
set -euo pipefail
: "${TL:?TL must name the truceline binary}"
: "${TL_SOURCE_DIR:?}"
W=$(mktemp -d /tmp/tl_srv_api.XXXXXX)
trap 'cleanup_servers; rm -rf "$W"' EXIT
. "$TL_SOURCE_DIR/tests/integration/lib/server.sh"

# A 6-hour calm scenario a day old.  Which events it holds depends on the hour it starts at,
# so the public embargo is set to cut it in its widest gap between two events heard by 5
# stations or more (below), which the processing finds: the public then sees some of its
# events and not the others at any time of day.  (A fixed 24 h cut fell after all of them in
# some hours, and so did a cut among all true events at 05:02 UTC, when the events after the
# widest gap were heard by too few stations to be found.)
START=$(date -u -d '-25 hours' +%Y-%m-%dT%H:%M:00Z)
"$TL" simulate --mission "$TL_SOURCE_DIR/examples/demo/mission.geojson" --preset calm \
    --hours 6 --start "$START" --keys "$W/keys" --out "$W/sc" --quiet
[ "$(stat -c %a "$W/keys/L001.key")" = 600 ] || fail "station key not 0600"
jq -e '[.features[] | select(.properties.kind == "station") | .properties.key | length == 44] | all' \
    "$W/sc/mission.geojson" >/dev/null || fail "mission lacks station keys"
# keys are kept: a second run writes the same mission
cp "$W/sc/mission.geojson" "$W/mission1.geojson"
"$TL" simulate --mission "$TL_SOURCE_DIR/examples/demo/mission.geojson" --preset calm \
    --hours 6 --start "$START" --keys "$W/keys" --out "$W/sc" --quiet
cmp -s "$W/sc/mission.geojson" "$W/mission1.geojson" || fail "--keys changed existing keys"

M="$W/sc/mission.geojson"
D="$W/data"
CUT_AT=$(jq -rs '[.[] | select(.type == "event" and .n_stations >= 5) | .time | sub("\\.[0-9]+"; "") | fromdateiso8601]
    | sort | . as $t | [range(0; length - 1) | {gap: ($t[. + 1] - $t[.]), mid: (($t[. + 1] + $t[.]) / 2)}]
    | max_by(.gap) | .mid | floor' "$W/sc/truth.jsonl")
[ "$CUT_AT" != null ] || fail "the scenario has fewer than two events"
EMB_S=$(( $(date +%s) - CUT_AT ))
EMB_H=$(awk -v s="$EMB_S" 'BEGIN { printf "%.6f", s / 3600 }')
start_server a --mission "$M" --data "$D" --listen 127.0.0.1:0 --window-min 0 \
    --max-body 400000 --station-rate 1000 --station-burst 3000 --embargo-h "$EMB_H"
note "server at $URL"

AN=$("$TL" token add --data "$D" --role analyst --label "Analyst A" 2>/dev/null)
PA=$("$TL" token add --data "$D" --role party --label "Party A liaison" 2>/dev/null)
PU=$("$TL" token add --data "$D" --role public --label "press" 2>/dev/null)
ST=$("$TL" token add --data "$D" --role station --station L001 --label "L001" 2>/dev/null)
"$TL" token list --data "$D" | grep -q "analyst .*Analyst A" || fail "token list"
set +e; "$TL" token add --data "$D" --role station --label x >/dev/null 2>&1; rc=$?; set -e
[ $rc = 3 ] || fail "station token without --station: exit $rc, want 3"

T0=$(jq -r '.features[] | select(.properties.kind=="station") | .properties.id' "$M" | head -1)
[ "$T0" = L001 ] || fail "first station is $T0"
line() { # line STATION SECONDS_AFTER_START [type]
    local t
    t=$(date -u -d "$START + $2 seconds" +%Y-%m-%dT%H:%M:%SZ)
    if [ "${3:-pick}" = met ]; then
        echo "{\"type\":\"met\",\"station\":\"$1\",\"time\":\"$t\",\"temp_c\":3.5,\"x_unknown\":true}"
    else
        echo "{\"station\":\"$1\",\"time\":\"$t\",\"id\":\"$1-T$2\",\"snr_db\":20,\"x_unknown\":true}"
    fi
}
{ line L001 11; line L001 12 met; } >"$W/good"
stored() { status_field .store.records; }

note "refusals change nothing"
expect_status 401 unsigned POST /v1/stations/L001/records --data-binary "@$W/good"
SIG=$("$TL" replay sign --keys "$W/keys" --station L003 --seq 5 "$W/good")
expect_status 401 bad_signature POST /v1/stations/L001/records -H "X-Truceline-Signature: $SIG" \
    --data-binary "@$W/good"
SIG=$("$TL" replay sign --keys "$W/keys" --station L001 --seq 5 "$W/good")
{ line L001 11; line L001 13 met; } >"$W/tampered"
expect_status 401 bad_signature POST /v1/stations/L001/records -H "X-Truceline-Signature: $SIG" \
    --data-binary "@$W/tampered"
expect_status 401 bad_signature POST /v1/stations/L001/records -H "X-Truceline-Signature: seq=5" \
    --data-binary "@$W/good"
# the signature with its first character changed (to B if it was A: always making it A left a
# signature that already started with A valid, 1 run in 64)
BADSIG=${SIG##*sig=}
if [ "${BADSIG:0:1}" = A ]; then BADSIG="B${BADSIG:1}"; else BADSIG="A${BADSIG:1}"; fi
expect_status 401 bad_signature POST /v1/stations/L001/records \
    -H "X-Truceline-Signature: seq=5, sig=$BADSIG" --data-binary "@$W/good"
{ line L001 11; echo '{"station":"L001","time":"not a time"}'; line L003 12; echo 'garbage'; } >"$W/bad"
post_batch L001 5 "$W/bad"
[ "$CODE" = 400 ] || fail "bad records: $CODE $(cat "$W/body")"
jq -e '.error == "bad_records" and .bad_lines == 3 and ([.lines[].line] == [2,3,4])' "$W/body" \
    >/dev/null || fail "bad records listing: $(cat "$W/body")"
jq -e '.lines[1].reason | test("L003 in a batch of L001")' "$W/body" >/dev/null || fail "reason"
head -c 500000 /dev/zero | tr '\0' 'x' >"$W/big"
post_batch L001 5 "$W/big"
[ "$CODE" = 413 ] || fail "oversized: $CODE"
expect_status 404 unknown_station POST /v1/stations/ZZ9/records -H "X-Truceline-Signature: $SIG" \
    --data-binary "@$W/good"
expect_status 400 bad_id POST /v1/stations/l001/records --data-binary "@$W/good"
expect_status 405 method_not_allowed GET /v1/stations/L001/records
expect_status 405 method_not_allowed DELETE /v1/events
expect_status 404 not_found GET /v1/nothing
post_batch L001 5 "$W/good" "$W/keys" -H "Authorization: Bearer $PA"
[ "$CODE" = 403 ] || fail "party token on ingest: $CODE"
post_batch L003 5 "$W/good" "$W/keys" -H "Authorization: Bearer $ST"
[ "$CODE" = 403 ] || fail "L001's token on L003: $CODE"
post_batch L001 5 "$W/good" "$W/keys" -H "Authorization: Bearer tl1_99_nope"
[ "$CODE" = 401 ] || fail "unknown token: $CODE"
[ "$(stored)" = 0 ] || fail "a refused request stored records"
[ "$(status_field .ingest.batches)" = 0 ] || fail "a refused request counted a batch"

note "accepted batches, replays, sequence, duplicates, rate limit"
post_batch L001 5 "$W/good" "$W/keys" -H "Authorization: Bearer $ST"
[ "$CODE" = 202 ] || fail "good batch: $CODE $(cat "$W/body")"
jq -e '.stored == 2 and .duplicates == 0 and .seq == 5' "$W/body" >/dev/null || fail "ack body"
post_batch L001 5 "$W/good"
[ "$CODE" = 409 ] || fail "replayed batch: $CODE"
jq -e '.error == "replay" and .stored == true and .last_seq == 5' "$W/body" >/dev/null ||
    fail "replay body: $(cat "$W/body")"
post_batch L001 4 "$W/tampered"
jq -e '.error == "out_of_sequence" and .stored == false' "$W/body" >/dev/null ||
    fail "out of sequence: $CODE $(cat "$W/body")"
post_batch L001 9 "$W/good"
jq -e '.stored == 0 and .duplicates == 2' "$W/body" >/dev/null || fail "duplicates: $(cat "$W/body")"
[ "$(stored)" = 2 ] || fail "stored $(stored), want 2"
for i in $(seq 100 2599); do line L001 "$i"; done >"$W/burst"
post_batch L001 10 "$W/burst"
[ "$CODE" = 202 ] || fail "burst: $CODE $(cat "$W/body")"
post_batch L001 11 "$W/burst"
[ "$CODE" = 429 ] || fail "over the rate: $CODE"
jq -e '.error == "rate_limited" and .retry_after_s > 0' "$W/body" >/dev/null || fail "429 body"
[ "$(stored)" = 2502 ] || fail "stored $(stored) after the burst, want 2502"

note "replay the scenario, twice"
"$TL" replay --records "$W/sc/records.jsonl" --url "$URL" --keys "$W/keys" >"$W/replay1"
UNIQUE=$(jq -c '[.station, (.type // "pick"), (if (.type // "pick") == "pick" then (.id // .time) else .time end)]' \
    "$W/sc/records.jsonl" | sort -u | wc -l)
[ "$(stored)" = $((UNIQUE + 2502)) ] || fail "stored $(stored), want $UNIQUE + 2502"
"$TL" replay --records "$W/sc/records.jsonl" --url "$URL" --keys "$W/keys" >"$W/replay2"
grep -q " (0 stored, $(wc -l <"$W/sc/records.jsonl") duplicates)" "$W/replay2" ||
    fail "second replay: $(cat "$W/replay2")"
[ "$(stored)" = $((UNIQUE + 2502)) ] || fail "a replay counted records twice"
wait_idle "$AN"

note "read API, roles, embargo"
all_features "/v1/events?limit=2" "$PA" >"$W/events"
NE=$(wc -l <"$W/events")
[ "$NE" -gt 2 ] || fail "only $NE events"
all_features "/v1/events?limit=1000" "$PA" | cmp -s - "$W/events" || fail "paging changed the list"
all_features "/v1/findings" "$AN" >"$W/findings"
NF=$(wc -l <"$W/findings")
[ "$NF" -ge 1 ] || fail "no findings"
all_features "/v1/events?class=launch" "$PA" | jq -e -s 'length > 0 and all(.properties.class == "launch")' \
    >/dev/null || fail "class filter"
all_features "/v1/events?bbox=30,40,31,41" "$PA" | wc -l | grep -qx 0 || fail "bbox filter"
expect_status 400 bad_query GET "/v1/events?side=lft" -H "Authorization: Bearer $PA"
jq -e '.message | test("side: expected left")' "$W/body" >/dev/null || fail "filter message"
expect_status 400 bad_query GET "/v1/findings?class=launch" -H "Authorization: Bearer $PA"
expect_status 400 bad_query GET "/v1/events?zone=NOPE" -H "Authorization: Bearer $PA"
NPUB=$(all_features "/v1/events" "$PU" | wc -l)
NANON=$(curl -s "$URL/v1/events?limit=1000" | jq '.features | length')
CUT=$(date -u -d "@$(( $(date +%s) - EMB_S ))" +%Y-%m-%dT%H:%M:%SZ) # the server's cut now
NOLD=$(jq -r .properties.time "$W/events" | awk -v c="$CUT" '$0 < c' | wc -l)
[ "$NPUB" = "$NOLD" ] && [ "$NANON" = "$NOLD" ] || fail "embargo: public sees $NPUB/$NANON, want $NOLD"
[ "$NOLD" -gt 0 ] && [ "$NOLD" -lt "$NE" ] || fail "the scenario should straddle the embargo ($NOLD of $NE)"
EV_NEW=$(jq -r 'select(.properties.time > "'"$CUT"'") | .properties.id' "$W/events" | head -1)
expect_status 404 not_found GET "/v1/events/$EV_NEW"
expect_status 200 "" GET "/v1/events/$EV_NEW" -H "Authorization: Bearer $PA"
expect_status 403 forbidden GET /v1/events -H "Authorization: Bearer $ST"
expect_status 401 unauthenticated GET /v1/events -H "Authorization: Bearer garbage"
expect_status 401 unauthenticated GET /v1/events -H "Authorization: Basic eDp5"
curl -s "$URL/v1/stations" | jq -e '.stations | length == 70 and (.[0] | has("records") | not)' \
    >/dev/null || fail "public station list"
curl -s -H "Authorization: Bearer $PA" "$URL/v1/stations/L001" |
    jq -e '.id == "L001" and .records > 0 and .last_record != null and (.qc | type == "object")' \
        >/dev/null || fail "station health"
http GET "/v1/records?station=L001&limit=10" -H "Authorization: Bearer $PA" -D "$W/hdr"
[ "$(wc -l <"$W/body")" = 10 ] || fail "records page"
grep -qi '^X-Next-Cursor: ' "$W/hdr" || fail "records cursor"
grep -q '"x_unknown":true' "$W/body" || fail "unknown fields were not kept"
DAY=${START%%T*}
curl -s -H "Authorization: Bearer $PA" "$URL/v1/bulletins/$DAY" >"$W/day.geojson"
jq -e '.type == "FeatureCollection" and .bulletin.mission == "Demo sector"' "$W/day.geojson" \
    >/dev/null || fail "bulletin"
NDAY=$(jq -r .properties.time "$W/events" | grep -c "^$DAY" || true)
[ "$(jq .bulletin.counts.events "$W/day.geojson")" = "$NDAY" ] || fail "bulletin counts"
expect_status 400 bad_id GET /v1/bulletins/2026-02-30

note "the log"
FD=$(head -1 "$W/findings" | jq -r .properties.id)
for _ in $(seq 1 50); do
    http GET "/v1/findings/$FD/proof" -H "Authorization: Bearer $AN"
    [ "$CODE" = 200 ] && break
    sleep 0.1
done
[ "$CODE" = 200 ] || fail "proof: $CODE $(cat "$W/body")"
cp "$W/body" "$W/proof"
curl -s -H "Authorization: Bearer $AN" "$URL/v1/findings/$FD/entry" >"$W/entry"
curl -s -H "Authorization: Bearer $AN" "$URL/v1/findings/$FD" >"$W/feature"
[ "$(jq -r .sha256 "$W/entry")" = "$(sha256sum <"$W/feature" | cut -c1-64)" ] ||
    fail "the log entry does not commit to the served feature"
"$TL" log verify --vkey "$(cat "$D/log/log.vkey")" --proof "$W/proof" --entry "$W/entry" \
    >/dev/null || fail "proof does not verify"
curl -s "$URL/log/checkpoint" | head -1 | grep -qx "truceline/demo-sector" || fail "checkpoint"
for p in /log/log.key /log/.state/tree /log/../truceline.db /log/tile/../log.key /log/policy; do
    c=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$URL$p")
    [ "$c" = 404 ] || fail "$p served with $c"
done

note "reviews, audit, live feed"
curl -s -N --max-time 20 -H "Authorization: Bearer $AN" "$URL/v1/stream" >"$W/stream" &
SPID=$!
sleep 0.5
EV=$(head -1 "$W/events" | jq -r .properties.id)
V=$(jq .properties.revision <<<"$(head -1 "$W/events")")
LOG0=$(status_field .log.size)
expect_status 403 forbidden POST "/v1/events/$EV/review" -H "Authorization: Bearer $PA" \
    -d '{"action":"confirm","reason":"x"}'
expect_status 403 forbidden POST "/v1/events/$EV/review" -d '{"action":"confirm","reason":"x"}'
expect_status 400 bad_request POST "/v1/events/$EV/review" -H "Authorization: Bearer $AN" \
    -d '{"action":"approve","reason":"x"}'
expect_status 400 bad_request POST "/v1/events/$EV/review" -H "Authorization: Bearer $AN" \
    -d '{"action":"amend","reason":"x","amend":{"fired_from":"left"}}'
expect_status 400 bad_request POST "/v1/events/$EV/review" -H "Authorization: Bearer $AN" -d 'nope'
expect_status 404 not_found POST "/v1/events/EV0/review" -H "Authorization: Bearer $AN" \
    -d '{"action":"confirm","reason":"x"}'
expect_status 409 stale_version POST "/v1/events/$EV/review" -H "Authorization: Bearer $AN" \
    -d "{\"action\":\"confirm\",\"reason\":\"x\",\"version\":$((V + 7))}"
expect_status 200 "" POST "/v1/events/$EV/review" -H "Authorization: Bearer $AN" \
    -d "{\"action\":\"confirm\",\"reason\":\"crater seen by patrol\",\"version\":$V}"
[ "$(jq .version "$W/body")" = $((V + 1)) ] || fail "review version"
curl -s -H "Authorization: Bearer $PA" "$URL/v1/events/$EV" |
    jq -e '.properties.status == "reviewed" and .properties.review.reason == "crater seen by patrol"' \
        >/dev/null || fail "reviewed event"
curl -s -H "Authorization: Bearer $PA" "$URL/v1/events/$EV/history" |
    jq -e '(.versions | length) == '$((V + 2))' and .versions[-1].cause == "reviewed"' >/dev/null ||
    fail "event history"
FROM=$(jq -r .properties.fired_from <<<"$(head -1 "$W/findings")")
NEWSIDE=left
[ "$FROM" = left ] && NEWSIDE=right
expect_status 200 "" POST "/v1/findings/$FD/review" -H "Authorization: Bearer $AN" \
    -d "{\"action\":\"amend\",\"reason\":\"radar track\",\"amend\":{\"fired_from\":\"$NEWSIDE\"}}"
curl -s -H "Authorization: Bearer $PA" "$URL/v1/findings/$FD" |
    jq -e ".properties.fired_from == \"$NEWSIDE\" and .properties.status == \"reviewed\"
        and .properties.provisional == true" >/dev/null ||
    fail "amended finding (a review of a provisional finding keeps the mark)"
all_features "/v1/findings?status=reviewed" "$PA" | wc -l | grep -qx 1 || fail "status filter"
# an event review logs the review; a finding review logs the review and the new version
for _ in $(seq 1 50); do
    [ "$(status_field .log.size)" = $((LOG0 + 3)) ] && break
    sleep 0.1
done
[ "$(status_field .log.size)" = $((LOG0 + 3)) ] || fail "log grew $LOG0 -> $(status_field .log.size), want +3"
curl -s -H "Authorization: Bearer $AN" "$URL/v1/audit" |
    jq -e '[.audit[].action] | index("review.confirm") != null and index("review.amend") != null' \
        >/dev/null || fail "audit: $(curl -s -H "Authorization: Bearer $AN" "$URL/v1/audit")"
expect_status 403 forbidden GET /v1/audit -H "Authorization: Bearer $PA"
for _ in $(seq 1 50); do
    grep -q '"cause":"reviewed"' "$W/stream" && break
    sleep 0.1
done
kill "$SPID" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
grep -q "^event: event$" "$W/stream" && grep -q "^event: finding$" "$W/stream" ||
    fail "live feed lacks the reviews: $(head -c 500 "$W/stream")"
curl -s -N --max-time 2 -H "Authorization: Bearer $PA" "$URL/v1/stream?since=0&kind=finding" \
    >"$W/stream0" || true
[ "$(grep -c '^event: finding$' "$W/stream0")" -ge "$NF" ] || fail "stream catch-up from the store"
grep -q '^event: event$' "$W/stream0" && fail "kind=finding sent events"

note "reviews in the day's bulletin and report"
# a finding and an event rejected (another finding than the amended one when there is one)
FDR=$(sed -n 2p "$W/findings" | jq -r .properties.id)
[ -n "$FDR" ] || FDR=$FD
EVR=$(sed -n 2p "$W/events" | jq -r .properties.id)
expect_status 200 "" POST "/v1/findings/$FDR/review" -H "Authorization: Bearer $AN" \
    -d '{"action":"reject","reason":"impact is a quarry blast"}'
expect_status 200 "" POST "/v1/events/$EVR/review" -H "Authorization: Bearer $AN" \
    -d '{"action":"reject","reason":"wind noise"}'
curl -s -H "Authorization: Bearer $AN" "$URL/v1/audit" >"$W/audit"
ACTOR=$(jq -r --arg t "finding/$FDR" '[.audit[] | select(.action == "review.reject" and .target == $t)][0].actor' "$W/audit")
case "$ACTOR" in *"Analyst A"*) ;; *) fail "audit actor of the rejection: $ACTOR" ;; esac
all_features /v1/events "$AN" >"$W/rev_api"
all_features /v1/findings "$AN" >>"$W/rev_api"
for id in "$EV" "$EVR" "$FD" "$FDR"; do
    jq -r --arg id "$id" 'select(.properties.id == $id) | .properties.time[0:10]' "$W/rev_api"
done | sort -u >"$W/rev_days"
[ -s "$W/rev_days" ] || fail "the reviewed objects are not served"
for day in $(cat "$W/rev_days"); do
    curl -sf -H "Authorization: Bearer $AN" "$URL/v1/bulletins/$day" >"$W/rb.json" ||
        fail "bulletin $day: $(cat "$W/rb.json")"
    # the bulletin's features are the API's, review status and review included
    jq -c --arg d "$day" 'select(.properties.time[0:10] == $d)' "$W/rev_api" | sort >"$W/rev_a"
    jq -c '.features[]' "$W/rb.json" | sort >"$W/rev_b"
    diff "$W/rev_a" "$W/rev_b" >"$W/rev.diff" ||
        fail "bulletin $day: features differ from the API's: $(head -c 2000 "$W/rev.diff")"
    # counts: each member counts the features, "rejected" the rejected among them
    jq -e '.bulletin.counts as $c | [.features[].properties] as $p
        | ($p | map(select(.kind == "finding"))) as $f | ($p | map(select(.kind == "event"))) as $e
        | def tally($f; $e): {events: ($e | length),
            launch: ($e | map(select(.class == "launch")) | length),
            impact: ($e | map(select(.class == "impact")) | length),
            unknown: ($e | map(select(.class == "unknown")) | length),
            findings: ($f | length),
            fired_from_left: ($f | map(select(.fired_from == "left")) | length),
            fired_from_right: ($f | map(select(.fired_from == "right")) | length),
            fired_from_ambiguous: ($f | map(select(.fired_from == "ambiguous")) | length),
            provisional: ($f | map(select(.provisional == true)) | length)};
        ($c | del(.rejected, .reviewed)) == tally($f; $e)
        and $c.rejected == tally($f | map(select(.status == "rejected")); $e | map(select(.status == "rejected")))
        and $c.reviewed == ($p | map(select(.status == "reviewed")) | length)' "$W/rb.json" >/dev/null ||
        fail "bulletin $day: counts $(jq -c .bulletin.counts "$W/rb.json")"
    curl -sf -H "Authorization: Bearer $AN" "$URL/report/$day" >"$W/rr.html" ||
        fail "report $day: $(cat "$W/rr.html")"
    # the report's figures are the bulletin's counts less the rejected ones
    for pair in findings:findings fired_left:fired_from_left fired_right:fired_from_right \
        fired_ambiguous:fired_from_ambiguous events:events launch:launch impact:impact \
        unknown:unknown provisional_findings:provisional; do
        want=$(jq ".bulletin.counts.${pair#*:} - .bulletin.counts.rejected.${pair#*:}" "$W/rb.json")
        grep -q "data-count=\"${pair%%:*}\">$want<" "$W/rr.html" ||
            fail "report $day: ${pair%%:*} is not $want"
    done
    for pair in reviewed:reviewed rejected_findings:rejected.findings rejected_events:rejected.events; do
        want=$(jq ".bulletin.counts.${pair#*:}" "$W/rb.json")
        grep -q "data-count=\"${pair%%:*}\">$want<" "$W/rr.html" ||
            fail "report $day: ${pair%%:*} is not $want"
    done
done
# the rejected finding and event are kept, marked, with the review as the audit records it
cat "$W/rev_days" | while read -r day; do
    curl -s -H "Authorization: Bearer $AN" "$URL/v1/bulletins/$day" | jq -c '.features[]'
done >"$W/rev_all"
jq -e -s --arg id "$FDR" --arg by "$ACTOR" 'map(select(.properties.id == $id)) | length == 1
    and (.[0].properties | .status == "rejected" and .review.action == "reject"
        and .review.reason == "impact is a quarry blast" and .review.by == $by
        and (.review.time | test("^[0-9]{4}-")))' "$W/rev_all" >/dev/null ||
    fail "the rejected finding in the bulletin: $(grep "\"$FDR\"" "$W/rev_all" | head -c 1500)"
jq -e -s --arg id "$EVR" 'map(select(.properties.id == $id)) | length == 1
    and (.[0].properties | .status == "rejected" and .review.reason == "wind noise")' "$W/rev_all" \
    >/dev/null || fail "the rejected event in the bulletin"
jq -e -s --arg id "$EV" 'map(select(.properties.id == $id))[0].properties
    | .status == "reviewed" and .review.action == "confirm"' "$W/rev_all" >/dev/null ||
    fail "the confirmed event in the bulletin"
if [ "$FDR" != "$FD" ]; then
    jq -e -s --arg id "$FD" 'map(select(.properties.id == $id))[0].properties
        | .status == "reviewed" and .review.action == "amend" and .review.reason == "radar track"' \
        "$W/rev_all" >/dev/null || fail "the amended finding in the bulletin"
fi
for day in $(cat "$W/rev_days"); do
    curl -s -H "Authorization: Bearer $AN" "$URL/report/$day"
done >"$W/rev_reports.html"
grep -q "<tr data-id=\"$FDR\" class=\"rejected\"" "$W/rev_reports.html" ||
    fail "the report does not list the rejected finding as rejected"
# with the analyst's reason in its row
grep "<tr data-id=\"$FDR\" class=\"rejected\"" "$W/rev_reports.html" |
    grep -q '<q class="reason">impact is a quarry blast</q>' ||
    fail "the report does not give the reason of the rejection"

note "revoked tokens, clean stop, restart"
PID_ID=$(echo "$PA" | cut -d_ -f2)
"$TL" token revoke --data "$D" "$PID_ID" 2>/dev/null
expect_status 401 unauthenticated GET /v1/events -H "Authorization: Bearer $PA"
VERS=$(status_field .processing.published_versions "$AN")
stop_server "$SRV_PID"
grep -q "serve: stopped" "$W/a.err" || fail "no clean stop"
start_server b --mission "$M" --data "$D" --listen 127.0.0.1:0 --window-min 0 --embargo-h "$EMB_H"
wait_idle "$AN"
[ "$(status_field .processing.published_versions "$AN")" = 0 ] ||
    fail "a restart published new versions"
all_features "/v1/events" "$AN" | jq -c 'del(.properties.status, .properties.review, .properties.revision)' >"$W/events2"
jq -c 'del(.properties.status, .properties.review, .properties.revision)' "$W/events" | cmp -s - "$W/events2" ||
    fail "events differ after a restart"
[ "$(stored)" = $((UNIQUE + 2502)) ] || fail "records lost or doubled by a restart"
stop_server "$SRV_PID"
echo "server_api: ok ($NE events, $NF findings, $UNIQUE records)"
