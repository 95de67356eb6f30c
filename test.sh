#!/usr/bin/env bash
# The whole test suite: vet, then every package under the race detector, then the browser
# tests of the tracking and operators' pages (web/e2e: the real binary's demo, Debian's
# Chromium driven by playwright-core). .ci/run installs Chromium and the npm packages on a
# fresh machine; without Chromium the browser tests skip with a message (fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")"
go vet ./...
go test -race -count=1 -timeout 15m ./...
cd web
if ! cmp -s package-lock.json node_modules/.hb-lock 2>/dev/null; then
  npm ci --ignore-scripts --no-audit --no-fund
  cp package-lock.json node_modules/.hb-lock
fi
node --test e2e/*.test.mjs
