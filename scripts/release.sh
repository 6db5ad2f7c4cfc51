#!/usr/bin/env bash
# vouch vouches for itself: attests and signs vouch's own release image with
# the release build of vouch.
#
#   scripts/release.sh --key FILE [--image REF] [options] [signing flags]
#
# What it does, in this order (nothing is attached unless every check passed):
#   1. Resolves the image (default `oci:target/image:<version>`, the layout
#      scripts/image.sh writes, version from the workspace Cargo.toml) to its
#      digest once; every later step names that digest, so a tag moved
#      meanwhile cannot split the evidence over two images.
#   2. Stages the workspace's inputs from scratch under target/ (--stage):
#      its Cargo.lock, `cargo vendor --locked --versioned-dirs` of it, and a
#      .cargo/config.toml naming the vendored directory, which is where
#      `vouch attest` finds Cargo's vendored crates (attest/src/cargo.rs).
#      The repository root itself is never attested: its testdata/ holds
#      other projects' lockfiles, which are not vouch's inputs.
#   3. Checks that every crate of Cargo.lock is vendored; what each holds is
#      checked by `vouch attest`, which refuses a mismatched crate (before
#      attaching anything) unless --allow-mismatch.
#   4. `vouch attest` of the staged project (the shipped criticality rules,
#      policies/critical.yaml, apply), with SLSA provenance, CycloneDX and
#      SPDX SBOMs and the image's OS packages (--os-packages). The staging
#      directory is inside this git work tree, so the provenance's source
#      names the repository's HEAD commit; builder.id is --builder-id, else
#      the CI identity vouch detects (GitHub Actions, GitLab CI), else this
#      script on this host (`file://HOST/PATH/scripts/release.sh`).
#   5. `vouch sign` of the image digest, last: an image carrying the release
#      signature always carries its evidence.
#
# Options:
#   --image REF        the image (`oci:PATH:TAG` or a registry reference)
#   --vouch PATH       the vouch binary (default target/release/vouch, built by
#                      `cargo build --release --locked -p vouch-cli`)
#   --stage DIR        the staging project, inside this checkout (default
#                      target/release-stage); removed and rebuilt every run
#   --vendor DIR       stage this `cargo vendor --locked --versioned-dirs` tree
#                      of the workspace's Cargo.lock (hard-linked, else copied)
#                      instead of vendoring again (CI caches it; the tests share
#                      one): it is checked against Cargo.lock like any other
#   --builder-id URI   builder.id of the provenance
#   --allow-mismatch   attest even with a mismatched vendored crate; the
#                      mismatch is recorded and release policies deny it
#   --allow-dirty      release from a work tree with uncommitted changes (the
#                      provenance's commit then does not describe the tree)
# The signing options go to `vouch attest` and `vouch sign`: --key FILE,
# --keyless, --identity-token @FILE, --signing-config FILE, --trusted-root
# FILE, --pin-file FILE; the registry options (--registry-*,
# --allow-http-registry, --timeout) to every vouch command that reads the
# image. Anything else is refused.
set -euo pipefail

die() {
    echo "release.sh: error: $*" >&2
    exit 1
}

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$self")/.." && pwd)"

version="$(sed -n '/^\[workspace\.package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml")"
[[ -n "$version" ]] || die "no version in [workspace.package] of $root/Cargo.toml"

image="oci:$root/target/image:$version"
vouch="$root/target/release/vouch"
stage="$root/target/release-stage"
vendor=""
builder_id=""
allow_mismatch=0
allow_dirty=0
signing=()
registry=()
have_signer=0

need_value() {
    [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --image) need_value "$@"; image="$2"; shift 2 ;;
        --vouch) need_value "$@"; vouch="$2"; shift 2 ;;
        --stage) need_value "$@"; stage="$2"; shift 2 ;;
        --vendor) need_value "$@"; vendor="$2"; shift 2 ;;
        --builder-id) need_value "$@"; builder_id="$2"; shift 2 ;;
        --allow-mismatch) allow_mismatch=1; shift ;;
        --allow-dirty) allow_dirty=1; shift ;;
        --key | --identity-token | --signing-config | --trusted-root | --pin-file)
            need_value "$@"
            [[ "$1" == --key ]] && have_signer=1
            signing+=("$1" "$2")
            shift 2
            ;;
        --keyless) have_signer=1; signing+=("$1"); shift ;;
        --registry-ca | --registry-username | --registry-password | \
            --registry-credentials | --registry-token-host | --registry-timeout | --timeout)
            need_value "$@"
            registry+=("$1" "$2")
            shift 2
            ;;
        --allow-http-registry) registry+=("$1"); shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see scripts/release.sh --help)" ;;
    esac
done

[[ $have_signer -eq 1 ]] || die "no signer: give --key FILE or --keyless"
[[ -x "$vouch" ]] || die "$vouch is not an executable vouch: build it with \`cargo build --release --locked -p vouch-cli\` or name one with --vouch"
command -v jq >/dev/null || die "jq is missing (apt-get install jq)"
mismatch_hint=""

# The staging project must be inside this work tree (its git source is the
# repository's), and is deleted and rebuilt: refuse anything else.
mkdir -p "$(dirname "$stage")"
stage="$(cd "$(dirname "$stage")" && pwd)/$(basename "$stage")"
case "$stage/" in
    "$root/target/debug/" | "$root/target/release/" | "$root/target/image/") die "--stage $stage is cargo's or scripts/image.sh's output (it is deleted and rebuilt every run)" ;;
    "$root/target/"?*) ;;
    *) die "--stage $stage is not under $root/target/ (it is deleted and rebuilt every run)" ;;
esac

commit="$(git -C "$root" rev-parse --verify HEAD 2>/dev/null)" ||
    die "$root is not a git checkout: the provenance must name the commit"
if [[ $allow_dirty -eq 0 && -n "$(git -C "$root" status --porcelain)" ]]; then
    die "the work tree $root has uncommitted changes: commit $commit does not describe it (--allow-dirty to release anyway)"
fi

# The CI identity vouch detects (attest/src/assemble.rs, Identity::from_ci),
# else this script on this host.
if [[ -z "$builder_id" ]] &&
    ! [[ "${GITHUB_ACTIONS:-}" == true && -n "${GITHUB_WORKFLOW_REF:-}" ]] &&
    ! [[ "${GITLAB_CI:-}" == true && -n "${CI_SERVER_URL:-}" && -n "${CI_PROJECT_PATH:-}" ]]; then
    builder_id="file://$(hostname -f 2>/dev/null || hostname 2>/dev/null || echo "${HOSTNAME:-localhost}")$self"
fi

# 1. The image, resolved once.
default_image="oci:$root/target/image:$version"
if ! tree_json="$("$vouch" tree "$image" --output json ${registry[@]+"${registry[@]}"} 2>&1)"; then
    [[ "$image" != "$default_image" ]] || tree_json+=" (build it with scripts/image.sh, or name one with --image)"
    die "cannot read the image $image: $tree_json"
fi
digest="$(jq -er '.digest' <<<"$tree_json" 2>/dev/null)" ||
    die "vouch tree gave no digest for $image"
case "$image" in
    *@sha256:*) pinned="${image%@*}@$digest" ;;
    oci:*) pinned="${image%:*}@$digest"
        # `oci:PATH` without a tag: the whole reference is the path.
        [[ "${image#oci:}" == *:* ]] || pinned="$image@$digest" ;;
    *) pinned="$image@$digest"
        # A registry reference with a tag (a colon after the last slash).
        [[ "${image##*/}" == *:* ]] && pinned="${image%:*}@$digest" ;;
esac
echo "release.sh: image $image is $digest" >&2

# 2. The staging project, from scratch.
rm -rf "$stage"
mkdir -p "$stage/.cargo"
cp "$root/Cargo.lock" "$stage/Cargo.lock"
if [[ -n "$vendor" ]]; then
    [[ -d "$vendor" ]] || die "--vendor $vendor is not a directory"
    # Hard links where the file system allows (nothing here writes to the
    # staged tree, and `rm -rf` of the stage leaves DIR alone), else a copy.
    if ! cp -al "$vendor/." "$stage/vendor" 2>/dev/null; then
        rm -rf "$stage/vendor"
        cp -a "$vendor/." "$stage/vendor" || die "cannot copy --vendor $vendor into $stage/vendor"
    fi
else
    command -v cargo >/dev/null || die "cargo is missing (or give --vendor DIR)"
    log="$stage.vendor.log"
    if ! cargo vendor --locked --versioned-dirs --manifest-path "$root/Cargo.toml" \
        "$stage/vendor" >/dev/null 2>"$log"; then
        tail -n 20 "$log" >&2
        rm -rf "$stage"
        die "cargo vendor --locked of $root/Cargo.lock failed (log: $log)"
    fi
fi
cat >"$stage/.cargo/config.toml" <<'EOF'
# Written by scripts/release.sh: the workspace's Cargo.lock, vendored.
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"
EOF

# 3. Every crate of Cargo.lock with a source has its vendored directory
# (`--versioned-dirs`: NAME-VERSION). A missing one would be recorded as
# `not-vendored`, which no mismatch rule catches; what each directory holds
# is checked by `vouch attest` itself, which refuses a mismatch before it
# attaches anything (unless --allow-mismatch).
missing="$(awk '
    /^\[\[package\]\]/ { if (name != "" && source) print name "-" version; name = ""; version = ""; source = 0 }
    /^name = / { name = $3; gsub(/"/, "", name) }
    /^version = / { version = $3; gsub(/"/, "", version) }
    /^source = / { source = 1 }
    END { if (name != "" && source) print name "-" version }
' "$stage/Cargo.lock" | while read -r dir; do
    [[ -d "$stage/vendor/$dir" ]] || printf '%s ' "$dir"
done)"
[[ -z "$missing" ]] || die "crates of Cargo.lock are not vendored in $stage/vendor: ${missing% }"
count="$(find "$stage/vendor" -mindepth 1 -maxdepth 1 -type d | wc -l)"
echo "release.sh: $count vendored crates staged in $stage" >&2

# 4. The evidence.
attest=(attest "$stage" --image "$pinned" --sbom cyclonedx,spdx --os-packages)
[[ -n "$builder_id" ]] && attest+=(--builder-id "$builder_id")
[[ $allow_mismatch -eq 1 ]] && attest+=(--allow-mismatch)
if ! "$vouch" "${attest[@]}" "${signing[@]}" ${registry[@]+"${registry[@]}"} >&2; then
    [[ $allow_mismatch -eq 1 ]] || mismatch_hint=" (a refusal of mismatched vendored crates, named above, attaches nothing; --allow-mismatch records them instead)"
    die "vouch attest of $pinned failed, and the image is not signed${mismatch_hint:-}"
fi

# 5. The signature.
"$vouch" sign "$pinned" "${signing[@]}" ${registry[@]+"${registry[@]}"} >&2 ||
    die "vouch sign of $pinned failed: its attestations are attached, but without the release signature no release policy admits it; run again"

echo "release.sh: $pinned attested (commit $commit) and signed" >&2
echo "$pinned"
