use super::*;
use crate::fixtures;

fn hex(byte: &str) -> String {
    byte.repeat(32)
}

/// A record with every field vouch writes.
fn zlib() -> InputRecord {
    InputRecord {
        name: "zlib".into(),
        ecosystem: "generic".into(),
        version: Some("1.3.1".into()),
        purl: Some("pkg:generic/zlib@1.3.1".parse().unwrap()),
        origin: Some("https://zlib.net/zlib-1.3.1.tar.gz".into()),
        declared: Some(format!("sha256:{}", hex("11"))),
        observed: vec![
            Digest::new("sha256", hex("22")).unwrap(),
            Digest::new(DIR_HASH, hex("33")).unwrap(),
        ],
        status: Some(Match::Mismatch {
            reason: "path third_party/zlib has dirHash x".into(),
        }),
        path: Some("third_party/zlib".into()),
        license: Some("Zlib".into()),
        cpe: Some("cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*".into()),
        categories: vec!["dataplane_core".into()],
        patches: vec!["patches/zlib.patch".into()],
        critical: true,
        critical_reasons: vec!["compression: a parser of untrusted data".into()],
        os: None,
        distribution: None,
    }
}

/// An OS package of an image, as `vouch attest --image` records it.
fn zlib1g() -> InputRecord {
    let purl = os_purl(
        "deb",
        "debian",
        Some("debian-12"),
        "zlib1g",
        "1:1.2.13.dfsg-1",
        Some("amd64"),
    )
    .unwrap();
    InputRecord {
        name: "zlib1g".into(),
        ecosystem: "deb".into(),
        version: Some("1:1.2.13.dfsg-1".into()),
        // Its provenance entry needs a `uri`: the purl, the stand-in for
        // "no place to fetch from" that the SBOMs leave out.
        origin: Some(purl.to_string()),
        purl: Some(purl),
        declared: None,
        observed: Vec::new(),
        status: Some(Match::NotVendored),
        path: None,
        license: None,
        cpe: None,
        categories: Vec::new(),
        patches: Vec::new(),
        critical: true,
        critical_reasons: vec!["system-libraries: compression".into()],
        os: Some(OsOrigin {
            source_name: "zlib".into(),
            source_version: "1:1.2.13.dfsg-1".into(),
            layer: format!("sha256:{}", hex("44")),
            database: "var/lib/dpkg/status".into(),
            third_party: false,
        }),
        distribution: None,
    }
}

#[test]
fn os_purls_follow_the_purl_spec_types() {
    assert_eq!(
        zlib1g().purl.unwrap().as_str(),
        "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12"
    );
    let rpm = os_purl(
        "rpm",
        "rhel",
        Some("rhel-9.3"),
        "openssl",
        "1:3.0.7-24.el9",
        Some("x86_64"),
    );
    assert_eq!(
        rpm.unwrap().as_str(),
        "pkg:rpm/rhel/openssl@3.0.7-24.el9?arch=x86_64&distro=rhel-9.3&epoch=1"
    );
    let apk = os_purl(
        "apk",
        "alpine",
        Some("alpine-3.19.1"),
        "musl",
        "1.2.4_git20230717-r4",
        None,
    );
    assert_eq!(
        apk.unwrap().as_str(),
        "pkg:apk/alpine/musl@1.2.4_git20230717-r4?distro=alpine-3.19.1"
    );
    assert!(os_purl("cargo", "debian", Some("debian-12"), "x", "1", None).is_err());
}

#[test]
fn an_os_record_round_trips_and_its_origin_is_all_or_nothing() {
    let record = zlib1g();
    let descriptor = record.to_resource_descriptor();
    assert_eq!(descriptor.annotations["sourceName"], "zlib");
    assert_eq!(descriptor.annotations["thirdParty"], false);
    let json = serde_json::to_value(&descriptor).unwrap();
    let back: ResourceDescriptor = serde_json::from_value(json).unwrap();
    assert_eq!(InputRecord::try_from(&back).unwrap(), record);
    let component = serde_json::to_value(record.to_component()).unwrap();
    assert_eq!(
        InputRecord::from_component(&component).unwrap().unwrap(),
        InputRecord {
            origin: None,
            purl: Some(record.purl.as_ref().unwrap().canonical().parse().unwrap()),
            ..record.clone()
        }
    );
    // A deb record without its source is refused, by the key's name.
    let mut missing = record.to_resource_descriptor();
    missing.annotations.remove("sourceVersion");
    let err = InputRecord::try_from(&missing).unwrap_err().to_string();
    assert!(err.contains("sourceVersion"), "{err}");
    let mut wrong = record.to_resource_descriptor();
    wrong.annotations.insert("thirdParty".into(), json!("no"));
    assert!(InputRecord::try_from(&wrong).is_err());
    // A project input claiming a layer is refused.
    let mut project = zlib().to_resource_descriptor();
    project
        .annotations
        .insert("layer".into(), json!("sha256:00"));
    let err = InputRecord::try_from(&project).unwrap_err().to_string();
    assert!(err.contains("layer"), "{err}");
    // Another producer's deb component (no vouch properties) has none.
    let syft = json!({"type": "library", "name": "zlib1g", "version": "1:1.2.13.dfsg-1",
                      "purl": "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?distro=debian-12"});
    let read = InputRecord::from_component(&syft).unwrap().unwrap();
    assert_eq!((read.ecosystem.as_str(), read.os), ("deb", None));
}

#[test]
fn a_record_round_trips_through_a_resource_descriptor_and_its_json() {
    for record in [
        zlib(),
        InputRecord {
            observed: vec![Digest::new(DIR_HASH, hex("ab")).unwrap()],
            status: Some(Match::Match),
            critical: false,
            critical_reasons: Vec::new(),
            purl: None,
            declared: None,
            path: None,
            license: None,
            cpe: None,
            categories: Vec::new(),
            patches: Vec::new(),
            ..zlib()
        },
    ] {
        let descriptor = record.to_resource_descriptor();
        let json = serde_json::to_value(&descriptor).unwrap();
        let back: ResourceDescriptor = serde_json::from_value(json).unwrap();
        assert_eq!(InputRecord::try_from(&back).unwrap(), record);
    }
    // The documented shape (docs/provenance.md), key by key and in order.
    let d = zlib().to_resource_descriptor();
    let keys: Vec<&str> = d.annotations.keys().map(String::as_str).collect();
    let mut documented = vec![
        "ecosystem",
        "version",
        "purl",
        "declared",
        "observed",
        "path",
        "license",
        "cpe",
        "match",
        "mismatchReason",
        "categories",
        "patches",
        "critical",
        "criticalReasons",
    ];
    documented.sort();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(sorted, documented);
    assert_eq!(
        d.annotations["observed"],
        format!("sha256:{},dirHash:{}", hex("22"), hex("33"))
    );
    // Several observed digests: no single DigestSet, all in the annotation.
    assert!(d.digest.is_none());
    let one = InputRecord {
        observed: vec![Digest::new(DIR_HASH, hex("ab")).unwrap()],
        ..zlib()
    };
    assert_eq!(
        one.to_resource_descriptor().digest.unwrap().get(DIR_HASH),
        Some(&*hex("ab"))
    );
}

#[test]
fn a_record_round_trips_through_a_cyclonedx_component() {
    let record = zlib();
    let component = serde_json::to_value(record.to_component()).unwrap();
    assert_eq!(component["purl"], "pkg:generic/zlib@1.3.1");
    assert_eq!(component["hashes"][0]["alg"], "SHA-256");
    assert_eq!(component["pedigree"]["patches"][0]["type"], "unofficial");
    assert_eq!(component["externalReferences"][0]["type"], "distribution");
    let back = InputRecord::from_component(&component).unwrap().unwrap();
    assert_eq!(back, record);
    // The facts are the CycloneDX properties, named once.
    let names: Vec<&str> = component["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            property::ECOSYSTEM,
            property::MATCH,
            property::MISMATCH_REASON,
            property::CRITICAL,
            property::CRITICAL_REASON,
            property::CATEGORY,
            property::PATH,
            property::DECLARED,
            property::OBSERVED_DIRHASH,
        ]
    );
    // Another producer's component: the purl type is the ecosystem, and
    // nothing is claimed about its status or criticality.
    let foreign = serde_json::json!({"type": "framework", "name": "inner", "version": "1.0.0",
        "purl": "pkg:cargo/inner@1.0.0", "hashes": [{"alg": "SHA-256", "content": hex("AB")}],
        "licenses": [{"license": {"id": "MIT"}}]});
    let read = InputRecord::from_component(&foreign).unwrap().unwrap();
    assert_eq!(read.ecosystem, "cargo");
    assert_eq!((read.status, read.critical), (None, false));
    assert_eq!(
        read.observed[0].to_string(),
        format!("sha256:{}", hex("ab"))
    );
    assert_eq!(read.license.as_deref(), Some("MIT"));
    assert!(
        InputRecord::from_component(&serde_json::json!({"version": "1"}))
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_record_missing_or_mistyping_what_vouch_writes_is_refused_naming_it() {
    let good = serde_json::to_value(zlib().to_resource_descriptor()).unwrap();
    let read = |dep: &Value| {
        let d: ResourceDescriptor = serde_json::from_value(dep.clone()).unwrap();
        InputRecord::try_from(&d).map_err(|e| e.to_string())
    };
    assert!(read(&good).is_ok());
    for (key, value, needle) in [
        ("critical", None, "annotation `critical`: is missing"),
        (
            "critical",
            Some(json!("true")),
            "annotation `critical`: is not true or false",
        ),
        ("match", None, "annotation `match`: is missing"),
        (
            "match",
            Some(json!("matched")),
            "is not match, mismatch or not-vendored",
        ),
        ("ecosystem", None, "annotation `ecosystem`: is missing"),
        (
            "mismatchReason",
            None,
            "`mismatchReason`: is missing for a mismatch",
        ),
        (
            "version",
            Some(json!(1)),
            "annotation `version`: is not a string",
        ),
        ("purl", Some(json!("not a purl")), "purl \"not a purl\""),
        ("observed", Some(json!("sha256")), "is not `<key>:<value>`"),
        ("observed", Some(json!("sha256:abc")), "expected 64"),
        (
            "criticalReasons",
            Some(json!("one")),
            "not a list of strings",
        ),
        ("patches", Some(json!([1])), "not a list of strings"),
    ] {
        let mut bad = good.clone();
        let annotations = bad["annotations"].as_object_mut().unwrap();
        match value {
            Some(v) => annotations.insert(key.into(), v),
            None => annotations.remove(key),
        };
        let err = read(&bad).unwrap_err();
        assert!(err.contains("resolved dependency \"zlib\""), "{err}");
        assert!(err.contains(needle), "{key}: {err}");
    }
    let mut contradiction = good.clone();
    contradiction["annotations"]["critical"] = json!(false);
    assert!(read(&contradiction)
        .unwrap_err()
        .contains("not marked critical"));
    // A vouch component missing `vouch:critical`, or with another word.
    let component = serde_json::to_value(zlib().to_component()).unwrap();
    for (value, needle) in [
        (None, "property `vouch:critical`: is missing"),
        (Some("yes"), "is not true or false"),
    ] {
        let mut bad = component.clone();
        let props = bad["properties"].as_array_mut().unwrap();
        props.retain(|p| p["name"] != property::CRITICAL);
        if let Some(v) = value {
            props.push(json!({"name": property::CRITICAL, "value": v}));
        }
        let err = InputRecord::from_component(&bad).unwrap_err().to_string();
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn purls_are_built_with_packageurl_in_vouchs_spelling() {
    let build = |ty, ns, name, version, q: &[(&str, &str)]| {
        Purl::build(ty, ns, name, version, q).unwrap().to_string()
    };
    // The spellings the ecosystems have always written, byte for byte.
    assert_eq!(
        build("cargo", None, "c", Some("3.0.0+build.1"), &[]),
        "pkg:cargo/c@3.0.0%2Bbuild.1"
    );
    assert_eq!(
        build("npm", Some("@scope"), "n", Some("3.0.0"), &[]),
        "pkg:npm/%40scope/n@3.0.0"
    );
    assert_eq!(
        build(
            "golang",
            Some("github.com/docker"),
            "docker",
            Some("v24.0.7+incompatible"),
            &[]
        ),
        "pkg:golang/github.com/docker/docker@v24.0.7%2Bincompatible"
    );
    assert_eq!(
        build(
            "generic",
            None,
            "zlib",
            Some("1.3.1"),
            &[("download_url", "https://zlib.net/zlib 1.3.1.tar.gz?x=1&y")]
        ),
        "pkg:generic/zlib@1.3.1?download_url=https://zlib.net/zlib%201.3.1.tar.gz%3Fx%3D1%26y"
    );
    assert_eq!(
        build("github", Some("Unicode-Org"), "ICU", Some("75.1"), &[]),
        "pkg:github/unicode-org/icu@75.1"
    );
    assert_eq!(build("generic", None, "x", None, &[]), "pkg:generic/x");
    // Where packageurl's rules or vouch's one encoder changed what an
    // ecosystem used to write (docs/decisions.md): npm names are lower
    // case, and PyPI versions are encoded like every other (`+`, `!`).
    assert_eq!(
        build("npm", None, "JSONStream", Some("1.3.5"), &[]),
        "pkg:npm/jsonstream@1.3.5"
    );
    assert_eq!(
        build("pypi", None, "torch", Some("1!2.0.0+cpu"), &[]),
        "pkg:pypi/torch@1%212.0.0%2Bcpu"
    );
    // Every spelling reads back as the same package, and the canonical
    // form is packageurl's own.
    let p = Purl::build("generic", None, "a:b", Some("1!2"), &[]).unwrap();
    assert_eq!(p.as_str(), "pkg:generic/a%3Ab@1%212");
    assert_eq!(p.canonical(), "pkg:generic/a:b@1!2");
    let read: Purl = p.as_str().parse().unwrap();
    assert_eq!(read.package_url(), p.package_url());
    // What a type forbids is refused.
    assert!(Purl::build("cargo", Some("ns"), "x", None, &[]).is_err());
    assert!(Purl::build("generic", None, "", None, &[]).is_err());
}

/// A crate unbundled onto Debian's build, as `vouch attest` records it
/// once the chain of custody is verified.
fn flate2() -> InputRecord {
    InputRecord {
        declared: Some(format!("sha256:{}", hex("11"))),
        observed: vec![Digest::new(DIR_HASH, hex("22")).unwrap()],
        license: Some("MIT OR Apache-2.0".into()),
        distribution: Some(fixtures::distribution(
            fixtures::debian_12("librust-flate2-dev", "1.0.25-1"),
            "rust-flate2",
            &["disable-miniz-sys.patch", "relax-deps.diff"],
        )),
        ..fixtures::cargo_input("flate2", "1.0.25")
    }
}

#[test]
fn an_unbundled_record_round_trips_with_both_identities() {
    let record = flate2();
    let descriptor = record.to_resource_descriptor();
    let a = &descriptor.annotations;
    assert_eq!(
        a["distributionPurl"],
        "pkg:deb/debian/librust-flate2-dev@1.0.25-1?arch=all&distro=debian-12"
    );
    assert_eq!(a["distributionSourceName"], "rust-flate2");
    assert_eq!(a["distributionPatches"][1], "relax-deps.diff");
    assert_eq!(a["purl"], "pkg:cargo/flate2@1.0.25");
    let json = serde_json::to_value(&descriptor).unwrap();
    let back: ResourceDescriptor = serde_json::from_value(json).unwrap();
    assert_eq!(InputRecord::try_from(&back).unwrap(), record);
    // With no patches the list is still written: all or nothing.
    let mut unpatched = flate2();
    unpatched.distribution.as_mut().unwrap().patches.clear();
    let d = unpatched.to_resource_descriptor();
    assert_eq!(d.annotations["distributionPatches"], serde_json::json!([]));
    assert_eq!(InputRecord::try_from(&d).unwrap(), unpatched);

    // CycloneDX: the component is the distribution's build, its upstream
    // the one ancestor, the distribution's patches `unofficial`.
    let component = serde_json::to_value(record.to_component()).unwrap();
    assert_eq!(component["name"], "librust-flate2-dev");
    assert_eq!(component["version"], "1.0.25-1");
    assert_eq!(
        component["purl"],
        "pkg:deb/debian/librust-flate2-dev@1.0.25-1?arch=all&distro=debian-12"
    );
    let ancestor = &component["pedigree"]["ancestors"][0];
    assert_eq!(
        (&ancestor["name"], &ancestor["version"], &ancestor["purl"]),
        (
            &serde_json::json!("flate2"),
            &serde_json::json!("1.0.25"),
            &serde_json::json!("pkg:cargo/flate2@1.0.25")
        )
    );
    // Where upstream publishes it is the ancestor's, not the build's.
    assert_eq!(
        ancestor["externalReferences"][0]["url"],
        "registry+https://github.com/rust-lang/crates.io-index"
    );
    assert!(component.get("externalReferences").is_none());
    let patches = component["pedigree"]["patches"].as_array().unwrap();
    assert_eq!(patches.len(), 2);
    assert_eq!(patches[0]["type"], "unofficial");
    assert_eq!(
        patches[0]["diff"]["url"],
        "debian/patches/disable-miniz-sys.patch"
    );
    assert_eq!(
        InputRecord::from_component(&component).unwrap().unwrap(),
        record
    );
    // A local patch beside the distribution's stays a local patch.
    let both = InputRecord {
        patches: vec!["patches/local.patch".into()],
        ..flate2()
    };
    let component = serde_json::to_value(both.to_component()).unwrap();
    assert_eq!(
        component["pedigree"]["patches"].as_array().unwrap().len(),
        3
    );
    assert_eq!(
        InputRecord::from_component(&component).unwrap().unwrap(),
        both
    );
}

#[test]
fn regression_issue_16_a_distribution_record_missing_a_key_is_refused_naming_it() {
    let record = flate2();
    let keys = [
        annotation::DISTRIBUTION_PURL,
        annotation::DISTRIBUTION_SOURCE_NAME,
        annotation::DISTRIBUTION_SOURCE_VERSION,
        annotation::DISTRIBUTION_DEB,
        annotation::DISTRIBUTION_PACKAGES,
        annotation::DISTRIBUTION_RELEASE,
        annotation::DISTRIBUTION_RELEASE_DATE,
        annotation::DISTRIBUTION_SIGNER,
        annotation::DISTRIBUTION_PATCHES,
        annotation::DISTRIBUTION_PATH,
    ];
    for key in keys {
        let mut d = record.to_resource_descriptor();
        d.annotations.remove(key);
        let err = InputRecord::try_from(&d).unwrap_err().to_string();
        assert!(
            err.contains(&format!("`{key}`: is missing")),
            "{key}: {err}"
        );
    }
    let component = serde_json::to_value(record.to_component()).unwrap();
    let properties = [
        property::DISTRIBUTION_SOURCE_NAME,
        property::DISTRIBUTION_SOURCE_VERSION,
        property::DISTRIBUTION_DEB,
        property::DISTRIBUTION_PACKAGES,
        property::DISTRIBUTION_RELEASE,
        property::DISTRIBUTION_RELEASE_DATE,
        property::DISTRIBUTION_SIGNER,
        property::DISTRIBUTION_PATH,
    ];
    for key in properties {
        let mut c = component.clone();
        c["properties"]
            .as_array_mut()
            .unwrap()
            .retain(|p| p["name"] != key);
        let err = InputRecord::from_component(&c).unwrap_err().to_string();
        assert!(
            err.contains(&format!("`{key}`: is missing")),
            "{key}: {err}"
        );
    }
    // Without its upstream ancestor the component names no input.
    let mut c = component.clone();
    c["pedigree"].as_object_mut().unwrap().remove("ancestors");
    let err = InputRecord::from_component(&c).unwrap_err().to_string();
    assert!(err.contains("pedigree.ancestors"), "{err}");
}

#[test]
fn a_distribution_on_an_os_package_or_of_the_wrong_shape_is_refused() {
    // An OS package is the distribution's own: no second identity.
    let mut os = zlib1g().to_resource_descriptor();
    let swapped = flate2().to_resource_descriptor();
    os.annotations.insert(
        annotation::DISTRIBUTION_SIGNER.into(),
        swapped.annotations[annotation::DISTRIBUTION_SIGNER].clone(),
    );
    let err = InputRecord::try_from(&os).unwrap_err().to_string();
    assert!(
        err.contains("`distributionSigner`: is given for a deb package"),
        "{err}"
    );
    let mut c = serde_json::to_value(zlib1g().to_component()).unwrap();
    c["properties"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": property::DISTRIBUTION_PATH, "value": "/usr/share/x"}));
    let err = InputRecord::from_component(&c).unwrap_err().to_string();
    assert!(err.contains("is given for a deb package"), "{err}");
    let bad = [
        (
            annotation::DISTRIBUTION_PURL,
            "pkg:cargo/flate2@1.0.25",
            "distribution package's purl",
        ),
        (
            annotation::DISTRIBUTION_PURL,
            "pkg:deb/debian/librust-flate2-dev",
            "with a version",
        ),
        (annotation::DISTRIBUTION_DEB, "md5:0123", "distributionDeb"),
        (
            annotation::DISTRIBUTION_RELEASE,
            "sha1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "sha256",
        ),
        (annotation::DISTRIBUTION_SIGNER, "b8b80b5b", "uppercase hex"),
        (
            annotation::DISTRIBUTION_RELEASE_DATE,
            "Sat, 28 Jun 2025",
            "RFC 3339",
        ),
    ];
    for (key, value, needle) in bad {
        let mut d = swapped.clone();
        d.annotations.insert(key.into(), serde_json::json!(value));
        let err = InputRecord::try_from(&d).unwrap_err().to_string();
        assert!(err.contains(needle), "{key}={value}: {err}");
    }
    let mut d = swapped.clone();
    d.annotations.insert(
        annotation::DISTRIBUTION_PATCHES.into(),
        serde_json::json!("one.patch"),
    );
    let err = InputRecord::try_from(&d).unwrap_err().to_string();
    assert!(err.contains("a list of strings"), "{err}");
}
