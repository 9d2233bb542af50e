#!/bin/sh
# Installs the Node packages ramjet-prover's format tests use (snarkjs, solc-js, @ethereumjs/evm)
# into prover/tests/js/node_modules, exactly as pinned by package-lock.json. Idempotent: does
# nothing when node_modules already matches the lock file. Needs node >= 18 and npm, and the
# npm registry (or a warm npm cache) the first time.
set -eu
cd "$(dirname "$0")"
command -v node >/dev/null 2>&1 || { echo "install.sh: node is not installed" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "install.sh: npm is not installed" >&2; exit 1; }
# npm writes node_modules/.package-lock.json on every install; if it is newer than the lock file
# and every package is present, the install is current.
if [ -f node_modules/.package-lock.json ] \
    && [ ! package-lock.json -nt node_modules/.package-lock.json ] \
    && [ -f node_modules/snarkjs/package.json ] \
    && [ -f node_modules/solc/package.json ] \
    && [ -f node_modules/@ethereumjs/evm/package.json ]; then
    echo "install.sh: node_modules is up to date"
    exit 0
fi
npm ci --no-audit --no-fund
