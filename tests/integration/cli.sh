#!/bin/bash
# cli.sh - the `truceline` binary: help, version, exit codes, `mission check`.
set -u
fail=0
check() { # check NAME EXPECTED_RC ACTUAL_RC
    if [ "$2" != "$3" ]; then echo "FAIL $1: exit $3, want $2"; fail=1; else echo "ok   $1"; fi
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$TL" --help >"$T/out" 2>&1; check "--help" 0 $?
grep -q "mission" "$T/out" || { echo "FAIL --help lists no commands"; fail=1; }
"$TL" >/dev/null 2>&1; check "no command" 2 $?
"$TL" frobnicate >/dev/null 2>&1; check "unknown command" 2 $?
"$TL" version >"$T/out"; check "version" 0 $?
grep -Eq '^truceline [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || { echo "FAIL version text"; fail=1; }
"$TL" version extra >/dev/null 2>&1; check "version extra" 2 $?

# every command answers --help with exit 0 and a usage line
for cmd in $("$TL" --help | awk '/^commands:/{f=1;next} f && /^  [a-z]/{print $1}'); do
    "$TL" "$cmd" --help >"$T/out" 2>&1; check "$cmd --help" 0 $?
    grep -q "usage: truceline $cmd" "$T/out" || { echo "FAIL $cmd --help has no usage line"; fail=1; }
done

"$TL" mission check "$TL_SOURCE_DIR/examples/demo/mission.geojson" >"$T/out"; check "mission check demo" 0 $?
grep -q "stations     70: 35 left, 35 right; 35 with arrays" "$T/out" || { echo "FAIL summary"; cat "$T/out"; fail=1; }
"$TL" mission >/dev/null 2>&1; check "mission no args" 2 $?
"$TL" mission check /nonexistent.geojson >/dev/null 2>&1; check "mission missing file" 1 $?

cat >"$T/bad.geojson" <<'JSON'
{"type":"FeatureCollection","mission":{"name":"T","parties":{"left":"A","right":"B"}},"features":[
{"type":"Feature","properties":{"kind":"station","id":"x1"},"geometry":{"type":"Point","coordinates":[37.7,48.1,100]}}]}
JSON
"$TL" mission check "$T/bad.geojson" 2>"$T/err"; check "mission check bad" 3 $?
cat >"$T/want" <<EOF2
$T/bad.geojson: feature 0 (station x1): properties.id: "x1" is not a SEED station code (1-5 of A-Z 0-9)
$T/bad.geojson: features: no contact line (exactly one LineString with kind contact_line)
$T/bad.geojson: rejected (2 problems)
EOF2
diff "$T/want" "$T/err" || { echo "FAIL mission check messages"; fail=1; }
exit $fail
