#!/bin/bash
# tlog_go.sh - a third-party client verifies our log: tests/go/tlogverify, built
# offline against Debian's golang-go and golang-golang-x-mod-dev
# (golang.org/x/mod/sumdb/note and sumdb/tlog), opens our cosigned checkpoints
# with our verifier key, authenticates every tile and entry bundle, checks our
# inclusion proofs (and that x/mod computes the same ones from our tiles) and
# the consistency between two of our checkpoints.  Nothing is skipped: without
# Go the test fails (scripts/deps installs it).
set -euo pipefail
: "${TL:?TL must name the truceline binary}"
: "${TL_SOURCE_DIR:?}"
W=$(mktemp -d /tmp/tl_go.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$TL_SOURCE_DIR/tests/integration/lib/bytes.sh"

command -v go >/dev/null || fail "go is not installed (scripts/deps installs golang-go)"
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || fail "golang-golang-x-mod-dev is not installed"
# GOPATH mode against Debian's sources: no module proxy, no network.
(cd "$TL_SOURCE_DIR/tests/go/tlogverify" &&
    HOME="$W" GOCACHE="$W/gocache" GOPROXY=off GOFLAGS= GO111MODULE=off GOPATH=/usr/share/gocode \
        go build -o "$W/tlogverify" .) || fail "building the Go verifier"
go version

"$TL" log init --dir "$W/log" --origin log.truceline.example/go >"$W/vkey"
LOGVKEY=$(cat "$W/vkey")
for c in BR IN; do
    "$TL" log witness init --dir "$W/w$c" --name "witness.$c.truceline.example" --log "$LOGVKEY" >"$W/w$c.vkey"
    "$TL" log witness serve --dir "$W/w$c" --listen 127.0.0.1:0 >"$W/w$c.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 100); do grep -q '^listening' "$W/w$c.out" 2>/dev/null && break; sleep 0.05; done
done
{
    echo "log $LOGVKEY"
    for c in BR IN; do echo "witness $c $(cat "$W/w$c.vkey") $(sed -n 's/^listening on //p' "$W/w$c.out")"; done
    echo "group both all BR IN"
    echo "quorum both"
} >"$W/log/policy"

# 70,000 entries: full and partial tiles at levels 0, 1 and 2.
seq 0 999 | sed 's/^/finding F-/' >"$W/batch"
"$TL" log append --dir "$W/log" --lines "$W/batch" >/dev/null
"$TL" log checkpoint --dir "$W/log" >"$W/old.cp"
seq 1000 69999 | sed 's/^/bulletin entry /' | "$TL" log append --dir "$W/log" --lines >/dev/null
"$TL" log checkpoint --dir "$W/log" >"$W/new.cp"
"$TL" log consistency --dir "$W/log" --from 1000 --to 70000 >"$W/cons"
args=()
for i in 0 7 999 65535 65536 69999; do
    "$TL" log prove --dir "$W/log" --index $i >"$W/p$i"
    "$TL" log entry --dir "$W/log" --index $i >"$W/e$i"
    args+=(-proof "$W/p$i" -entry "$W/e$i")
done
"$W/tlogverify" -vkey "$W/log/log.vkey" -checkpoint "$W/new.cp" -dir "$W/log" \
    -witness "$(cat "$W/wBR.vkey")" -witness "$(cat "$W/wIN.vkey")" -quorum 2 \
    -old "$W/old.cp" -consistency "$W/cons" "${args[@]}" | tee "$W/result"
grep -q "^consistency ok: 1000 -> 70000" "$W/result" || fail "consistency not checked"
[ "$(grep -c '^proof ok' "$W/result")" = 6 ] || fail "proofs not checked"

# The Go client must also reject what is wrong (a test that cannot fail proves nothing).
sed 's/^70000$/70001/' "$W/new.cp" >"$W/forged.cp"
if "$W/tlogverify" -vkey "$W/log/log.vkey" -checkpoint "$W/forged.cp" -dir "$W/log" >/dev/null 2>&1; then
    fail "Go client accepted a forged checkpoint"
fi
cp "$W/log/tile/1/000" "$W/t.bak"
flip_byte "$W/log/tile/1/000" 0
if "$W/tlogverify" -vkey "$W/log/log.vkey" -checkpoint "$W/new.cp" -dir "$W/log" >/dev/null 2>&1; then
    fail "Go client accepted a tampered tile"
fi
cp "$W/t.bak" "$W/log/tile/1/000"
printf 'finding F-8' >"$W/wrong"
if "$W/tlogverify" -vkey "$W/log/log.vkey" -checkpoint "$W/new.cp" -dir "$W/log" -proof "$W/p7" -entry "$W/wrong" >/dev/null 2>&1; then
    fail "Go client accepted a proof for the wrong entry"
fi
echo "tlog_go: the Go x/mod client verified our checkpoints, tiles, proofs and consistency"
