//! Layers built here with the tar crate: whiteouts, opaque directories,
//! links, every compression, every cap, and hostile entries.

use super::*;
use std::io::Write;

pub(crate) const TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub(crate) const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub(crate) const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// One tar entry, its name written raw (so that hostile names are too).
pub(crate) enum E<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    Fifo(&'a str),
}

pub(crate) fn tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let (name, kind, data, link): (&str, _, &[u8], Option<&str>) = match entry {
            E::File(n, d) => (n, tar::EntryType::Regular, d, None),
            E::Dir(n) => (n, tar::EntryType::Directory, b"", None),
            E::Symlink(n, t) => (n, tar::EntryType::Symlink, b"", Some(t)),
            E::HardLink(n, t) => (n, tar::EntryType::Link, b"", Some(t)),
            E::Fifo(n) => (n, tar::EntryType::Fifo, b"", None),
        };
        let slot = &mut header.as_old_mut().name;
        slot[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            let slot = &mut header.as_old_mut().linkname;
            slot[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_entry_type(kind);
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap()
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

pub(crate) fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

pub(crate) fn digest(blob: &[u8]) -> String {
    format!(
        "sha256:{}",
        hex::encode(ring::digest::digest(&ring::digest::SHA256, blob))
    )
}

/// Applies plain tar layers; returns the view and the layers' digests.
pub(crate) fn image(layers: &[Vec<u8>]) -> (Layers, Vec<String>) {
    let mut view = Layers::new(Limits::default());
    let mut digests = Vec::new();
    for blob in layers {
        let d = digest(blob);
        view.apply(&d, TAR, blob).unwrap();
        digests.push(d);
    }
    (view, digests)
}

fn content<'a>(view: &'a Layers, path: &str) -> Option<&'a [u8]> {
    view.read(path).unwrap().map(|f| f.content)
}

fn apply_err(view: &mut Layers, media_type: &str, blob: &[u8]) -> String {
    view.apply(&digest(blob), media_type, blob)
        .unwrap_err()
        .to_string()
}

#[test]
fn plain_gzip_and_zstd_layers_read_the_same() {
    let layer = tar(&[
        E::Dir("./var/lib/dpkg/"),
        E::File("./var/lib/dpkg/status", b"Package: a\n"),
        E::File("./usr/bin/true", b"\x7fELF"),
        E::File("/etc/os-release", b"ID=debian\n"),
    ]);
    let mut zstd_two_frames = zstd(&layer[..1000]);
    // A skippable frame (as zstd:chunked writes) between two data frames.
    zstd_two_frames.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    zstd_two_frames.extend(zstd(&layer[1000..]));
    let mut multi_member_gzip = gzip(&layer[..700]);
    multi_member_gzip.extend(gzip(&layer[700..]));
    for (media_type, blob) in [
        (TAR, layer.clone()),
        (
            "application/vnd.docker.image.rootfs.diff.tar",
            layer.clone(),
        ),
        (GZIP, gzip(&layer)),
        (
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
            gzip(&layer),
        ),
        (GZIP, multi_member_gzip),
        (ZSTD, zstd(&layer)),
        (ZSTD, zstd_two_frames),
    ] {
        let mut view = Layers::new(Limits::default());
        view.apply(&digest(&blob), media_type, &blob).unwrap();
        assert_eq!(
            content(&view, "var/lib/dpkg/status"),
            Some(&b"Package: a\n"[..])
        );
        assert_eq!(content(&view, "etc/os-release"), Some(&b"ID=debian\n"[..]));
        // Unwanted files are not kept.
        assert_eq!(content(&view, "usr/bin/true"), None);
        assert_eq!(view.digests(), [digest(&blob)]);
    }
}

#[test]
fn unknown_media_type_and_wrong_digest_are_refused() {
    let layer = tar(&[E::File("etc/os-release", b"ID=x\n")]);
    let mut view = Layers::new(Limits::default());
    let err = apply_err(
        &mut view,
        "application/vnd.oci.image.layer.v1.tar+bzip2",
        &layer,
    );
    assert_eq!(
        err,
        format!(
            "malformed layer in layer {}: unknown media type \"application/vnd.oci.image.layer.v1.tar+bzip2\"",
            digest(&layer)
        )
    );
    let mut view = Layers::new(Limits::default());
    let other = digest(b"other");
    let err = view.apply(&other, TAR, &layer).unwrap_err().to_string();
    assert!(
        err.contains(&format!("the blob's digest is {}", digest(&layer))),
        "{err}"
    );
    for bad in ["sha256:ABC", "sha512:00", "", "sha256:"] {
        assert!(Layers::new(Limits::default())
            .apply(bad, TAR, &layer)
            .is_err());
    }
    // After an error the view is poisoned: no half-read image is scanned.
    assert!(view.read("etc/os-release").is_err());
    assert!(view.list(STATUS_D).is_err());
    assert!(view.apply(&digest(&layer), TAR, &layer).is_err());
}

#[test]
fn whiteouts_delete_files_and_whole_directories() {
    let (view, d) = image(&[
        tar(&[
            E::File("var/lib/dpkg/status", b"one"),
            E::File("var/lib/dpkg/status.d/a", b"Package: a\n"),
            E::File("var/lib/dpkg/status.d/b", b"Package: b\n"),
            E::File("var/lib/dpkg/status.d/b.md5sums", b"00  /x\n"),
            E::File("etc/os-release", b"ID=x\n"),
        ]),
        tar(&[
            E::File("var/lib/dpkg/.wh.status", b""),
            E::File("var/lib/dpkg/.wh.status.d", b""),
            // A whiteout never hides its own layer's entry.
            E::File("etc/os-release", b"ID=y\n"),
            E::File("etc/.wh.os-release", b""),
            // aufs bookkeeping is no whiteout.
            E::File(".wh..wh.plnk/1.2", b""),
        ]),
    ]);
    assert_eq!(content(&view, "var/lib/dpkg/status"), None);
    assert!(view.list(STATUS_D).unwrap().is_empty());
    assert_eq!(content(&view, "etc/os-release"), Some(&b"ID=y\n"[..]));
    let history = view.history.get("var/lib/dpkg/status").unwrap();
    assert_eq!(
        history
            .iter()
            .map(|r| (r.layer.as_str(), r.content.is_some()))
            .collect::<Vec<_>>(),
        [(d[0].as_str(), true), (d[1].as_str(), false)]
    );
}

#[test]
fn an_opaque_directory_hides_lower_entries_and_keeps_its_own() {
    let (view, _) = image(&[
        tar(&[
            E::File("var/lib/dpkg/status.d/old", b"Package: old\n"),
            E::File("var/lib/dpkg/status.d/kept", b"Package: kept\n"),
        ]),
        tar(&[
            // This layer's entry comes before the opaque marker in the tar.
            E::File("var/lib/dpkg/status.d/new", b"Package: new\n"),
            E::File("var/lib/dpkg/status.d/.wh..wh..opq", b""),
        ]),
    ]);
    let names: Vec<&str> = view
        .list(STATUS_D)
        .unwrap()
        .iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(names, ["var/lib/dpkg/status.d/new"]);
}

#[test]
fn deleted_then_recreated_status_has_its_whole_history() {
    let (view, d) = image(&[
        tar(&[E::File("var/lib/dpkg/status", b"first")]),
        tar(&[E::File("var/lib/.wh.dpkg", b"")]),
        tar(&[
            E::Dir("var/lib/dpkg"),
            E::File("var/lib/dpkg/status", b"second"),
        ]),
    ]);
    let file = view.read("var/lib/dpkg/status").unwrap().unwrap();
    assert_eq!(file.content, b"second");
    let got: Vec<(&str, Option<&[u8]>)> = file
        .history
        .iter()
        .map(|r| (r.layer.as_str(), r.content.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (d[0].as_str(), Some(&b"first"[..])),
            (d[1].as_str(), None),
            (d[2].as_str(), Some(&b"second"[..])),
        ]
    );
}

#[test]
fn symlinked_os_release_resolves_inside_the_image() {
    for target in [
        "../usr/lib/os-release",
        "/usr/lib/os-release",
        // Climbing above the root stays at the root.
        "../../../../../usr/lib/os-release",
        "/usr/lib/../lib/./os-release",
    ] {
        let (view, _) = image(&[tar(&[
            E::File("usr/lib/os-release", b"ID=debian\n"),
            E::Symlink("etc/os-release", target),
        ])]);
        let file = view.read("etc/os-release").unwrap().unwrap();
        assert_eq!(
            (file.path, file.content),
            ("usr/lib/os-release", &b"ID=debian\n"[..]),
            "{target}"
        );
    }
    // A directory link on the way (Fedora's var/lib/rpm).
    let (view, _) = image(&[tar(&[
        E::Symlink("var/lib/rpm", "../../usr/lib/sysimage/rpm"),
        E::File("usr/lib/sysimage/rpm/rpmdb.sqlite", b"SQLite format 3\0"),
        E::File("usr/lib/sysimage/rpm/other", b"x"),
    ])]);
    let listed: Vec<&str> = view
        .list("var/lib/rpm")
        .unwrap()
        .iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(listed, ["usr/lib/sysimage/rpm/rpmdb.sqlite"]);
}

#[test]
fn a_link_target_written_before_the_link_is_found_on_a_second_read() {
    // The target is no wanted path: kept only because the link to it is.
    let (view, _) = image(&[tar(&[
        E::File("usr/share/base-files/os-release", b"ID=debian\n"),
        E::Symlink("etc/os-release", "../usr/share/base-files/os-release"),
    ])]);
    assert_eq!(content(&view, "etc/os-release"), Some(&b"ID=debian\n"[..]));
    // In a later layer, after the link.
    let (view, _) = image(&[
        tar(&[E::Symlink("etc/os-release", "/opt/os-release")]),
        tar(&[E::File("opt/os-release", b"ID=later\n")]),
    ]);
    assert_eq!(content(&view, "etc/os-release"), Some(&b"ID=later\n"[..]));
}

#[test]
fn hard_links_copy_their_target() {
    let (view, _) = image(&[tar(&[
        E::File("usr/share/status.real", b"Package: a\n"),
        E::HardLink("var/lib/dpkg/status", "./usr/share/status.real"),
    ])]);
    assert_eq!(
        content(&view, "var/lib/dpkg/status"),
        Some(&b"Package: a\n"[..])
    );
    let blob = tar(&[E::HardLink("var/lib/dpkg/status", "nowhere")]);
    let err = apply_err(&mut Layers::new(Limits::default()), TAR, &blob);
    assert!(
        err.contains("hard link to nowhere, which no layer up to this one holds"),
        "{err}"
    );
    let blob = tar(&[E::HardLink("var/lib/dpkg/status", "../etc/passwd")]);
    let err = apply_err(&mut Layers::new(Limits::default()), TAR, &blob);
    assert!(
        err.contains("hard link target: a path that climbs with `..`"),
        "{err}"
    );
}

#[test]
fn link_loops_are_bounded() {
    let (view, _) = image(&[tar(&[
        E::Symlink("etc/os-release", "os-release.a"),
        E::Symlink("etc/os-release.a", "/etc/os-release"),
        E::File("usr/lib/os-release", b"ID=x\n"),
    ])]);
    let err = view.read("etc/os-release").unwrap_err().to_string();
    assert!(err.contains("more than 40 links on the way"), "{err}");
    assert!(view.read("usr/lib/os-release").unwrap().is_some());
}

#[test]
fn later_entries_replace_what_was_kept() {
    let (view, _) = image(&[
        tar(&[
            E::File("var/lib/dpkg/status.d/a", b"Package: a\n"),
            E::File("etc/os-release", b"ID=x\n"),
            E::Symlink("var/lib/rpm", "/usr/lib/sysimage/rpm"),
            E::File("usr/lib/sysimage/rpm/Packages", b"bdb"),
        ]),
        tar(&[
            // A file where a directory was hides its whole subtree.
            E::File("var/lib/dpkg/status.d", b"not a dir"),
            // A fifo replaces a kept file.
            E::Fifo("etc/os-release"),
            // A real directory replaces a link.
            E::Dir("var/lib/rpm"),
        ]),
    ]);
    assert!(view.list(STATUS_D).unwrap().is_empty());
    assert_eq!(content(&view, "etc/os-release"), None);
    assert!(view.list("var/lib/rpm").unwrap().is_empty());
    assert_eq!(view.list("usr/lib/sysimage/rpm").unwrap().len(), 1);
}

#[test]
fn paths_are_normalised_and_climbing_is_refused() {
    let (view, _) = image(&[tar(&[E::File(".//var/./lib/dpkg//status", b"x")])]);
    assert_eq!(content(&view, "var/lib/dpkg/status"), Some(&b"x"[..]));
    for name in [
        "../etc/os-release",
        "var/../../etc/os-release",
        "var/lib/dpkg/.wh...",
    ] {
        let blob = tar(&[E::File(name, b"ID=evil\n")]);
        let mut view = Layers::new(Limits::default());
        let err = apply_err(&mut view, TAR, &blob);
        assert!(
            err.contains("climbs with `..`") || err.contains("a whiteout that names no file"),
            "{name}: {err}"
        );
    }
}

#[test]
fn every_cap_stops_the_read_and_names_layer_and_limit() {
    let bomb = tar(&[E::File("var/lib/dpkg/status", &vec![0u8; 4 << 20])]);
    let cases: Vec<(Limits, Vec<u8>, &str, &str, &str)> = vec![
        (
            Limits {
                layer_bytes: 1 << 20,
                ..Limits::default()
            },
            gzip(&bomb),
            GZIP,
            "decompressed bytes in layer",
            "exceeds the limit of 1048576",
        ),
        (
            Limits {
                layer_bytes: 1 << 20,
                ..Limits::default()
            },
            zstd(&bomb),
            ZSTD,
            "decompressed bytes in layer",
            "exceeds the limit of 1048576",
        ),
        (
            Limits {
                layer_entries: 2,
                ..Limits::default()
            },
            tar(&[E::Dir("a"), E::Dir("b"), E::Dir("c")]),
            TAR,
            "tar entries in layer",
            "exceeds the limit of 2",
        ),
        (
            Limits {
                file_bytes: 1000,
                ..Limits::default()
            },
            tar(&[E::File("lib/apk/db/installed", &[b'x'; 1001])]),
            TAR,
            "bytes in lib/apk/db/installed in layer",
            "exceeds the limit of 1000",
        ),
        (
            Limits {
                kept_bytes: 1500,
                ..Limits::default()
            },
            tar(&[
                E::File("var/lib/dpkg/status.d/a", &[b'x'; 1000]),
                E::File("var/lib/dpkg/status.d/b", &[b'x'; 1000]),
            ]),
            TAR,
            "bytes of wanted files in layer",
            "exceeds the limit of 1500",
        ),
        (
            Limits {
                status_d_files: 1,
                ..Limits::default()
            },
            tar(&[
                E::File("var/lib/dpkg/status.d/a", b"Package: a\n"),
                E::File("var/lib/dpkg/status.d/b", b"Package: b\n"),
            ]),
            TAR,
            "files in var/lib/dpkg/status.d after layer",
            "exceeds the limit of 1",
        ),
        (
            Limits {
                links: 1,
                ..Limits::default()
            },
            tar(&[E::Symlink("a", "b"), E::Symlink("c", "d")]),
            TAR,
            "symbolic links in the image up to layer",
            "exceeds the limit of 1",
        ),
    ];
    for (limits, blob, media_type, what, limit) in cases {
        let mut view = Layers::new(limits);
        let err = apply_err(&mut view, media_type, &blob);
        assert!(err.starts_with(what), "{err}");
        assert!(err.contains(&digest(&blob)), "{err}");
        assert!(err.ends_with(limit), "{err}");
    }
    // Under the caps, the same layers read.
    let mut view = Layers::new(Limits {
        layer_bytes: 5 << 20,
        ..Limits::default()
    });
    let blob = gzip(&bomb);
    view.apply(&digest(&blob), GZIP, &blob).unwrap();
}

#[test]
fn hostile_streams_are_errors_not_panics() {
    let layer = tar(&[E::File("var/lib/dpkg/status", b"x")]);
    let gz = gzip(&layer);
    let zs = zstd(&layer);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (GZIP, gz[..gz.len() / 2].to_vec()),
        (ZSTD, zs[..zs.len() / 2].to_vec()),
        (GZIP, b"not gzip at all".to_vec()),
        (ZSTD, b"not zstd at all".to_vec()),
        (ZSTD, vec![0x50, 0x2a, 0x4d, 0x18, 0xff, 0xff, 0xff, 0xff]),
        (TAR, layer[..700].to_vec()),
        (TAR, vec![0xff; 1024]),
    ];
    for (media_type, blob) in cases {
        let mut view = Layers::new(Limits::default());
        let err = apply_err(&mut view, media_type, &blob);
        assert!(err.starts_with("malformed layer in layer sha256:"), "{err}");
    }
    // An empty blob is an empty layer.
    let mut view = Layers::new(Limits::default());
    view.apply(&digest(b""), TAR, b"").unwrap();
}

#[test]
fn entries_land_where_their_directory_links_lead() {
    // A hand-made upper layer names the database through the base's
    // `lib -> usr/lib` link: containerd writes it into usr/lib, and so
    // does this view, for the file, its whiteout and a hard link's target.
    let (view, d) = image(&[
        tar(&[
            E::Symlink("lib", "usr/lib"),
            E::File("usr/lib/apk/db/installed", b"P:old\nV:1\n"),
            E::File("usr/share/status", b"Package: a\n"),
        ]),
        tar(&[E::File("lib/apk/db/installed", b"P:new\nV:2\n")]),
    ]);
    for path in ["lib/apk/db/installed", "usr/lib/apk/db/installed"] {
        let file = view.read(path).unwrap().unwrap();
        assert_eq!(
            (file.path, file.content),
            ("usr/lib/apk/db/installed", &b"P:new\nV:2\n"[..])
        );
        assert_eq!(file.history.len(), 2);
        assert_eq!(file.history[1].layer, d[1]);
    }
    let (view, _) = image(&[
        tar(&[
            E::Symlink("lib", "/usr/lib"),
            E::File("usr/lib/os-release", b"ID=x\n"),
        ]),
        tar(&[E::File("lib/.wh.os-release", b"")]),
    ]);
    assert!(view.read("usr/lib/os-release").unwrap().is_none());
    let (view, _) = image(&[
        tar(&[E::Symlink("lib", "usr/lib")]),
        tar(&[
            E::File("usr/lib/status.real", b"Package: a\n"),
            E::HardLink("var/lib/dpkg/status", "lib/status.real"),
        ]),
    ]);
    assert!(view.read("var/lib/dpkg/status").unwrap().is_some());
}
