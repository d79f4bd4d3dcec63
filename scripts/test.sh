#!/usr/bin/env bash
# Services, then every test of the workspace against real PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export PMSFLOW_SHARED_DIR="${PMSFLOW_SHARED_DIR:-$(cd .. && pwd)/shared}"

# The workflow core stays pure (DESIGN.md §1): no IO crate may appear in its dependency tree.
if cargo tree -p pmsflow-core -e normal --prefix none | grep -E '^(tokio|sqlx|reqwest|axum|apalis|redis)[ -]'; then
    echo "pmsflow-core must not depend on IO crates" >&2
    exit 1
fi

# The crash test runs the pmsflow binary as a separate worker process: build it first.
cargo build --bin pmsflow
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast "$@"
else
    cargo test --workspace --no-fail-fast "$@"
fi
