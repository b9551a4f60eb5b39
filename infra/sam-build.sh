#!/usr/bin/env bash
# `sam build`: every function's arm64 bootstrap, as `sam deploy` uploads them, built with
# cargo-lambda (samconfig.toml, BuildMethod rust-cargolambda). Installs what it needs into
# the project's `.venv` and the arm64 Rust target, then prints each bootstrap's size.
# Cargo builds into the usual target directory (CARGO_TARGET_DIR if set), under its own
# aarch64 triple, so the host's builds stay as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r infra/build-requirements.txt
rustup target add aarch64-unknown-linux-gnu >/dev/null
export PATH="$PWD/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

sam build

echo "arm64 bootstraps:"
for bootstrap in .aws-sam/build/*/bootstrap; do
    stat -c '%n %s' "$bootstrap"
done | awk '{ split($1, path, "/"); printf "  %-20s %10d bytes  %5.1f MiB\n", path[3], $2, $2 / 1048576 }'
