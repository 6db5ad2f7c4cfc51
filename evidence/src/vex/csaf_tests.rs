//! CSAF VEX: the specification's own VEX examples, a real Red Hat and a
//! real SUSE file (testdata/csaf/SOURCE.md), and authored documents for
//! each rule.

use serde_json::{json, Value};

use super::*;
use crate::vex::tests::{err, ts};

/// A committed test document.
fn testdata(path: &str) -> Vec<u8> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/csaf/");
    std::fs::read(format!("{root}{path}")).unwrap()
}

fn statuses(csaf: &Csaf) -> Vec<Status> {
    csaf.statements.iter().map(|s| s.status).collect()
}

#[test]
fn reads_every_vex_example_of_the_csaf_2_0_specification() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/csaf/spec");
    let mut read = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let csaf = Csaf::from_json(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // The specification's examples meet its §6.1.27.9.
            assert_eq!(csaf.unjustified, 0, "{}", path.display());
            assert!(!csaf.statements.is_empty(), "{}", path.display());
            read += 1;
        }
    }
    assert_eq!(read, 13);
}

#[test]
fn the_specification_examples_map_onto_the_four_openvex_statuses() {
    let na = Csaf::from_json(&testdata("spec/2022-evd-uc-01-na-001.json")).unwrap();
    assert_eq!(na.id, "2022-EVD-UC-01-NA-001");
    assert_eq!(na.timestamp, ts("2022-03-03T11:00:00Z"));
    assert_eq!(na.statements.len(), 1);
    let s = &na.statements[0];
    assert_eq!(s.vulnerability, "CVE-2021-44228");
    assert_eq!(s.status, Status::NotAffected);
    assert_eq!(s.justification, None);
    assert_eq!(
        s.impact_statement.as_deref(),
        Some("Class with vulnerable code was removed before shipping.")
    );
    assert_eq!(s.timestamp, na.timestamp);
    // No purl or CPE: kept, under a name that is no purl.
    assert_eq!(s.products[0].id, "csaf:product_id:CSAFPID-0001");

    for (file, status) in [
        ("spec/2022-evd-uc-01-a-001.json", Status::Affected),
        ("spec/2022-evd-uc-01-f-001.json", Status::Fixed),
        (
            "spec/2022-evd-uc-01-ui-001.json",
            Status::UnderInvestigation,
        ),
    ] {
        let csaf = Csaf::from_json(&testdata(file)).unwrap();
        assert_eq!(statuses(&csaf), vec![status], "{file}");
    }
    let affected = Csaf::from_json(&testdata("spec/2022-evd-uc-01-a-001.json")).unwrap();
    let action = affected.statements[0].action_statement.as_deref().unwrap();
    assert!(action.starts_with("vendor_fix: "), "{action}");

    // Flags are the justifications.
    let flags = Csaf::from_json(&testdata("spec/sec-vex-2022-0001.json")).unwrap();
    assert!(!flags.statements.is_empty());
    assert!(flags
        .statements
        .iter()
        .all(|s| s.status == Status::NotAffected
            && s.justification == Some(Justification::ComponentNotPresent)));

    // `recommended` is no statement.
    let recommended = Csaf::from_json(&testdata("spec/2022-evd-uc-08-001.json")).unwrap();
    assert!(!recommended.statements.is_empty());
}

#[test]
fn reads_red_hats_vex_relationships_as_components_of_their_platform() {
    let csaf = Csaf::from_json(&testdata("redhat/cve-2025-29087.json")).unwrap();
    assert_eq!(csaf.id, "CVE-2025-29087");
    assert_eq!(csaf.publisher, "Red Hat Product Security");
    assert_eq!(csaf.timestamp, ts("2025-09-25T05:58:19Z"));
    assert_eq!(csaf.unjustified, 0);
    let count = |status| {
        csaf.statements
            .iter()
            .filter(|s| s.status == status)
            .count()
    };
    assert_eq!(count(Status::NotAffected), 16);
    assert_eq!(count(Status::Affected), 69);
    assert_eq!(csaf.statements.len(), 85);

    let lemon = csaf
        .statements
        .iter()
        .find(|s| s.products[0].subcomponents == ["pkg:rpm/redhat/lemon"])
        .unwrap();
    assert_eq!(lemon.products[0].id, "cpe:/o:redhat:enterprise_linux:8");
    assert_eq!(lemon.status, Status::NotAffected);
    assert_eq!(lemon.vulnerability, "CVE-2025-29087");
    assert_eq!(lemon.aliases, ["2358028"]);
    assert_eq!(
        lemon.justification,
        Some(Justification::VulnerableCodeNotPresent)
    );
    assert_eq!(lemon.impact_statement.as_deref(), Some("Moderate"));

    let libs = csaf
        .statements
        .iter()
        .find(|s| {
            s.products[0].id == "cpe:/o:redhat:enterprise_linux:10"
                && s.products[0].subcomponents == ["pkg:rpm/redhat/sqlite-libs"]
        })
        .unwrap();
    assert_eq!(libs.status, Status::Affected);
    let action = libs.action_statement.as_deref().unwrap();
    assert!(
        action.starts_with("workaround: Mitigation for this issue"),
        "{action}"
    );
    assert!(
        action.ends_with("; none_available: Fix deferred"),
        "{action}"
    );
}

#[test]
fn suses_not_affected_products_without_a_flag_or_impact_answer_nothing() {
    // SUSE's file names no product in its one impact threat and has no
    // flags: CSAF §6.1.27.9 fails for every known_not_affected product.
    let csaf = Csaf::from_json(&testdata("suse/cve-2014-0160.json")).unwrap();
    assert_eq!(csaf.id, "CVE-2014-0160");
    assert_eq!(csaf.publisher, "SUSE Product Security Team");
    assert_eq!(csaf.namespace.as_deref(), Some("https://www.suse.com/"));
    assert_eq!(csaf.unjustified, 492);
    // The rest is `recommended`, which is no statement.
    assert!(csaf.statements.is_empty());
}

/// A small csaf_vex document with a purl product `rpm`, a platform `os`
/// (CPE) and their relationship `os:rpm`, in a group `g`.
fn authored() -> Value {
    json!({
        "document": {
            "category": "csaf_vex",
            "csaf_version": "2.0",
            "publisher": {"category": "vendor", "name": "Vendor PSIRT", "namespace": "https://vendor.example"},
            "title": "t",
            "tracking": {
                "id": "VEX-1", "status": "final", "version": "2",
                "initial_release_date": "2024-01-01T00:00:00Z",
                "current_release_date": "2024-02-01T00:00:00Z",
                "revision_history": []
            }
        },
        "product_tree": {
            "branches": [{"category": "vendor", "name": "Vendor", "branches": [
                {"category": "product_name", "name": "OS", "product": {
                    "name": "OS 9", "product_id": "os",
                    "product_identification_helper": {"cpe": "cpe:/o:vendor:os:9"}}},
                {"category": "product_version", "name": "openssl", "product": {
                    "name": "openssl", "product_id": "rpm",
                    "product_identification_helper": {"purl": "pkg:rpm/vendor/openssl@3.0.7-27.el9?arch=x86_64"}}}
            ]}],
            "relationships": [{
                "category": "default_component_of",
                "full_product_name": {"name": "openssl on OS 9", "product_id": "os:rpm"},
                "product_reference": "rpm",
                "relates_to_product_reference": "os"
            }],
            "product_groups": [{"group_id": "g", "product_ids": ["os:rpm"]}]
        },
        "vulnerabilities": [{
            "cve": "CVE-2024-0001",
            "ids": [{"system_name": "tracker", "text": "BUG-1"}],
            "product_status": {"known_not_affected": ["os:rpm"]},
            "flags": [{"label": "vulnerable_code_not_in_execute_path", "group_ids": ["g"]}],
            "threats": [{"category": "exploit_status", "details": "none known", "product_ids": ["os:rpm"]}]
        }]
    })
}

fn parse(value: &Value) -> Result<Csaf> {
    Csaf::from_json(&serde_json::to_vec(value).unwrap())
}

#[test]
fn flags_by_group_exploit_status_and_the_platform_of_a_relationship() {
    let csaf = parse(&authored()).unwrap();
    assert_eq!(csaf.statements.len(), 1);
    let s = &csaf.statements[0];
    assert_eq!(
        s.products,
        [Product {
            id: "cpe:/o:vendor:os:9".into(),
            subcomponents: vec!["pkg:rpm/vendor/openssl@3.0.7-27.el9?arch=x86_64".into()],
        }]
    );
    assert_eq!(
        s.justification,
        Some(Justification::VulnerableCodeNotInExecutePath)
    );
    assert_eq!(
        s.status_notes.as_deref(),
        Some("exploit status: none known")
    );
    assert_eq!(s.aliases, ["BUG-1"]);
    assert_eq!(s.timestamp, ts("2024-02-01T00:00:00Z"));
}

#[test]
fn every_status_list_maps_and_a_relationship_with_its_own_purl_is_that_purl() {
    let mut doc = authored();
    doc["product_tree"]["relationships"][0]["full_product_name"]["product_identification_helper"] =
        json!({"purl": "pkg:rpm/vendor/openssl@3.0.7-27.el9?arch=x86_64&distro=os-9"});
    doc["vulnerabilities"][0]["product_status"] = json!({
        "first_fixed": ["os:rpm"], "fixed": ["rpm"], "first_affected": ["rpm"],
        "last_affected": ["rpm"], "known_affected": ["rpm"], "under_investigation": ["os"],
        "recommended": ["rpm"]
    });
    let csaf = parse(&doc).unwrap();
    assert_eq!(
        statuses(&csaf),
        [
            Status::Fixed,
            Status::Fixed,
            Status::Affected,
            Status::Affected,
            Status::Affected,
            Status::UnderInvestigation
        ]
    );
    assert_eq!(
        csaf.statements[1].products[0].id,
        "pkg:rpm/vendor/openssl@3.0.7-27.el9?arch=x86_64&distro=os-9"
    );
    assert!(csaf.statements[1].products[0].subcomponents.is_empty());
    // An affected product with no remediation has no action statement.
    assert_eq!(csaf.statements[2].action_statement, None);
}

#[test]
fn a_not_affected_product_without_a_flag_or_impact_is_counted_not_kept() {
    let mut doc = authored();
    doc["vulnerabilities"][0]["flags"] = json!([]);
    let csaf = parse(&doc).unwrap();
    assert!(csaf.statements.is_empty());
    assert_eq!(csaf.unjustified, 1);
    // A threat of another category is no impact statement either.
    doc["vulnerabilities"][0]["threats"] =
        json!([{"category": "target_set", "details": "x", "product_ids": ["os:rpm"]}]);
    assert_eq!(parse(&doc).unwrap().unjustified, 1);
    doc["vulnerabilities"][0]["threats"] = json!([{"category": "impact", "details": "only in debug builds", "product_ids": ["os:rpm"]}]);
    let csaf = parse(&doc).unwrap();
    assert_eq!(csaf.unjustified, 0);
    assert_eq!(
        csaf.statements[0].impact_statement.as_deref(),
        Some("only in debug builds")
    );
}

/// A change to [`authored`].
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn refuses_other_categories_versions_and_broken_references() {
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|d| d["document"]["category"] = json!("csaf_security_advisory")),
            "invalid CSAF VEX document: document.category: is \"csaf_security_advisory\": \
             vouch reads VEX answers only from csaf_vex documents",
        ),
        (
            Box::new(|d| d["document"]["csaf_version"] = json!("2.1")),
            "document.csaf_version: is \"2.1\", expected \"2.0\"",
        ),
        (
            Box::new(|d| {
                d["document"]["tracking"].as_object_mut().unwrap().remove("current_release_date");
            }),
            "document.tracking.current_release_date: is missing",
        ),
        (
            Box::new(|d| d["vulnerabilities"][0]["product_status"]["fixed"] = json!(["nope"])),
            "vulnerabilities[0].product_status.fixed[0]: \"nope\" is no product of the product tree",
        ),
        (
            Box::new(|d| d["vulnerabilities"][0]["flags"][0]["group_ids"] = json!(["h"])),
            "vulnerabilities[0].flags[0].group_ids[0]: \"h\" is no product group",
        ),
        (
            Box::new(|d| d["vulnerabilities"][0]["flags"][0]["label"] = json!("wont_fix")),
            "unknown justification \"wont_fix\"",
        ),
        (
            Box::new(|d| d["vulnerabilities"][0]["remediations"] = json!([{"category": "patch"}])),
            "unknown remediation category \"patch\"",
        ),
        (
            Box::new(|d| d["product_tree"]["relationships"][0]["category"] = json!("part_of")),
            "unknown relationship \"part_of\"",
        ),
        (
            Box::new(|d| d["product_tree"]["relationships"][0]["product_reference"] = json!("x")),
            "refers to \"x\", which is no product of the product tree",
        ),
        (
            Box::new(|d| {
                let v = &mut d["vulnerabilities"][0];
                v.as_object_mut().unwrap().remove("cve");
                v["ids"] = json!([]);
            }),
            "vulnerabilities[0]: has neither a cve nor ids",
        ),
        (
            Box::new(|d| d["product_tree"]["full_product_names"] = json!([{"name": "again", "product_id": "os"}])),
            "product_tree.full_product_names[0].product_id: \"os\" is defined twice",
        ),
        (
            Box::new(|d| d["vulnerabilities"][0]["threats"] = json!({"category": "impact"})),
            "vulnerabilities[0].threats",
        ),
    ];
    for (change, expected) in cases {
        let mut doc = authored();
        change(&mut doc);
        let e = err(parse(&doc));
        assert!(e.contains(expected), "{e}\nexpected: {expected}");
    }
}

#[test]
fn refuses_a_repeated_key_and_branches_nested_past_the_cap() {
    let e = err(Csaf::from_json(
        br#"{"document": {"category": "csaf_vex", "category": "csaf_base"}}"#,
    ));
    assert!(e.contains("CSAF VEX document"), "{e}");

    let mut branch = json!({"category": "product_name", "name": "leaf"});
    for _ in 0..MAX_BRANCH_DEPTH {
        branch = json!({"category": "vendor", "name": "v", "branches": [branch]});
    }
    let mut doc = authored();
    doc["product_tree"]["branches"] = json!([branch]);
    let e = err(parse(&doc));
    assert!(
        e.contains(&format!("branches nest deeper than {MAX_BRANCH_DEPTH}")),
        "{e}"
    );
}
