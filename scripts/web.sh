#!/bin/sh
# scripts/web.sh [OUTDIR] - build the web map into web/dist (or OUTDIR).
#
# Installs web/node_modules from web/package-lock.json with `npm ci` when they are missing or
# older than the lock file (the npm registry is the only thing asked), then runs
# web/build.mjs, which copies the sources and the vendored libraries and converts the
# Natural Earth borders.  Called by `make` (build, check, demo) and by the CMake target
# `web`; quick when nothing changed.
set -eu
cd "$(dirname "$0")/../web"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "web: node and npm are needed (scripts/deps installs them)" >&2
    exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
node build.mjs "${1:-dist}"
