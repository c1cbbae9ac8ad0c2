#!/bin/bash
# tlog_cli.sh - `truceline log` end to end: a log with three witnesses (AT, IE,
# CH) serving tlog-witness over HTTP on 127.0.0.1, a 2-of-3 policy, checkpoints
# published only with a quorum, proofs verified offline, tampering detected,
# and the exact message and exit code of each kind of bad input.
set -euo pipefail
: "${TL:?TL must name the truceline binary}"
: "${TL_SOURCE_DIR:?}"
W=$(mktemp -d /tmp/tl_cli.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$TL_SOURCE_DIR/tests/integration/lib/bytes.sh"
# expect CODE MESSAGE CMD...: the command exits CODE and stderr contains MESSAGE
expect() {
    local code=$1 msg=$2; shift 2
    set +e; "$@" >"$W/out" 2>"$W/err"; local rc=$?; set -e
    [ "$rc" = "$code" ] || fail "$* exited $rc, want $code: $(cat "$W/err")"
    grep -qF -- "$msg" "$W/err" || fail "$*: stderr lacks '$msg': $(cat "$W/err")"
}
start_witness() { # NAME [ADDR:PORT] -> sets URL
    local name=$1 listen=${2:-127.0.0.1:0}
    # a restart must not see the last run's "listening on" line before the shell has
    # truncated the file for the new one
    rm -f "$W/w$name.out" "$W/w$name.err"
    "$TL" log witness serve --dir "$W/w$name" --listen "$listen" >"$W/w$name.out" 2>"$W/w$name.err" &
    PIDS+=($!)
    eval "PID_$name=$!"
    for _ in $(seq 1 100); do
        grep -q '^listening on ' "$W/w$name.out" 2>/dev/null && break
        sleep 0.05
    done
    URL=$(sed -n 's/^listening on //p' "$W/w$name.out")
    [ -n "$URL" ] || fail "witness $name did not start: $(cat "$W/w$name.err")"
}

# The log first (the witnesses must trust its key), then the witnesses, then
# the policy naming them (installed as DIR/policy).
"$TL" log init --dir "$W/log" --origin log.truceline.example/cli >"$W/log.vkey.out"
LOGVKEY=$(cat "$W/log.vkey.out")
[ "$(cat "$W/log/log.vkey")" = "$LOGVKEY" ] || fail "init printed another vkey"
[ "$(stat -c %a "$W/log/log.key")" = 600 ] || fail "log.key is not 0600"
grep -q '^PRIVATE+KEY+log.truceline.example/cli+' "$W/log/log.key" || fail "log.key format"
expect 3 "already holds a log" "$TL" log init --dir "$W/log" --origin log.truceline.example/cli
expect 3 "origin must be 1 to 255 bytes" "$TL" log init --dir "$W/bad" --origin "has space"
expect 2 "--dir and --origin are required" "$TL" log init --origin x

for c in AT IE CH; do
    "$TL" log witness init --dir "$W/w$c" --name "witness.$c.truceline.example" --log "$LOGVKEY" >"$W/w$c.vkey"
    [ "$(stat -c %a "$W/w$c/witness.key")" = 600 ] || fail "witness key is not 0600"
    start_witness $c
    eval "URL_$c=$URL"
done
{
    echo "# one witness per contingent; two of three must cosign"
    echo "log $LOGVKEY"
    for c in AT IE CH; do eval "echo witness $c \$(cat $W/w$c.vkey) \$URL_$c"; done
    echo "group contingents 2 AT IE CH"
    echo "quorum contingents"
} >"$W/policy"
cp "$W/policy" "$W/log/policy"

# Appends: a file, stdin, lines; the index is printed once durable.
printf 'finding F-1\n' >"$W/f1"
[ "$("$TL" log append --dir "$W/log" "$W/f1")" = "index 0" ] || fail "first index"
[ "$(printf 'review R-1' | "$TL" log append --dir "$W/log" -)" = "index 1" ] || fail "stdin"
seq 1 300 | sed 's/^/bulletin line /' | "$TL" log append --dir "$W/log" --lines >"$W/idx"
[ "$(wc -l <"$W/idx")" = 300 ] && [ "$(tail -1 "$W/idx")" = "index 301" ] || fail "--lines"
head -c 70000 /dev/zero >"$W/big"
"$TL" log append --dir "$W/log" "$W/big" >"$W/out" 2>"$W/err"
grep -q "logged by its SHA-256" "$W/err" || fail "big record"
[ "$("$TL" log entry --dir "$W/log" --index 302)" = "sha256 $(sha256sum "$W/big" | cut -d' ' -f1)" ] || fail "hash entry"
expect 2 "--dir is required" "$TL" log append
mkdir "$W/nolog"
expect 3 "holds no log" "$TL" log append --dir "$W/nolog" "$W/f1"
expect 3 "No such file or directory" "$TL" log append --dir "$W/missing" "$W/f1"

# A checkpoint with a 2-of-3 quorum: all three cosign.
"$TL" log checkpoint --dir "$W/log" >"$W/cp1"
[ "$(grep -c '^— witness\.' "$W/cp1")" = 3 ] || fail "want 3 cosignatures: $(cat "$W/cp1")"
cmp -s "$W/cp1" "$W/log/checkpoint" || fail "published checkpoint differs"
"$TL" log verify --policy "$W/policy" --checkpoint "$W/cp1" | grep -q "quorum met" || fail "policy verify"
"$TL" log verify --vkey "$LOGVKEY" --dir "$W/log" | grep -q "tiles ok: 303 entries" || fail "audit"
cp -a "$W/log" "$W/log.backup" # for the rollback test below

# One witness down: 2 of 3 still publish.  Two down: nothing is published.
kill "$PID_CH"; wait "$PID_CH" 2>/dev/null || true
echo more | "$TL" log append --dir "$W/log" >/dev/null
"$TL" log checkpoint --dir "$W/log" >"$W/cp2" 2>"$W/err"
[ "$(grep -c '^— witness\.' "$W/cp2")" = 2 ] || fail "want 2 cosignatures"
kill "$PID_IE"; wait "$PID_IE" 2>/dev/null || true
echo more | "$TL" log append --dir "$W/log" >/dev/null
expect 1 "quorum not met: 1 of 3 witnesses cosigned size 305; checkpoint not published" \
    "$TL" log checkpoint --dir "$W/log"
cmp -s "$W/cp2" "$W/log/checkpoint" || fail "a checkpoint without quorum was published"
# The witness state survived: restarted, IE answers from size 304 (409 then retry).
start_witness IE "${URL_IE#http://}"
"$TL" log checkpoint --dir "$W/log" >"$W/cp3"
[ "$(grep -c '^— witness\.' "$W/cp3")" = 2 ] || fail "after restart"
grep -q '^305$' "$W/cp3" || fail "size 305"

# A log restored from an old backup (same key, smaller tree) is caught by the
# witnesses: they have cosigned a larger tree, so nothing is published.
cp -a "$W/log.backup" "$W/rolled"
expect 1 "quorum not met: 0 of 3 witnesses cosigned size 303" "$TL" log checkpoint --dir "$W/rolled"
grep -q "witness AT: has cosigned size 305, larger than ours (303): this log was rolled back" "$W/err" \
    || fail "rollback not reported: $(cat "$W/err")"
cmp -s "$W/rolled/checkpoint" "$W/log.backup/checkpoint" || fail "the rolled-back log published"

# Offline proofs and consistency.
"$TL" log prove --dir "$W/log" --index 0 >"$W/p0"
head -1 "$W/p0" | grep -qx 'c2sp.org/tlog-proof@v1' || fail "proof format"
"$TL" log verify --policy "$W/policy" --proof "$W/p0" --entry "$W/f1" | grep -q "proof ok" || fail "proof"
expect 3 "proof: proof: computed root does not match the tree root" \
    "$TL" log verify --vkey "$LOGVKEY" --proof "$W/p0" --entry "$W/big"
"$TL" log consistency --dir "$W/log" --from 303 --to 305 >"$W/cons"
"$TL" log verify --vkey "$LOGVKEY" --old "$W/cp1" --checkpoint "$W/cp3" --consistency "$W/cons" \
    | grep -q "consistency ok: size 303 -> 305" || fail "consistency"
expect 3 "need 0 < from <= to" "$TL" log consistency --dir "$W/log" --from 0 --to 5
expect 3 "index 999 is not in the published tree" "$TL" log prove --dir "$W/log" --index 999
expect 2 "--index is required" "$TL" log prove --dir "$W/log"
expect 2 "needs a non-negative integer" "$TL" log prove --dir "$W/log" --index -1

# Bad inputs to verify: exact messages.
sed 's/^305$/306/' "$W/cp3" >"$W/forged"
expect 3 "checkpoint: signature: signature by log.truceline.example/cli does not verify" \
    "$TL" log verify --vkey "$LOGVKEY" --checkpoint "$W/forged"
head -3 "$W/cp3" >"$W/nosig"
expect 3 "checkpoint: note: note has no blank line before its signatures" \
    "$TL" log verify --vkey "$LOGVKEY" --checkpoint "$W/nosig"
expect 3 "key: vkey: verifier key is not <name>+<id>+<key>" "$TL" log verify --vkey nonsense --checkpoint "$W/cp3"
grep -v '^group' "$W/policy" | sed 's/^quorum .*/quorum AT/' >"$W/policy.at"
"$TL" log verify --policy "$W/policy.at" --checkpoint "$W/cp3" >/dev/null
sed 's/^quorum .*/quorum CH/' "$W/policy.at" >"$W/policy.ch"
expect 3 "quorum not met: 2 of 3 witnesses cosigned" "$TL" log verify --policy "$W/policy.ch" --checkpoint "$W/cp3"
printf 'log %s\nquorum nobody\n' "$LOGVKEY" >"$W/badpolicy"
expect 3 'quorum "nobody" is not defined above' "$TL" log verify --policy "$W/badpolicy" --checkpoint "$W/cp3"
# A flipped byte in a tile is found by the audit.
cp "$W/log/tile/0/000" "$W/tile.bak"
flip_byte "$W/log/tile/0/000" 100
expect 3 "tiles: tile: tile/0/000: hashes do not match the entries" "$TL" log verify --vkey "$LOGVKEY" --dir "$W/log"
cp "$W/tile.bak" "$W/log/tile/0/000"

# The offline witness answers the protocol exactly as the server does.
"$TL" log witness init --dir "$W/wID" --name witness.ID.truceline.example --log "$LOGVKEY" >/dev/null
{ echo "old 0"; echo; cat "$W/cp3"; } >"$W/req"
"$TL" log witness cosign --dir "$W/wID" "$W/req" >"$W/cosig"
grep -q '^— witness.ID.truceline.example ' "$W/cosig" || fail "offline cosign"
expect 3 "409 305" "$TL" log witness cosign --dir "$W/wID" "$W/req"
# The HTTP witness: 404 for an unknown origin, GET of the monitoring checkpoint.
HASH=$(printf '%s' log.truceline.example/cli | sha256sum | cut -d' ' -f1)
curl -sf "$URL_AT/$HASH/checkpoint" | head -1 | grep -qx log.truceline.example/cli || fail "monitor GET"
code=$(printf 'old 0\n\nother.example\n1\nAAAA\n\n— x AAAA\n' | curl -s -o /dev/null -w '%{http_code}' --data-binary @- "$URL_AT/add-checkpoint")
[ "$code" = 404 ] || fail "unknown origin gave $code"
code=$(curl -s -o "$W/body" -w '%{http_code}' -D "$W/hdr" --data-binary @"$W/req" "$URL_AT/add-checkpoint")
[ "$code" = 409 ] && grep -qi '^content-type: text/x.tlog.size' "$W/hdr" && grep -qx 305 "$W/body" || fail "409 over HTTP ($code)"
echo "tlog_cli: all checks passed"
