#!/usr/bin/env bash
# Builds the real Debian test image of the integration tests from Debian's
# own packages, into OUT (which must not exist yet):
#
#   OUT/oci        an OCI image layout with two tags:
#                  base    one layer (tar+gzip): `mmdebstrap --variant=essential
#                          bookworm` with sensible-utils added;
#                  debian  base plus a second layer (tar+zstd) made in the
#                          image's own dpkg: `less` installed from its real
#                          .deb, sensible-utils purged (so the layer holds
#                          whiteouts for its files);
#   OUT/dpkg       the final image's var/lib/dpkg, for the dpkg-query oracle;
#   OUT/os-release the final image's usr/lib/os-release;
#   OUT/seconds    how long the build took.
#
# Needs root (mmdebstrap's root mode, chroot), mmdebstrap, umoci, zstd, jq,
# and Debian's archive (deb.debian.org, or $VOUCH_DEBIAN_MIRROR) through apt.
# SOURCE_DATE_EPOCH is fixed, so the packages' files carry one date.
# cli/tests/common/debian.rs runs it once per test run and caches OUT.
set -euo pipefail

out=${1:?usage: debian-test-image.sh OUT}
[[ ! -e "$out" ]] || { echo "debian-test-image: $out exists" >&2; exit 1; }
mirror=${VOUCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
export SOURCE_DATE_EPOCH=1700000000 LC_ALL=C.UTF-8
created=2023-11-14T22:13:20Z                         # SOURCE_DATE_EPOCH
start=$(date +%s)

work=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
layout="$work/oci" bundle="$work/bundle"
rootfs="$bundle/rootfs"

umoci init --layout "$layout"
umoci new --image "$layout:empty"
umoci unpack --image "$layout:empty" "$bundle"

# Layer 1: Debian's essential set, plus a package the second layer removes.
# `less` is downloaded now, from the same archive state, for layer 2.
mkdir "$work/debs"
if ! mmdebstrap --quiet --variant=essential --include=sensible-utils \
    --customize-hook="cd '$work/debs' && apt-get download less" \
    bookworm "$rootfs" "$mirror" >"$work/mmdebstrap.log" 2>&1; then
    cat "$work/mmdebstrap.log" >&2
    echo "debian-test-image: mmdebstrap failed: is Debian's archive ($mirror) reachable through apt?" >&2
    exit 1
fi
umoci repack --refresh-bundle --image "$layout:base" \
    --history.created "$created" --history.created_by "mmdebstrap --variant=essential --include=sensible-utils bookworm" \
    "$bundle"

# Layer 2: install less with the image's own dpkg, purge sensible-utils.
deb=$(cd "$work/debs" && ls less_*.deb)
cp "$work/debs/$deb" "$rootfs/tmp/$deb"
chroot "$rootfs" dpkg --install "/tmp/$deb" >/dev/null
rm "$rootfs/tmp/$deb"
chroot "$rootfs" dpkg --purge sensible-utils >/dev/null
umoci repack --image "$layout:debian" \
    --history.created "$created" --history.created_by "dpkg --install $deb; dpkg --purge sensible-utils" \
    "$bundle"

# Recompress layer 2 as zstd: same tar, so the config's diff_ids hold.
blob() { echo "$layout/blobs/sha256/${1#sha256:}"; }
ref() { jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$layout/index.json"; }
manifest=$(ref debian)
layer=$(jq -r '.layers[1].digest' "$(blob "$manifest")")
gzip -dc "$(blob "$layer")" | zstd -q -19 -o "$work/layer.zst"
zdigest=sha256:$(sha256sum "$work/layer.zst" | cut -d' ' -f1)
mv "$work/layer.zst" "$(blob "$zdigest")"
rm "$(blob "$layer")"
jq -c --arg d "$zdigest" --argjson s "$(stat -c %s "$(blob "$zdigest")")" \
    '.layers[1] |= (.mediaType = "application/vnd.oci.image.layer.v1.tar+zstd" | .digest = $d | .size = $s)' \
    "$(blob "$manifest")" >"$work/manifest.json"
mdigest=sha256:$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
msize=$(stat -c %s "$work/manifest.json")
mv "$work/manifest.json" "$(blob "$mdigest")"
rm "$(blob "$manifest")"
jq -c --arg old "$manifest" --arg d "$mdigest" --argjson s "$msize" \
    '.manifests |= map(select(.annotations["org.opencontainers.image.ref.name"] != "empty") | if .digest == $old then .digest = $d | .size = $s else . end)' \
    "$layout/index.json" >"$work/index.json"
mv "$work/index.json" "$layout/index.json"
umoci gc --layout "$layout"

mkdir "$work/out"
mv "$layout" "$work/out/oci"
cp -a "$rootfs/var/lib/dpkg" "$work/out/dpkg"
cp -L "$rootfs/usr/lib/os-release" "$work/out/os-release"
echo $(($(date +%s) - start)) >"$work/out/seconds"
mv "$work/out" "$out"
