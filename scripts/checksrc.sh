#!/bin/sh
# scripts/checksrc.sh - source rules that clang-format 14 cannot enforce (curl's checksrc idea).
#
#   - banned functions: strcpy strcat sprintf vsprintf gets atoi atol atof strtok rand system alloca
#   - no // comments
#   - braces on every if / else / for / while body
#
# Prints file:line: rule for each violation; exits 1 if there is any.
set -eu
cd "$(dirname "$0")/.."
files=$(find include src tools tests/unit bench fuzz -name '*.[ch]' 2>/dev/null | sort)
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
awk '
function report(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg; bad = 1 }
FNR == 1 { pending = 0; in_comment = 0 }
{
    line = $0
    # strip string and char literals, then block comments (tracking multi-line ones)
    gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
    gsub(/'"'"'([^'"'"'\\]|\\.)*'"'"'/, "0", line)
    code = ""
    rest = line
    while (rest != "") {
        if (in_comment) {
            p = index(rest, "*/")
            if (p == 0) { rest = "" } else { rest = substr(rest, p + 2); in_comment = 0 }
        } else {
            p = index(rest, "/*")
            if (p == 0) { code = code rest; rest = "" }
            else { code = code substr(rest, 1, p - 1); rest = substr(rest, p + 2); in_comment = 1 }
        }
    }
    if (code ~ /\/\//) report("// comment (use /* */)")
    if (code ~ /(^|[^A-Za-z0-9_])(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atof|strtok|rand|system|alloca)[ \t]*\(/)
        report("banned function")
    # braces: after a control header closes, the next token must be "{" (or ";" for do-while)
    s = code
    if (pending) {
        t = s; sub(/^[ \t]+/, "", t)
        if (t == "") next
        if (depth > 0) {
            for (i = 1; i <= length(t); i++) {
                c = substr(t, i, 1)
                if (c == "(") depth++
                else if (c == ")") { depth--; if (depth == 0) { t = substr(t, i + 1); break } }
            }
            if (depth > 0) next
            sub(/^[ \t]+/, "", t)
            if (t == "") next
        }
        if (substr(t, 1, 1) != "{" && substr(t, 1, 1) != ";") report("control body without braces")
        pending = 0
        next
    }
    if (s ~ /^[ \t]*#/ || s ~ /}[ \t]*while[ \t]*\(/) {
        # preprocessor lines, and the closing "} while (...)" of a do-while
    } else if (match(s, /(^|[^A-Za-z0-9_])(if|for|while|switch)[ \t]*\(/)) {
        t = substr(s, RSTART + RLENGTH - 1)
        depth = 0
        for (i = 1; i <= length(t); i++) {
            c = substr(t, i, 1)
            if (c == "(") depth++
            else if (c == ")") { depth--; if (depth == 0) { t = substr(t, i + 1); break } }
        }
        if (depth > 0) { pending = 1; next }
        sub(/^[ \t]+/, "", t)
        if (t == "") { pending = 1; depth = 0; next }
        if (substr(t, 1, 1) != "{" && substr(t, 1, 1) != ";" && substr(t, 1, 1) != ")" &&
            substr(t, 1, 1) != "&" && substr(t, 1, 1) != "|" && substr(t, 1, 1) != "?" &&
            substr(t, 1, 1) != ",")
            report("control body without braces")
    } else if (match(s, /(^|[^A-Za-z0-9_])else[ \t]*$/)) {
        pending = 1; depth = 0
    } else if (match(s, /(^|[^A-Za-z0-9_])else[ \t]+[^i{ \t]/)) {
        report("else without braces")
    }
}
END { exit bad }
' $files
