# Build environment shared by scripts/test.sh, scripts/demo.sh and .ci/run (sourced, not run).
#
# - CARGO_TARGET_DIR: one build cache outside the clone, under the user's cache directory, so a
#   fresh clone (CI's) reuses the dependencies compiled by an earlier one. Cargo keys every
#   artefact by package id, source and flags, so clones of the same lockfile share it safely;
#   an explicit CARGO_TARGET_DIR wins.
# - mold as the linker when Debian's `mold` is installed (scripts/services.sh installs it):
#   linking the test binaries is a large share of a build on two cores.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pmsflow/target}"
if command -v mold >/dev/null 2>&1 && [[ "${RUSTFLAGS:-}" != *fuse-ld* ]]; then
    export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C link-arg=-fuse-ld=mold"
fi
