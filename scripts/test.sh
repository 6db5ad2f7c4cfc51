#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# (idempotently), then checks formatting and lints and runs every test.
# Everything the tests read is in this checkout (testdata/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-oracles.sh

# A clean CI build gains nothing from incremental state, which would only
# take disk space.
if [[ -n "${CI:-}" ]]; then
    export CARGO_INCREMENTAL=0
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The fuzz targets, a workspace of their own (fuzz/): formatted, built, and
# run once over their seed corpora (bench/fuzz.sh fuzzes for real).
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
bash bench/fuzz.sh --seeds

# The release binary: the release tests pack it into vouch's own image and
# Debian package, and attest it (scripts/image.sh, package-deb.sh, release.sh).
cargo build --release --locked -p vouch-cli

# Run the tests, then close on one summary line over every test binary.
mkdir -p target
log=target/test-output.log
set +e
cargo test --workspace --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
