#!/bin/bash
# web_map.sh - the web map in a real browser (Debian's Chromium, headless, driven by
# playwright-core from web/node_modules): a server started here on 127.0.0.1 with the built
# web/dist, an hour of the busy preset replayed into it, then web/test/browser.mjs compares
# what the page shows with what the API says.  Installs nothing: scripts/deps brings
# chromium and node, the build (scripts/web.sh) brings web/dist and web/node_modules.
# Screenshots: $TL_BUILD_DIR/web-screenshots/.
set -euo pipefail
: "${TL:?TL must name the truceline binary}"
: "${TL_SOURCE_DIR:?}"
: "${TL_BUILD_DIR:?}"
W=$(mktemp -d /tmp/tl_web_map.XXXXXX)
trap 'cleanup_servers; rm -rf "$W"' EXIT
. "$TL_SOURCE_DIR/tests/integration/lib/server.sh"

WEB="$TL_SOURCE_DIR/web"
[ -f "$WEB/dist/index.html" ] || fail "web/dist is not built: run scripts/web.sh (make does)"
[ -d "$WEB/node_modules/playwright-core" ] || fail "web/node_modules lacks playwright-core: run scripts/web.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "no $CHROMIUM: scripts/deps installs Debian's chromium"
command -v node >/dev/null || fail "no node: scripts/deps installs nodejs"

T0=$(date +%s)
# One hour of heavy fire that ended two hours ago: inside the 24-hour embargo, so the
# analyst sees it and the public does not.
START=$(date -u -d '-3 hours' +%Y-%m-%dT%H:00:00Z)
DAY=${START%%T*}
"$TL" simulate --mission "$TL_SOURCE_DIR/examples/demo/mission.geojson" --preset busy \
    --hours 1 --start "$START" --keys "$W/keys" --out "$W/sc" --quiet
start_server web --mission "$W/sc/mission.geojson" --data "$W/data" --listen 127.0.0.1:0 \
    --window-min 0 --web "$WEB/dist"
note "server at $URL"
AN=$("$TL" token add --data "$W/data" --role analyst --label "browser test" 2>/dev/null)
"$TL" replay --records "$W/sc/records.jsonl" --url "$URL" --keys "$W/keys" --speed 0 >"$W/replay.out"
wait_idle "$AN" 120
# every published finding version is in a published checkpoint before the page asks
for _ in $(seq 1 50); do
    [ "$(status_field '.log.size == .log.checkpoint_size' "$AN")" = true ] && break
    sleep 0.1
done
note "scenario ready in $(( $(date +%s) - T0 )) s: $(status_field '.processing.published_versions' "$AN") versions"

OUT="$TL_BUILD_DIR/web-screenshots"
URL="$URL" TOKEN="$AN" DAY="$DAY" OUT="$OUT" CHROMIUM="$CHROMIUM" \
    node "$WEB/test/browser.mjs"
# truceline report: the same page to PDF through headless Chromium
echo "$AN" >"$W/token"
"$TL" report --url "$URL" --date "$DAY" --token-file "$W/token" --pdf "$OUT/report-cli.pdf" \
    --html "$W/report.html" --chromium "$CHROMIUM" >/dev/null
pages=$(pdfinfo "$OUT/report-cli.pdf" | sed -n 's/^Pages: *//p')
[ "${pages:-0}" -ge 3 ] || fail "report PDF has ${pages:-no} pages"
pdftotext "$OUT/report-cli.pdf" "$W/report.txt"
grep -q "daily report $DAY" "$W/report.txt" || fail "report PDF lacks its title"
# the report's day, both ends (an hour just before midnight has findings of the next day)
NEXT=$(date -u -d "$DAY + 1 day" +%Y-%m-%d)
n=$(all_features "/v1/findings?from=${DAY}T00:00:00Z&to=${NEXT}T00:00:00Z" "$AN" |
    jq -s 'map(select(.properties.status != "rejected")) | length')
grep -q "data-count=\"findings\">$n<" "$W/report.html" || fail "report: findings differ from the API's $n"
grep -q "^$n findings" "$W/report.txt" || fail "report PDF does not say $n findings"
set +e; "$TL" report --url "$URL" --date 2026-02-30 --html "$W/x.html" 2>"$W/err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "HTTP 400" "$W/err" || fail "report of a bad date: exit $rc $(cat "$W/err")"
note "report PDF: $pages pages"
stop_server "$SRV_PID"
note "web_map: $(( $(date +%s) - T0 )) s in all; screenshots in $OUT"
