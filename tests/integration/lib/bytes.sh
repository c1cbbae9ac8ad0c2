# tests/integration/lib/bytes.sh - byte-level tampering for the integration tests.
#
# Sourced (this folder is not a test itself).

# flip_byte FILE OFFSET: invert one byte of FILE.  Overwriting a byte with a fixed value is no
# change at all when the byte already has that value, and a tampering test must not pass by luck.
flip_byte() {
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf '%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
