#!/usr/bin/env bash
# The Debian package of vouch, from a release binary already built:
#
#   bash scripts/package-deb.sh [--binary PATH] [--out DIR]
#
# writes DIR/vouch_<version>_<arch>.deb (DIR: target/debian) and prints its
# path on standard output, nothing else. PATH defaults to target/release/vouch
# (under CARGO_TARGET_DIR if set), which `cargo build --release --locked -p
# vouch-cli` makes; this script never builds.
# <arch> is `dpkg --print-architecture`, which must be the binary's.
#
# The package (cargo-deb, `[package.metadata.deb]` in cli/Cargo.toml):
# /usr/bin/vouch as given (not stripped: the same bytes as PATH), its manual
# page (`vouch man`, /usr/share/man/man1/vouch.1.gz), its bash, zsh and fish
# completions (`vouch completions SHELL`, in Debian's vendor directories),
# /usr/share/doc/vouch/copyright; Depends from dpkg-shlibdeps.
#
# Reproducible: every file is dated SOURCE_DATE_EPOCH, which defaults to the
# time of the checkout's HEAD commit (`git log -1 --format=%ct`), so two runs
# on the same binary give the same bytes. Outside a git checkout, set it.
#
# Everything it generates is under DIR (a private staging directory, removed
# on exit); the .deb appears there whole or not at all.
set -euo pipefail

die() {
    echo "vouch: error: $*" >&2
    exit 1
}

caller=$PWD
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

binary=${CARGO_TARGET_DIR:-target}/release/vouch
out=target/debian
while [[ $# -gt 0 ]]; do
    case "$1" in
        --binary)
            [[ $# -ge 2 ]] || die "--binary in package-deb.sh: needs a path"
            binary=$2
            shift 2
            ;;
        --out)
            [[ $# -ge 2 ]] || die "--out in package-deb.sh: needs a directory"
            out=$2
            shift 2
            ;;
        -h | --help)
            # This header, up to its first line that is not a comment.
            awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *) die "$1 in package-deb.sh: unknown argument (usage: package-deb.sh [--binary PATH] [--out DIR])" ;;
    esac
done

# Paths are taken relative to where the caller stood, not to the checkout.
case "$binary" in /*) ;; *) binary=$caller/$binary ;; esac
case "$out" in /*) ;; *) out=$caller/$out ;; esac
if [[ ! -e "$binary" ]]; then
    die "the binary $binary in package-deb.sh: does not exist (build it with \`cargo build --release --locked -p vouch-cli\`, or name it with --binary)"
fi
[[ -f "$binary" && -x "$binary" ]] || die "the binary $binary in package-deb.sh: is not an executable file"

cargo deb --version >/dev/null 2>&1 ||
    die "cargo-deb in package-deb.sh: is not installed (bash scripts/install-oracles.sh installs it)"
command -v dpkg-shlibdeps >/dev/null 2>&1 || die "dpkg-shlibdeps in package-deb.sh: is not installed (apt-get install dpkg-dev)"

if [[ -z "${SOURCE_DATE_EPOCH:-}" ]]; then
    SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null) ||
        die "SOURCE_DATE_EPOCH in package-deb.sh: unset, and $root is not a git checkout to take it from"
fi
[[ "$SOURCE_DATE_EPOCH" =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH in package-deb.sh: \"$SOURCE_DATE_EPOCH\" is not a number of seconds"
export SOURCE_DATE_EPOCH

arch=$(dpkg --print-architecture)
# "vouch 0.1.0": the version the binary says, which the package must carry.
version_line=$("$binary" -V) || die "the binary $binary in package-deb.sh: \`vouch -V\` failed"
[[ "$version_line" =~ ^vouch\ ([0-9A-Za-z.+~-]+)$ ]] ||
    die "the binary $binary in package-deb.sh: \`-V\` says \"$version_line\", not \"vouch VERSION\""
version=${BASH_REMATCH[1]}

mkdir -p "$out"
stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# cargo-deb's `target/release/` is this private target directory: the
# binary and the assets generated from it, nothing of the caller's build.
assets=$stage/target/release
mkdir -p "$assets/completions"
cp "$binary" "$assets/vouch"
"$assets/vouch" man >"$stage/vouch.1"
# -n: no name or time in the gzip header; -9 as Debian policy asks.
gzip -9n <"$stage/vouch.1" >"$assets/vouch.1.gz"
"$assets/vouch" completions bash >"$assets/completions/vouch"
"$assets/vouch" completions zsh >"$assets/completions/_vouch"
"$assets/vouch" completions fish >"$assets/completions/vouch.fish"
# The same mode and date on every asset, whatever umask and clock made them.
chmod 0644 "$assets/vouch.1.gz" "$assets/completions/"*
chmod 0755 "$assets/vouch"
find "$assets" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

CARGO_TARGET_DIR=$stage/target cargo deb --manifest-path "$root/cli/Cargo.toml" \
    --no-build --no-strip --no-dbgsym --no-separate-debug-symbols \
    --locked --quiet --output "$stage/out" >/dev/null ||
    die "cargo deb in package-deb.sh: failed (its messages are above)"

deb=$stage/out/vouch_${version}_${arch}.deb
if [[ ! -f "$deb" ]]; then
    made=$(cd "$stage/out" && ls)
    die "the package in package-deb.sh: cargo deb wrote \"$made\", not vouch_${version}_${arch}.deb (is $binary the binary of this checkout, built for $arch?)"
fi
mv -f "$deb" "$out/"
echo "$out/vouch_${version}_${arch}.deb"
