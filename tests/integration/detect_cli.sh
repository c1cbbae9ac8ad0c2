#!/bin/bash
# detect_cli.sh - `truceline simulate --waveforms` then `truceline detect`: usage errors,
# the files written, the picks against the arrivals the simulator synthesised (every
# strong arrival picked, within 20 ms), bearings and shock cues present, byte-identical
# output, and bad inputs reported with exit 3 while the good ones are still processed.
set -u
fail=0
check() { # check NAME EXPECTED_RC ACTUAL_RC
    if [ "$2" != "$3" ]; then echo "FAIL $1: exit $3, want $2"; fail=1; else echo "ok   $1"; fi
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
M="$TL_SOURCE_DIR/examples/demo/mission.geojson"

"$TL" detect >/dev/null 2>&1; check "no arguments" 2 $?
"$TL" detect --mission "$M" >/dev/null 2>&1; check "no files" 2 $?
"$TL" detect --mission "$M" --band 40-2 x.mseed >/dev/null 2>&1; check "bad band" 2 $?
"$TL" detect --mission "$M" --gain 0 x.mseed >/dev/null 2>&1; check "zero gain" 2 $?
"$TL" detect --mission "$M" --frobnicate x.mseed >/dev/null 2>&1; check "unknown option" 2 $?
"$TL" detect --mission /nonexistent x.mseed >/dev/null 2>&1; check "missing mission" 1 $?
"$TL" simulate --mission "$M" --preset busy --hours 0.1 --waveforms --waveform-stations L055,NOPE \
    --out "$T/x" >/dev/null 2>&1; check "unknown waveform station" 2 $?

# Two stations in the busy hour: L055 (an array of four) and R056 (one microphone).
"$TL" simulate --mission "$M" --preset busy --start 2026-03-01T18:00:00Z --hours 0.4 --quiet \
    --waveforms --waveform-stations L055,R056 --out "$T/s" >/dev/null 2>&1
check "simulate --waveforms" 0 $?
W="$T/s/waveforms"
[ -s "$W/L055.20260301T18.mseed" ] && [ -s "$W/R056.20260301T18.mseed" ] ||
    { echo "FAIL no miniSEED files"; fail=1; }
[ -s "$W/arrivals.jsonl" ] && [ -s "$W/waveforms.json" ] || { echo "FAIL no arrivals"; fail=1; }
grep -q '"gain": 10000' "$W/waveforms.json" || { echo "FAIL gain not stated"; fail=1; }

"$TL" detect --mission "$M" --gain 10000 --out "$T/p1.jsonl" "$W"/*.mseed 2>"$T/err"
check "detect" 0 $?
grep -q "picks" "$T/err" || { echo "FAIL no summary"; fail=1; }
"$TL" detect --mission "$M" --gain 10000 --quiet "$W"/*.mseed >"$T/p2.jsonl" 2>/dev/null
cmp -s "$T/p1.jsonl" "$T/p2.jsonl" || { echo "FAIL two runs differ"; fail=1; }
n=$(grep -c '"type":"pick"' "$T/p1.jsonl")
[ "$n" -gt 50 ] || { echo "FAIL only $n picks"; fail=1; }
grep -q '"baz_deg"' "$T/p1.jsonl" || { echo "FAIL no bearings from the array"; fail=1; }
grep '"station":"R056"' "$T/p1.jsonl" | grep -q '"baz_deg"' && { echo "FAIL bearing without array"; fail=1; }
grep -q '"shock":true' "$T/p1.jsonl" || { echo "FAIL no shock cue"; fail=1; }
# ids are <STATION>-<n>, unique
dups=$(sed 's/.*"id":"\([^"]*\)".*/\1/' "$T/p1.jsonl" | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || { echo "FAIL $dups duplicate ids"; fail=1; }
grep -v '"id":"\(L055\|R056\)-[0-9]*"' "$T/p1.jsonl" | grep -q . && { echo "FAIL bad id"; fail=1; }

# Every strong isolated blast (SNR >= 20 dB, no other arrival within 1 s) is picked
# within 20 ms. Times are compared as seconds of the hour.
sec() { sed 's/.*"'"$1"'":"2026-03-01T18:\([0-9]*\):\([0-9.]*\)Z".*/\1 \2/' | awk '{printf "%.4f\n", $1 * 60 + $2}'; }
for s in L055 R056; do
    grep "\"station\":\"$s\"" "$W/arrivals.jsonl" | grep -v '"snr_db":-' | sec station_time >"$T/all_$s"
    grep "\"station\":\"$s\"" "$W/arrivals.jsonl" | grep '"phase":"blast"' |
        awk -F'"snr_db":' '{split($2, a, ","); if (a[1] >= 20) print}' | sec station_time >"$T/strong_$s"
    grep "\"station\":\"$s\"" "$T/p1.jsonl" | sec time >"$T/picks_$s"
    awk -v all="$T/all_$s" -v picks="$T/picks_$s" '
        BEGIN { while ((getline t < all) > 0) A[na++] = t; while ((getline t < picks) > 0) P[np++] = t }
        { iso = 1; for (i = 0; i < na; i++) { d = A[i] - $1; if (d < 0) d = -d; if (d > 1e-3 && d < 1.0) iso = 0 }
          if (!iso) next; n++; for (i = 0; i < np; i++) { d = P[i] - $1; if (d < 0) d = -d; if (d < 0.02) { hit++; break } } }
        END { printf "%d %d\n", n, hit }' "$T/strong_$s" >"$T/score_$s"
    read -r n hit <"$T/score_$s"
    echo "     $s: $hit of $n strong isolated blasts picked"
    [ "$n" -gt 0 ] && [ "$hit" = "$n" ] || { echo "FAIL $s missed strong blasts"; fail=1; }
done

# A bad file among good ones: reported, exit 3, the good ones still give their picks.
head -c 1000 /dev/urandom >"$T/junk.mseed"
"$TL" detect --mission "$M" --gain 10000 --quiet --out "$T/p3.jsonl" "$T/junk.mseed" "$W"/*.mseed \
    2>"$T/err3"
check "bad file among good" 3 $?
grep -q "junk.mseed: offset 0: not a miniSEED record" "$T/err3" || { echo "FAIL message"; cat "$T/err3"; fail=1; }
cmp -s "$T/p1.jsonl" "$T/p3.jsonl" || { echo "FAIL picks differ with a bad file around"; fail=1; }
"$TL" detect --mission "$M" --quiet "$T/nothere.wav" >/dev/null 2>"$T/err4"
check "audio without sidecar" 3 $?
grep -q "nothere.json: No such file or directory" "$T/err4" || { echo "FAIL sidecar message"; fail=1; }
"$TL" detect --mission "$M" --gain 10000 --out /nonexistent/dir/p.jsonl "$W"/*.mseed >/dev/null 2>&1
check "unwritable output" 1 $?
exit $fail
