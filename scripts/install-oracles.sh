#!/usr/bin/env bash
# Install the peer implementations ("oracles") that vouch's integration tests
# compare against. Idempotent: each step is skipped while the stamp file in its
# install dir holds the sha256 of the pin file it was installed from.
#
#   apt packages         docker-registry skopeo apache2-utils openssl
#                        kubernetes-client curl chromium strace cmark-gfm
#                        zsh fish groff-base man-db rpm mmdebstrap umoci
#                        zstd jq lz4 gpg golang-go softhsm2 opensc
#                        ruby bundler dpkg-dev,
#                        each when its binary is missing;
#                        libsofthsm2 golang-github-pkg-errors-dev node-once
#                        node-wrappy node-ms python3-six, each when a
#                        file it installs is missing
#                        (uses sudo -n when not root)
#   target/oracles/venv  Python venv from tests/oracles/requirements.txt
#                        (moto, the AWS KMS emulator, among them)
#   target/oracles/npm   npm packages from tests/oracles/package{,-lock}.json
#   librust-flate2-dev   and the librust packages it needs, installed, with
#                        their .debs (and those of the Go and npm packages
#                        above) in target/oracles/debs
#   cargo-fuzz           ~/.cargo/bin, the pinned version, when another or
#                        none is installed (builds and runs fuzz/)
#   cargo-deb            ~/.cargo/bin, the pinned version, when another or
#                        none is installed (scripts/package-deb.sh)
#
# Safe for CI (root, CI=true, no stdin): nothing here prompts.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ORACLES=target/oracles
SRC=tests/oracles
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
export NPM_CONFIG_UPDATE_NOTIFIER=false

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# stamp_ok DIR HASH: true when DIR/.stamp records HASH.
stamp_ok() { [[ -f "$1/.stamp" && "$(cat "$1/.stamp")" == "$2" ]]; }

# apt_install PKG...: `apt-get update`, then PKG... installed without a
# prompt (sudo -n when not root).
apt_install() {
    local sudo=()
    [[ "$(id -u)" -eq 0 ]] || sudo=(sudo -n)
    local apt_env=(env DEBIAN_FRONTEND=noninteractive)
    "${sudo[@]}" "${apt_env[@]}" apt-get update -qq </dev/null
    "${sudo[@]}" "${apt_env[@]}" apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "$@" </dev/null
}

# --- apt packages ------------------------------------------------------------
# The OCI registry tests run a real Distribution registry (docker-registry)
# and push images with skopeo; the secure registry needs htpasswd (bcrypt,
# from apache2-utils) and openssl for its CA and server certificate.
# kubectl checks deploy/ (`kubectl apply --dry-run=client`) and renders the
# kustomize base and overlay (`kubectl kustomize`, cli/tests/kustomize.rs):
# the machine image's kubectl, else Debian's kubernetes-client. Rendering
# needs the kustomize of kubectl 1.21 or later (v4+); Debian 12's is 1.20
# (kustomize v2.0.3), which is reported below.
# curl posts AdmissionReviews to the webhook under test, over TLS.
# chromium (headless, --dump-dom) renders the `vouch report` HTML page in
# the report tests, which check the DOM it builds.
# cmark-gfm (GitHub's CommonMark renderer) renders `vouch diff --output
# markdown` in the output tests, to show a hostile name cannot close its
# code span or open HTML, a comment or a link.
# strace stalls one of two concurrent signers (fault injection on flock) in
# the registry tests, to show neither loses the other's signature.
# zsh and fish check the shell completions `vouch completions` writes
# (bash is there already); groff renders `vouch man` (man-db: `man -l`).
# zstd and jq recompress the second layer of the Debian test image
# (scripts/debian-test-image.sh) and rewrite its manifest.
# lz4 recompresses a test Packages index as apt keeps its lists (vouch-apt).
# gpg signs the hermetic apt archive the unbundle tests build at test time
# (cli/tests/common/archive.rs), with keys it generates.
# golang-go builds the Go project `vouch unbundle` swaps onto Debian's
# golang-github-pkg-errors-dev (`go build -mod=vendor`, cli/src/swap/go.rs);
# node-once, node-wrappy and node-ms are the Debian builds the npm swap
# installs (cli/src/swap/npm.rs; the versions npm publishes); python3-six is the
# python3-* package the pip plan finds by its .egg-info (cli/src/swap/pip.rs).
# softhsm2 is the real PKCS#11 token the `--key pkcs11:` tests make keys on
# (cli/tests/pkcs11.rs; module /usr/lib/softhsm/libsofthsm2.so, tokens in
# each test's temp dir), and opensc's pkcs11-tool the independent control
# that lists the keys' attributes and makes keys vouch must refuse.
# ruby is the oracle of RubyGems' version order (`Gem::Version#<=>` and
# `.correct?`, evidence/src/osv/gem.rs) and of Bundler's lockfile parser
# (`Bundler::LockfileParser`, cli/tests/inputs_bundler.rs); bundler is the
# real Bundler that builds the test project's Gemfile.lock, vendor/cache and
# vendor/bundle at test time (with `gem build` of ruby, from local gems only).
# dpkg-dev's dpkg-shlibdeps computes the Depends of vouch's own Debian
# package (scripts/package-deb.sh, through cargo-deb), which the package
# tests install with dpkg and run.
# Library packages have no binary: each is checked by a file it installs.
# Only the packages of missing binaries are installed (a second kubectl
# package would conflict with the first); `apt-get update` only then too.
apt_bins=(docker-registry skopeo htpasswd openssl kubectl curl chromium strace cmark-gfm zsh fish groff man rpm mmdebstrap umoci zstd jq lz4 gpg)
apt_pkgs=(docker-registry skopeo apache2-utils openssl kubernetes-client curl chromium strace cmark-gfm zsh fish groff-base man-db rpm mmdebstrap umoci zstd jq lz4 gpg)
apt_bins+=(go softhsm2-util pkcs11-tool)
apt_pkgs+=(golang-go softhsm2 opensc)
apt_bins+=(ruby bundle)
apt_pkgs+=(ruby bundler)
apt_bins+=(dpkg-shlibdeps)
apt_pkgs+=(dpkg-dev)
apt_files=(/usr/lib/softhsm/libsofthsm2.so /usr/share/gocode/src/github.com/pkg/errors/errors.go /usr/share/nodejs/once/package.json /usr/share/nodejs/wrappy/package.json /usr/share/nodejs/ms/package.json /usr/lib/python3/dist-packages/six.py)
apt_file_pkgs=(libsofthsm2 golang-github-pkg-errors-dev node-once node-wrappy node-ms python3-six)
apt_missing=()
apt_needed=()
for i in "${!apt_bins[@]}"; do      # `command -v a b` succeeds if any is found
    if ! command -v "${apt_bins[$i]}" >/dev/null 2>&1; then
        apt_missing+=("${apt_bins[$i]}")
        apt_needed+=("${apt_pkgs[$i]}")
    fi
done
for i in "${!apt_files[@]}"; do
    if [[ ! -e "${apt_files[$i]}" ]]; then
        apt_missing+=("${apt_files[$i]}")
        apt_needed+=("${apt_file_pkgs[$i]}")
    fi
done
if [[ ${#apt_missing[@]} -eq 0 ]]; then
    echo "oracles: apt packages up to date"
else
    echo "oracles: installing apt packages (missing: ${apt_missing[*]})"
    sudo=()
    [[ "$(id -u)" -eq 0 ]] || sudo=(sudo -n)
    apt_install "${apt_needed[@]}"
    # The package enables a system registry on :5000 (all interfaces, no
    # auth) where systemd runs; the tests start their own, so stop it.
    if [[ -d /run/systemd/system ]]; then
        "${sudo[@]}" systemctl disable --now docker-registry.service || true
    fi
    echo "oracles: apt packages installed"
fi
kustomize_version=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
if [[ -z "$kustomize_version" || "$kustomize_version" -lt 4 ]]; then
    echo "oracles: warning: kubectl's kustomize is older than v4 (kubectl 1.21);" \
        "the kustomize tests (cli/tests/deploy.rs, kustomize.rs) will fail" >&2
fi

# --- Debian's Rust crates and their .debs (issue 16) -------------------------
# `vouch unbundle`'s real-archive test (cli/tests/unbundle.rs) swaps a
# project's vendored flate2 and its dependencies for these packages, and
# the chain-of-custody tests (cli/tests/custody.rs) build a small Cargo
# project against Debian's own build of flate2 (a compression crate the
# critical rules mark), patched onto librust-flate2-dev and the librust
# packages it depends on, installed from the real archive (`apt-get update`
# first, so that the lists the tests verify are the archive's current
# ones). Each installed crate is checked against its .deb: `apt-get
# download` puts them in target/oracles/debs, which the tests pass as
# --debs (apt's own cache, /var/cache/apt/archives, is emptied by
# `apt-get clean` and never filled by installs in many images). Skipped
# while the packages are installed and their .debs, at the installed
# versions, are there. The Go and npm packages the apt section installs
# (golang-github-pkg-errors-dev, node-once, node-wrappy, node-ms) get their
# .debs here too: the chain-of-custody tests of swapped Go and npm
# projects (cli/tests/custody_copies.rs) check them the same way.
crates=(librust-flate2-dev librust-crc32fast-dev librust-miniz-oxide-dev librust-adler-dev librust-cfg-if-dev)
deb_pkgs=("${crates[@]}" golang-github-pkg-errors-dev node-once node-wrappy node-ms)
debs="$ORACLES/debs"
debs_ok() {
    local pkg fields state version arch
    for pkg in "${deb_pkgs[@]}"; do
        fields=$(dpkg-query -W -f='${db:Status-Status} ${Version} ${Architecture}' "$pkg" 2>/dev/null) || return 1
        read -r state version arch <<<"$fields"
        [[ "$state" == installed && -f "$debs/${pkg}_${version//:/%3a}_${arch}.deb" ]] || return 1
    done
}
if debs_ok; then
    echo "oracles: Debian Rust crates and their .debs up to date"
else
    echo "oracles: installing Debian Rust crates (${crates[*]}) and downloading their .debs"
    apt_install "${crates[@]}"
    mkdir -p "$debs"
    # The installed versions exactly (`name=version`), as the tests check
    # the installed files against these .debs.
    pinned=()
    for pkg in "${deb_pkgs[@]}"; do
        pinned+=("$pkg=$(dpkg-query -W -f='${Version}' "$pkg")")
    done
    (cd "$debs" && apt-get download -q "${pinned[@]}" </dev/null)
    debs_ok
    echo "oracles: Debian Rust crates installed, .debs in $debs"
fi

# --- Python venv -------------------------------------------------------------
venv="$ORACLES/venv"
want="$(sha256 "$SRC/requirements.txt")"
if stamp_ok "$venv" "$want" && [[ -x "$venv/bin/python" ]]; then
    echo "oracles: python venv up to date"
else
    echo "oracles: installing python venv ($venv)"
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
    rm -f "$venv/.stamp"                 # a failed install must not look fresh
    "$venv/bin/pip" install --quiet -r "$SRC/requirements.txt" </dev/null
    echo "$want" >"$venv/.stamp"
    echo "oracles: python venv installed"
fi

# --- npm packages ------------------------------------------------------------
npmdir="$ORACLES/npm"
want="$(sha256 "$SRC/package-lock.json")"
if stamp_ok "$npmdir" "$want" && [[ -d "$npmdir/node_modules" ]]; then
    echo "oracles: npm packages up to date"
else
    echo "oracles: installing npm packages ($npmdir)"
    mkdir -p "$npmdir"
    rm -f "$npmdir/.stamp"
    cp "$SRC/package.json" "$SRC/package-lock.json" "$npmdir/"
    (cd "$npmdir" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
    echo "$want" >"$npmdir/.stamp"
    echo "oracles: npm packages installed"
fi

# --- cargo tools ----------------------------------------------------------------
# cargo_tool NAME VERSION: `cargo install NAME --version VERSION`, unless
# `cargo SUB --version` (SUB: NAME without `cargo-`) already says that version.
# Each binary says its version: no stamp needed. Debug builds: they only drive
# cargo or pack files, and install in half the time.
cargo_tool() {
    local name=$1 version=$2
    if [[ "$(cargo "${name#cargo-}" --version 2>/dev/null)" == "$name $version" ]]; then
        echo "oracles: $name up to date"
    else
        echo "oracles: installing $name $version"
        cargo install "$name" --version "$version" --locked --debug --quiet </dev/null
        echo "oracles: $name installed"
    fi
}
# bench/fuzz.sh builds the fuzz targets (fuzz/) with cargo-fuzz, and
# scripts/test.sh runs them over their seeds.
cargo_tool cargo-fuzz 0.13.2
# scripts/package-deb.sh makes vouch's Debian package with cargo-deb (from the
# release binary, `--no-build`); the package and image tests run the script.
cargo_tool cargo-deb 3.8.0
