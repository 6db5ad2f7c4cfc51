#!/usr/bin/env bash
# The vouch demo, end to end, with no server: make a key, sign a file and an
# in-toto statement into Sigstore bundles, verify both, and watch a tampered
# file be refused. Everything happens in a temporary directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --quiet --bin vouch
vouch="$PWD/target/debug/vouch"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "demo directory: $work"
printf 'release artifact\n' >app.tar
step "$vouch" keygen --out ci
step "$vouch" sign-blob --key ci.key --bundle app.tar.sigstore.json app.tar
step "$vouch" verify-bundle --bundle app.tar.sigstore.json --key ci.pub app.tar

digest="$(sha256sum app.tar | cut -d' ' -f1)"
cat >statement.json <<JSON
{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar","digest":{"sha256":"$digest"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://example.com/demo","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/demo-builder"}}}}
JSON
step "$vouch" sign-blob --in-toto --key ci.key --bundle provenance.sigstore.json statement.json
step "$vouch" verify-bundle --bundle provenance.sigstore.json --key ci.pub "sha256:$digest"

printf 'tampered\n' >app.tar
printf '\n\033[1m$ %s\033[0m   (must fail)\n' "vouch verify-bundle --bundle app.tar.sigstore.json --key ci.pub app.tar"
if "$vouch" verify-bundle --bundle app.tar.sigstore.json --key ci.pub app.tar; then
    echo "demo: a tampered artifact verified: this is a bug" >&2
    exit 1
fi
printf '\ndemo: all steps behaved as expected\n'
