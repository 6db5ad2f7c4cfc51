#!/usr/bin/env bash
# Regenerates the demo's signed apt archive (TEST ONLY; see SOURCE.md): a
# Packages index listing Debian's own librust-miniz-oxide-dev and
# librust-adler-dev .debs (archive/debs/), a Release dated now, signed with
# a demo key made here and thrown away, and that key's public keyring. The
# files are named as apt names them in /var/lib/apt/lists.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/archive"
gnupg="$(mktemp -d)"
trap 'gpgconf --homedir "$gnupg" --kill all 2>/dev/null || true; rm -rf "$gnupg"' EXIT
export GNUPGHOME="$gnupg"
gpg --batch --quiet --passphrase '' --quick-gen-key \
    'vouch demo archive (TEST ONLY) <demo-archive@vouch.invalid>' ed25519 sign never
rm -rf lists && mkdir lists
list=lists/demo.vouch.invalid_debian_dists_bookworm
index=main/binary-amd64/Packages
: >"${list}_main_binary-amd64_Packages"
for deb in debs/*.deb; do
    {
        dpkg-deb -f "$deb"
        printf 'Filename: pool/main/%s\nSize: %s\nSHA256: %s\n\n' \
            "$(basename "$deb")" "$(stat -c %s "$deb")" "$(sha256sum "$deb" | cut -d' ' -f1)"
    } >>"${list}_main_binary-amd64_Packages"
done
packages="${list}_main_binary-amd64_Packages"
{
    printf 'Origin: Debian\nLabel: Debian\nSuite: stable\nVersion: 12.12\nCodename: bookworm\n'
    printf 'Date: %s\n' "$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
    printf 'Architectures: amd64\nComponents: main\nDescription: vouch demo archive (TEST ONLY)\nSHA256:\n'
    printf ' %s %s %s\n' "$(sha256sum "$packages" | cut -d' ' -f1)" "$(stat -c %s "$packages")" "$index"
} >Release
gpg --batch --quiet --yes --clearsign --output "${list}_InRelease" Release
rm Release
gpg --batch --quiet --export >keyring.gpg
gpg --batch --with-colons --fingerprint 2>/dev/null | awk -F: '$1 == "fpr" {print $10; exit}' >fingerprint.txt
