//! The page's escaping, its CSP and the order of the diff's parts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use super::*;
use vouch_evidence::input::Match;
use vouch_verify::evaluate::Decision;
use vouch_verify::vulns::Recorded;

fn input(name: &str, critical: bool) -> ImageInput {
    ImageInput {
        name: name.into(),
        version: Some("1.0.0".into()),
        ecosystem: "generic".into(),
        purl: Some(format!("pkg:generic/{name}@1.0.0")),
        uri: None,
        critical,
        critical_reasons: Vec::new(),
        digests: vec!["sha256:00".into()],
        cpe: None,
        os: None,
        distribution: None,
        status: Some(Recorded(Match::Match)),
    }
}

fn verdict_with(inputs: Vec<ImageInput>) -> Verdict {
    Verdict {
        image: "oci:layout:app".into(),
        digest: "sha256:ab".into(),
        verdict: Decision::Deny,
        denials: vec!["policy p: <b>denied</b>".into()],
        warnings: Vec::new(),
        policies: Vec::new(),
        evidence: Vec::new(),
        inputs,
        inputs_from: None,
        findings: Vec::new(),
        vex: Vec::new(),
        provenance: None,
    }
}

fn header() -> Header {
    Header {
        policy_files: vec!["policy.yaml".into()],
        policy_version: "sha256:00".into(),
        osv: "none".into(),
        generated: "2026-01-01T00:00:00Z".into(),
    }
}

#[test]
fn the_diff_puts_rehashed_inputs_first_and_loud() {
    use vouch_verify::diff::{Bump, Rehashed, VersionChange};
    let mut rehashed_new = input("zlib", true);
    rehashed_new.digests = vec!["sha256:11".into()];
    let mut bumped = input("minijson", false);
    bumped.version = Some("1.1.0".into());
    let d = Diff {
        old: "oci:layout:old@sha256:aa".into(),
        new: "oci:layout:app@sha256:ab".into(),
        added: vec![input("added-lib", false)],
        removed: Vec::new(),
        changed: vec![VersionChange {
            old: input("minijson", false),
            new: bumped,
            bump: Bump::Minor,
        }],
        rehashed: vec![Rehashed {
            old: input("zlib", true),
            new: rehashed_new,
        }],
        swaps: Vec::new(),
        critical: Vec::new(),
        fixed: Vec::new(),
        introduced: Vec::new(),
        stale_vex: Vec::new(),
    };
    let v = verdict_with(vec![input("zlib", true)]);
    let page = render(&header(), &v, Some((&v, &d)));
    let diff = &page[page.find("<section id=\"diff\">").unwrap()..];
    let rehashed = diff
        .find("<div class=\"alert\" id=\"diff-rehashed\">")
        .unwrap();
    let changed = diff.find("<table id=\"diff-changed\"").unwrap();
    let added = diff.find("<table id=\"diff-added\"").unwrap();
    assert!(rehashed < changed && changed < added, "{diff}");
    assert!(diff[rehashed..changed].contains("<code>sha256:00</code>"));
    assert!(diff[rehashed..changed].contains("<code>sha256:11</code>"));
    assert!(diff[changed..added].contains("<td>1.0.0</td><td>1.1.0</td>"));
    assert!(diff[changed..added].contains(">minor</span>"));
    // Empty parts are left out, and the header names OLD.
    assert!(!diff.contains("diff-removed") && !diff.contains("diff-stale-vex"));
    assert!(page.contains("<dt>Compared with</dt>"));
    // Negative control: no changes, no tables.
    let empty = Diff {
        added: Vec::new(),
        changed: Vec::new(),
        rehashed: Vec::new(),
        ..d
    };
    let page = render(&header(), &v, Some((&v, &empty)));
    assert!(page.contains("<p id=\"diff-empty\">"), "{page}");
    assert!(!page.contains("diff-rehashed") && !page.contains("diff-changed"));
    // Every column width the tables use has its rule in the style sheet.
    for (i, _) in page.match_indices("<col class=\"w") {
        let class = &page[i + 12..i + 12 + page[i + 12..].find('"').unwrap()];
        assert!(
            STYLE.contains(&format!("col.{class} {{")),
            "no rule for {class}"
        );
    }
}

#[test]
fn escape_covers_the_five_characters_and_nothing_else() {
    assert_eq!(
        escape(r#"a&b<c>d"e'f é"#),
        "a&amp;b&lt;c&gt;d&quot;e&#39;f é"
    );
    assert_eq!(escape("plain-text_1.2"), "plain-text_1.2");
}

#[test]
fn a_script_in_an_input_name_comes_out_inert() {
    let hostile = "<script>alert('x')</script><img src=x onerror=\"alert(1)\">";
    let page = render(&header(), &verdict_with(vec![input(hostile, true)]), None);
    // The only script element is the page's own, and no tag of the
    // input's survives.
    assert_eq!(page.matches("<script>").count(), 1, "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(!page.contains("alert('x')"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
        "{page}"
    );
    // Denials (evidence-derived text) too.
    assert!(page.contains("policy p: &lt;b&gt;denied&lt;/b&gt;"));
    // Negative control: a plain name is rendered as is, in its row.
    let plain = render(&header(), &verdict_with(vec![input("zlib", false)]), None);
    assert!(plain.contains("<td><strong>zlib</strong></td>"), "{plain}");
}

#[test]
fn the_page_references_nothing_outside_itself_and_admits_only_its_own_code() {
    let page = render(&header(), &verdict_with(vec![input("zlib", true)]), None);
    for needle in ["http://", "https://", "src=", "<link", "@import", "url("] {
        assert!(!page.contains(needle), "{needle} in the page");
    }
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {};",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    );
    assert!(page.contains(&csp), "{page}");
    assert!(page.contains(&format!("<style>{STYLE}</style>")));
    assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
    // A known vector for the hash form: sha256("") in base64.
    assert_eq!(
        csp_hash(""),
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    );
    // The critical row is marked, the other one is not.
    let two = render(
        &header(),
        &verdict_with(vec![input("zlib", true), input("minijson", false)]),
        None,
    );
    assert!(two.contains("<tr class=\"critical\"><td><strong>zlib</strong>"));
    assert!(two.contains("<tr><td><strong>minijson</strong>"));
}

#[test]
fn every_value_goes_through_vouchs_escaper_not_askamas() {
    // A right-to-left override would show DENY as YNED in a browser;
    // askama's own HTML escaper leaves it, and writes ' as &#x27;.
    let mut v = verdict_with(vec![input("zlib\u{202e}", true)]);
    v.denials = vec!["it's \u{202e}DENY".into()];
    let page = render(&header(), &v, None);
    assert!(!page.contains('\u{202e}'), "{page}");
    let denial = &page[page
        .find("<ul class=\"reasons deny\" id=\"denials\"><li>")
        .unwrap()..];
    let denial = &denial[..denial.find("</li>").unwrap()];
    assert!(
        denial.ends_with(&format!("<li>{}", escape("it's \u{202e}DENY"))),
        "{denial}"
    );
    assert!(denial.contains("it&#39;s"), "{denial}");
    // Control: the name is in the page, escaped the same way.
    assert!(page.contains(&format!("<strong>{}</strong>", escape("zlib\u{202e}"))));
}

/// `input(name)` unbundled onto Debian's build `version`, with a patch
/// whose name tries to break out of the page.
fn unbundled(name: &str, version: &str) -> ImageInput {
    use vouch_evidence::fixtures;
    ImageInput {
        distribution: Some(fixtures::distribution(
            fixtures::debian_12(&format!("librust-{name}-dev"), version),
            &format!("rust-{name}"),
            &["<script>x</script>.patch"],
        )),
        ..input(name, true)
    }
}

#[test]
fn an_unbundled_input_shows_its_distribution_identity_and_swaps_their_own_table() {
    let v = verdict_with(vec![unbundled("flate2", "1.0.0-1"), input("zlib", true)]);
    let page = render(&header(), &v, None);
    let inputs = &page[page.find("<section id=\"inputs\">").unwrap()..];
    let inputs = &inputs[..inputs.find("</section>").unwrap()];
    let shown = &inputs[inputs.find("class=\"small distribution\"").unwrap()..];
    let shown = &shown[..shown.find("</div>").unwrap()];
    for part in [
        "<strong>librust-flate2-dev 1.0.0-1</strong>",
        "pkg:deb/debian/librust-flate2-dev@1.0.0-1?arch=all&amp;distro=debian-12",
        "source rust-flate2 1.0.0-1",
        "2028-01-01T<wbr>00:00:00Z",
        "<code>B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8</code>",
        "<code>&lt;script&gt;x&lt;/script&gt;.patch</code>",
    ] {
        assert!(shown.contains(part), "{part} not in {shown}");
    }
    // Only the unbundled input has one.
    assert_eq!(inputs.matches("class=\"small distribution\"").count(), 1);
    assert!(
        inputs.contains("2 critical, 1 provided by the distribution."),
        "{inputs}"
    );

    use vouch_verify::diff::Swap;
    let d = Diff {
        old: "oci:layout:old@sha256:aa".into(),
        new: "oci:layout:app@sha256:ab".into(),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        rehashed: Vec::new(),
        swaps: vec![Swap {
            old: unbundled("adler", "1.0.0-2"),
            new: input("adler", true),
            kind: SwapKind::Rebundled,
        }],
        critical: Vec::new(),
        fixed: Vec::new(),
        introduced: Vec::new(),
        stale_vex: Vec::new(),
    };
    let page = render(&header(), &v, Some((&v, &d)));
    let diff = &page[page.find("<section id=\"diff\">").unwrap()..];
    assert!(
        diff.contains("<div class=\"alert\" id=\"diff-swaps\">"),
        "{diff}"
    );
    assert!(diff.contains("<td>librust-adler-dev 1.0.0-2</td><td>vendored</td>"));
    assert!(diff.contains(">rebundled</span>"));
    // An unbundling alone is no alarm.
    let calm = Diff {
        swaps: vec![Swap {
            old: input("adler", true),
            new: unbundled("adler", "1.0.0-2"),
            kind: SwapKind::Unbundled,
        }],
        ..d
    };
    let page = render(&header(), &v, Some((&v, &calm)));
    assert!(page.contains("<div id=\"diff-swaps\">"), "{page}");
}
