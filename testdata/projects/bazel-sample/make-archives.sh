#!/usr/bin/env bash
# Rebuilds distdir/: small, made-up .tar.gz archives standing in for the
# upstream sources the fixture's Bazel files pin. Deterministic: fixed
# contents, names, modes, owners and mtime, sorted members, `gzip -n` (no
# name or timestamp in the header). Prints each archive's sha256 (and the
# SRI form) to paste into bazel/repository_locations.bzl and WORKSPACE if a
# different gzip ever changes the bytes.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf distdir
mkdir distdir

# archive FILE TOP-DIR PROJECT SOURCE-FILE
archive() {
    local file=$1 top=$2 project=$3 source=$4
    mkdir -p "$work/$top"
    printf 'Made-up fixture content for vouch tests; not the real %s.\n' "$project" \
        >"$work/$top/README.vouch-fixture"
    printf '/* %s: fixture source, %s */\n' "$project" "$top" >"$work/$top/$source"
    tar -C "$work" --sort=name --mtime='2024-01-01 00:00:00Z' --owner=0 --group=0 \
        --numeric-owner --mode='u=rwX,go=rX' --format=ustar -cf - "$top" \
        | gzip -n -9 >"distdir/$file"
    local hex
    hex=$(sha256sum "distdir/$file" | cut -d' ' -f1)
    printf '%-60s %s sha256-%s\n' "$file" "$hex" \
        "$(printf '%s' "$hex" | xxd -r -p | base64 -w0)"
}

archive zlib-1.3.1.tar.gz zlib-1.3.1 zlib zlib.h
archive 0.20250514.0.tar.gz boringssl-0.20250514.0 BoringSSL ssl.h
archive nghttp2-1.66.0.tar.gz nghttp2-1.66.0 nghttp2 nghttp2.h
archive 2024-07-02.tar.gz re2-2024-07-02 RE2 re2.h
archive c-ares-1.34.5.tar.gz c-ares-1.34.5 c-ares ares.h
archive libevent-2.1.12-stable.tar.gz libevent-2.1.12-stable libevent event.h
archive 39f9db724a81ba78f5d037f1cae79c5a07107c8e.tar.gz \
    libcircllhist-39f9db724a81ba78f5d037f1cae79c5a07107c8e libcircllhist circllhist.h
archive googletest-1.15.2.tar.gz googletest-1.15.2 GoogleTest gtest.h
archive protobuf-29.3.tar.gz protobuf-29.3 "Protocol Buffers" descriptor.proto
archive rules_cc-0.1.1.tar.gz rules_cc-0.1.1 rules_cc defs.bzl.txt
archive v1.1.0.tar.gz brotli-1.1.0 Brotli decode.h
# com_github_unicode_org_icu (icu4c-75_1-src.tgz) is deliberately absent:
# vouch must report it as not vendored.
