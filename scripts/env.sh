# Build environment shared by scripts/test.sh, scripts/demo.sh and .ci/run (sourced, not run).
#
# - CARGO_TARGET_DIR: one build cache outside the clone, under the user's cache directory, so a
#   fresh clone (CI's) reuses the dependencies compiled by an earlier one; an explicit
#   CARGO_TARGET_DIR wins. Sourced from the clone's root.
# - mold as the linker when Debian's `mold` is installed (scripts/services.sh installs it):
#   linking the test binaries is a large share of a build on two cores.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pmsflow/target}"

# Cargo names a workspace crate's artefacts by its path inside the workspace, not the clone's,
# and judges them fresh by file times: after another clone built into the cache, this clone's
# older files could pass for built. When the cache was last used by another clone, make this
# clone's tracked files newer than anything in it (its crates rebuild; dependencies stay).
__pmsflow_clone="$(pwd -P)"
__pmsflow_marker="$CARGO_TARGET_DIR/.last-clone"
if [ "$(cat "$__pmsflow_marker" 2>/dev/null)" != "$__pmsflow_clone" ]; then
    git ls-files -z | xargs -0 touch -c
    mkdir -p "$CARGO_TARGET_DIR"
    echo "$__pmsflow_clone" > "$__pmsflow_marker"
fi
unset __pmsflow_clone __pmsflow_marker
if command -v mold >/dev/null 2>&1 && [[ "${RUSTFLAGS:-}" != *fuse-ld* ]]; then
    export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C link-arg=-fuse-ld=mold"
fi
