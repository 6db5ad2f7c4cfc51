//! Reading OpenVEX documents: the spec's own examples, every field, and
//! every way a document can be wrong.

use serde_json::{json, Value};

use super::*;
use crate::vex::tests::{err, ts};
use crate::vex::{is_predicate_type, Justification, Product, Status, OPENVEX_CONTEXT};

/// The minimal document of the OpenVEX specification v0.2.0, verbatim:
/// openvex/spec, OPENVEX-SPEC.md, section "Document" ("Here is a sample
/// of a minimal OpenVEX document"), commit
/// d29fab0c81cfea04159436d54c3edc32947039ac.
const SPEC_MINIMAL: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://openvex.dev/docs/example/vex-9fb3463de1b57",
  "author": "Wolfi J Inkinson",
  "role": "Document Creator",
  "timestamp": "2023-01-08T18:02:03.647787998-06:00",
  "version": 1,
  "statements": [
{
  "vulnerability": {
    "name": "CVE-2023-12345"
  },
  "products": [
    {"@id": "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"},
    {"@id": "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"}
  ],
  "status": "fixed"
}
  ]
}"#;

/// The first document of the same file's "Updating Statements with
/// Inherited Data", verbatim. (The spec's other full examples, the
/// second of that section and the log4j one under "Example", are not
/// well-formed JSON: trailing and missing commas.)
const SPEC_UPDATING: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://openvex.dev/docs/example/vex-9fb3463de1b57",
  "author": "Wolfi J Inkinson",
  "role": "Document Creator",
  "timestamp": "2023-01-08T18:02:03-06:00",
  "version": 1,
  "statements": [
{
  "vulnerability": {
    "name": "CVE-2023-12345"
  },
  "products": [
    {"@id": "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"}
  ],
  "status": "under_investigation"
}
  ]
}"#;

/// The minimal document of the spec before v0.2 (v0.0.2, commit
/// 4a0fbbddabd44f40b885be6b26e9dd066a84cf06), verbatim: the unversioned
/// context with a plain-string vulnerability and products.
const SPEC_V0_0_2_MINIMAL: &str = r#"{
  "@context": "https://openvex.dev/ns",
  "@id": "https://openvex.dev/docs/example/vex-9fb3463de1b57",
  "author": "Wolfi J Inkinson",
  "role": "Document Creator",
  "timestamp": "2023-01-08T18:02:03.647787998-06:00",
  "version": 1,
  "statements": [
{
  "vulnerability": "CVE-2023-12345",
  "products": [
    "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7",
    "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"
  ],
  "status": "fixed"
}
  ]
}"#;

#[test]
fn the_specs_own_examples_parse() {
    let doc = Document::from_json(SPEC_MINIMAL.as_bytes()).unwrap();
    assert_eq!(doc.id, "https://openvex.dev/docs/example/vex-9fb3463de1b57");
    assert_eq!(doc.author, "Wolfi J Inkinson");
    assert_eq!(doc.role.as_deref(), Some("Document Creator"));
    // -06:00 read as the instant it names.
    assert_eq!(doc.timestamp, ts("2023-01-09T00:02:03.647787998Z"));
    assert_eq!(doc.version, 1);
    assert_eq!(doc.last_updated, None);
    assert_eq!(doc.tooling, None);
    let [s] = &doc.statements[..] else {
        panic!("one statement: {doc:?}")
    };
    assert_eq!(s.vulnerability, "CVE-2023-12345");
    assert!(s.aliases.is_empty());
    let ids: Vec<&str> = s.products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7",
            "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"
        ]
    );
    assert!(s.products.iter().all(|p| p.subcomponents.is_empty()));
    assert_eq!(s.status, Status::Fixed);
    assert_eq!(s.justification, None);
    assert_eq!(s.timestamp, doc.timestamp, "inherited from the document");

    let doc = Document::from_json(SPEC_UPDATING.as_bytes()).unwrap();
    assert_eq!(doc.statements[0].status, Status::UnderInvestigation);
    assert_eq!(doc.statements[0].timestamp, ts("2023-01-09T00:02:03Z"));

    // Control: the same example made incomplete is refused.
    let incomplete = SPEC_MINIMAL.replace(r#""fixed""#, r#""not_affected""#);
    let e = err(Document::from_json(incomplete.as_bytes()));
    assert_eq!(
        e,
        "invalid OpenVEX document: statements[0]: status not_affected needs a \
         justification or an impact_statement"
    );
}

#[test]
fn pre_0_2_shapes_are_read_under_the_unversioned_context_only() {
    let doc = Document::from_json(SPEC_V0_0_2_MINIMAL.as_bytes()).unwrap();
    let s = &doc.statements[0];
    assert_eq!(s.vulnerability, "CVE-2023-12345");
    assert_eq!(s.products[1].id, "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64");
    assert_eq!(s.status, Status::Fixed);

    // Statement-level subcomponents apply to every product; a string
    // version is read.
    let legacy = json!({
        "@context": "https://openvex.dev/ns",
        "@id": "https://example.com/vex/1",
        "author": "sec@example.com",
        "timestamp": "2023-03-01T10:00:00Z",
        "version": "2",
        "statements": [{
            "vulnerability": "CVE-2020-26235",
            "products": ["pkg:oci/shop", "pkg:oci/cart"],
            "subcomponents": ["pkg:cargo/time@0.1.43"],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path"
        }]
    });
    let doc = Document::from_predicate(&legacy).unwrap();
    assert_eq!(doc.version, 2);
    for product in &doc.statements[0].products {
        assert_eq!(product.subcomponents, ["pkg:cargo/time@0.1.43"]);
    }

    // Control: under the v0.2.0 context those shapes are not OpenVEX.
    let mut current = legacy.clone();
    current["@context"] = json!(OPENVEX_CONTEXT);
    assert_eq!(
        err(Document::from_predicate(&current)),
        "invalid OpenVEX document: version: must be an integer of at least 1"
    );
    current["version"] = json!(2);
    assert_eq!(
        err(Document::from_predicate(&current)),
        "invalid OpenVEX document: statements[0].vulnerability: must be a JSON object"
    );
    current["statements"][0]["vulnerability"] = json!({"name": "CVE-2020-26235"});
    assert_eq!(
        err(Document::from_predicate(&current)),
        "invalid OpenVEX document: statements[0].products[0]: must be a JSON object"
    );
}

/// A valid document with two statements; the bad-input cases break the
/// second so that the path in the message is checked.
fn base() -> Value {
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/shop-1",
        "author": "Shop Security <security@example.com>",
        "role": "Document Creator",
        "timestamp": "2024-02-01T12:00:00Z",
        "last_updated": "2024-02-02T12:00:00Z",
        "version": 3,
        "tooling": "vexctl",
        "statements": [
            {
                "vulnerability": {"name": "CVE-2022-25883"},
                "products": [{"@id": "pkg:oci/shop"}],
                "status": "fixed"
            },
            {
                "@id": "https://example.com/vex/shop-1#2",
                "vulnerability": {"@id": "https://nvd.nist.gov/vuln/detail/CVE-2020-26235", "name": "CVE-2020-26235", "description": "Segfault in localtime_r", "aliases": ["RUSTSEC-2020-0071"]},
                "timestamp": "2024-01-15T09:30:00+01:00",
                "products": [{
                    "@id": "pkg:oci/shop",
                    "identifiers": {"purl": "pkg:oci/shop"},
                    "hashes": {"sha-256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
                    "subcomponents": [{"@id": "pkg:cargo/time@0.1.43"}]
                }],
                "supplier": "Shop",
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
                "impact_statement": "localtime_r is never called",
                "status_notes": "reviewed by hand"
            }
        ]
    })
}

#[test]
fn a_full_document_reads_every_field() {
    let doc = Document::from_predicate(&base()).unwrap();
    assert_eq!(doc.role.as_deref(), Some("Document Creator"));
    assert_eq!(doc.last_updated, Some(ts("2024-02-02T12:00:00Z")));
    assert_eq!(doc.version, 3);
    assert_eq!(doc.tooling.as_deref(), Some("vexctl"));
    let s = &doc.statements[1];
    assert_eq!(s.vulnerability, "CVE-2020-26235");
    assert_eq!(s.aliases, ["RUSTSEC-2020-0071"]);
    assert_eq!(
        s.products,
        [Product {
            id: "pkg:oci/shop".into(),
            subcomponents: vec!["pkg:cargo/time@0.1.43".into()]
        }]
    );
    assert_eq!(
        s.justification,
        Some(Justification::VulnerableCodeNotInExecutePath)
    );
    assert_eq!(
        s.impact_statement.as_deref(),
        Some("localtime_r is never called")
    );
    assert_eq!(s.status_notes.as_deref(), Some("reviewed by hand"));
    assert_eq!(
        s.timestamp,
        ts("2024-01-15T08:30:00Z"),
        "the statement's own"
    );
    assert_eq!(doc.statements[0].timestamp, doc.timestamp, "the document's");
    // Written and read back, nothing vouch keeps is lost.
    assert_eq!(Document::from_json(&doc.to_json()).unwrap(), doc);

    // Identifiers stand in for a missing @id; a vulnerability @id for a
    // missing name.
    let mut v = base();
    v["statements"][1]["products"] = json!([{
        "identifiers": {"cpe23": "cpe:2.3:a:shop:shop:1.0:*:*:*:*:*:*:*", "purl": "pkg:oci/shop"},
        "subcomponents": [{"identifiers": {"cpe22": "cpe:/a:time:time:0.1.43"}}]
    }]);
    v["statements"][1]["vulnerability"] = json!({"@id": "https://osv.dev/RUSTSEC-2020-0071"});
    let s = &Document::from_predicate(&v).unwrap().statements[1];
    assert_eq!(s.products[0].id, "pkg:oci/shop");
    assert_eq!(s.products[0].subcomponents, ["cpe:/a:time:time:0.1.43"]);
    assert_eq!(s.vulnerability, "https://osv.dev/RUSTSEC-2020-0071");

    // Later v0.2.x contexts are v0.2 too.
    let mut v = base();
    v["@context"] = json!("https://openvex.dev/ns/v0.2.7");
    Document::from_predicate(&v).unwrap();
}

#[test]
fn bad_documents_are_refused_naming_the_field() {
    type Edit = fn(&mut Value);
    let cases: &[(Edit, &str)] = &[
        (
            |v| {
                let s = v["statements"][1].as_object_mut().unwrap();
                s.remove("justification");
                s.remove("impact_statement");
            },
            "statements[1]: status not_affected needs a justification or an impact_statement",
        ),
        (|v| v["statements"][1]["impact_statement"] = json!(""), ""),
        (
            |v| {
                v["statements"][1]["status"] = json!("affected");
                v["statements"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("justification");
            },
            "statements[1]: status affected needs an action_statement",
        ),
        (
            |v| v["statements"][1]["justification"] = json!("not_exploitable"),
            "statements[1].justification: unknown justification \"not_exploitable\" (expected \
             one of: component_not_present, vulnerable_code_not_present, \
             vulnerable_code_not_in_execute_path, \
             vulnerable_code_cannot_be_controlled_by_adversary, \
             inline_mitigations_already_exist)",
        ),
        (
            |v| v["statements"][1]["status"] = json!("wont_fix"),
            "statements[1].status: unknown status \"wont_fix\" (expected one of: \
             not_affected, affected, fixed, under_investigation)",
        ),
        (
            |v| v["statements"][1]["status"] = json!("fixed"),
            "statements[1]: justification vulnerable_code_not_in_execute_path is only allowed \
             with status not_affected, not fixed",
        ),
        (
            |v| {
                v.as_object_mut().unwrap().remove("@context");
            },
            "@context: is missing",
        ),
        (
            |v| v["@context"] = json!("https://example.com/ns/v0.2.0"),
            "@context: \"https://example.com/ns/v0.2.0\" is not an OpenVEX v0.2 context",
        ),
        (
            |v| v["@context"] = json!("https://openvex.dev/ns/v0.3.0"),
            "is not an OpenVEX v0.2 context",
        ),
        (
            |v| v["@context"] = json!("https://openvex.dev/ns/v0.2."),
            "is not an OpenVEX v0.2 context",
        ),
        (
            |v| {
                v.as_object_mut().unwrap().remove("timestamp");
            },
            "timestamp: is missing",
        ),
        (
            |v| v["timestamp"] = json!("2024-02-01 noon"),
            "timestamp: \"2024-02-01 noon\" is not an RFC 3339 date-time",
        ),
        (
            |v| v["timestamp"] = json!("2024-02-01T12:00:00"),
            "timestamp: \"2024-02-01T12:00:00\" is not an RFC 3339 date-time",
        ),
        (
            |v| v["last_updated"] = json!(20240202),
            "last_updated: invalid type: integer `20240202`, expected a string",
        ),
        (
            |v| v["statements"][1]["timestamp"] = json!("soon"),
            "statements[1].timestamp: \"soon\" is not an RFC 3339 date-time",
        ),
        (
            |v| v["statements"][1]["action_statement_timestamp"] = json!("later"),
            "statements[1].action_statement_timestamp: \"later\" is not",
        ),
        (|v| v["statements"] = json!([]), "statements: is empty"),
        (
            |v| {
                v.as_object_mut().unwrap().remove("statements");
            },
            "statements: is missing",
        ),
        (
            |v| v["version"] = json!(0),
            "version: must be an integer of at least 1",
        ),
        (
            |v| v["version"] = json!(1.5),
            "version: must be an integer of at least 1",
        ),
        (
            |v| {
                v.as_object_mut().unwrap().remove("@id");
            },
            "@id: is missing",
        ),
        (|v| v["author"] = json!(""), "author: is empty"),
        (
            |v| v["statements"][1]["products"] = json!([]),
            "statements[1]: names no product",
        ),
        (
            |v| {
                v["statements"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("products");
            },
            "statements[1].products: is missing",
        ),
        (
            |v| v["statements"][1]["products"] = json!([{"hashes": {"sha-256": "00"}}]),
            "statements[1].products[0]: has no @id and no identifiers (purl, cpe23 or cpe22)",
        ),
        (
            |v| v["statements"][1]["products"][0]["subcomponents"] = json!([{"@id": ""}]),
            "statements[1].products[0].subcomponents[0]: has an empty identifier",
        ),
        (
            |v| v["statements"][1]["vulnerability"] = json!({"description": "no name"}),
            "statements[1].vulnerability: has no name",
        ),
        (
            |v| v["statements"][1]["vulnerability"]["aliases"] = json!(["GHSA-1", 7]),
            "statements[1].vulnerability.aliases[1]: invalid type: integer `7`, expected a string",
        ),
        (
            // The fields of a statement in order, as serde alone would
            // read a struct from an array: no VEX format has this shape.
            |v| {
                v["statements"][1] = json!([
                    {"name": "CVE-2020-26235"},
                    [{"@id": "pkg:oci/shop"}],
                    null,
                    "fixed",
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null
                ])
            },
            "statements[1]: invalid type: sequence, expected a JSON object",
        ),
        (
            |v| v["statements"][1] = json!("CVE-2020-26235"),
            "statements[1]: invalid type: string \"CVE-2020-26235\", expected a JSON object",
        ),
        (
            |v| *v = json!([]),
            "invalid OpenVEX document: invalid type: sequence, expected a JSON object",
        ),
    ];
    Document::from_predicate(&base()).unwrap();
    for (i, (edit, expected)) in cases.iter().enumerate() {
        let mut value = base();
        edit(&mut value);
        if expected.is_empty() {
            // A blank impact statement is no impact statement, but the
            // justification still answers.
            let doc = Document::from_predicate(&value).unwrap();
            assert_eq!(doc.statements[1].impact_statement, None);
            continue;
        }
        let e = err(Document::from_json(&serde_json::to_vec(&value).unwrap()));
        assert!(e.starts_with("invalid OpenVEX document: "), "case {i}: {e}");
        assert!(
            e.contains(expected),
            "case {i}: expected {expected:?} in {e:?}"
        );
    }
}

#[test]
fn malformed_or_ambiguous_json_is_refused() {
    let twice = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","author":"b","timestamp":"2024-02-01T12:00:00Z","version":1,"statements":[]}"#;
    let e = err(Document::from_json(twice));
    assert!(e.contains("duplicate key \"author\""), "{e}");
    let e = err(Document::from_json(b"{\"@context\": "));
    assert!(e.starts_with("malformed JSON in OpenVEX document"), "{e}");
    // Control: the same without the repeat is read as far as the rules.
    let once = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"b","timestamp":"2024-02-01T12:00:00Z","version":1,"statements":[]}"#;
    assert!(err(Document::from_json(once)).contains("statements: is empty"));
}

#[test]
fn no_input_makes_the_reader_panic_or_accept_an_invalid_document() {
    // Replace every field of the base document, at every depth, by
    // values of every JSON type: each result is a valid document that
    // reads back equal, or an error about the OpenVEX document.
    fn paths(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                let path = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(path.clone());
                paths(v, path, out);
            }),
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
                let path = format!("{at}/{i}");
                out.push(path.clone());
                paths(v, path, out);
            }),
            _ => {}
        }
    }
    let mut all = Vec::new();
    paths(&base(), String::new(), &mut all);
    assert!(all.len() >= 40, "every field of the base: {}", all.len());
    let replacements = [
        json!(null),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(""),
        json!("x"),
        json!(true),
        json!([]),
        json!([null]),
        json!({}),
    ];
    let (mut accepted, mut refused) = (0, 0);
    for path in &all {
        for replacement in &replacements {
            let mut value = base();
            if let Some(slot) = value.pointer_mut(path) {
                *slot = replacement.clone();
            }
            match Document::from_predicate(&value) {
                Ok(doc) => {
                    accepted += 1;
                    assert_eq!(Document::from_json(&doc.to_json()).unwrap(), doc, "{path}");
                }
                Err(e) => {
                    refused += 1;
                    assert!(
                        e.to_string().starts_with("invalid OpenVEX document: "),
                        "{path}: {e}"
                    );
                }
            }
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
}

#[test]
fn both_predicate_types_are_openvex() {
    assert!(is_predicate_type("https://openvex.dev/ns/v0.2.0"));
    assert!(is_predicate_type("https://openvex.dev/ns"));
    assert!(!is_predicate_type("https://openvex.dev/ns/"));
    assert!(!is_predicate_type("https://cyclonedx.org/bom/v1.6"));
    let predicate: Value = serde_json::from_str(SPEC_MINIMAL).unwrap();
    assert_eq!(
        Document::from_predicate(&predicate).unwrap(),
        Document::from_json(SPEC_MINIMAL.as_bytes()).unwrap()
    );
}
