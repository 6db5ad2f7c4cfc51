#!/usr/bin/env bash
# vouch's own release image, built offline from Debian's packages: no base
# image is pulled from anywhere, only .debs from Debian's archive through apt.
#
#   bash scripts/image.sh [--out DIR] [--lock FILE] [--deb FILE | --binary FILE] [--tag TAG]
#
# writes the OCI image layout DIR (default target/image), tagged TAG (default
# the workspace version: `oci:target/image:0.1.0`), and DIR.lock, the
# packages it holds. The image has one layer, a distroless-style root:
#
#   - base-files, netbase, libc6, libgcc-s1 and what apt says they need, as
#     `mmdebstrap --variant=extract` unpacks them (no maintainer script runs,
#     no dpkg, no shell, no apt in the image);
#   - ca-certificates' files, without the dependencies only its maintainer
#     script needs (openssl, debconf), and the bundle that script would
#     make, /etc/ssl/certs/ca-certificates.crt;
#   - vouch's own Debian package (scripts/package-deb.sh, from the release
#     binary; --deb takes one already built);
#   - each package recorded as distroless images record them, a stanza in
#     var/lib/dpkg/status.d/NAME and its files in NAME.md5sums, so `vouch
#     sbom`, syft and trivy list them;
#   - users root and vouch (65532), the image's user; ENTRYPOINT ["vouch"].
#     Nothing in the image needs to be written: it runs with a read-only
#     root filesystem.
#
# Reproducible: two builds of one commit from the same archive state give
# the same image digest. Every time is SOURCE_DATE_EPOCH (default: the
# commit's time), the layer is a tar in name order with numeric owners and
# no access or change times, and umoci packs it with fixed history and
# config dates. DIR.lock lists each package's name, version, architecture
# and the SHA-256 of its .deb; `--lock FILE` asks apt for exactly those
# versions and refuses any .deb whose digest differs, so a rebuild either
# gives the same image or says which package changed. (Debian's archive
# keeps only its current versions; snapshot.debian.org, which keeps every
# one, is not reachable from this machine: VOUCH_DEBIAN_MIRROR and
# VOUCH_DEBIAN_SECURITY_MIRROR point at any mirror, a snapshot included.)
#
# Only the machine's own architecture is built (dpkg --print-architecture):
# there is no cross toolchain here for the release binary.
#
# Needs root (mmdebstrap's root mode keeps the packages' owners), mmdebstrap,
# umoci, jq and dpkg-deb (scripts/install-oracles.sh installs them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { echo "image.sh: error: $*" >&2; exit 1; }

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
out=target/image lock_in= deb= binary=target/release/vouch tag=$version
while [[ $# -gt 0 ]]; do
    case $1 in
        --out) out=${2:?--out needs a directory}; shift 2 ;;
        --lock) lock_in=${2:?--lock needs a file}; shift 2 ;;
        --deb) deb=${2:?--deb needs a file}; shift 2 ;;
        --binary) binary=${2:?--binary needs a file}; shift 2 ;;
        --tag) tag=${2:?--tag needs a value}; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
[[ "$(id -u)" -eq 0 ]] || die "needs root: mmdebstrap's root mode keeps the packages' file owners"
[[ -z "$lock_in" || -f "$lock_in" ]] || die "no lock file $lock_in"
for tool in mmdebstrap umoci jq dpkg-deb; do
    command -v "$tool" >/dev/null || die "$tool is not installed (bash scripts/install-oracles.sh)"
done

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || die "no SOURCE_DATE_EPOCH and no git commit to take it from")}
export LC_ALL=C.UTF-8 TZ=UTC
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
arch=$(dpkg --print-architecture)
mirror=${VOUCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${VOUCH_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# The base packages, or with --lock exactly the locked versions.
base=(base-files netbase libc6 libgcc-s1)
extra=(ca-certificates)
if [[ -n "$lock_in" ]]; then
    pins=()
    while read -r name ver _arch _sha; do
        [[ -z "$name" || "$name" == \#* || "$name" == vouch ]] && continue
        pins+=("$name=$ver")
    done <"$lock_in"
    base=() extra=()
    for pin in "${pins[@]}"; do
        [[ "$pin" == ca-certificates=* ]] && extra+=("$pin") || base+=("$pin")
    done
    [[ ${#base[@]} -gt 0 && ${#extra[@]} -eq 1 ]] || die "$lock_in does not lock the image's packages"
fi

mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs debs=$work/debs
mkdir "$debs"

# The vouch package.
if [[ -z "$deb" ]]; then
    [[ -x "$binary" ]] || die "no release binary $binary (cargo build --release --locked -p vouch-cli)"
    deb=$(bash scripts/package-deb.sh --binary "$binary") || die "scripts/package-deb.sh failed"
fi
[[ -f "$deb" ]] || die "no package $deb"
[[ "$(dpkg-deb -f "$deb" Package)" == vouch ]] || die "$deb is not the vouch package"

# The packages, unpacked; their .debs kept for the records. apt-get
# download, in the hook, reads the same archive state as the extraction.
if ! mmdebstrap --variant=extract --include="$(IFS=,; echo "${base[*]}")" \
    --extract-hook="cp \"\$1\"/var/cache/apt/archives/*.deb '$debs'/ && cd '$debs' && apt-get download -q ${extra[*]}" \
    bookworm "$rootfs" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb $security bookworm-security main" >"$work/mmdebstrap.log" 2>&1; then
    cat "$work/mmdebstrap.log" >&2
    die "mmdebstrap failed: is Debian's archive ($mirror) reachable through apt, and does it still hold every locked version?"
fi
cp "$deb" "$debs/"
for extra_deb in "$debs"/ca-certificates_*.deb "$debs/$(basename "$deb")"; do
    dpkg-deb --extract "$extra_deb" "$rootfs"
done

# The lock: every package, its version, architecture and .deb digest, in
# name order. With --lock, the same set with the same digests, or stop.
lock=$work/lock
for f in "$debs"/*.deb; do
    printf '%s %s %s %s\n' "$(dpkg-deb -f "$f" Package)" "$(dpkg-deb -f "$f" Version)" \
        "$(dpkg-deb -f "$f" Architecture)" "$(sha256sum "$f" | cut -d' ' -f1)"
done | sort >"$lock"
if [[ -n "$lock_in" ]]; then
    # vouch's own package is the build's product, not a locked input.
    if ! diff <(grep -v '^vouch ' "$lock_in" | grep -v '^#' | sort) <(grep -v '^vouch ' "$lock") >"$work/lock.diff"; then
        sed 's/^/  /' "$work/lock.diff" >&2
        die "the packages differ from $lock_in ('<' locked, '>' fetched)"
    fi
fi

# Each package recorded as distroless images do: its control stanza (no
# Status field: installed) and the md5sums of its files.
mkdir -p "$rootfs/var/lib/dpkg/status.d"
for f in "$debs"/*.deb; do
    name=$(dpkg-deb -f "$f" Package)
    dpkg-deb -f "$f" >"$rootfs/var/lib/dpkg/status.d/$name"
    members=$(dpkg-deb --ctrl-tarfile "$f" | tar -t)
    if grep -qx './md5sums' <<<"$members"; then
        dpkg-deb --ctrl-tarfile "$f" | tar -xO ./md5sums >"$rootfs/var/lib/dpkg/status.d/$name.md5sums"
    fi
done

# What the maintainer scripts that did not run would have made, and what
# only the build needed: the CA bundle (update-ca-certificates: every
# certificate ca-certificates ships, in name order), the users, and no apt,
# dpkg state, device nodes or the build host's resolv.conf and hostname.
mkdir -p "$rootfs/etc/ssl/certs"
find "$rootfs/usr/share/ca-certificates" -name '*.crt' -print0 | sort -z |
    xargs -0 cat >"$rootfs/etc/ssl/certs/ca-certificates.crt"
grep -q 'BEGIN CERTIFICATE' "$rootfs/etc/ssl/certs/ca-certificates.crt" || die "ca-certificates shipped no certificate"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nvouch:x:65532:65532:vouch:/home/vouch:/usr/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nvouch:x:65532:\n' >"$rootfs/etc/group"
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
install -d -m 0750 -o 65532 -g 65532 "$rootfs/home/vouch"
rm -rf "$rootfs"/etc/apt "$rootfs"/var/lib/apt "$rootfs"/var/cache/apt "$rootfs"/var/log/* \
    "$rootfs"/etc/resolv.conf "$rootfs"/etc/hostname "$rootfs"/etc/fstab "$rootfs"/dev/*
find "$rootfs/var/lib/dpkg" -mindepth 1 -maxdepth 1 ! -name status.d -exec rm -rf {} +
[[ -x "$rootfs/usr/bin/vouch" ]] || die "the vouch package installs no /usr/bin/vouch"

# The layer: names in order, numeric owners, every time clamped to
# SOURCE_DATE_EPOCH, no atime/ctime.
(cd "$rootfs" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | sort) >"$work/top"
tar --create --file "$work/layer.tar" --directory "$rootfs" --sort=name --format=posix \
    --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --files-from "$work/top"

# The image.
layout=$work/oci
license=$(sed -n 's/^license = "\(.*\)"$/\1/p' Cargo.toml | head -1)
source_url=$(git remote get-url origin 2>/dev/null || true)
labels=(
    "org.opencontainers.image.title=vouch"
    "org.opencontainers.image.version=$version"
    "org.opencontainers.image.revision=$commit"
    "org.opencontainers.image.created=$created"
    "org.opencontainers.image.licenses=$license"
)
[[ -z "$source_url" || "$source_url" == /* ]] || labels+=("org.opencontainers.image.source=$source_url")
config_args=()
for label in "${labels[@]}"; do
    config_args+=(--config.label "$label" --manifest.annotation "$label")
done
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci raw add-layer --image "$layout:$tag" --history.created "$created" \
    --history.created_by "scripts/image.sh: $(cut -d' ' -f1,2 "$lock" | tr ' ' = | paste -sd' ')" \
    "$work/layer.tar"
umoci config --image "$layout:$tag" --no-history --created "$created" \
    --architecture "$arch" --os linux --config.user 65532:65532 \
    --config.entrypoint vouch --config.workingdir /home/vouch \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env HOME=/home/vouch --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    "${config_args[@]}"
umoci gc --layout "$layout"

rm -rf "$out" "$out.lock"
mv "$layout" "$out"
{
    echo "# scripts/image.sh of $commit: name version architecture sha256 of each .deb"
    cat "$lock"
} >"$out.lock"
digest=$(jq -r --arg t "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$out/index.json")
echo "oci:$out:$tag $digest"
