#!/usr/bin/env bash
# Fuzzes the channel-math parser, the device payload parser, the CSV import parser and the
# chunk decoder for a short while each:
# `shared/fuzz/smoke.sh [SECONDS]` (default 30 per target). Installs cargo-fuzz if it is
# missing.
#
# cargo-fuzz wants nightly for its sanitizer flags; the project has only a stable
# toolchain, so RUSTC_BOOTSTRAP=1 lets stable accept them. FUZZ_SANITIZER=none skips
# AddressSanitizer where it cannot run (safe Rust needs it least).
set -euo pipefail

seconds="${1:-30}"
sanitizer="${FUZZ_SANITIZER:-address}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cd "$here/.."
# The fuzz crate is its own workspace; starting from the main lock file makes it build
# the dependency versions the workspace pins (cargo drops what the fuzz crate does not use).
cp "$here/../../Cargo.lock" "$here/Cargo.lock"
RUSTC_BOOTSTRAP=1 cargo fuzz run expr --fuzz-dir "$here" --sanitizer "$sanitizer" \
    -- -max_total_time="$seconds" -dict="$here/expr.dict" -print_final_stats=1
RUSTC_BOOTSTRAP=1 cargo fuzz run payload --fuzz-dir "$here" --sanitizer "$sanitizer" \
    -- -max_total_time="$seconds" -dict="$here/payload.dict" -print_final_stats=1
RUSTC_BOOTSTRAP=1 cargo fuzz run csv_import --fuzz-dir "$here" --sanitizer "$sanitizer" \
    -- -max_total_time="$seconds" -dict="$here/csv_import.dict" -print_final_stats=1
RUSTC_BOOTSTRAP=1 cargo fuzz run chunk --fuzz-dir "$here" --sanitizer "$sanitizer" \
    -- -max_total_time="$seconds" -print_final_stats=1
