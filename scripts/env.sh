# Sourced by ramjet's scripts: where cargo builds.
# In CI (CI=true) the target directory lives outside the clone, in a cache that survives between
# runs, so that a fresh clone does not rebuild every dependency.
if [[ ${CI:-} == true && -z ${CARGO_TARGET_DIR:-} ]]; then
  export CARGO_TARGET_DIR="${RAMJET_CACHE_DIR:-$HOME/.cache/ramjet}/target"
fi
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
