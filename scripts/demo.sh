#!/usr/bin/env bash
# The vouch demo, end to end, with no server: make a key, sign a file and an
# in-toto statement into Sigstore bundles and verify both; sign an image in an
# OCI layout directory, list and verify its signatures, copy it with them;
# attest a sample project's vendored inputs (SBOMs and SLSA provenance) onto
# the image; and watch a tampered file be refused. All in a temporary directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --quiet --bin vouch
vouch="$PWD/target/debug/vouch"
repo="$PWD"
project="$repo/testdata/projects/demo-service"
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

# An image in an OCI layout directory (the embedded default store: no
# registry needed), written by hand: one layer, a config, a manifest.
blob() { # blob FILE -> prints "sha256:<hex> <size>" and stores it
    local hex size
    hex="$(sha256sum "$1" | cut -d' ' -f1)"; size="$(wc -c <"$1")"
    mkdir -p layout/blobs/sha256 && cp "$1" "layout/blobs/sha256/$hex"
    echo "sha256:$hex $size"
}
read -r layer_digest layer_size < <(blob app.tar)
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' "$layer_digest" >config.json
read -r config_digest config_size < <(blob config.json)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >manifest.json
read -r manifest_digest manifest_size < <(blob manifest.json)
printf '{"imageLayoutVersion":"1.0.0"}' >layout/oci-layout
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
    "$manifest_digest" "$manifest_size" >layout/index.json

step "$vouch" sign oci:layout:v1 --key ci.key
step "$vouch" sign oci:layout:v1 --key ci.key --format legacy -a build=42
step "$vouch" tree oci:layout:v1
step "$vouch" verify-image oci:layout:v1 --key ci.pub
step "$vouch" copy oci:layout:v1 oci:audit-copy:v1
step "$vouch" verify-image oci:audit-copy:v1 --key ci.pub

# Build time: the sample project's vendored inputs, declared against what is
# on disk and classified, then attested onto the image.
step "$vouch" inputs "$project"
step "$vouch" attest "$project" --image oci:layout:v1 --key ci.key --sbom cyclonedx,spdx --links links
step "$vouch" tree oci:layout:v1
step "$vouch" keygen --out owner
step "$vouch" layout --key owner.key --functionary ci.pub -o root.layout "$project"

# Before deployment: the admission policy, checked, then applied.
cp "$repo/testdata/policies/demo.yaml" policy.yaml   # trusts ci.pub, beside it
step "$vouch" policy check policy.yaml
step "$vouch" verify oci:layout:v1 --policy policy.yaml

# Tamper: a vendored file changes and the next image is attested anyway.
cp -a "$project" tampered-project
printf '/* not what was reviewed */\n' >tampered-project/third_party/zlib/inflate.c
step "$vouch" attest tampered-project --image oci:audit-copy:v1 --key ci.key --allow-mismatch
printf '\n\033[1m$ %s\033[0m   (must be denied)\n' "vouch verify oci:audit-copy:v1 --policy policy.yaml"
if "$vouch" verify oci:audit-copy:v1 --policy policy.yaml; then
    echo "demo: an image with a changed vendored file was allowed: this is a bug" >&2
    exit 1
fi

printf 'tampered\n' >app.tar
printf '\n\033[1m$ %s\033[0m   (must fail)\n' "vouch verify-bundle --bundle app.tar.sigstore.json --key ci.pub app.tar"
if "$vouch" verify-bundle --bundle app.tar.sigstore.json --key ci.pub app.tar; then
    echo "demo: a tampered artifact verified: this is a bug" >&2
    exit 1
fi
printf '\ndemo: all steps behaved as expected\n'
