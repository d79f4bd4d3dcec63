#!/usr/bin/env bash
# Fuzz the HTTP API against its own OpenAPI document (security issue 14, "Proof"): build
# `pmsflow`, seed a fresh `pmsflow_fuzz` database, run `pmsflow serve` (MOSIP sandbox
# in-process, dev tokens) on a free loopback port, then run schemathesis against
# `/v1/openapi.json` twice, as PARTNER_ADMIN and as a seeded partner, over every operation with
# a bounded number of examples (and a third time on POST /console/logout alone, see below).
# Fails on any 5xx and on any response the document does not describe (status code, content
# type, body schema). schemathesis is pinned and installed from PyPI into a venv in the user's
# cache (reused while the pinned version is there); scripts/fuzz.toml gives it seeded ids.
# About 2.5 minutes on two cores once built.
#
# Environment: FUZZ_MAX_EXAMPLES (default 50 random test cases per operation), FUZZ_SEED
# (default 14), FUZZ_WORKERS (default 1: with several, Python 3.11's ast.parse, which Hypothesis
# calls from each worker thread, fails now and then with "AST constructor recursion depth
# mismatch", a CPython bug), FUZZ_OUT (server log and reports; default
# $CARGO_TARGET_DIR/fuzz). Extra arguments go to every `schemathesis run`.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5

scripts/services.sh
source scripts/env.sh
cargo build -p pmsflow --bin pmsflow
BIN="$CARGO_TARGET_DIR/debug/pmsflow"

# --- schemathesis, pinned, in its own venv --------------------------------------------------
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/pmsflow/fuzz-venv"
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    echo "fuzz: installing schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
ST="$VENV/bin/schemathesis"
# The seeded ids the fuzzer draws half of its path and body ids from.
CONFIG="$PWD/scripts/fuzz.toml"

# --- a fresh seeded database and a server on a free loopback port ----------------------------
OUT="${FUZZ_OUT:-$CARGO_TARGET_DIR/fuzz}"
mkdir -p "$OUT"
LOG="$OUT/server.log"
export PMSFLOW_DATABASE__URL="postgres://postgres@127.0.0.1:5432/pmsflow_fuzz"
export PMSFLOW_REDIS__URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export PMSFLOW_REDIS__NAMESPACE="fuzz-$$-$(date +%s)"
# Port 0: the OS picks a free port; `serve` prints the address it bound (`api: http://...`).
export PMSFLOW_API__BIND="127.0.0.1:0"
# The in-process MOSIP sandbox and dev tokens (the defaults, said here so a changed default
# cannot point the fuzzer at real services); loopback, so no --dev is needed.
export PMSFLOW_MOSIP__MODE=sandbox
export PMSFLOW_AUTH__MODE=dev
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS pmsflow_fuzz WITH (FORCE)" >/dev/null
"$BIN" seed >/dev/null

"$BIN" serve > "$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
API=""
for _ in $(seq 1 150); do
    API="$(grep -m1 '^api: ' "$LOG" | cut -d' ' -f2 || true)"
    [ -n "$API" ] && curl -fsS -o /dev/null "$API/v1/openapi.json" 2>/dev/null && break
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.2
done
if [ -z "$API" ] || ! curl -fsS -o /dev/null "$API/v1/openapi.json"; then
    cat "$LOG" >&2
    echo "fuzz: pmsflow serve did not answer /v1/openapi.json" >&2
    exit 1
fi
echo "fuzz: server at $API (log: $LOG)" >&2

# An operator with every right, and a seeded partner (src/seed.rs: mpartner-default-auth is an
# Online_Verification_Partner, realm role AUTH_PARTNER) acting on its own partner id. The
# partner's run gets 403 from the operations its role may not call (schemathesis warns of
# "authentication failed" there): those 403s are documented answers, checked like the rest.
ADMIN_TOKEN="$("$BIN" token --sub fuzz-admin --roles PARTNER_ADMIN)"
PARTNER_TOKEN="$("$BIN" token --sub mpartner-default-auth --roles AUTH_PARTNER)"

# --- schemathesis ---------------------------------------------------------------------------
# Checks: no 5xx (not_a_server_error), and every response is one the document describes:
# status code, Content-Type and body schema. Not used, by design:
# - negative_data_rejection / positive_data_acceptance / missing_required_header: PMS answers
#   a business error with HTTP 200 and an error envelope (PMS's codes), so rejecting data is
#   not a 4xx there, and valid-by-schema data is often refused by PMS's rules (unknown ids);
# - ignored_auth: the run sends a token on every request (401s are covered by the tests);
# - use_after_free, ensure_resource_availability: stateful checks that assume REST
#   create/delete semantics PMS does not have (no DELETE; an approved API key stays);
# - response_headers_conformance, unsupported_method, allow_header_conformance: outside the
#   document's contract (no headers documented; axum's 405 has no body to check).
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
# Excluded operations: GET /v1/admin/events is a server-sent event stream that ends only when
# the token expires, so a request to it never completes (nothing else streams). POST
# /console/logout revokes the token it is called with: in the main runs every later request
# would be a 401, so it has a run of its own, last, with a token of its own.
EXCLUDE=(--exclude-path /v1/admin/events --exclude-path /console/logout)
# Phases: examples (none in the document: skipped), coverage (every boundary and negative case
# the schemas define) and fuzzing (--max-examples random cases per operation). Not the
# stateful phase: the document declares no links, and the links schemathesis infers take the
# envelope's `id` (PMS's request id, e.g. `mosip.partnermanagement.partners.create`) for a
# partner id, then drop an empty path segment (`/partners//certificate` is sent as
# `/partners/certificate`): requests to paths no operation has, 404 from the router.
PHASES=examples,coverage,fuzzing

# Every run starts from nothing: schemathesis keeps failures it found in `.schemathesis/` of its
# working directory and replays them first on the next run, so each run works in its own fresh
# directory under $OUT (also the home of its JUnit report), never in the clone, and with no
# example database. Only the Bearer header authenticates: no generated `cookieAuth` cookie.
run_as() { # name, token, selection arguments...
    local name="$1" token="$2"
    shift 2
    echo "fuzz: schemathesis as $name" >&2
    rm -rf "${OUT:?}/$name"
    mkdir -p "$OUT/$name"
    (
        cd "$OUT/$name"
        "$ST" --config-file "$CONFIG" run "$API/v1/openapi.json" \
            -H "Authorization: Bearer $token" \
            --checks "$CHECKS" --phases "$PHASES" "$@" \
            --generation-with-security-parameters false \
            --max-examples "${FUZZ_MAX_EXAMPLES:-50}" \
            --seed "${FUZZ_SEED:-14}" --generation-database none \
            --workers "${FUZZ_WORKERS:-1}" \
            --request-timeout 30 \
            --no-color \
            --report junit --report-dir . \
            "${EXTRA[@]}"
    )
}

# A run whose token stopped working midway would pass on 401s alone: each token must still
# authenticate after its run (not 401).
still_valid() { # name, token, path
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$API$3")"
    if [ "$code" = 401 ]; then
        echo "fuzz: the $1 token no longer authenticates after its run (GET $3: 401)" >&2
        return 1
    fi
}

EXTRA=("$@")
status=0
run_as admin "$ADMIN_TOKEN" "${EXCLUDE[@]}" || status=1
still_valid admin "$ADMIN_TOKEN" /v1/admin/session || status=1
run_as partner "$PARTNER_TOKEN" "${EXCLUDE[@]}" || status=1
still_valid partner "$PARTNER_TOKEN" /v1/partnermanager/partners/mpartner-default-auth || status=1
run_as logout "$("$BIN" token --sub fuzz-logout --roles PARTNER_ADMIN)" --include-path /console/logout || status=1
if ! kill -0 "$SERVER" 2>/dev/null; then
    tail -n 40 "$LOG" >&2
    echo "fuzz: pmsflow serve stopped during the run (log above: a crash, or a signal from outside)" >&2
    status=1
fi
if [ "$status" != 0 ]; then
    echo "fuzz: schemathesis found failures (above); server log: $LOG" >&2
fi
exit "$status"
