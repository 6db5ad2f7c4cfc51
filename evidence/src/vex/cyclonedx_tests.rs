//! Reading the VEX of CycloneDX BOMs: the mapping onto OpenVEX terms, and
//! every way a BOM's VEX can be wrong.

use serde_json::{json, Value};

use super::*;
use crate::vex::tests::{err, ts};
use crate::vex::{Document, Justification, Product, Status};

/// The product a CycloneDX VEX in these tests is about.
const SUBJECT: &str = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

/// A CycloneDX 1.6 VEX BOM as a supplier would publish it: the image and
/// its components with bom-refs (one nested, one without a purl, a
/// service), and one analysed vulnerability per state, plus a finding
/// without analysis and an analysis without a state.
fn cyclonedx() -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 4,
        "metadata": {
            "timestamp": "2024-11-02T10:00:00Z",
            "component": {
                "type": "container",
                "bom-ref": "shop-image",
                "name": "shop",
                "version": "1.4.0",
                "purl": "pkg:oci/shop@sha256%3A2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
            }
        },
        "components": [
            {
                "type": "application",
                "bom-ref": "shop-server",
                "name": "shop-server",
                "purl": "pkg:cargo/shop-server@1.4.0",
                "components": [
                    {"type": "library", "bom-ref": "time-0.1.43", "name": "time", "version": "0.1.43", "purl": "pkg:cargo/time@0.1.43"},
                    {"type": "library", "bom-ref": "libc-0.2.150", "name": "libc", "version": "0.2.150", "purl": "pkg:cargo/libc@0.2.150"}
                ]
            },
            {"type": "library", "bom-ref": "semver-7.5.1", "name": "semver", "version": "7.5.1", "purl": "pkg:npm/semver@7.5.1"},
            {"type": "library", "bom-ref": "vendored-zlib", "name": "zlib", "version": "1.2.13"}
        ],
        "services": [{"bom-ref": "payments-api", "name": "payments"}],
        "vulnerabilities": [
            {
                "bom-ref": "v-time",
                "id": "CVE-2020-26235",
                "source": {"name": "NVD", "url": "https://nvd.nist.gov/vuln/detail/CVE-2020-26235"},
                "references": [
                    {"id": "RUSTSEC-2020-0071", "source": {"name": "RustSec", "url": "https://rustsec.org/advisories/RUSTSEC-2020-0071"}},
                    {"id": "GHSA-wcg3-cvx6-7396", "source": {"name": "GitHub", "url": "https://github.com/advisories/GHSA-wcg3-cvx6-7396"}}
                ],
                "ratings": [{"severity": "medium", "method": "CVSSv31", "score": 6.2}],
                "published": "2020-11-22T00:00:00Z",
                "analysis": {
                    "state": "not_affected",
                    "justification": "code_not_reachable",
                    "response": ["will_not_fix"],
                    "detail": "shop-server never calls the local-offset functions.",
                    "firstIssued": "2024-10-01T08:00:00Z",
                    "lastUpdated": "2024-10-20T08:00:00Z"
                },
                "affects": [{"ref": "time-0.1.43"}, {"ref": "time-0.1.43", "versions": [{"version": "0.1.43", "status": "affected"}]}]
            },
            {
                "id": "CVE-2023-99001",
                "analysis": {"state": "false_positive", "detail": "The scanner matched the libc crate to glibc."},
                "updated": "2024-09-01T00:00:00+02:00",
                "published": "2024-08-01T00:00:00Z",
                "affects": [{"ref": "libc-0.2.150"}]
            },
            {
                "id": "CVE-2022-25883",
                "published": "2023-06-21T05:15:00Z",
                "analysis": {"state": "resolved"},
                "affects": [{"ref": "semver-7.5.1"}]
            },
            {
                "id": "CVE-2022-37434",
                "analysis": {"state": "resolved_with_pedigree", "justification": "code_not_present"},
                "affects": [{"ref": "vendored-zlib"}]
            },
            {
                "id": "CVE-2024-24576",
                "recommendation": "Upgrade to shop 1.4.1.",
                "workaround": "Do not pass user input to batch files.",
                "analysis": {"state": "exploitable", "response": ["update", "workaround_available"], "lastUpdated": "2024-11-01T12:00:00Z"},
                "affects": [{"ref": "shop-image"}, {"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/3#shop-image"}]
            },
            {
                "id": "CVE-2024-3094",
                "analysis": {"state": "in_triage", "firstIssued": "2024-03-30T00:00:00Z"},
                "affects": [{"ref": "payments-api"}]
            },
            {
                "id": "CVE-2019-10160",
                "ratings": [{"severity": "critical"}],
                "affects": [{"ref": "shop-server"}]
            },
            {
                "id": "CVE-2019-9999",
                "analysis": {"justification": "code_not_present"},
                "affects": [{"ref": "shop-server"}]
            }
        ]
    })
}

#[test]
fn cyclonedx_vex_maps_to_openvex_statements() {
    let statements = from_cyclonedx(&cyclonedx(), SUBJECT).unwrap();
    let ids: Vec<&str> = statements
        .iter()
        .map(|s| s.vulnerability.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "CVE-2020-26235",
            "CVE-2023-99001",
            "CVE-2022-25883",
            "CVE-2022-37434",
            "CVE-2024-24576",
            "CVE-2024-3094"
        ],
        "the finding without analysis and the analysis without state are no statements"
    );
    let product = |ids: &[&str]| {
        vec![Product {
            id: SUBJECT.into(),
            subcomponents: ids.iter().map(|id| id.to_string()).collect(),
        }]
    };

    let time = &statements[0];
    assert_eq!(time.status, Status::NotAffected);
    assert_eq!(
        time.justification,
        Some(Justification::VulnerableCodeNotInExecutePath)
    );
    assert_eq!(time.aliases, ["RUSTSEC-2020-0071", "GHSA-wcg3-cvx6-7396"]);
    assert_eq!(
        time.products,
        product(&["pkg:cargo/time@0.1.43"]),
        "nested ref, once"
    );
    assert_eq!(
        time.impact_statement.as_deref(),
        Some("shop-server never calls the local-offset functions.")
    );
    assert_eq!(
        time.action_statement.as_deref(),
        Some("response: will_not_fix")
    );
    assert_eq!(
        time.status_notes.as_deref(),
        Some("CycloneDX analysis state not_affected, justification code_not_reachable")
    );
    assert_eq!(
        time.timestamp,
        ts("2024-10-20T08:00:00Z"),
        "lastUpdated first"
    );

    let libc = &statements[1];
    assert_eq!(libc.status, Status::NotAffected);
    assert_eq!(libc.justification, None);
    assert_eq!(
        libc.impact_statement.as_deref(),
        Some("The scanner matched the libc crate to glibc.")
    );
    assert_eq!(libc.products, product(&["pkg:cargo/libc@0.2.150"]));
    assert_eq!(
        libc.timestamp,
        ts("2024-08-31T22:00:00Z"),
        "updated before published"
    );

    let semver = &statements[2];
    assert_eq!(semver.status, Status::Fixed);
    assert_eq!(semver.products, product(&["pkg:npm/semver@7.5.1"]));
    assert_eq!(semver.timestamp, ts("2023-06-21T05:15:00Z"), "published");
    assert_eq!(semver.action_statement, None);

    let zlib = &statements[3];
    assert_eq!(zlib.status, Status::Fixed);
    assert_eq!(
        zlib.justification, None,
        "OpenVEX allows one only with not_affected"
    );
    assert_eq!(
        zlib.status_notes.as_deref(),
        Some("CycloneDX analysis state resolved_with_pedigree, justification code_not_present")
    );
    assert_eq!(
        zlib.products,
        product(&["vendored-zlib"]),
        "no purl: the ref itself"
    );
    assert_eq!(
        zlib.timestamp,
        ts("2024-11-02T10:00:00Z"),
        "metadata.timestamp"
    );

    let exploitable = &statements[4];
    assert_eq!(exploitable.status, Status::Affected);
    assert_eq!(
        exploitable.action_statement.as_deref(),
        Some(
            "response: update, workaround_available; recommendation: Upgrade to shop 1.4.1.; \
             workaround: Do not pass user input to batch files."
        )
    );
    assert_eq!(
        exploitable.products,
        product(&[
            "pkg:oci/shop@sha256%3A2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/3#shop-image",
        ]),
        "metadata.component resolved; a BOM-Link kept as it is"
    );

    let triage = &statements[5];
    assert_eq!(triage.status, Status::UnderInvestigation);
    assert_eq!(
        triage.products,
        product(&["payments-api"]),
        "a service has no purl"
    );
    assert_eq!(triage.timestamp, ts("2024-03-30T00:00:00Z"), "firstIssued");

    // Such statements make an OpenVEX document as they are.
    let doc = Document::new(
        "sec@example.com".into(),
        ts("2024-11-02T10:00:00Z"),
        statements,
    )
    .unwrap();
    assert_eq!(Document::from_json(&doc.to_json()).unwrap(), doc);

    // A BOM without vulnerabilities has no statements.
    let mut sbom = cyclonedx();
    sbom.as_object_mut().unwrap().remove("vulnerabilities");
    assert_eq!(from_cyclonedx(&sbom, SUBJECT).unwrap(), []);
}

#[test]
fn every_cyclonedx_justification_has_its_openvex_counterpart() {
    use Justification::*;
    for (cyclonedx_label, expected) in [
        ("code_not_present", VulnerableCodeNotPresent),
        ("code_not_reachable", VulnerableCodeNotInExecutePath),
        (
            "requires_configuration",
            VulnerableCodeCannotBeControlledByAdversary,
        ),
        (
            "requires_dependency",
            VulnerableCodeCannotBeControlledByAdversary,
        ),
        (
            "requires_environment",
            VulnerableCodeCannotBeControlledByAdversary,
        ),
        ("protected_by_compiler", InlineMitigationsAlreadyExist),
        ("protected_at_runtime", InlineMitigationsAlreadyExist),
        ("protected_at_perimeter", InlineMitigationsAlreadyExist),
        (
            "protected_by_mitigating_control",
            InlineMitigationsAlreadyExist,
        ),
    ] {
        let mut bom = cyclonedx();
        bom["vulnerabilities"][0]["analysis"]["justification"] = json!(cyclonedx_label);
        let statements = from_cyclonedx(&bom, SUBJECT).unwrap();
        assert_eq!(
            statements[0].justification,
            Some(expected),
            "{cyclonedx_label}"
        );
    }
}

#[test]
fn bad_cyclonedx_vex_is_refused_naming_the_field() {
    type Edit = fn(&mut Value);
    let cases: &[(Edit, &str)] = &[
        (
            |v| {
                let a = v["vulnerabilities"][0]["analysis"].as_object_mut().unwrap();
                a.remove("justification");
                a.remove("detail");
            },
            "vulnerabilities[0]: analysis state not_affected needs a justification or a detail",
        ),
        (
            |v| v["vulnerabilities"][1]["analysis"]["detail"] = json!(" "),
            "vulnerabilities[1]: analysis state false_positive needs a justification or a detail",
        ),
        (
            |v| v["vulnerabilities"][2]["analysis"]["state"] = json!("wont_fix"),
            "vulnerabilities[2].analysis.state: unknown analysis state \"wont_fix\" (expected \
             one of: not_affected, false_positive, resolved, resolved_with_pedigree, \
             exploitable, in_triage)",
        ),
        (
            |v| v["vulnerabilities"][0]["analysis"]["justification"] = json!("vulnerable_code_not_present"),
            "vulnerabilities[0].analysis.justification: unknown justification \
             \"vulnerable_code_not_present\" (expected one of: code_not_present, \
             code_not_reachable, requires_configuration, requires_dependency, \
             requires_environment, protected_by_compiler, protected_at_runtime, \
             protected_at_perimeter, protected_by_mitigating_control)",
        ),
        (
            |v| v["vulnerabilities"][4]["analysis"]["response"] = json!(["update", "ignore"]),
            "vulnerabilities[4].analysis.response[1]: unknown response \"ignore\"",
        ),
        (
            |v| {
                v["metadata"].as_object_mut().unwrap().remove("timestamp");
            },
            "vulnerabilities[3]: has no timestamp: none of analysis.lastUpdated, \
             analysis.firstIssued, updated, published or metadata.timestamp is set",
        ),
        (
            |v| v["vulnerabilities"][0]["analysis"]["lastUpdated"] = json!("last week"),
            "vulnerabilities[0].analysis.lastUpdated: \"last week\" is not an RFC 3339 date-time",
        ),
        (
            |v| v["metadata"]["timestamp"] = json!("2024-11-02"),
            "metadata.timestamp: \"2024-11-02\" is not an RFC 3339 date-time",
        ),
        (
            |v| {
                v["vulnerabilities"][2].as_object_mut().unwrap().remove("id");
            },
            "vulnerabilities[2].id: is missing or empty",
        ),
        (
            |v| {
                v["vulnerabilities"][2].as_object_mut().unwrap().remove("affects");
            },
            "vulnerabilities[2].affects: is missing or empty: a VEX statement needs a product",
        ),
        (
            |v| v["vulnerabilities"][2]["affects"] = json!([{"versions": []}]),
            "vulnerabilities[2].affects[0].ref: is missing",
        ),
        (
            |v| v["vulnerabilities"][0]["references"] = json!([{"source": {"name": "NVD"}}]),
            "vulnerabilities[0].references[0].id: is missing",
        ),
        (
            |v| v["vulnerabilities"][3]["analysis"] = json!("resolved"),
            "vulnerabilities[3].analysis: invalid type: string \"resolved\", expected a JSON object",
        ),
        (|v| v["vulnerabilities"] = json!({}), "vulnerabilities: invalid type: map, expected a sequence"),
        (|v| v["bomFormat"] = json!("SPDX"), "bomFormat: is \"SPDX\", expected \"CycloneDX\""),
        (
            |v| v["specVersion"] = json!("1.3"),
            "specVersion: is \"1.3\": VEX needs CycloneDX 1.4 or later",
        ),
        (
            |v| v["specVersion"] = json!("2"),
            "specVersion: is \"2\": VEX needs CycloneDX 1.4 or later",
        ),
        (|v| *v = json!("bom"), "invalid CycloneDX VEX: invalid type: string \"bom\", expected a JSON object"),
    ];
    from_cyclonedx(&cyclonedx(), SUBJECT).unwrap();
    for (i, (edit, expected)) in cases.iter().enumerate() {
        let mut bom = cyclonedx();
        edit(&mut bom);
        let e = err(from_cyclonedx(&bom, SUBJECT));
        assert!(e.starts_with("invalid CycloneDX VEX: "), "case {i}: {e}");
        assert!(
            e.contains(expected),
            "case {i}: expected {expected:?} in {e:?}"
        );
    }
    // Control: 1.4 and 1.5 BOMs carry VEX too, and a later 1.x is read.
    for version in ["1.4", "1.5", "1.7"] {
        let mut bom = cyclonedx();
        bom["specVersion"] = json!(version);
        assert_eq!(from_cyclonedx(&bom, SUBJECT).unwrap().len(), 6, "{version}");
    }
}
