#!/bin/bash
# web_unit.sh - the web map's pure modules (hashing, log inclusion against the RFC 6962
# vectors, geometry, filters, the live-feed parser) under Node's test runner.
set -euo pipefail
: "${TL_SOURCE_DIR:?}"
command -v node >/dev/null || { echo "FAIL: no node: scripts/deps installs nodejs" >&2; exit 1; }
cd "$TL_SOURCE_DIR/web"
node --test test/unit.test.mjs
