//! `vouch verify` on hostile stores (issue 5, §4 items 11 and 13):
//!
//! - 10,000 attestations attached to a layout image are refused by the
//!   attachment caps before anything is fetched, with a clean error, and
//!   no image of the run is admitted;
//! - a tag that points to another image on its second resolution (a real
//!   Distribution registry behind the labelled `ReferrersProxy` stub, which
//!   moves the tag once it has been read) cannot make vouch mix two images:
//!   the tag is resolved once and everything is read for that digest;
//! - (issue 8) 1,000 entries of other types, a referrer of another image
//!   and one that is no bundle, added to the fallback index by a tag
//!   writer, do not hide the good evidence: the bad ones are reported.
//!
//! And the documented JSON schema holds: `--output json` has exactly
//! the fields docs/verify-json.md documents, no more and no fewer.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::process::Output;

use common::registry::{add_fallback_entries, flood_referrers, Registry};
use common::stub::ReferrersProxy;
use common::{
    assert_fails_with, assert_ok, copy_tree, demo_policy, root, stderr, stdout, vouch_in, Fixture,
};
use serde_json::{json, Value};
use vouch_evidence::digest::sha256;

/// The attachments the 10,000 test floods an image with.
const FAKES: usize = 10_000;

/// `vouch verify IMAGES... --policy policy.yaml EXTRA...` in the fixture.
fn verify(f: &Fixture, images: &[&str], extra: &[&str]) -> Output {
    let mut args = vec!["verify"];
    args.extend_from_slice(images);
    args.extend_from_slice(&["--policy", "policy.yaml"]);
    args.extend_from_slice(extra);
    vouch_in(f.dir(), &args)
}

#[test]
fn regression_issue_5_ten_thousand_attestations_are_capped_and_nothing_is_admitted() {
    let f = Fixture::demo_attested();
    // Control: with its handful of attestations the image is evaluated
    // (and allowed), alone and next to a copy of itself.
    let (out, verdict) = f.verify("policy.yaml");
    assert_ok(&out);
    let image = &verdict["images"][0];
    assert_eq!(image["verdict"], "allow", "{verdict}");
    let subject = image["digest"].as_str().unwrap().to_string();
    let real = image["evidence"].as_array().unwrap().len();
    assert!((2..=10).contains(&real), "{verdict}");
    copy_tree(&f.dir().join("layout"), &f.dir().join("good"));
    let both = verify(&f, &["oci:good:app", "oci:layout:app"], &[]);
    assert_ok(&both);
    assert_eq!(
        stdout(&both).matches(": ALLOW").count(),
        2,
        "{}",
        stdout(&both)
    );

    // The same image with 10,000 more attestations in its fallback index.
    flood_referrers(&f.dir().join("layout"), &subject, FAKES);
    let count = FAKES + real;

    // Defaults: the fallback index lists more entries than --max-referrers.
    let out = verify(&f, &["oci:layout:app"], &["--output", "json"]);
    assert_fails_with(&out, &format!("{count} is over the limit of 10000"));
    assert_eq!(stdout(&out), "", "no verdict is printed on error");

    // Room for the listing: the attachment cap (100) refuses the Sigstore
    // bundles it names, naming the image they are attached to. The good
    // image given first is not admitted either: nothing is printed as
    // allowed.
    let out = verify(
        &f,
        &["oci:good:app", "oci:layout:app"],
        &["--max-referrers", "20000"],
    );
    assert_fails_with(&out, &format!("{count} is over the limit of 100"));
    assert_fails_with(&out, &format!("attachments of {subject}"));
    assert!(!stdout(&out).contains("ALLOW"), "{}", stdout(&out));
    assert_eq!(stdout(&out), "");

    // Both caps lifted, vouch fetches each made-up referrer, finds it
    // missing and reports it, and judges the image on its real evidence:
    // the caps are what refused the flood.
    let out = verify(
        &f,
        &["oci:layout:app"],
        &[
            "--max-referrers",
            "20000",
            "--max-attachments",
            "20000",
            "--output",
            "json",
        ],
    );
    assert_ok(&out);
    let verdict: Value = serde_json::from_slice(&out.stdout).unwrap();
    let evidence = verdict["images"][0]["evidence"].as_array().unwrap();
    let missing = evidence
        .iter()
        .filter(|e| {
            let why = e["ignored"][0].as_str().unwrap_or_default();
            why.starts_with("unreadable: ") && why.contains("not found")
        })
        .count();
    assert_eq!(missing, FAKES);
    assert_eq!(verdict["images"][0]["verdict"], "allow");
}

const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// Stores `bytes` as a blob of the layout at `dir`; returns its descriptor.
fn store_blob(dir: &std::path::Path, media_type: &str, bytes: &[u8]) -> Value {
    let digest = sha256(bytes);
    fs::write(dir.join("blobs/sha256").join(digest.hex()), bytes).unwrap();
    json!({"mediaType": media_type, "digest": digest.to_string(), "size": bytes.len()})
}

/// A Sigstore-bundle referrer manifest of `subject` whose one layer holds
/// `layer`, stored in the layout at `dir`; returns its fallback-index entry.
fn bundle_referrer(dir: &std::path::Path, subject: &str, layer: &[u8]) -> Value {
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": BUNDLE_V03,
        "config": store_blob(dir, "application/vnd.oci.empty.v1+json", b"{}"),
        "layers": [store_blob(dir, BUNDLE_V03, layer)],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject, "size": 100},
    });
    let mut entry = store_blob(
        dir,
        "application/vnd.oci.image.manifest.v1+json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    entry["artifactType"] = json!(BUNDLE_V03);
    entry
}

#[test]
fn regression_issue_8_junk_and_bad_entries_do_not_hide_the_good_ones() {
    let f = Fixture::demo_attested();
    let (out, verdict) = f.verify("policy.yaml");
    assert_ok(&out);
    let image = &verdict["images"][0];
    let subject = image["digest"].as_str().unwrap().to_string();
    let real = image["evidence"].as_array().unwrap().len();
    let layout = f.dir().join("layout");

    // A tag writer adds to the fallback index: 1,000 entries that are no
    // bundles by their descriptor (never stored), a bundle referrer of
    // another image, and one whose layer is no bundle.
    let foreign = bundle_referrer(&layout, &sha256(b"another image").to_string(), b"{}");
    let not_a_bundle = bundle_referrer(&layout, &subject, b"{\"not\": \"a bundle\"}");
    let junk = (0..1000).map(|i| {
        json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha256(format!("junk {i}").as_bytes()).to_string(),
            "size": 500,
            "artifactType": "application/vnd.example.junk",
        })
    });
    add_fallback_entries(
        &layout,
        &subject,
        junk.chain([foreign.clone(), not_a_bundle.clone()]),
    );

    let (out, verdict) = f.verify("policy.yaml");
    assert_ok(&out);
    let image = &verdict["images"][0];
    assert_eq!(image["verdict"], "allow", "{verdict}");
    let evidence = image["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), real + 2, "{verdict}");
    let unreadable = |entry: &Value| {
        evidence
            .iter()
            .find(|e| e["digest"] == entry["digest"])
            .unwrap_or_else(|| panic!("{entry} is not reported: {verdict}"))["ignored"][0]
            .as_str()
            .unwrap()
            .to_string()
    };
    let why = unreadable(&foreign);
    assert!(why.starts_with("unreadable: "), "{why}");
    assert!(why.contains(&format!("does not name {subject}")), "{why}");
    let why = unreadable(&not_a_bundle);
    assert!(why.starts_with("unreadable: "), "{why}");
    // The text output says so too.
    let out = verify(&f, &["oci:layout:app"], &[]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains(&format!("does not name {subject}")),
        "{}",
        stdout(&out)
    );
}

/// The `/manifests/<reference>` or `/referrers/<digest>` of a logged
/// request (`METHOD /v2/<name>/...`), if it is one.
fn manifest_or_referrers(request: &str) -> Option<&str> {
    let path = request.split_once(' ')?.1;
    path.rsplit_once("/manifests/")
        .or_else(|| path.rsplit_once("/referrers/"))
        .map(|(_, reference)| reference)
}

#[test]
fn regression_issue_5_a_tag_moved_between_two_resolutions_is_resolved_once() {
    let registry = Registry::plain();
    let proxy = ReferrersProxy::start(&registry.host);
    let repo = "team/app";
    // A is attested by the trusted key; B, under another tag, by nobody.
    let a = registry.push_image(repo, "v1");
    let b = registry.push_image(repo, "next");
    assert_ne!(a, b);
    let (a_hex, b_hex) = (&a[7..], &b[7..]);
    let f = Fixture::demo().with_image(&format!("{}/{repo}:v1", proxy.host));
    fs::write(
        f.dir().join("policy.yaml"),
        demo_policy().replace("oci:**", &format!("{}/team/**", proxy.host)),
    )
    .unwrap();
    assert_ok(&f.attest("ci.key", &[]));

    // From now on the tag reads as A once, then as B.
    let before = proxy.requests().len();
    proxy.move_tag_after_first_read(repo, "v1", "next");
    let (out, verdict) = f.verify("policy.yaml");
    assert_ok(&out);
    let image = &verdict["images"][0];
    assert_eq!(image["digest"], a.as_str(), "{verdict}");
    assert_eq!(image["verdict"], "allow", "{verdict}");
    let evidence = image["evidence"].as_array().unwrap();
    assert!(!evidence.is_empty(), "{verdict}");
    assert!(
        evidence.iter().all(|e| e["verifiedBy"][0] == "demo/ci"),
        "{verdict}"
    );

    // The tag was read once; every later manifest or referrers request
    // named a digest, or A's fallback and legacy tags; nothing named B.
    let requests: Vec<String> = proxy.requests()[before..].to_vec();
    let tag_reads = requests
        .iter()
        .filter(|r| r.ends_with(&format!("/v2/{repo}/manifests/v1")))
        .count();
    assert_eq!(tag_reads, 1, "{requests:#?}");
    for request in &requests {
        assert!(!request.contains(b_hex), "B was read: {request}");
        match manifest_or_referrers(request) {
            Some("v1") | None => {}
            Some(reference) => assert!(
                reference.starts_with("sha256:") || reference.contains(a_hex),
                "not pinned to A: {request}"
            ),
        }
    }
    assert!(
        requests
            .iter()
            .any(|r| r.ends_with(&format!("/v2/{repo}/referrers/{a}"))),
        "A's evidence was never listed: {requests:#?}"
    );

    // Control: the tag has moved, and a fresh run resolves it to B, which
    // is denied. Re-resolving within the first run would have mixed them.
    let before = proxy.requests().len();
    let (out, verdict) = f.verify("policy.yaml");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let image = &verdict["images"][0];
    assert_eq!(image["digest"], b.as_str(), "{verdict}");
    assert_eq!(image["verdict"], "deny", "{verdict}");
    assert!(
        image["denials"][0]
            .as_str()
            .unwrap()
            .contains("no verified https://slsa.dev/provenance/v1"),
        "{verdict}"
    );
    assert!(proxy.requests()[before..]
        .iter()
        .any(|r| r.ends_with(&format!("/v2/{repo}/referrers/{b}"))));
}

/// The field names of each table of docs/verify-json.md, by the heading
/// above it (`The document`, `Verdict (one image)`, ...).
fn documented_fields() -> BTreeMap<String, BTreeSet<String>> {
    let doc = fs::read_to_string(root().join("docs/verify-json.md")).unwrap();
    let mut fields: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut heading = String::new();
    for line in doc.lines() {
        if let Some(title) = line.strip_prefix("## ").or(line.strip_prefix("### ")) {
            heading = title.split(' ').next().unwrap().to_string();
        } else if let Some(cell) = line.strip_prefix("| `") {
            let name = cell.split('`').next().unwrap();
            fields
                .entry(heading.clone())
                .or_default()
                .insert(name.into());
        }
    }
    fields
}

fn keys<'a>(objects: impl Iterator<Item = &'a Value>) -> BTreeSet<String> {
    objects
        .flat_map(|o| o.as_object().unwrap().keys().cloned())
        .collect()
}

#[test]
fn the_json_output_has_exactly_the_documented_fields() {
    let documented = documented_fields();
    let f = Fixture::demo_attested();
    // An ignored attestation too, so that every kind of entry is present.
    assert_ok(&vouch_in(f.dir(), &["keygen", "--out", "mallory"]));
    assert_ok(&f.attest("mallory.key", &[]));
    let (out, doc) = f.verify("policy.yaml");
    assert_ok(&out);
    let images = doc["images"].as_array().unwrap();
    let policies: Vec<&Value> = images
        .iter()
        .flat_map(|i| i["policies"].as_array().unwrap())
        .collect();
    let requirements: Vec<&Value> = policies
        .iter()
        .flat_map(|p| p["requirements"].as_array().unwrap())
        .collect();
    let evidence: Vec<&Value> = images
        .iter()
        .flat_map(|i| i["evidence"].as_array().unwrap())
        .collect();
    assert!(
        evidence.iter().any(|e| e["ignored"][0].is_string()),
        "{doc}"
    );
    for (section, found) in [
        ("The", keys(std::iter::once(&doc))),
        ("Verdict", keys(images.iter())),
        ("PolicyResult", keys(policies.iter().copied())),
        ("RequirementResult", keys(requirements.iter().copied())),
        ("EvidenceNote", keys(evidence.iter().copied())),
    ] {
        let expected = documented.get(section).cloned().unwrap_or_default();
        assert!(
            !expected.is_empty(),
            "no table under {section}: {documented:?}"
        );
        assert_eq!(found, expected, "{section}: output vs docs/verify-json.md");
    }
    // The enumerations hold only the documented values.
    assert!(images
        .iter()
        .all(|i| ["allow", "deny"].contains(&i["verdict"].as_str().unwrap())));
    assert!(evidence.iter().all(|e| {
        ["signature", "attestation"].contains(&e["kind"].as_str().unwrap())
            && ["bundle", "legacy"].contains(&e["format"].as_str().unwrap())
    }));
}
