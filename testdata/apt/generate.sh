#!/bin/sh
# Generates the hermetic test archive ONCE (see SOURCE.md). Needs gpg,
# dpkg-deb, dpkg-scanpackages. The secret keys live in a temporary GNUPGHOME
# and are deleted at the end: the tests never re-sign.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gen() { # name [expiry]
  gpg --batch --quiet --passphrase '' --quick-generate-key "vouch $1 TEST ONLY <$1@vouch.invalid>" ed25519 sign "${2:-never}"
  gpg --batch --with-colons --list-keys "$1@vouch.invalid" | awk -F: '/^fpr/{print $10; exit}'
}
good=$(gen archive)
other=$(gen other)
revoked=$(gen revoked)
# A key that expires a day after it was made.
expired=$(gen expired 1d)
# A primary key that expires a day after it was made, with a signing
# subkey that never does (Debian's keys sign with subkeys).
gpg --batch --quiet --passphrase '' --quick-generate-key "vouch expired-primary TEST ONLY <expired-primary@vouch.invalid>" ed25519 cert 1d
expired_primary=$(gpg --batch --with-colons --list-keys expired-primary@vouch.invalid | awk -F: '/^fpr/{print $10; exit}')
gpg --batch --quiet --passphrase '' --quick-add-key "$expired_primary" ed25519 sign never
rm -rf repo && mkdir -p repo/dists/test/main/binary-amd64 repo/pool/main
build() { # package version compression
  root="$work/$1"
  mkdir -p "$root/DEBIAN" "$root/usr/share/cargo/registry/foo-$2/src"
  cat >"$root/DEBIAN/control" <<CTL
Package: $1
Version: $2-1
Architecture: all
Multi-Arch: foreign
Maintainer: vouch TEST ONLY <test@vouch.invalid>
Source: rust-foo ($2-1)
Provides: librust-foo-1-dev (= $2-1), librust-foo-1.2-dev (= $2-1)
Description: authored test package (TEST ONLY)
 A fake Rust crate foo, as Debian packages crates.
CTL
  printf '[package]\nname = "foo"\nversion = "%s"\nedition = "2021"\n' "$2" >"$root/usr/share/cargo/registry/foo-$2/Cargo.toml"
  printf 'pub fn foo() -> u32 {\n    42\n}\n' >"$root/usr/share/cargo/registry/foo-$2/src/lib.rs"
  printf '{"package":"Could not get crate checksum","files":{}}\n' >"$root/usr/share/cargo/registry/foo-$2/.cargo-checksum.json"
  (cd "$root" && find usr -type f | sort | xargs md5sum >DEBIAN/md5sums)
  dpkg-deb --root-owner-group -Z"$3" --build "$root" "repo/pool/main/${1}_$2-1_all.deb" >/dev/null
}
build librust-foo-dev 1.2.3 xz
build librust-foo-gz-dev 1.2.4 gzip
build librust-foo-zstd-dev 1.2.5 zstd
build librust-foo-none-dev 1.2.6 none
(cd repo && dpkg-scanpackages --multiversion pool /dev/null 2>/dev/null) >repo/dists/test/main/binary-amd64/Packages
gzip -9n -k repo/dists/test/main/binary-amd64/Packages
xz -k repo/dists/test/main/binary-amd64/Packages
# As apt recompresses its lists locally (never listed in a release).
lz4 -q -9 -f repo/dists/test/main/binary-amd64/Packages Packages.lz4
release() { # date valid-until
  cat <<REL
Origin: vouch-test
Label: vouch-test
Suite: test
Codename: test
Date: $1
Valid-Until: $2
Architectures: amd64
Components: main
Description: hermetic test archive (TEST ONLY)
SHA256:
REL
  for f in main/binary-amd64/Packages main/binary-amd64/Packages.gz main/binary-amd64/Packages.xz; do
    printf ' %s %16d %s\n' "$(sha256sum <"repo/dists/test/$f" | cut -d' ' -f1)" "$(stat -c %s "repo/dists/test/$f")" "$f"
  done
}
release 'Sat, 01 Jan 2028 00:00:00 UTC' 'Sat, 08 Jan 2028 00:00:00 UTC' >repo/dists/test/Release
sign() { gpg --batch --quiet --yes --local-user "$1" --digest-algo SHA512 --clearsign --output "$3" "$2"; }
sign "$good" repo/dists/test/Release repo/dists/test/InRelease
sign "$other" repo/dists/test/Release InRelease.other
sign "$expired" repo/dists/test/Release InRelease.expired
sign "$revoked" repo/dists/test/Release InRelease.revoked
sign "$expired_primary" repo/dists/test/Release InRelease.expired-primary
gpg --batch --export "$good" >archive-keyring.gpg
gpg --batch --armor --export "$good" >archive-keyring.asc
gpg --batch --export "$other" >other-keyring.gpg
gpg --batch --export "$expired" >expired-keyring.gpg
gpg --batch --export "$expired_primary" >expired-primary-keyring.gpg
# Revoke with the certificate gpg made with the key (reason: none given).
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$revoked.rev" | gpg --batch --quiet --import
gpg --batch --export "$revoked" >revoked-keyring.gpg
echo "archive key: $good" >fingerprints.txt
echo "other key: $other" >>fingerprints.txt
echo "expired key: $expired" >>fingerprints.txt
echo "revoked key: $revoked" >>fingerprints.txt
echo "expired-primary key: $expired_primary" >>fingerprints.txt
