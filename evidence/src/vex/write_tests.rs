//! Writing OpenVEX documents: the fields, the derived id, and the rules a
//! built document obeys.

use serde_json::{json, Value};

use crate::vex::tests::{err, ts};
use crate::vex::{Document, Justification, Product, Statement, Status};

fn statement(vulnerability: &str, status: Status) -> Statement {
    Statement {
        vulnerability: vulnerability.into(),
        aliases: Vec::new(),
        products: vec![Product {
            id: "pkg:oci/shop@sha256%3A2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
                .into(),
            subcomponents: Vec::new(),
        }],
        status,
        justification: None,
        impact_statement: None,
        action_statement: None,
        status_notes: None,
        timestamp: ts("2024-05-06T07:08:00Z"),
    }
}

fn statements() -> Vec<Statement> {
    let mut not_affected = statement("CVE-2020-26235", Status::NotAffected);
    not_affected.aliases = vec!["RUSTSEC-2020-0071".into(), "GHSA-wcg3-cvx6-7396".into()];
    not_affected.products[0].subcomponents = vec!["pkg:cargo/time@0.1.43".into()];
    not_affected.justification = Some(Justification::VulnerableCodeNotInExecutePath);
    not_affected.impact_statement = Some("localtime_r is never called".into());
    let mut affected = statement("CVE-2022-25883", Status::Affected);
    affected.action_statement = Some("upgrade semver to 7.5.2".into());
    affected.timestamp = ts("2024-05-01T00:00:00.5Z");
    let fixed = statement("GHSA-c2qf-rxjj-qqgw", Status::Fixed);
    let mut triage = statement("CVE-2024-24576", Status::UnderInvestigation);
    triage.status_notes = Some("checking whether Command is used on Windows".into());
    vec![not_affected, affected, fixed, triage]
}

#[test]
fn a_built_document_writes_the_spec_fields_and_reads_back_equal() {
    let doc = Document::new(
        "Security <sec@example.com>".into(),
        ts("2024-05-06T07:08:00Z"),
        statements(),
    )
    .unwrap();
    let bytes = doc.to_json();
    assert_eq!(Document::from_json(&bytes).unwrap(), doc);
    assert!(bytes.ends_with(b"}\n"));

    let json: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json, doc.to_value());
    assert_eq!(json["@context"], "https://openvex.dev/ns/v0.2.0");
    assert_eq!(json["@id"], doc.id.as_str());
    assert_eq!(json["author"], "Security <sec@example.com>");
    assert_eq!(json["timestamp"], "2024-05-06T07:08:00Z", "seconds kept");
    assert_eq!(json["version"], 1);
    for absent in ["role", "last_updated", "tooling"] {
        assert!(json.get(absent).is_none(), "{absent} omitted: {json}");
    }
    let s0 = &json["statements"][0];
    assert_eq!(
        s0["vulnerability"],
        json!({"name": "CVE-2020-26235", "aliases": ["RUSTSEC-2020-0071", "GHSA-wcg3-cvx6-7396"]})
    );
    assert_eq!(
        s0["products"][0]["subcomponents"],
        json!([{"@id": "pkg:cargo/time@0.1.43"}])
    );
    assert!(s0["products"][0]["@id"]
        .as_str()
        .unwrap()
        .starts_with("pkg:oci/shop@"));
    assert_eq!(s0["status"], "not_affected");
    assert_eq!(s0["justification"], "vulnerable_code_not_in_execute_path");
    assert_eq!(s0["impact_statement"], "localtime_r is never called");
    assert!(s0.get("timestamp").is_none(), "inherited, so not repeated");
    let s1 = &json["statements"][1];
    assert_eq!(s1["timestamp"], "2024-05-01T00:00:00.5Z");
    assert_eq!(s1["action_statement"], "upgrade semver to 7.5.2");
    assert!(s1.get("justification").is_none() && s1.get("impact_statement").is_none());
    assert!(json["statements"][2]["vulnerability"]
        .get("aliases")
        .is_none());
    assert!(json["statements"][2]["products"][0]
        .get("subcomponents")
        .is_none());
    assert_eq!(json["statements"][3]["status"], "under_investigation");

    // The spec's field order, @context first.
    let text = String::from_utf8(bytes).unwrap();
    let order: Vec<usize> = [
        "\"@context\"",
        "\"@id\"",
        "\"author\"",
        "\"timestamp\"",
        "\"version\"",
        "\"statements\"",
    ]
    .iter()
    .map(|key| text.find(key).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn the_derived_id_is_a_hash_of_the_content() {
    let doc = Document::new(
        "sec@example.com".into(),
        ts("2024-05-06T07:08:00Z"),
        statements(),
    )
    .unwrap();
    let hex = doc.id.strip_prefix("https://vouch.dev/vex/").unwrap();
    assert!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{hex}"
    );
    assert_eq!(doc.derive_id(), doc.id, "the id does not hash itself");
    let again = Document::new(
        "sec@example.com".into(),
        ts("2024-05-06T07:08:00Z"),
        statements(),
    )
    .unwrap();
    assert_eq!(again.id, doc.id);
    // Control: any change of content changes it.
    let mut changed = statements();
    changed[2].status_notes = Some("shipped in 1.4.1".into());
    let other = Document::new(
        "sec@example.com".into(),
        ts("2024-05-06T07:08:00Z"),
        changed,
    )
    .unwrap();
    assert_ne!(other.id, doc.id);
    let later = Document::new(
        "sec@example.com".into(),
        ts("2024-05-06T07:08:01Z"),
        statements(),
    )
    .unwrap();
    assert_ne!(later.id, doc.id);
}

#[test]
fn new_validates_as_parsing_does() {
    let mut unjustified = statements();
    unjustified[0].justification = None;
    unjustified[0].impact_statement = Some("   ".into());
    let e = err(Document::new(
        "sec@example.com".into(),
        ts("2024-05-06T07:08:00Z"),
        unjustified,
    ));
    assert_eq!(
        e,
        "invalid OpenVEX document: statements[0]: status not_affected needs a \
         justification or an impact_statement"
    );
    let mut no_action = statements();
    no_action[1].action_statement = None;
    let e = err(Document::new(
        "sec@example.com".into(),
        ts("2024-05-06T07:08:00Z"),
        no_action,
    ));
    assert_eq!(
        e,
        "invalid OpenVEX document: statements[1]: status affected needs an action_statement"
    );
    let mut misplaced = statements();
    misplaced[2].justification = Some(Justification::ComponentNotPresent);
    let e = err(Document::new(
        "sec@example.com".into(),
        ts("2024-05-06T07:08:00Z"),
        misplaced,
    ));
    assert!(e.contains("statements[2]: justification component_not_present is only allowed with status not_affected, not fixed"), "{e}");
    let e = err(Document::new(
        "sec@example.com".into(),
        ts("2024-05-06T07:08:00Z"),
        vec![],
    ));
    assert!(e.contains("statements: is empty"), "{e}");
    let e = err(Document::new(
        " ".into(),
        ts("2024-05-06T07:08:00Z"),
        statements(),
    ));
    assert_eq!(e, "invalid OpenVEX document: author: is empty");
    // Blank text is dropped, not written.
    let mut blank = statements();
    blank[3].status_notes = Some(String::new());
    let doc = Document::new("sec@example.com".into(), ts("2024-05-06T07:08:00Z"), blank).unwrap();
    assert_eq!(doc.statements[3].status_notes, None);
}
