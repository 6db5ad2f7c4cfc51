//! Tests of OSV records, version orders, CPE matching and the database.

use super::*;

/// A record in the OSV shape with one affected entry.
fn record(affected: &str) -> String {
    format!(
        r#"{{"schema_version":"1.6.0","id":"TEST-1","modified":"2024-01-02T03:04:05Z",
            "aliases":["CVE-2024-0001"],"summary":"a test","affected":[{affected}]}}"#
    )
}

fn parse(json: &str) -> Record {
    Record::from_json("test.json", json.as_bytes()).unwrap()
}

fn parse_err(json: &str) -> String {
    Record::from_json("osv/test.json", json.as_bytes())
        .unwrap_err()
        .to_string()
}

fn crate_range(name: &str, kind: &str, events: &str) -> String {
    format!(
        r#"{{"package":{{"ecosystem":"crates.io","name":"{name}"}},
            "ranges":[{{"type":"{kind}","events":[{events}]}}]}}"#
    )
}

fn affected(r: &Record, eco: &Ecosystem, name: &str, v: &str) -> Option<Vec<String>> {
    r.affects(eco, name, v).unwrap()
}

#[test]
fn boundaries_introduced_inclusive_fixed_exclusive_last_affected_inclusive() {
    let fixed = parse(&record(&crate_range(
        "a",
        "SEMVER",
        r#"{"introduced":"1.2.0"},{"fixed":"1.4.0"}"#,
    )));
    let eco = Ecosystem::CratesIo;
    assert_eq!(affected(&fixed, &eco, "a", "1.1.9"), None);
    assert_eq!(
        affected(&fixed, &eco, "a", "1.2.0"),
        Some(vec!["1.4.0".into()])
    );
    assert_eq!(
        affected(&fixed, &eco, "a", "1.3.99"),
        Some(vec!["1.4.0".into()])
    );
    assert_eq!(
        affected(&fixed, &eco, "a", "1.4.0-rc.1"),
        Some(vec!["1.4.0".into()])
    );
    assert_eq!(affected(&fixed, &eco, "a", "1.4.0"), None);
    assert_eq!(affected(&fixed, &eco, "a", "2.0.0"), None);
    // Another package, and another ecosystem, are not affected.
    assert_eq!(affected(&fixed, &eco, "b", "1.3.0"), None);
    assert_eq!(affected(&fixed, &Ecosystem::Npm, "a", "1.3.0"), None);

    let last = parse(&record(&crate_range(
        "a",
        "ECOSYSTEM",
        r#"{"introduced":"0"},{"last_affected":"2.1.214"}"#,
    )));
    assert_eq!(affected(&last, &eco, "a", "0.0.0"), Some(vec![]));
    assert_eq!(affected(&last, &eco, "a", "2.1.214"), Some(vec![]));
    assert_eq!(affected(&last, &eco, "a", "2.1.215"), None);
    // Build metadata does not change precedence.
    assert_eq!(affected(&last, &eco, "a", "2.1.214+local"), Some(vec![]));

    let unfixed = parse(&record(&crate_range(
        "a",
        "SEMVER",
        r#"{"introduced":"0"}"#,
    )));
    assert_eq!(affected(&unfixed, &eco, "a", "0.0.0-alpha"), Some(vec![]));
    assert_eq!(affected(&unfixed, &eco, "a", "99.0.0"), Some(vec![]));

    // A limit bounds the range from above; "*" is infinity.
    let limited = parse(&record(&crate_range(
        "a",
        "SEMVER",
        r#"{"introduced":"1.0.0"},{"limit":"1.5.0"}"#,
    )));
    assert_eq!(affected(&limited, &eco, "a", "1.4.9"), Some(vec![]));
    assert_eq!(affected(&limited, &eco, "a", "1.5.0"), None);
    let star = parse(&record(&crate_range(
        "a",
        "SEMVER",
        r#"{"introduced":"1.0.0"},{"limit":"*"}"#,
    )));
    assert_eq!(affected(&star, &eco, "a", "9.0.0"), Some(vec![]));
    assert_eq!(affected(&star, &eco, "a", "0.9.0"), None);

    // An empty [x, x) range affects nothing, whatever the event order.
    let empty = parse(&record(&crate_range(
        "a",
        "SEMVER",
        r#"{"fixed":"1.0.0"},{"introduced":"1.0.0"}"#,
    )));
    assert_eq!(affected(&empty, &eco, "a", "1.0.0"), None);
}

#[test]
fn several_introduced_fixed_pairs_like_smallvec() {
    // RUSTSEC-2021-0003: 0.6.3..<0.6.14 and 1.0.0..<1.6.1, events unsorted.
    let r = parse(&record(&crate_range(
        "smallvec",
        "SEMVER",
        r#"{"introduced":"1.0.0"},{"fixed":"1.6.1"},{"introduced":"0.6.3"},{"fixed":"0.6.14"}"#,
    )));
    let eco = Ecosystem::CratesIo;
    for (v, want) in [
        ("0.6.2", None),
        ("0.6.3", Some(vec!["0.6.14".to_owned(), "1.6.1".to_owned()])),
        (
            "0.6.13",
            Some(vec!["0.6.14".to_owned(), "1.6.1".to_owned()]),
        ),
        ("0.6.14", None),
        ("0.7.0", None),
        ("1.0.0", Some(vec!["1.6.1".to_owned()])),
        ("1.6.0", Some(vec!["1.6.1".to_owned()])),
        ("1.6.1", None),
        ("2.0.0", None),
    ] {
        assert_eq!(affected(&r, &eco, "smallvec", v), want, "smallvec {v}");
    }
}

#[test]
fn versions_list_membership() {
    // npm: listed versions are affected even outside the ranges.
    let npm = parse(&record(
        r#"{"package":{"ecosystem":"npm","name":"ms"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0.7.1"}]}],
            "versions":["1.0.0"]}"#,
    ));
    assert_eq!(affected(&npm, &Ecosystem::Npm, "ms", "1.0.0"), Some(vec![]));
    assert_eq!(
        affected(&npm, &Ecosystem::Npm, "ms", "0.7.0"),
        Some(vec!["0.7.1".into()])
    );
    assert_eq!(affected(&npm, &Ecosystem::Npm, "ms", "1.0.1"), None);

    // Other ecosystems: versions[] only, by exact string; their
    // ECOSYSTEM ranges are not evaluated.
    let maven = parse(&record(
        r#"{"package":{"ecosystem":"Maven","name":"org.yaml:snakeyaml"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}],
            "versions":["1.33","1.26"]}"#,
    ));
    let mvn = Ecosystem::parse("Maven").unwrap();
    assert_eq!(
        affected(&maven, &mvn, "org.yaml:snakeyaml", "1.33"),
        Some(vec![])
    );
    assert_eq!(affected(&maven, &mvn, "org.yaml:snakeyaml", "1.30"), None);

    // Debian's ECOSYSTEM ranges are evaluated in dpkg order (they used to
    // be ignored like Maven's): versions[] and the range both count, and
    // only for the record's own release.
    let debian = parse(&record(
        r#"{"package":{"ecosystem":"Debian:12","name":"zlib"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.2.13.dfsg-1"}]}],
            "versions":["1:1.2.11.dfsg-2","1:1.2.13.dfsg-0"]}"#,
    ));
    let deb = Ecosystem::parse("Debian:12").unwrap();
    assert_eq!(
        affected(&debian, &deb, "zlib", "1:1.2.11.dfsg-2"),
        Some(vec!["1:1.2.13.dfsg-1".into()])
    );
    assert_eq!(
        affected(&debian, &deb, "zlib", "1:1.2.12.dfsg-1"),
        Some(vec!["1:1.2.13.dfsg-1".into()])
    );
    assert_eq!(affected(&debian, &deb, "zlib", "1:1.2.13.dfsg-1"), None);
    let other_release = Ecosystem::parse("Debian:11").unwrap();
    assert_eq!(
        affected(&debian, &other_release, "zlib", "1:1.2.11.dfsg-2"),
        None
    );
}

#[test]
fn pep440_order_and_pep503_names() {
    let r = parse(&record(
        r#"{"package":{"ecosystem":"PyPI","name":"Jinja2"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0"},{"fixed":"2.32.0"}]}],
            "versions":["1.9"]}"#,
    ));
    let py = Ecosystem::PyPI;
    let fix = Some(vec!["2.32.0".to_owned()]);
    assert_eq!(affected(&r, &py, "jinja2", "2.32.0rc1"), fix);
    assert_eq!(affected(&r, &py, "jinja2", "2.31.0.post1"), fix);
    assert_eq!(affected(&r, &py, "JINJA2", "2.0"), fix);
    assert_eq!(affected(&r, &py, "jinja2", "2.32.0"), None);
    assert_eq!(affected(&r, &py, "jinja2", "2.32"), None);
    assert_eq!(affected(&r, &py, "jinja2", "2.32.0.post1"), None);
    assert_eq!(affected(&r, &py, "jinja2", "2.0rc1"), None);
    // versions[] compares in PEP 440: "1.9.0" is "1.9".
    assert_eq!(
        affected(&r, &py, "Jinja2", "1.9.0"),
        Some(fix.clone().unwrap())
    );
    assert_eq!(affected(&r, &py, "jinja-2", "2.1"), None, "another name");
    assert_eq!(py.normalize_name("Foo.Bar__baz-_.Qux"), "foo-bar-baz-qux");
    assert_eq!(Ecosystem::Npm.normalize_name("Foo_Bar"), "Foo_Bar");
    assert_eq!(
        r.affects(&py, "jinja2", "abc").unwrap_err(),
        r#""abc" is not a valid PEP 440 version"#
    );
}

#[test]
fn rubygems_order_in_ecosystem_ranges() {
    // As GitHub's advisory for nokogiri writes its ranges.
    let r = parse(&record(
        r#"{"package":{"ecosystem":"RubyGems","name":"nokogiri"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.16.2"}]}],
            "versions":["0.9"]}"#,
    ));
    let gem = Ecosystem::RubyGems;
    let fix = Some(vec!["1.16.2".to_owned()]);
    assert_eq!(affected(&r, &gem, "nokogiri", "1.16.0"), fix);
    // A pre-release of the fix is below it (SemVer would agree), and so is
    // `1.16.2.rc1`, which is not SemVer at all.
    assert_eq!(affected(&r, &gem, "nokogiri", "1.16.2.rc1"), fix);
    assert_eq!(affected(&r, &gem, "nokogiri", "1.16.2-rc1"), fix);
    assert_eq!(affected(&r, &gem, "nokogiri", "1.16.2"), None);
    // Trailing zeros do not count: 1.16.2.0 is 1.16.2.
    assert_eq!(affected(&r, &gem, "nokogiri", "1.16.2.0"), None);
    assert_eq!(affected(&r, &gem, "nokogiri", "1.16.10"), None);
    assert_eq!(
        gem.compare("1.16.2.rc1", "1.16.2"),
        Ok(std::cmp::Ordering::Less)
    );
    assert_eq!(gem.compare("1.0.0", "1"), Ok(std::cmp::Ordering::Equal));
    assert!(gem.compare("1.0", "x").is_err());
    assert!(Ecosystem::parse("Maven")
        .unwrap()
        .compare("1", "2")
        .is_err());
    // versions[] compares in the gem order: "0.9.0" is "0.9".
    assert_eq!(affected(&r, &gem, "nokogiri", "0.9.0"), fix);
    // Gem names are compared exactly.
    assert_eq!(affected(&r, &gem, "Nokogiri", "1.16.0"), None);
    assert_eq!(
        r.affects(&gem, "nokogiri", "v1.0").unwrap_err(),
        r#""v1.0" is not a valid RubyGems version"#
    );
}

#[test]
fn go_v_prefix_and_pseudo_versions() {
    let r = parse(&record(
        r#"{"package":{"ecosystem":"Go","name":"golang.org/x/text"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.3.7"}]}]},
           {"package":{"ecosystem":"Go","name":"golang.org/x/net"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},
              {"fixed":"0.0.0-20220315160706-3147a52a75dd"}]}]}"#,
    ));
    let go = Ecosystem::Go;
    let text = "golang.org/x/text";
    assert_eq!(
        affected(&r, &go, text, "v0.3.6"),
        Some(vec!["0.3.7".into()])
    );
    assert_eq!(affected(&r, &go, text, "0.3.6"), Some(vec!["0.3.7".into()]));
    assert_eq!(affected(&r, &go, text, "v0.3.7"), None);
    // A pseudo-version on the way to 0.3.7 precedes it.
    assert_eq!(
        affected(&r, &go, text, "v0.3.7-0.20210503000000-aaaaaaaaaaaa"),
        Some(vec!["0.3.7".into()])
    );
    let net = "golang.org/x/net";
    assert!(affected(&r, &go, net, "v0.0.0-20220127200216-cd36cc0744dd").is_some());
    assert_eq!(
        affected(&r, &go, net, "v0.0.0-20220412020605-290c469a71a5"),
        None
    );
    assert_eq!(affected(&r, &go, net, "v0.1.0"), None);
    assert_eq!(
        r.affects(&go, text, "latest").unwrap_err(),
        r#""latest" is not a valid SemVer version"#
    );
}

#[test]
fn withdrawn_records_affect_nothing_and_later_modified_wins() {
    let live = |modified: &str, fixed: &str| {
        format!(
            r#"{{"id":"GHSA-1","modified":"{modified}","affected":[{}]}}"#,
            crate_range(
                "a",
                "SEMVER",
                &format!(r#"{{"introduced":"0"}},{{"fixed":"{fixed}"}}"#)
            )
        )
    };
    let withdrawn = |modified: &str| {
        format!(
            r#"{{"id":"GHSA-1","modified":"{modified}","withdrawn":"{modified}","affected":[{}]}}"#,
            crate_range("a", "SEMVER", r#"{"introduced":"0"}"#)
        )
    };
    let gone = parse(&withdrawn("2024-01-01T00:00:00Z"));
    assert_eq!(affected(&gone, &Ecosystem::CratesIo, "a", "1.0.0"), None);

    let eco = Ecosystem::CratesIo;
    let mut db = Database::new();
    assert!(db.is_empty());
    db.add("1.json", live("2024-01-01T00:00:00Z", "1.0.0").as_bytes())
        .unwrap();
    assert_eq!(db.lookup(&eco, "a", "0.9.0").unwrap()[0].1, vec!["1.0.0"]);
    // A later version of the record replaces it; an older one does not.
    db.add("2.json", live("2024-02-01T00:00:00Z", "2.0.0").as_bytes())
        .unwrap();
    db.add("3.json", live("2023-12-01T00:00:00Z", "3.0.0").as_bytes())
        .unwrap();
    assert_eq!(db.len(), 1);
    let found = db.lookup(&eco, "a", "1.5.0").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, vec!["2.0.0"]);
    // Withdrawn later: dropped and counted.
    db.add("4.json", withdrawn("2024-03-01T00:00:00Z").as_bytes())
        .unwrap();
    assert_eq!((db.len(), db.withdrawn()), (0, 1));
    assert!(db.lookup(&eco, "a", "1.5.0").unwrap().is_empty());
    // An older live copy does not bring it back; a newer one does.
    db.add("5.json", live("2024-02-15T00:00:00Z", "2.0.0").as_bytes())
        .unwrap();
    assert!(db.lookup(&eco, "a", "1.5.0").unwrap().is_empty());
    db.add("6.json", live("2024-04-01T00:00:00Z", "2.5.0").as_bytes())
        .unwrap();
    assert_eq!((db.len(), db.withdrawn()), (1, 0));
    assert_eq!(db.lookup(&eco, "a", "1.5.0").unwrap()[0].1, vec!["2.5.0"]);
    // A bad version is an error even for a package no record names.
    assert_eq!(
        db.lookup(&eco, "unknown", "1.x").unwrap_err(),
        r#""1.x" is not a valid SemVer version"#
    );
    assert!(db.lookup(&eco, "unknown", "1.0.0").unwrap().is_empty());
}

#[test]
fn cvss_vectors_are_scored_and_ghsa_severity_is_the_fallback() {
    let with = |severity: &str, db: &str| {
        parse(&format!(
            r#"{{"id":"X-1","modified":"2024-01-01T00:00:00Z","severity":[{severity}],
                "database_specific":{{{db}}}}}"#
        ))
    };
    let v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H";
    let r = with(&format!(r#"{{"type":"CVSS_V3","score":"{v31}"}}"#), "");
    assert_eq!(r.score, Some((7.5, v31.to_owned())));
    assert_eq!(r.severity, Some(Severity::High));

    let v40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    let r = with(&format!(r#"{{"type":"CVSS_V4","score":"{v40}"}}"#), "");
    assert_eq!(r.score, Some((9.3, v40.to_owned())));
    assert_eq!(r.severity, Some(Severity::Critical));

    // The highest wins, across the record and its affected entries.
    let r = parse(&format!(
        r#"{{"id":"X-1","modified":"2024-01-01T00:00:00Z",
            "severity":[{{"type":"CVSS_V3","score":"{v31}"}}],
            "affected":[{{"package":{{"ecosystem":"npm","name":"a"}},
                "severity":[{{"type":"CVSS_V4","score":"{v40}"}}]}}]}}"#
    ));
    assert_eq!(r.score.unwrap().0, 9.3);

    // CVSS v2 is used only without a v3/v4 vector, in its own bands.
    let v2 = "AV:N/AC:L/Au:N/C:C/I:C/A:C";
    let r = with(&format!(r#"{{"type":"CVSS_V2","score":"{v2}"}}"#), "");
    assert_eq!(r.score, Some((10.0, v2.to_owned())));
    assert_eq!(r.severity, Some(Severity::High));
    let r = with(
        &format!(r#"{{"type":"CVSS_V2","score":"{v2}"}},{{"type":"CVSS_V3","score":"{v31}"}}"#),
        "",
    );
    assert_eq!(r.score.unwrap().0, 7.5);

    // GHSA's word when no vector parses; unknown without either.
    let r = with(
        r#"{"type":"CVSS_V3","score":"CVSS:3.1/garbage"}"#,
        r#""severity":"MODERATE""#,
    );
    assert_eq!((r.score, r.severity), (None, Some(Severity::Medium)));
    let r = with(
        r#"{"type":"Ubuntu","score":"high"}"#,
        r#""severity":{"x":1}"#,
    );
    assert_eq!((r.score, r.severity), (None, None));
    // A vector beats the word.
    let r = with(
        &format!(r#"{{"type":"CVSS_V3","score":"{v31}"}}"#),
        r#""severity":"LOW""#,
    );
    assert_eq!(r.severity, Some(Severity::High));
}

#[test]
fn severity_names_order_and_bands() {
    assert_eq!("MODERATE".parse(), Ok(Severity::Medium));
    assert_eq!("Critical".parse(), Ok(Severity::Critical));
    assert_eq!("none".parse(), Ok(Severity::None));
    assert!("severe"
        .parse::<Severity>()
        .unwrap_err()
        .contains("unknown severity \"severe\""));
    assert_eq!(Severity::Medium.to_string(), "medium");
    assert_eq!(serde_json::to_string(&Severity::High).unwrap(), "\"high\"");
    assert_eq!(
        serde_json::from_str::<Severity>("\"MODERATE\"").unwrap(),
        Severity::Medium
    );
    assert!(Severity::None < Severity::Low && Severity::High < Severity::Critical);
    for (score, want) in [
        (0.0, Severity::None),
        (0.1, Severity::Low),
        (3.9, Severity::Low),
        (4.0, Severity::Medium),
        (6.9, Severity::Medium),
        (7.0, Severity::High),
        (8.9, Severity::High),
        (9.0, Severity::Critical),
        (10.0, Severity::Critical),
        (f64::NAN, Severity::None),
    ] {
        assert_eq!(Severity::from_score(score), want, "{score}");
    }
}

#[test]
fn ecosystem_names() {
    for (name, want) in [
        ("crates.io", Ecosystem::CratesIo),
        ("npm", Ecosystem::Npm),
        ("PyPI", Ecosystem::PyPI),
        ("Go", Ecosystem::Go),
        ("RubyGems", Ecosystem::RubyGems),
        (
            "Debian:12",
            Ecosystem::Distro(Distro::Debian, "Debian:12".into()),
        ),
        (
            "Ubuntu:22.04:LTS",
            Ecosystem::Distro(Distro::Ubuntu, "Ubuntu:22.04:LTS".into()),
        ),
        (
            "Alpine:v3.19",
            Ecosystem::Distro(Distro::Alpine, "Alpine:v3.19".into()),
        ),
        ("Maven", Ecosystem::Other("Maven".into())),
    ] {
        let parsed = Ecosystem::parse(name).unwrap();
        assert_eq!(parsed, want);
        assert_eq!(parsed.as_str(), name);
        assert_eq!(parsed.to_string(), name);
    }
    for bad in ["cargo", "crates-io", "pip", "pypi", "Debian:", ""] {
        assert_eq!(
            Ecosystem::parse(bad).unwrap_err(),
            format!(
                "unknown OSV ecosystem {bad:?} (OSV names: crates.io, npm, PyPI, Go, Maven, ...)"
            )
        );
    }
    assert_eq!(Ecosystem::from_vouch("cargo"), Some(Ecosystem::CratesIo));
    assert_eq!(Ecosystem::from_vouch("pip"), Some(Ecosystem::PyPI));
    assert_eq!(Ecosystem::from_vouch("go"), Some(Ecosystem::Go));
    assert_eq!(Ecosystem::from_vouch("npm"), Some(Ecosystem::Npm));
    assert_eq!(Ecosystem::from_vouch("gem"), Some(Ecosystem::RubyGems));
    assert_eq!(Ecosystem::from_purl_type("gem"), Some(Ecosystem::RubyGems));
    assert_eq!(Ecosystem::from_vouch("bazel"), None);
    assert_eq!(Ecosystem::from_vouch("generic"), None);
    assert_eq!(Ecosystem::from_purl_type("golang"), Some(Ecosystem::Go));
    assert_eq!(Ecosystem::from_purl_type("pypi"), Some(Ecosystem::PyPI));
    assert_eq!(
        Ecosystem::from_purl_type("cargo"),
        Some(Ecosystem::CratesIo)
    );
    assert_eq!(Ecosystem::from_purl_type("npm"), Some(Ecosystem::Npm));
    assert_eq!(Ecosystem::from_purl_type("github"), None);
}

#[test]
fn fields_read_from_a_record() {
    let r = parse(
        r#"{"id":"GO-1","modified":"0001-01-01T00:00:00Z","published":"2021-10-06T17:51:21Z",
            "aliases":null,"references":[{"type":"FIX","url":"https://go.dev/cl/1"}],
            "details":"\n  Due to improper index calculation, a panic.\nMore.","unknown":{"x":[1]},
            "affected":[{"package":{"ecosystem":"npm","name":"a","purl":"pkg:npm/a"}}]}"#,
    );
    assert_eq!(r.id, "GO-1");
    assert!(r.aliases.is_empty());
    assert_eq!(
        r.summary.as_deref(),
        Some("Due to improper index calculation, a panic.")
    );
    assert_eq!(r.published.as_deref(), Some("2021-10-06T17:51:21Z"));
    assert_eq!(r.references, vec!["https://go.dev/cl/1"]);
    assert_eq!(
        r.affected[0].package.as_ref().unwrap().purl.as_deref(),
        Some("pkg:npm/a")
    );
    let long = format!(
        r#"{{"id":"X","modified":"2024-01-01T00:00:00Z","summary":" ","details":"{}"}}"#,
        "é".repeat(300)
    );
    assert_eq!(parse(&long).summary.unwrap().chars().count(), 200);
    let summary =
        parse(r#"{"id":"X","modified":"2024-01-01T00:00:00Z","summary":"S","details":"D"}"#);
    assert_eq!(summary.summary.as_deref(), Some("S"));
}

#[test]
fn bad_records_are_refused_naming_the_file_and_field() {
    let cases = [
        (
            r#"{"modified":"2024-01-01T00:00:00Z"}"#.to_owned(),
            "invalid OSV record in osv/test.json: missing field `id`",
        ),
        (
            r#"{"id":"X-1"}"#.to_owned(),
            "invalid OSV record in osv/test.json: missing field `modified`",
        ),
        (
            r#"{"id":"X-1","modified":"yesterday"}"#.to_owned(),
            r#"invalid OSV record in osv/test.json: modified: "yesterday" is not an RFC 3339 timestamp"#,
        ),
        (
            record(r#"{"package":{"ecosystem":"cargo","name":"a"}}"#),
            r#"invalid OSV record in osv/test.json: affected[0].package.ecosystem: unknown OSV ecosystem "cargo" (OSV names: crates.io, npm, PyPI, Go, Maven, ...)"#,
        ),
        (
            record(&format!(
                "{},{}",
                crate_range("a", "SEMVER", r#"{"introduced":"0"}"#),
                r#"{"package":{"ecosystem":"crates.io","name":"b"},"ranges":[
                    {"type":"SEMVER","events":[{"introduced":"0"}]},
                    {"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"*"},{"fixed":"1.x.y"}]}]}"#
            )),
            r#"invalid OSV record in osv/test.json: affected[1].ranges[1].events[2].fixed: "1.x.y" is not a valid SemVer version"#,
        ),
        (
            record(
                r#"{"package":{"ecosystem":"PyPI","name":"a"},
                    "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.x"}]}]}"#,
            ),
            r#"invalid OSV record in osv/test.json: affected[0].ranges[0].events[1].fixed: "2.x" is not a valid PEP 440 version"#,
        ),
        (
            record(&crate_range("a", "ECOSYSTEM", r#"{"introduced":"1.0"}"#)),
            r#"affected[0].ranges[0].events[0].introduced: "1.0" is not a valid SemVer version"#,
        ),
        (
            record(&crate_range("a", "SEMVER", r#"{"fixed":"1.0.0"}"#)),
            r#"affected[0].ranges[0].events: has no "introduced" event"#,
        ),
        (
            record(&crate_range("a", "SEMVER", r#"{"introduced":"0","fixed":"1.0.0"}"#)),
            "affected[0].ranges[0].events[0]: must hold exactly one of introduced, fixed, last_affected, limit",
        ),
        (
            record(&crate_range("a", "SEMVER", r#"{}"#)),
            "affected[0].ranges[0].events[0]: must hold exactly one of",
        ),
        (
            record(r#"{"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}"#),
            "affected[0].ranges[0].repo: a GIT range needs a repo",
        ),
        (
            record(&crate_range("a", "RPM", r#"{"introduced":"0"}"#)),
            "affected[0].ranges[0].type: unknown variant `RPM`",
        ),
        (
            r#"{"id":"X-1","id":"X-2","modified":"2024-01-01T00:00:00Z"}"#.to_owned(),
            r#"invalid OSV record in osv/test.json: duplicate key "id""#,
        ),
        (
            format!(
                r#"{{"id":"X-1","modified":"2024-01-01T00:00:00Z","database_specific":{{"x":{}1{}}}}}"#,
                "[".repeat(200),
                "]".repeat(200)
            ),
            "recursion limit exceeded",
        ),
        ("not json".to_owned(), "invalid OSV record in osv/test.json: expected"),
    ];
    for (json, want) in cases {
        let err = parse_err(&json);
        assert!(err.contains(want), "{err}\n  does not contain\n{want}");
    }
    // The negative control: the same shapes, valid, parse.
    parse(&record(&crate_range(
        "a",
        "SEMVER",
        r#"{"introduced":"v1.0.0"},{"limit":"*"},{"fixed":"1.2.3"}"#,
    )));
    parse(&record(
        r#"{"ranges":[{"type":"GIT","repo":"https://github.com/a/b","events":[{"introduced":"0"}]}]}"#,
    ));
}

#[test]
fn git_ranges_match_by_repository_and_tag() {
    let fix = "e5f8d9d3c5a4e6b7a8f9e0d1c2b3a4f5e6d7c8b9";
    let r = parse(&record(&format!(
        r#"{{"ranges":[{{"type":"GIT","repo":"https://github.com/leethomason/tinyxml2",
              "events":[{{"introduced":"0"}},{{"fixed":"{fix}"}}]}}],
            "versions":["9.0.0","10.0.0","v1.3"]}}"#
    )));
    let want = Some(vec![fix.to_owned()]);
    for repo in [
        "https://github.com/leethomason/tinyxml2",
        "http://github.com/LeeThomason/TinyXML2.git",
        "https://github.com/leethomason/tinyxml2/",
        "https://github.com/leethomason/tinyxml2.git/",
    ] {
        assert_eq!(r.affects_repo(repo, "10.0.0"), want, "{repo}");
    }
    assert_eq!(
        r.affects_repo("https://github.com/leethomason/tinyxml2", "v10.0.0"),
        want
    );
    assert_eq!(
        r.affects_repo("https://github.com/leethomason/tinyxml2", "1.3"),
        want
    );
    assert_eq!(
        r.affects_repo("https://github.com/leethomason/tinyxml2", "11.0.0"),
        None
    );
    assert_eq!(
        r.affects_repo("https://github.com/leethomason/tinyxml", "10.0.0"),
        None
    );
    assert_eq!(
        r.affects_repo("https://gitlab.com/leethomason/tinyxml2", "10.0.0"),
        None
    );
    // GIT ranges play no part in package matching.
    assert_eq!(
        affected(&r, &Ecosystem::CratesIo, "tinyxml2", "10.0.0"),
        None
    );

    let mut db = Database::new();
    db.add(
        "cve.json",
        record(&format!(
            r#"{{"ranges":[{{"type":"GIT","repo":"https://github.com/leethomason/tinyxml2.git",
              "events":[{{"introduced":"0"}},{{"fixed":"{fix}"}}]}}],"versions":["10.0.0"]}}"#
        ))
        .as_bytes(),
    )
    .unwrap();
    let found = db.lookup_repo("https://GitHub.com/leethomason/tinyxml2", "10.0.0");
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].0.id.as_str(), found[0].1.clone()),
        ("TEST-1", vec![fix.to_owned()])
    );
    assert!(db
        .lookup_repo("https://github.com/leethomason/tinyxml2", "9.0.0")
        .is_empty());
    assert!(db
        .lookup_repo("https://github.com/other/tinyxml2", "10.0.0")
        .is_empty());
}

#[test]
fn cpe_ranges_match_by_part_vendor_product_and_tag() {
    let fix = "e5f8d9d3c5a4e6b7a8f9e0d1c2b3a4f5e6d7c8b9";
    let entry = |cpe: &str| {
        format!(
            r#"{{"ranges":[{{"type":"GIT","repo":"https://github.com/leethomason/tinyxml2",
              "events":[{{"introduced":"0"}},{{"fixed":"{fix}"}}],
              "database_specific":{{"cpe":{cpe},"source":"CPE_FIELD"}}}}],
            "versions":["9.0.0","10.0.0","v1.3"]}}"#
        )
    };
    let r = parse(&record(&entry(
        r#""cpe:2.3:a:leethomason:tinyxml2:*:*:*:*:*:*:*:*""#,
    )));
    assert_eq!(
        r.affected[0].ranges[0].cpes,
        ["cpe:2.3:a:leethomason:tinyxml2:*:*:*:*:*:*:*:*"]
    );
    let want = Some(vec![fix.to_owned()]);
    for cpe in [
        "cpe:2.3:a:leethomason:tinyxml2:*:*:*:*:*:*:*:*",
        "CPE:2.3:A:LeeThomason:TinyXML2:-:*:*:*:*:*:*:*",
        "cpe:2.3:a:leethomason:tinyxml2",
        "cpe:/a:leethomason:tinyxml2",
        "cpe:/a:leethomason:tinyxml2:10.0.0",
        "cpe:/a:%6ceethomason:tinyxml2",
        "cpe:2.3:a:leethomason:tinyxml2:10.0.0:*:*:*:*:*:*:*",
        "cpe:2.3:a:leethomason:tinyxml2:v10.0.0:*:*:*:*:*:*:*",
    ] {
        assert_eq!(r.affects_cpe(cpe, "10.0.0"), want, "{cpe}");
    }
    let cpe = "cpe:2.3:a:leethomason:tinyxml2:*:*:*:*:*:*:*:*";
    assert_eq!(r.affects_cpe(cpe, "v10.0.0"), want);
    assert_eq!(r.affects_cpe(cpe, "1.3"), want);
    // Not a listed version.
    assert_eq!(r.affects_cpe(cpe, "10.1.0"), None);
    // Another vendor, product or part; a concrete version that is not
    // the queried one; CPEs that name no one product; not a CPE.
    for cpe in [
        "cpe:2.3:a:tinyxml2_project:tinyxml2:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:leethomason:tinyxml:*:*:*:*:*:*:*:*",
        "cpe:2.3:o:leethomason:tinyxml2:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:leethomason:tinyxml2:9.0.0:*:*:*:*:*:*:*",
        "cpe:/a:leethomason:tinyxml2:9.0.0",
        "cpe:2.3:a:*:tinyxml2:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:leethomason:*:*:*:*:*:*:*:*:*",
        "cpe:2.3:*:leethomason:tinyxml2:*:*:*:*:*:*:*:*",
        "cpe:2.3:a:leethomason",
        "cpe:/a:%zzeethomason:tinyxml2",
        "cpe:/a:%+ceethomason:tinyxml2",
        "cpe:/a:leethomason:tinyxml2%6",
        "leethomason:tinyxml2",
        "a:leethomason:tinyxml2",
        "https://github.com/leethomason/tinyxml2",
        "",
    ] {
        assert_eq!(r.affects_cpe(cpe, "10.0.0"), None, "{cpe}");
    }
    // A repository URL is not a CPE.
    assert_eq!(
        r.affects_cpe("https://github.com/leethomason/tinyxml2", "10.0.0"),
        None
    );

    // An array of CPEs; an escaped ":" stays in its field.
    let r = parse(&record(&entry(
        r#"["cpe:2.3:a:other:thing:*:*:*:*:*:*:*:*","cpe:2.3:a:odd\\:vendor:tinyxml2:*:*:*:*:*:*:*:*"]"#,
    )));
    assert_eq!(r.affected[0].ranges[0].cpes.len(), 2);
    assert_eq!(
        r.affects_cpe("cpe:2.3:a:other:thing:*:*:*:*:*:*:*:*", "9.0.0"),
        want
    );
    assert_eq!(
        r.affects_cpe("cpe:2.3:a:odd\\:vendor:tinyxml2:*:*:*:*:*:*:*:*", "9.0.0"),
        want
    );
    assert_eq!(
        r.affects_cpe("cpe:2.3:a:odd:vendor:*:*:*:*:*:*:*:*", "9.0.0"),
        None
    );

    // A malformed `cpe` is ignored, not an error: the range has none.
    for malformed in [
        "42",
        r#"{"x":1}"#,
        r#"["cpe:2.3:a:leethomason:tinyxml2",7]"#,
        "null",
    ] {
        let r = parse(&record(&entry(malformed)));
        assert!(r.affected[0].ranges[0].cpes.is_empty(), "{malformed}");
        assert_eq!(r.affects_cpe(cpe, "10.0.0"), None, "{malformed}");
        // The record still matches by repository.
        assert_eq!(
            r.affects_repo("https://github.com/leethomason/tinyxml2", "10.0.0"),
            want
        );
    }
    let r = parse(&record(
        r#"{"ranges":[{"type":"GIT","repo":"https://x.org/y","events":[{"introduced":"0"}],
            "database_specific":"free-form"}],"versions":["1.0"]}"#,
    ));
    assert!(r.affected[0].ranges[0].cpes.is_empty());

    // Withdrawn records never match.
    let withdrawn = parse(&record(&entry(&format!("{cpe:?}"))).replacen(
        r#""summary""#,
        r#""withdrawn":"2024-02-01T00:00:00Z","summary""#,
        1,
    ));
    assert!(withdrawn.withdrawn.is_some());
    assert_eq!(withdrawn.affects_cpe(cpe, "10.0.0"), None);

    // The database index: found by any spelling of the product; a later
    // record without the CPE takes the old one out of the index.
    let mut db = Database::new();
    db.add("cve.json", record(&entry(&format!("{cpe:?}"))).as_bytes())
        .unwrap();
    let found = db.lookup_cpe("cpe:/a:LEETHOMASON:tinyxml2", "10.0.0");
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].0.id.as_str(), found[0].1.clone()),
        ("TEST-1", vec![fix.to_owned()])
    );
    assert!(db.lookup_cpe(cpe, "10.1.0").is_empty());
    assert!(db
        .lookup_cpe("cpe:2.3:a:other:tinyxml2:*:*:*:*:*:*:*:*", "10.0.0")
        .is_empty());
    assert!(db.lookup_cpe("not a cpe", "10.0.0").is_empty());
    let later = record(&entry("null")).replace("2024-01-02T03:04:05Z", "2024-03-01T00:00:00Z");
    db.add("cve-later.json", later.as_bytes()).unwrap();
    assert_eq!(db.len(), 1);
    assert!(db.lookup_cpe(cpe, "10.0.0").is_empty());
    assert!(db.by_cpe.is_empty());
}

/// The real advisories in testdata/osv/, loaded as a scan loads them.
#[test]
fn real_records_from_testdata() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv");
    let mut db = Database::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let bytes = std::fs::read(&path).unwrap();
            db.add(&path.display().to_string(), &bytes).unwrap();
            files += 1;
        }
    }
    assert!(files >= 10, "{files} records in {}", dir.display());
    assert_eq!(db.withdrawn(), 1, "RUSTSEC-2023-0002 is withdrawn");
    assert_eq!(db.len(), files - 1);

    let ids = |eco: &Ecosystem, name: &str, v: &str| -> Vec<(String, Vec<String>)> {
        db.lookup(eco, name, v)
            .unwrap()
            .into_iter()
            .map(|(r, fixes)| (r.id.clone(), fixes))
            .collect()
    };
    let one = |id: &str, fixes: &[&str]| {
        vec![(
            id.to_owned(),
            fixes.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>(),
        )]
    };
    let cargo = Ecosystem::CratesIo;
    assert_eq!(
        ids(&cargo, "smallvec", "1.6.0"),
        one("RUSTSEC-2021-0003", &["1.6.1"])
    );
    assert_eq!(
        ids(&cargo, "smallvec", "0.6.10"),
        one("RUSTSEC-2021-0003", &["0.6.14", "1.6.1"])
    );
    assert!(ids(&cargo, "smallvec", "1.6.1").is_empty());
    assert!(ids(&cargo, "smallvec", "0.6.2").is_empty());
    assert_eq!(
        ids(&cargo, "regex", "1.5.4"),
        one("GHSA-m5pq-gvj9-9vr8", &["1.5.5"])
    );
    assert!(ids(&cargo, "regex", "1.5.5").is_empty());
    // Withdrawn: git2's record is dropped.
    assert!(ids(&cargo, "git2", "0.15.0").is_empty());

    let npm = Ecosystem::Npm;
    assert_eq!(
        ids(&npm, "debug", "3.2.6"),
        one("GHSA-gxpj-cx7g-858c", &["3.2.7"])
    );
    assert_eq!(
        ids(&npm, "debug", "2.6.8"),
        one("GHSA-gxpj-cx7g-858c", &["2.6.9"])
    );
    assert!(ids(&npm, "debug", "2.6.9").is_empty());
    assert!(ids(&npm, "debug", "4.3.1").is_empty());
    assert_eq!(
        ids(&npm, "minimist", "1.2.5"),
        one("GHSA-xvch-5gv4-984h", &["1.2.6"])
    );
    assert_eq!(
        ids(&npm, "minimist", "0.2.3"),
        one("GHSA-xvch-5gv4-984h", &["0.2.4"])
    );
    assert!(ids(&npm, "minimist", "1.2.6").is_empty());
    assert_eq!(
        ids(&npm, "ms", "0.7.3"),
        one("GHSA-w9mr-4mfr-499f", &["2.0.0"])
    );
    assert!(ids(&npm, "ms", "2.0.0").is_empty());

    let py = Ecosystem::PyPI;
    assert_eq!(
        ids(&py, "IDNA", "3.6"),
        one("GHSA-jjg7-2v4v-x38h", &["3.7"])
    );
    assert!(ids(&py, "idna", "3.7").is_empty());
    assert_eq!(
        ids(&py, "requests", "2.31.0"),
        one("GHSA-9wx4-h78v-vm56", &["2.32.2"])
    );
    assert!(ids(&py, "requests", "2.32.2").is_empty());

    let go = Ecosystem::Go;
    assert_eq!(
        ids(&go, "golang.org/x/text", "v0.3.6"),
        one("GO-2021-0113", &["0.3.7"])
    );
    assert!(ids(&go, "golang.org/x/text", "v0.3.7").is_empty());

    // Severity: the vector, else GHSA's word.
    let minimist = &db.lookup(&npm, "minimist", "1.2.5").unwrap()[0].0;
    assert_eq!(minimist.severity, Some(Severity::Critical));
    let regex = &db.lookup(&cargo, "regex", "1.5.4").unwrap()[0].0;
    assert_eq!(regex.score.as_ref().unwrap().0, 7.5);
    let text = &db.lookup(&go, "golang.org/x/text", "v0.3.6").unwrap()[0].0;
    assert_eq!((text.score.as_ref(), text.severity), (None, None));
    assert_eq!(
        text.summary.as_deref(),
        Some("Out-of-bounds read in golang.org/x/text/language")
    );

    // C/C++ by repository and tag.
    let tinyxml2 = db.lookup_repo("https://github.com/leethomason/tinyxml2.git", "10.0.0");
    let found: Vec<&str> = tinyxml2.iter().map(|(r, _)| r.id.as_str()).collect();
    assert_eq!(found, ["CVE-2024-50614", "CVE-2024-50615"]);
    assert!(db
        .lookup_repo("https://github.com/leethomason/tinyxml2", "11.0.0")
        .is_empty());

    // And by the CPE osv.dev's NVD conversion attaches to the range.
    let nvd = "cpe:2.3:a:tinyxml2_project:tinyxml2:*:*:*:*:*:*:*:*";
    let by_cpe = |cpe: &str, v: &str| -> Vec<String> {
        db.lookup_cpe(cpe, v)
            .into_iter()
            .map(|(r, _)| r.id.clone())
            .collect()
    };
    assert_eq!(by_cpe(nvd, "10.0.0"), ["CVE-2024-50614", "CVE-2024-50615"]);
    assert_eq!(
        by_cpe("cpe:/a:tinyxml2_project:tinyxml2", "v9.0.0"),
        ["CVE-2024-50614", "CVE-2024-50615"]
    );
    assert!(by_cpe(nvd, "10.1.0").is_empty());
    assert!(by_cpe(nvd, "5.0.0").is_empty());
    assert!(by_cpe("cpe:2.3:a:leethomason:tinyxml2:*:*:*:*:*:*:*:*", "10.0.0").is_empty());
    assert!(by_cpe(
        "cpe:2.3:a:tinyxml2_project:tinyxml2:9.0.0:*:*:*:*:*:*:*",
        "10.0.0"
    )
    .is_empty());

    // The deliberately bad records (testdata/osv-bad/) fail naming the
    // file and the field.
    for (file, want) in [
        ("missing-id.json", "missing field `id`"),
        (
            "bad-ecosystem.json",
            r#"affected[0].package.ecosystem: unknown OSV ecosystem "cargo""#,
        ),
        (
            "bad-version.json",
            r#"affected[0].ranges[0].events[1].fixed: "1.x.y" is not a valid SemVer version"#,
        ),
    ] {
        let path = dir.join("../osv-bad").join(file);
        let err = Database::new()
            .add(&path.display().to_string(), &std::fs::read(&path).unwrap())
            .unwrap_err()
            .to_string();
        let head = format!("invalid OSV record in {}: ", path.display());
        assert!(err.starts_with(&head) && err.contains(want), "{err}");
    }
}

#[test]
fn records_no_input_can_match_are_validated_counted_and_dropped() {
    let mut db = Database::new();
    let maven = record(
        r#"{"package":{"ecosystem":"Maven","name":"org.yaml:snakeyaml"},"versions":["1.33"]}"#,
    );
    db.add("maven.json", maven.as_bytes()).unwrap();
    assert_eq!((db.len(), db.unmatchable()), (0, 1));
    // Still validated: a bad one is an error, not a silent drop.
    let bad = record(r#"{"package":{"ecosystem":"Debain","name":"zlib"}}"#);
    assert!(db.add("bad.json", bad.as_bytes()).is_err());
    // Control: an npm record is kept.
    let npm = record(
        r#"{"package":{"ecosystem":"npm","name":"ms"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}"#,
    );
    db.add("npm.json", npm.as_bytes()).unwrap();
    assert_eq!((db.len(), db.unmatchable()), (1, 1));
    // Distribution records are kept now that vouch orders their versions
    // (they used to be dropped like Maven's).
    let debian = record(
        r#"{"package":{"ecosystem":"Debian:12","name":"zlib"},"versions":["1:1.2.13.dfsg-1"]}"#,
    );
    let mut db = Database::new();
    db.add("debian.json", debian.as_bytes()).unwrap();
    assert_eq!((db.len(), db.unmatchable()), (1, 0));
}
