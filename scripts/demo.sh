#!/usr/bin/env bash
# The vouch demo, end to end, with no server: make a key, sign a file and an
# in-toto statement into Sigstore bundles and verify both; sign an image in an
# OCI layout directory, list and verify its signatures, copy it with them;
# attest a sample project's vendored inputs (SBOMs and SLSA provenance) onto
# the image; and watch a tampered file be refused; match the inputs against
# real OSV advisories, answer the findings with a signed VEX statement, and
# compare two builds with `vouch diff`; then read the OS packages of a Debian
# image, match them to Debian's advisories and let a distribution vendor's
# signed CSAF VEX answer for its own packages; finally unbundle a project's
# critical crate onto Debian's build, build it offline, attest it with its
# chain of custody and require that at admission. All in a temporary
# directory.
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
# One key per purpose: `release` signs blobs, `ci` signs images and their
# attestations, so that no blob signature can pass for image evidence.
step "$vouch" keygen --out release
step "$vouch" keygen --out ci
step "$vouch" sign-blob --key release.key --bundle app.tar.sigstore.json app.tar
step "$vouch" verify-bundle --bundle app.tar.sigstore.json --key release.pub app.tar

digest="$(sha256sum app.tar | cut -d' ' -f1)"
cat >statement.json <<JSON
{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar","digest":{"sha256":"$digest"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://example.com/demo","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/demo-builder"}}}}
JSON
step "$vouch" sign-blob --in-toto --key release.key --bundle provenance.sigstore.json statement.json
step "$vouch" verify-bundle --bundle provenance.sigstore.json --key release.pub "sha256:$digest"

# An image in an OCI layout directory (the embedded default store: no
# registry needed), written by hand: one layer, a config, a manifest.
blob() { # blob LAYOUT FILE -> prints "sha256:<hex> <size>" and stores it
    local hex size
    hex="$(sha256sum "$2" | cut -d' ' -f1)"; size="$(wc -c <"$2")"
    mkdir -p "$1/blobs/sha256" && cp "$2" "$1/blobs/sha256/$hex"
    echo "sha256:$hex $size"
}
image() { # image LAYOUT TAG LAYER-FILE: a one-layer image tagged TAG
    local layer_digest layer_size config_digest config_size manifest_digest manifest_size
    read -r layer_digest layer_size < <(blob "$1" "$3")
    printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' "$layer_digest" >config.json
    read -r config_digest config_size < <(blob "$1" config.json)
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
        "$config_digest" "$config_size" "$layer_digest" "$layer_size" >manifest.json
    read -r manifest_digest manifest_size < <(blob "$1" manifest.json)
    printf '{"imageLayoutVersion":"1.0.0"}' >"$1/oci-layout"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
        "$manifest_digest" "$manifest_size" "$2" >"$1/index.json"
}
image layout v1 app.tar

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

# Vulnerabilities: the inputs against real OSV advisories (testdata/osv). The
# gate (testdata/policies/demo-vulns.yaml) denies an unanswered finding in a
# critical input; only the security team's VEX statements answer one.
cp -r "$repo/testdata/osv" osv
cp "$repo/testdata/policies/demo-vulns.yaml" vuln-policy.yaml   # ci.pub, security.pub, osv/ beside it
step "$vouch" keygen --out security
step "$vouch" vulns oci:layout:v1 --policy vuln-policy.yaml
printf '\n\033[1m$ %s\033[0m   (must be denied)\n' "vouch verify oci:layout:v1 --policy vuln-policy.yaml"
if "$vouch" verify oci:layout:v1 --policy vuln-policy.yaml; then
    echo "demo: an image with unanswered findings in a critical input was allowed: this is a bug" >&2
    exit 1
fi
step "$vouch" vex create --product oci:layout:v1 \
    --vulnerability CVE-2024-50614 --vulnerability CVE-2024-50615 \
    --subcomponent pkg:github/leethomason/tinyxml2@10.0.0 --status not_affected \
    --justification vulnerable_code_not_in_execute_path \
    --impact "demo-service parses only the XML configuration it ships; no untrusted document reaches tinyxml2" \
    --author security@demo.example -o tinyxml2.vex.json
step "$vouch" vex attach oci:layout:v1 tinyxml2.vex.json --key security.key
step "$vouch" vulns oci:layout:v1 --policy vuln-policy.yaml
step "$vouch" verify oci:layout:v1 --policy vuln-policy.yaml

# An upgrade: build v2 bumps minijson and silently re-hashes zlib (a file
# changes, its declared digest is updated to match, its version is not).
cp -a "$project" project-v2
sed -i 's/0\.4\.2/0.5.0/g' project-v2/vouch.inputs.yaml
printf '/* 0.5.0: faster number parsing */\n' >>project-v2/third_party/minijson/minijson.h
printf '/* a change nobody announced */\n' >>project-v2/third_party/zlib/inflate.c
observed() { # observed NAME -> the dirHash now on disk
    "$vouch" inputs project-v2 --output json --allow-mismatch 2>/dev/null |
        python3 -c 'import json,sys; print(next(i["observed"] for i in json.load(sys.stdin) if i["name"]==sys.argv[1]).split(":")[1])' "$1"
}
for name in minijson zlib; do
    old="$(grep -A6 "name: $name" project-v2/vouch.inputs.yaml | sed -n 's/.*dirHash: //p')"
    sed -i "s/$old/$(observed "$name")/" project-v2/vouch.inputs.yaml
done
printf 'release artifact, version 2\n' >app-v2.tar
image layout-v2 v2 app-v2.tar
step "$vouch" attest project-v2 --image oci:layout-v2:v2 --key ci.key
step "$vouch" diff oci:layout:v1 oci:layout-v2:v2 --policy vuln-policy.yaml
step "$vouch" report oci:layout-v2:v2 --policy vuln-policy.yaml --diff oci:layout:v1 -o report.html

# The distribution layer: an image whose one layer is a Debian 12 root (its
# os-release and real dpkg status stanzas, testdata/demo-os). vouch reads the
# OS packages from the layer itself and matches them to Debian's own records
# by source package and release: zlib1g (source zlib) has CVE-2023-45853,
# unfixed in Debian 12.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -C "$repo/testdata/demo-os/rootfs" -cf debian-root.tar usr/lib/os-release var/lib/dpkg/status
image debian-layout v1 debian-root.tar
step "$vouch" sbom oci:debian-layout:v1 --format cyclonedx -o debian.cdx.json
python3 -c 'import json,sys; [print("  " + c["purl"]) for c in json.load(open(sys.argv[1]))["components"]]' debian.cdx.json
mkdir -p os/osv
cp -r "$repo/testdata/demo-os/"{policy.yaml,policy-vendor-vex.yaml,vendor.asc,vex} os/
cp "$repo/testdata/osv-debian-image/DEBIAN-CVE-2023-45853.json" os/osv/
cp ci.pub os/
step "$vouch" vulns oci:debian-layout:v1 --osv os/osv
# The build attests the OS packages with the project's inputs; the policy's
# gate then denies the unanswered advisory in zlib1g, a critical system
# library (testdata/demo-os/policy.yaml).
step "$vouch" attest "$project" --image oci:debian-layout:v1 --key ci.key --os-packages
printf '\n\033[1m$ %s\033[0m   (must be denied)\n' "vouch verify oci:debian-layout:v1 --policy os/policy.yaml"
if "$vouch" verify oci:debian-layout:v1 --policy os/policy.yaml; then
    echo "demo: an image with an unanswered Debian advisory in a critical package was allowed: this is a bug" >&2
    exit 1
fi
# The vendor's CSAF VEX (signed with OpenPGP, verified against its key, and
# trusted only for pkg:deb/debian/*) says zlib1g is not affected: MiniZip is
# not built into it (testdata/demo-os/policy-vendor-vex.yaml).
step "$vouch" vulns oci:debian-layout:v1 --policy os/policy-vendor-vex.yaml
step "$vouch" verify oci:debian-layout:v1 --policy os/policy-vendor-vex.yaml

# Unbundling: a distribution vendor keeps the project vendored but for its
# critical parts, which it swaps for the builds it maintains, and proves it.
# testdata/unbundle-demo: a Cargo project vendoring miniz_oxide (a
# compression crate, critical by the shipped rules) and Debian's own
# librust-miniz-oxide-dev and librust-adler-dev .debs, in an apt archive
# signed by a demo key (TEST ONLY) that stands in for Debian's. dpkg
# installs them into a root of the demo's own.
unbundle="$repo/testdata/unbundle-demo"
cp -a "$unbundle/project" unbundled
mkdir -p distro/var/lib/dpkg/info distro/var/lib/dpkg/updates
touch distro/var/lib/dpkg/status distro/var/lib/dpkg/available
dpkg --root="$work/distro" --force-not-root --force-depends --force-script-chrootless \
    --log=/dev/null -i "$unbundle"/archive/debs/*.deb >/dev/null
apt=(--apt-lists "$unbundle/archive/lists" --keyring "$unbundle/archive/keyring.gpg"
     --debs "$unbundle/archive/debs" --distro-root distro)
step "$vouch" unbundle unbundled --distro debian "${apt[@]}"
step "$vouch" unbundle unbundled --distro debian "${apt[@]}" --all --write
# The project builds offline against Debian's crates (their own lints are
# not the project's to fix); from its directory, where Cargo finds its
# .cargo/config.toml.
(cd unbundled && RUSTFLAGS="--cap-lints allow" step cargo run --quiet --offline)
step "$vouch" inputs unbundled "${apt[@]}"
image unbundled-layout v1 app.tar
image vendored-layout v1 app.tar
step "$vouch" attest unbundled --image oci:unbundled-layout:v1 --key ci.key "${apt[@]}"
step "$vouch" attest "$unbundle/project" --image oci:vendored-layout:v1 --key ci.key
# The policy requires every critical input unbundled onto the distribution,
# with its chain of custody verified (testdata/policies/demo-unbundle.yaml).
cp "$repo/testdata/policies/demo-unbundle.yaml" unbundle-policy.yaml
step "$vouch" verify oci:unbundled-layout:v1 --policy unbundle-policy.yaml
printf '\n\033[1m$ %s\033[0m   (must be denied)\n' "vouch verify oci:vendored-layout:v1 --policy unbundle-policy.yaml"
if "$vouch" verify oci:vendored-layout:v1 --policy unbundle-policy.yaml; then
    echo "demo: an image with a vendored critical input was allowed under require: distribution: this is a bug" >&2
    exit 1
fi
step "$vouch" diff oci:vendored-layout:v1 oci:unbundled-layout:v1 --key ci.pub
# One byte of Debian's installed crate changes: the chain breaks, named.
printf '// not what Debian shipped\n' >>distro/usr/share/cargo/registry/miniz_oxide-0.6.2/src/lib.rs
printf '\n\033[1m$ %s\033[0m   (must fail)\n' "vouch inputs unbundled ${apt[*]}"
if "$vouch" inputs unbundled "${apt[@]}"; then
    echo "demo: an edited file of a distribution crate passed its chain of custody: this is a bug" >&2
    exit 1
fi

printf 'tampered\n' >app.tar
printf '\n\033[1m$ %s\033[0m   (must fail)\n' "vouch verify-bundle --bundle app.tar.sigstore.json --key release.pub app.tar"
if "$vouch" verify-bundle --bundle app.tar.sigstore.json --key release.pub app.tar; then
    echo "demo: a tampered artifact verified: this is a bug" >&2
    exit 1
fi
printf '\ndemo: all steps behaved as expected\n'
