#!/usr/bin/env bash
# The main job, end to end: services, build, migrate, `pmsflow serve` with the in-process
# sandbox, then onboard every valid MOSIP fixture chain through the HTTP API and print each
# run's step timeline; then submit the negative fixtures and show each failing with its error
# code and no side effect in the sandbox's effect ledger.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
source scripts/env.sh
cargo build --release --bin pmsflow

export PMSFLOW_DATABASE__URL="${PMSFLOW_DATABASE__URL:-postgres://postgres@127.0.0.1:5432/pmsflow_demo}"
export PMSFLOW_API__BIND="${PMSFLOW_API__BIND:-127.0.0.1:18080}"
export PMSFLOW_REDIS__NAMESPACE="demo-$$"
export PMSFLOW_ENGINE__BACKOFF_BASE_MS=200
BIN="$CARGO_TARGET_DIR/release/pmsflow"

# A fresh demo database each time.
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS pmsflow_demo WITH (FORCE)" >/dev/null
$BIN migrate

LOG="$(mktemp)"
$BIN serve > "$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
    grep -q '^api: ' "$LOG" && break
    sleep 0.2
done
API="$(grep -m1 '^api: ' "$LOG" | cut -d' ' -f2)"
SANDBOX="$(grep -m1 '^sandbox: ' "$LOG" | cut -d' ' -f2)"
[ -n "$API" ] || { cat "$LOG"; echo "pmsflow serve did not start" >&2; exit 1; }
TOKEN="$($BIN token --sub demo-admin --roles PARTNER_ADMIN)"

python3 scripts/demo.py --api "$API" --sandbox "$SANDBOX" --token "$TOKEN" \
    --fixtures "${PMSFLOW_SHARED_DIR:-../shared}/fixtures/mosip/certs"
