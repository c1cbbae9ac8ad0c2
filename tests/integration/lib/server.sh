# tests/integration/lib/server.sh - helpers for the black-box tests of `truceline serve`.
#
# Sourced by tests/integration/server_*.sh (this folder is not a test itself).
# Needs: TL (the binary), W (a scratch folder), curl and jq.

: "${TL:?TL must name the truceline binary}"
SRV_PIDS=()

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }
# A command that stops the test under `set -e` says which one and where (the tests use
# set -e; a rare failure must not end one without a word).  errtrace carries it into
# functions; it stays quiet where errexit is off (set +e around an expected failure).
set -E
trap '_tl_rc=$?; [[ $- == *e* ]] && echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: exit $_tl_rc: $BASH_COMMAND" >&2' ERR

# start_server NAME ARGS... : starts `truceline serve ARGS`, waits for its URL.
# Sets URL and SRV_PID; output in $W/NAME.out, diagnostics in $W/NAME.err.
start_server() {
    local name=$1; shift
    # a restart under the same name must not see the last run's "listening on" line
    # before the shell has truncated the file for the new one
    rm -f "$W/$name.out" "$W/$name.err"
    "$TL" serve "$@" >"$W/$name.out" 2>"$W/$name.err" &
    SRV_PID=$!
    SRV_PIDS+=("$SRV_PID")
    for _ in $(seq 1 200); do
        grep -q '^listening on ' "$W/$name.out" 2>/dev/null && break
        kill -0 "$SRV_PID" 2>/dev/null || fail "server $name exited: $(cat "$W/$name.err")"
        sleep 0.05
    done
    URL=$(sed -n 's/^listening on //p' "$W/$name.out")
    [ -n "$URL" ] || fail "server $name did not start: $(cat "$W/$name.err")"
}

# stop_server PID: SIGTERM, then the exit status must be 0.
stop_server() {
    local pid=$1 rc=0
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || fail "server $pid exited $rc on SIGTERM"
}

cleanup_servers() {
    for p in "${SRV_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}

# http METHOD PATH [curl args...]: body in $W/body, status in $CODE.
http() {
    local m=$1 p=$2; shift 2
    CODE=$(curl -s -o "$W/body" -w '%{http_code}' -X "$m" "$@" "$URL$p") || CODE=000
}

# expect_status CODE ERROR METHOD PATH [curl args...]: status and JSON error code.
expect_status() {
    local want=$1 err=$2; shift 2
    http "$@"
    [ "$CODE" = "$want" ] || fail "$1 $2: status $CODE, want $want: $(cat "$W/body")"
    if [ -n "$err" ]; then
        [ "$(jq -r .error "$W/body")" = "$err" ] || fail "$1 $2: error $(jq -r .error "$W/body"), want $err"
        jq -e '.message | length > 0' "$W/body" >/dev/null || fail "$1 $2: no message"
    fi
}

# post_batch STATION SEQ FILE [KEYS] [curl args...]: a signed ingest request.
post_batch() {
    local sta=$1 seq=$2 file=$3 keys=${4:-$W/keys}; shift 4 || shift $#
    local sig
    sig=$("$TL" replay sign --keys "$keys" --station "$sta" --seq "$seq" "$file")
    http POST "/v1/stations/$sta/records" -H "X-Truceline-Signature: $sig" \
        -H 'Content-Type: application/x-ndjson' --data-binary "@$file" "$@"
}

# status_field JQ [TOKEN]: a field of /v1/status.
status_field() {
    local auth=()
    [ -n "${2:-}" ] && auth=(-H "Authorization: Bearer $2")
    curl -s "${auth[@]}" "$URL/v1/status" | jq -r "$1"
}

# wait_idle TOKEN [SECONDS]: until processing has fed every stored record, run and logged.
wait_idle() {
    local tok=$1 secs=${2:-90} n=0
    for _ in $(seq 1 $((secs * 10))); do
        if [ "$(status_field .processing.idle "$tok")" = true ]; then
            n=$((n + 1))
            [ $n -ge 3 ] && return 0
        else
            n=0
        fi
        sleep 0.1
    done
    fail "processing not idle after ${secs}s: $(curl -s -H "Authorization: Bearer $tok" "$URL/v1/status")"
}

# all_features PATH TOKEN: every feature of a paged list, one per line (compact JSON).
all_features() {
    local path=$1 tok=$2 cursor="" sep="?"
    case "$path" in *\?*) sep="&" ;; esac
    while :; do
        local q="$path"
        [ -n "$cursor" ] && q="$path${sep}cursor=$cursor"
        curl -s -H "Authorization: Bearer $tok" "$URL$q" >"$W/page"
        jq -c '.features[]' "$W/page"
        cursor=$(jq -r '.next // empty' "$W/page")
        [ -n "$cursor" ] || break
    done
}
