# This should match the schema defined in external_deps.bzl.
# (A vouch test fixture in the shape of Envoy's bazel/repository_locations.bzl;
# the archives in ../distdir are made up: see ../SOURCE.md.)

PROTOBUF_VERSION = "29.3"

# Not a repository spec: a dict of plain strings.
PROTOC_VERSIONS = dict(
    linux_x86_64 = "3e866620c5be27664f3d2fa2d656b5f3e09b5152b42f1bedbf427b333e90021a",
)

_GITHUB = "https://github.com/"

REPOSITORY_LOCATIONS_SPEC = dict(
    zlib = dict(
        project_name = "zlib",
        project_desc = "zlib compression library",
        project_url = "https://zlib.net",
        version = "1.3.1",
        sha256 = "c87a121d5021ba7a5917eced861fc29b1d8667fc90ef535bbdebdd1eed4b4580",
        strip_prefix = "zlib-{version}",
        urls = [
            "https://zlib.net/zlib-{version}.tar.gz",
            _GITHUB + "madler/zlib/releases/download/v{version}/zlib-{version}.tar.gz",
        ],
        use_category = ["controlplane", "dataplane_core"],
        release_date = "2024-01-22",
        cpe = "cpe:2.3:a:gnu:zlib:*",
        license = "Zlib",
        license_url = "https://github.com/madler/zlib/blob/v{version}/LICENSE",
    ),
    boringssl = dict(
        project_name = "BoringSSL",
        project_desc = "Minimal OpenSSL fork",
        project_url = "https://github.com/google/boringssl",
        # To update BoringSSL, which tracks BCR tags, pick a tag from the BCR.
        version = "0.20250514.0",
        sha256 = "48c00a7869e089470bcb40cafa8a0ec7dff9234a75d14be5f97aa59989165d13",
        strip_prefix = "boringssl-{version}",
        urls = ["https://github.com/google/boringssl/archive/{version}.tar.gz"],
        use_category = ["controlplane", "dataplane_core"],
        release_date = "2025-05-14",
        cpe = "cpe:2.3:a:google:boringssl:*",
        license = "Apache-2.0",
        license_url = "https://github.com/google/boringssl/blob/{version}/LICENSE",
    ),
    com_github_nghttp2_nghttp2 = dict(
        project_name = "Nghttp2",
        project_desc = "Implementation of HTTP/2 and its header compression algorithm HPACK in C",
        project_url = "https://nghttp2.org",
        version = "1.66.0",
        sha256 = "da17073c10b597249fa4a9761b2a32cf4b0702b27f10f7111c4f5e93aee46f2d",
        strip_prefix = "nghttp2-{version}",
        urls = ["https://github.com/nghttp2/nghttp2/releases/download/v{version}/nghttp2-{version}.tar.gz"],
        use_category = ["controlplane", "dataplane_core"],
        release_date = "2025-06-17",
        cpe = "cpe:2.3:a:nghttp2:nghttp2:*",
        license = "MIT",
        license_url = "https://github.com/nghttp2/nghttp2/blob/v{version}/LICENSE",
    ),
    com_github_google_re2 = dict(
        project_name = "RE2",
        project_desc = "RE2, a regular expression library",
        project_url = "https://github.com/google/re2",
        version = "2024-07-02",
        sha256 = "1febef88c90d1d24c1a700da25dd6cdb0045ce37c02234cd18a36800ceb3bbb3",
        strip_prefix = "re2-{version}",
        urls = [_GITHUB + "google/re2/archive/{version}.tar.gz"],
        use_category = ["controlplane", "dataplane_core"],
        release_date = "2024-07-01",
        cpe = "N/A",
        license = "BSD-3-Clause",
        license_url = "https://github.com/google/re2/blob/{version}/LICENSE",
    ),
    com_github_c_ares_c_ares = dict(
        project_name = "c-ares",
        project_desc = "C library for asynchronous DNS requests",
        project_url = "https://c-ares.haxx.se/",
        version = "1.34.5",
        sha256 = "5b9d1b310c9ef656398b013201456157e92eac9b7cb4083cf30458e887405c3f",
        strip_prefix = "c-ares-{version}",
        urls = ["https://github.com/c-ares/c-ares/releases/download/v{version}/c-ares-{version}.tar.gz"],
        use_category = ["dataplane_core", "controlplane"],
        release_date = "2025-04-08",
        cpe = "cpe:2.3:a:c-ares_project:c-ares:*",
        license = "MIT",
        license_url = "https://github.com/c-ares/c-ares/blob/cares-{underscore_version}/LICENSE.md",
    ),
    com_github_libevent_libevent = dict(
        project_name = "libevent",
        project_desc = "Event notification library",
        project_url = "https://libevent.org",
        version = "2.1.12-stable",
        sha256 = "eab1c6ebd47888a2180f18d11dbff52c7a13fce81a787ba05dc3e192d6c7ccde",
        strip_prefix = "libevent-{version}",
        urls = ["https://github.com/libevent/libevent/releases/download/release-{version}/libevent-{version}.tar.gz"],
        use_category = ["dataplane_core"],
        release_date = "2020-07-05",
        cpe = "cpe:2.3:a:libevent_project:libevent:*",
        license = "BSD-3-Clause",
        license_url = "https://github.com/libevent/libevent/blob/release-{version}/LICENSE",
    ),
    com_github_openhistogram_libcircllhist = dict(
        project_name = "libcircllhist",
        project_desc = "An implementation of OpenHistogram log-linear histograms",
        project_url = "https://github.com/openhistogram/libcircllhist",
        version = "39f9db724a81ba78f5d037f1cae79c5a07107c8e",
        sha256 = "0b44a00ea69138f22a61165f5a348193fb7ff52779bc1f9b033d3f6534e442de",
        strip_prefix = "libcircllhist-{version}",
        urls = ["https://github.com/openhistogram/libcircllhist/archive/{version}.tar.gz"],
        use_category = ["observability_core"],
        release_date = "2019-05-21",
        cpe = "N/A",
        license = "Apache-2.0",
        license_url = "https://github.com/openhistogram/libcircllhist/blob/{version}/LICENSE",
    ),
    com_google_googletest = dict(
        project_name = "Google Test",
        project_desc = "Google’s C++ test framework",
        project_url = "https://github.com/google/googletest",
        version = "1.15.2",
        sha256 = "23a24f9861704f147f0a9e038701cc88a32a4e9c7669b3d9e0f76d9971bc8863",
        strip_prefix = "googletest-{version}",
        urls = ["https://github.com/google/googletest/releases/download/v{version}/googletest-{version}.tar.gz"],
        use_category = ["test_only"],
        release_date = "2024-07-31",
        cpe = "N/A",
        license = "BSD-3-Clause",
        license_url = "https://github.com/google/googletest/blob/v{version}/LICENSE",
    ),
    com_google_protobuf = dict(
        project_name = "Protocol Buffers",
        project_desc = "Language-neutral, platform-neutral extensible mechanism for serializing structured data",
        project_url = "https://developers.google.com/protocol-buffers",
        version = PROTOBUF_VERSION,
        sha256 = "8b56a7d2dfa1da00bc9c5854438fee49625387b52a231689fded85195fc5622b",
        strip_prefix = "protobuf-{version}",
        urls = ["https://github.com/protocolbuffers/protobuf/releases/download/v{version}/protobuf-{version}.tar.gz"],
        use_category = ["dataplane_core", "controlplane"],
        release_date = "2025-01-08",
        cpe = "cpe:2.3:a:google:protobuf:*",
        license = "BSD-3-Clause",
        license_url = "https://github.com/protocolbuffers/protobuf/blob/v{version}/LICENSE",
    ),
    # Not in distdir/: fetched at build time.
    com_github_unicode_org_icu = dict(
        project_name = "ICU Library",
        project_desc = "Development files for International Components for Unicode",
        project_url = "https://github.com/unicode-org/icu",
        version = "75.1",
        sha256 = "cb968df3e4d2e87e8b11c49a5d01c787bd13b9545280fc6642f826527618caef",
        strip_prefix = "icu",
        urls = ["https://github.com/unicode-org/icu/releases/download/release-{dash_version}/icu4c-{underscore_version}-src.tgz"],
        use_category = ["dataplane_ext"],
        extensions = ["envoy.filters.http.language"],
        release_date = "2024-04-17",
        cpe = "cpe:2.3:a:icu-project:international_components_for_unicode:*",
        license = "Unicode-3.0",
        license_url = "https://github.com/unicode-org/icu/blob/release-{dash_version}/LICENSE",
    ),
)

def _compiled_protoc_deps(locations, versions):
    # Entries made by code at load time: vouch does not run Starlark, so
    # these are not inputs it can see.
    for platform, sha in versions.items():
        locations["com_google_protobuf_protoc_%s" % platform] = dict(
            version = PROTOBUF_VERSION,
            sha256 = sha,
            urls = ["https://github.com/protocolbuffers/protobuf/releases/download/v{version}/protoc-{version}-%s.zip" % platform.replace("_", "-", 1)],
        )

_compiled_protoc_deps(REPOSITORY_LOCATIONS_SPEC, PROTOC_VERSIONS)
