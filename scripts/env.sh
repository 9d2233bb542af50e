# Sourced by ramjet's scripts: where cargo builds.
# In CI (CI=true) the target directory lives outside the clone, in a cache that survives between
# runs, so that a fresh clone does not rebuild every dependency.
if [[ ${CI:-} == true && -z ${CARGO_TARGET_DIR:-} ]]; then
  export CARGO_TARGET_DIR="${RAMJET_CACHE_DIR:-$HOME/.cache/ramjet}/target"
fi
# CI builds each fresh clone once: incremental compilation only adds gigabytes to the cache.
if [[ ${CI:-} == true ]]; then
  export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
fi
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

# Mesa's device-select Vulkan layer looks for a Wayland display and complains on stderr when
# there is none (headless machines, CI); it chooses nothing ramjet needs, so it stays off.
export NODEVICE_SELECT="${NODEVICE_SELECT:-1}"
