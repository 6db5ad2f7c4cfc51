//! Parsing, building and validation of ImagePolicy documents, from text
//! and the bytes of what they name (the loader's own tests read files).

use super::*;

const KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ805D3eqNZywjCI19lInBJOp7YMr
CrzAH3CVTAOQ0jgMeCvVTiaRJaRPRDOv8UMs6U4SvKc6pnrIDOoSYI3fdA==
-----END PUBLIC KEY-----
";

/// The shape of issue 5 §1, exactly as written (with a real Rego body).
const ISSUE_SHAPE: &str = r#"apiVersion: vouch.dev/v1alpha1
kind: ImagePolicy
metadata: {name: production}
spec:
  mode: enforce
  images: [{glob: "registry.example.com/team/**"}]
  authorities:
    - name: ci
      key: {path: keys/ci.pub}
    - name: release
      keyless:
        identities: [{issuer: "https://token.actions.githubusercontent.com", subjectRegExp: "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v.*"}]
  attestations:
    - name: provenance
      predicateType: https://slsa.dev/provenance/v1
      authorities: [ci]
      rego: |
        package vouch
        deny contains msg if {
          some dep in input.buildDefinition.resolvedDependencies
          dep.annotations.match == "mismatch"
          msg := sprintf("%s mismatched", [dep.name])
        }
  vendoredInputs: {requireMatch: true}
"#;

/// Where the test policies say they are; nothing is read there.
const DIR: &str = "/policies";

/// `name` beside the test policies.
fn beside(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

/// What a loader would have read beside the policies: `keys/ci.pub`.
fn resolved() -> Resolved {
    let mut resolved = Resolved::new(None);
    resolved.insert_file(beside("keys/ci.pub"), Ok(KEY_PEM.into()));
    resolved
}

/// The policy set of `files` (name, YAML), side by side in that order,
/// with `resolved` for what they name.
fn build_files(files: &[(&str, &str)], resolved: &Resolved) -> Result<PolicySet> {
    let parsed = files
        .iter()
        .map(|(name, yaml)| parse(&beside(name), yaml.as_bytes().to_vec()))
        .collect();
    build(Path::new(DIR), parsed, resolved)
}

/// The policy set of `yaml` as `policy.yaml`, with `keys/ci.pub` beside it.
fn load_yaml(yaml: &str) -> Result<PolicySet> {
    build_files(&[("policy.yaml", yaml)], &resolved())
}

/// The error message of loading `yaml`, which must fail.
fn refused(yaml: &str) -> String {
    match load_yaml(yaml) {
        Ok(_) => panic!("loaded an invalid policy:\n{yaml}"),
        Err(e) => e.to_string(),
    }
}

/// The issue shape with `from` replaced by `to` (which must occur).
fn edited(from: &str, to: &str) -> String {
    assert!(ISSUE_SHAPE.contains(from), "{from}");
    ISSUE_SHAPE.replacen(from, to, 1)
}

#[test]
fn the_issue_shape_loads_as_written() {
    let set = load_yaml(ISSUE_SHAPE).unwrap();
    assert_eq!(set.policies.len(), 1);
    let p = &set.policies[0];
    assert_eq!(p.name, "production");
    assert_eq!(p.mode, Mode::Enforce);
    assert_eq!(p.authorities.len(), 2);
    let AuthorityKind::Key(key) = &p.authority("ci").unwrap().kind else {
        panic!("ci is not a key authority")
    };
    assert!(key.path.as_ref().unwrap().ends_with("keys/ci.pub"));
    let AuthorityKind::Keyless(keyless) = &p.authority("release").unwrap().kind else {
        panic!("release is not keyless")
    };
    assert!(keyless.trusted_root.is_none());
    let ids = &keyless.identities;
    assert!(ids
        .find(
            "https://token.actions.githubusercontent.com",
            "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0"
        )
        .is_some());
    assert!(ids
        .find(
            "https://token.actions.githubusercontent.com",
            "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/evil"
        )
        .is_none());
    let att = &p.attestations[0];
    assert_eq!(att.predicate_type, "https://slsa.dev/provenance/v1");
    assert_eq!(att.signers.authorities, ["ci"]);
    assert_eq!(att.signers.threshold.get(), 1);
    // Attestations present and no `signatures`: no image signature required.
    assert!(p.signatures.is_none());
    assert!(p.vendored_inputs.as_ref().unwrap().require_match);
    assert!(p.max_age.is_none());
    // `policy check` shows what it requires.
    let shown = p.to_string();
    assert!(shown.contains("requires attestation provenance"), "{shown}");
    assert!(shown.contains("with a Rego condition"), "{shown}");
}

#[test]
fn rego_condition_allows_and_denies_a_slsa_predicate() {
    let set = load_yaml(ISSUE_SHAPE).unwrap();
    let att = &set.policies[0].attestations[0];
    let predicate = |m: &str| {
        serde_json::json!({
            "buildDefinition": {
                "buildType": "https://vouch.dev/attest/vendored-inputs/v1",
                "externalParameters": {},
                "resolvedDependencies": [
                    {"name": "zlib", "annotations": {"match": m}},
                    {"name": "serde", "annotations": {"match": "match"}}
                ]
            },
            "runDetails": {"builder": {"id": "https://vouch.dev/builders/local"}}
        })
    };
    assert!(att.evaluate_rego(&predicate("match")).unwrap().is_empty());
    assert_eq!(
        att.evaluate_rego(&predicate("mismatch")).unwrap(),
        ["zlib mismatched"]
    );
}

#[test]
fn malformed_yaml_names_the_file_and_line() {
    // Bad input 14.
    let err = refused(&edited("  mode: enforce\n", "  mode: [enforce\n"));
    assert!(err.contains("invalid policy in "), "{err}");
    assert!(err.contains("policy.yaml"), "{err}");
    assert!(err.contains("line "), "{err}");
    let tabs = refused("apiVersion: vouch.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n\tname: x\n");
    assert!(tabs.contains("line 4"), "{tabs}");
}

#[test]
fn unknown_field_is_refused_with_its_name_and_line() {
    let err = refused(&edited(
        "  mode: enforce\n",
        "  mode: enforce\n  imagez: []\n",
    ));
    assert!(err.contains("unknown field `imagez`"), "{err}");
    assert!(err.contains("line 6:"), "{err}");
    let err = refused(&edited(
        "      authorities: [ci]\n",
        "      authorities: [ci]\n      policy: x\n",
    ));
    assert!(err.contains("unknown field `policy`"), "{err}");
    assert!(err.contains("line "), "{err}");
}

#[test]
fn a_bad_glob_is_refused_with_its_line() {
    // Bad input 8 (glob).
    let err = refused(&edited(
        "registry.example.com/team/**",
        "registry.example.com/team/[z-a]",
    ));
    assert!(err.contains("not a valid glob"), "{err}");
    assert!(err.contains("line 6:"), "{err}");
    assert!(err.contains("spec.images[0].glob"), "{err}");
}

#[test]
fn an_invalid_regexp_is_refused_with_its_line_and_field() {
    // Bad input 8 (regexp).
    let err = refused(&edited("refs/tags/v.*", "refs/tags/v(.*"));
    assert!(err.contains("invalid regular expression"), "{err}");
    assert!(err.contains("line 12:"), "{err}");
    assert!(err.contains("subjectRegExp"), "{err}");
}

#[test]
fn a_threshold_below_one_is_refused() {
    // Bad input 9.
    for bad in ["0", "-1"] {
        let err = refused(&edited(
            "      authorities: [ci]\n",
            &format!("      authorities: [ci]\n      threshold: {bad}\n"),
        ));
        assert!(
            err.contains(&format!("threshold {bad} is out of range")),
            "{err}"
        );
        assert!(err.contains("line 17:"), "{err}");
    }
    let err = refused(&edited(
        "  vendoredInputs",
        "  signatures: {threshold: 0}\n  vendoredInputs",
    ));
    assert!(err.contains("threshold 0"), "{err}");
    // Control: 2 loads.
    let ok = load_yaml(&edited(
        "      authorities: [ci]\n",
        "      authorities: [ci]\n      threshold: 2\n",
    ))
    .unwrap();
    assert_eq!(ok.policies[0].attestations[0].signers.threshold.get(), 2);
}

#[test]
fn an_undefined_authority_is_refused() {
    let err = refused(&edited("authorities: [ci]", "authorities: [ci, nightly]"));
    assert!(
        err.contains("\"nightly\" is not an authority of this policy"),
        "{err}"
    );
    assert!(err.contains("spec.attestations[0] (provenance)"), "{err}");
}

#[test]
fn duplicate_names_are_refused() {
    let err = refused(&edited("    - name: release\n", "    - name: ci\n"));
    assert!(err.contains("authority name \"ci\" is used twice"), "{err}");
    let twice = format!("{ISSUE_SHAPE}---\n{ISSUE_SHAPE}");
    let err = refused(&twice);
    assert!(
        err.contains("policy name \"production\" is used twice"),
        "{err}"
    );
    let att = edited(
        "  vendoredInputs",
        "    - name: provenance\n      predicateType: https://cyclonedx.org/bom/v1.6\n  vendoredInputs",
    );
    assert!(refused(&att).contains("attestation name \"provenance\" is used twice"));
}

#[test]
fn a_rego_syntax_error_is_refused_with_its_line() {
    let err = refused(&edited(
        "          msg := sprintf",
        "          msg := := sprintf",
    ));
    assert!(err.contains("Rego syntax error"), "{err}");
    assert!(err.contains("spec.attestations[0].rego"), "{err}");
    assert!(err.contains("line 17:"), "{err}");
    // regorus's own position inside the condition.
    assert!(err.contains("rego:5:"), "{err}");
}

#[test]
fn an_authority_has_exactly_one_kind() {
    let err = refused(&edited(
        "      key: {path: keys/ci.pub}\n",
        "      key: {path: keys/ci.pub}\n      static: pass\n",
    ));
    assert!(
        err.contains("exactly one of `key`, `keyless` or `static`"),
        "{err}"
    );
    let err = refused(&edited("      key: {path: keys/ci.pub}\n", "      {}\n"));
    assert!(
        err.contains("line ") || err.contains("exactly one"),
        "{err}"
    );
    let err = refused(&edited(
        "{path: keys/ci.pub}",
        "{path: keys/ci.pub, data: x}",
    ));
    assert!(err.contains("exactly one of `path` or `data`"), "{err}");
}

#[test]
fn identities_need_one_issuer_and_one_subject() {
    let err = refused(&edited(
        "subjectRegExp: \"https",
        "subject: x, subjectRegExp: \"https",
    ));
    assert!(
        err.contains("exactly one of `subject` or `subjectRegExp`"),
        "{err}"
    );
    let err = refused(&edited(
        "identities: [{issuer: \"https://token.actions.githubusercontent.com\", ",
        "identities: [{",
    ));
    assert!(
        err.contains("exactly one of `issuer` or `issuerRegExp`"),
        "{err}"
    );
    let err = refused(&edited(
        "        identities: [{issuer",
        "        identities: []\n        x: [{issuer",
    ));
    assert!(err.contains("unknown field `x`"), "{err}");
}

#[test]
fn keys_are_loaded_relative_to_the_policy_and_must_be_keys() {
    let mut files = resolved();
    files.insert_file(beside("keys/ci.pub"), Ok(b"not a key".to_vec()));
    let err = build_files(&[("policy.yaml", ISSUE_SHAPE)], &files)
        .unwrap_err()
        .to_string();
    assert!(err.contains("spec.authorities[0] (ci).key"), "{err}");
    let err = refused(&edited("keys/ci.pub", "keys/missing.pub"));
    assert!(
        err.contains("spec.authorities[0] (ci).key: /policies/keys/missing.pub was not read"),
        "{err}"
    );
    // What the loader could not read is reported under the field.
    files.insert_file(beside("keys/ci.pub"), Err("cannot open it: gone".into()));
    let err = build_files(&[("policy.yaml", ISSUE_SHAPE)], &files)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("spec.authorities[0] (ci).key: cannot open it: gone"),
        "{err}"
    );
    let inline = edited(
        "key: {path: keys/ci.pub}",
        &format!("key: {{data: {:?}}}", KEY_PEM),
    );
    let set = load_yaml(&inline).unwrap();
    let AuthorityKind::Key(key) = &set.policies[0].authorities[0].kind else {
        panic!("not a key")
    };
    assert!(key.path.is_none());
}

#[test]
fn required_lists_and_fields() {
    let err = refused(&edited(
        "  images: [{glob: \"registry.example.com/team/**\"}]\n",
        "  images: []\n",
    ));
    assert!(err.contains("spec.images: list at least one glob"), "{err}");
    let err = refused(&edited(
        "  images: [{glob: \"registry.example.com/team/**\"}]\n",
        "",
    ));
    assert!(err.contains("missing field `images`"), "{err}");
    let err = refused(&edited("authorities: [ci]", "authorities: []"));
    assert!(err.contains("an empty list admits no one"), "{err}");
    let err = refused(&edited("mode: enforce", "mode: audit"));
    assert!(err.contains("unknown variant `audit`"), "{err}");
}

#[test]
fn max_age_parses_hours_and_days() {
    let with = |age: &str| {
        edited(
            "  vendoredInputs",
            &format!("  maxAge: {age}\n  vendoredInputs"),
        )
    };
    let set = load_yaml(&with("720h")).unwrap();
    assert_eq!(
        set.policies[0].max_age,
        Some(jiff::SignedDuration::from_hours(720))
    );
    let set = load_yaml(&with("30d")).unwrap();
    assert_eq!(
        set.policies[0].max_age,
        Some(jiff::SignedDuration::from_hours(720))
    );
    let set = load_yaml(&with("1h30m")).unwrap();
    assert_eq!(
        set.policies[0].max_age,
        Some(jiff::SignedDuration::from_mins(90))
    );
    for bad in ["forever", "0h", "-5h", "1 month"] {
        let err = refused(&with(bad));
        assert!(err.contains("maxAge"), "{bad}: {err}");
        assert!(err.contains("line 24:"), "{bad}: {err}");
    }
}

#[test]
fn signatures_are_required_when_nothing_else_is() {
    let yaml = "apiVersion: vouch.dev/v1alpha1
kind: ImagePolicy
metadata: {name: signed}
spec:
  images: [{glob: ghcr.io/org/*}]
  authorities: [{name: ci, key: {path: keys/ci.pub}}, {name: allow, static: pass}]
";
    let set = load_yaml(yaml).unwrap();
    let s = set.policies[0].signatures.as_ref().unwrap();
    assert_eq!(s.authorities, ["ci", "allow"]);
    let explicit = format!("{yaml}  signatures: {{authorities: [allow]}}\n");
    let set = load_yaml(&explicit).unwrap();
    assert_eq!(
        set.policies[0].signatures.as_ref().unwrap().authorities,
        ["allow"]
    );
    assert!(matches!(
        set.policies[0].authorities[1].kind,
        AuthorityKind::Static(StaticAction::Pass)
    ));
}

#[test]
fn multi_document_errors_name_the_document() {
    let second = edited("name: production", "name: second").replace("mode: enforce", "mode: nope");
    let err = refused(&format!("{ISSUE_SHAPE}---\n{second}"));
    assert!(err.contains("document 2"), "{err}");
    assert!(err.contains("unknown variant `nope`"), "{err}");
    // The line is counted from the top of the file.
    assert!(err.contains("line 30:"), "{err}");
    let ok = load_yaml(&format!(
        "{ISSUE_SHAPE}---\n{}---\n",
        edited("name: production", "name: second")
    ))
    .unwrap();
    assert_eq!(ok.policies.len(), 2);
}

#[test]
fn the_version_covers_policies_and_the_keys_they_name() {
    let first = load_yaml(ISSUE_SHAPE).unwrap().version;
    assert_eq!(load_yaml(ISSUE_SHAPE).unwrap().version, first);
    // Same policy text, another key: another version.
    let mut files = resolved();
    files.insert_file(
        beside("keys/ci.pub"),
        Ok(b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n".to_vec()),
    );
    let rekeyed = build_files(&[("policy.yaml", ISSUE_SHAPE)], &files)
        .unwrap()
        .version;
    assert_ne!(rekeyed, first);
    let warn = ISSUE_SHAPE.replace("mode: enforce", "mode: warn");
    assert_ne!(
        build_files(&[("policy.yaml", &warn)], &files)
            .unwrap()
            .version,
        rekeyed
    );
}

#[test]
fn matching_applies_every_policy_whose_glob_matches() {
    let all = "apiVersion: vouch.dev/v1alpha1
kind: ImagePolicy
metadata: {name: everything}
spec:
  images: [{glob: \"**\"}, {glob: nginx}]
  authorities: [{name: pass, static: pass}]
";
    let set = build_files(
        &[("all.yaml", all), ("policy.yaml", ISSUE_SHAPE)],
        &resolved(),
    )
    .unwrap();
    let names = |r: &str| -> Vec<String> {
        set.matching(&r.parse().unwrap())
            .iter()
            .map(|p| p.name.clone())
            .collect()
    };
    assert_eq!(
        names("registry.example.com/team/app:v1"),
        ["everything", "production"]
    );
    assert_eq!(names("registry.example.com/other/app"), ["everything"]);
    assert_eq!(names("index.docker.io/library/nginx"), ["everything"]);
    assert!(names("oci:./layout").is_empty());
}

#[test]
fn no_match_parses_its_three_values() {
    assert_eq!("deny".parse::<NoMatch>().unwrap(), NoMatch::Deny);
    assert_eq!("allow".parse::<NoMatch>().unwrap(), NoMatch::Allow);
    assert_eq!("warn".parse::<NoMatch>().unwrap(), NoMatch::Warn);
    assert!("open".parse::<NoMatch>().is_err());
    assert_eq!(NoMatch::default(), NoMatch::Deny);
}

#[test]
fn oversized_files_are_refused_before_parsing() {
    let big = format!("{ISSUE_SHAPE}# {}\n", "x".repeat(MAX_POLICY_BYTES as usize));
    let err = refused(&big);
    assert!(err.contains("larger than the limit"), "{err}");
}

/// What a loader would have read beside the policies: `keys/ci.pub`,
/// and the records of testdata/osv as `osv`, with `digest`.
fn resolved_osv(digest: &[u8]) -> Resolved {
    let mut files = resolved();
    files.insert_osv(
        beside("osv"),
        Ok((Arc::new(crate::testdata::osv(&[])), sha256(digest))),
    );
    files
}

/// [`ISSUE_SHAPE`] with a `vulnerabilities` section, whose OSV records
/// are those of testdata/osv as `osv` beside the policy.
fn with_vulnerabilities(section: &str) -> Result<PolicySet> {
    let yaml = format!("{ISSUE_SHAPE}  vulnerabilities:\n{section}");
    build_files(&[("policy.yaml", &yaml)], &resolved_osv(b"records"))
}

#[test]
fn the_vulnerabilities_section_loads_with_its_defaults_and_joins_the_version() {
    let set = with_vulnerabilities("    osv: osv\n").unwrap();
    let v = set.policies[0].vulnerabilities.as_ref().unwrap();
    assert!(v.database.len() >= 10);
    assert_eq!(v.gate.threshold, vouch_evidence::osv::Severity::High);
    assert_eq!(v.gate.critical, crate::vulns::Action::Deny);
    assert_eq!(v.gate.normal, crate::vulns::Action::Warn);
    assert_eq!(v.upgrade, crate::vulns::Action::Ignore);
    // Every key or keyless authority answers by default, but ci, which
    // the provenance requirement names to supply the inputs.
    assert_eq!(set.policies[0].vex_authorities, ["release"]);
    assert_eq!(set.policies[0].input_authorities, ["ci"]);
    assert_eq!(
        v.vex_max_age,
        jiff::SignedDuration::from_hours(30 * 24),
        "vexMaxAge defaults to 30 days"
    );
    // Changed records (another digest) change the policy set's version.
    let yaml = format!("{ISSUE_SHAPE}  vulnerabilities:\n    osv: osv\n");
    let reloaded = build_files(&[("policy.yaml", &yaml)], &resolved_osv(b"changed")).unwrap();
    assert_ne!(reloaded.version, set.version);
}

#[test]
fn a_bad_vulnerabilities_section_is_refused_naming_the_field() {
    for (section, needle) in [
        (
            "    osv: osv\n    threshold: severe\n",
            "spec.vulnerabilities.threshold",
        ),
        (
            "    osv: osv\n    critical: block\n",
            "spec.vulnerabilities.critical",
        ),
        (
            "    osv: osv\n    unknownSeverity: maybe\n",
            "spec.vulnerabilities.unknownSeverity",
        ),
        (
            "    osv: osv\n    vexAuthorities: [nobody]\n",
            "\"nobody\" is not an authority",
        ),
        (
            "    osv: osv\n    vexAuthorities: []\n",
            "trusts no VEX statement",
        ),
        ("    osv: missing\n", "spec.vulnerabilities.osv"),
        ("    osv: osv\n    colour: red\n", "unknown field `colour`"),
    ] {
        let err = with_vulnerabilities(section)
            .err()
            .unwrap_or_else(|| panic!("loaded: {section}"))
            .to_string();
        assert!(err.contains(needle), "{section}: {err}");
    }
}

#[test]
fn command_line_keys_apply_to_every_image_and_require_a_provenance() {
    let key = PublicKey::from_pem(KEY_PEM).unwrap();
    let set = PolicySet::from_keys(
        vec![("ci".into(), key.clone()), ("ci".into(), key)],
        vec![PathBuf::from("ci.pub")],
    )
    .unwrap();
    let names: Vec<&str> = set.policies[0]
        .authorities
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["ci", "ci-2"]);
    for image in [
        "oci:layout:app",
        "oci:/tmp/work/layout:app",
        "nginx",
        "ghcr.io/org/team/app:v1",
        "localhost:5000/a/b",
    ] {
        let image: ImageRef = image.parse().unwrap();
        assert_eq!(set.matching(&image).len(), 1, "{image}");
    }
    let policy = &set.policies[0];
    assert!(policy.signatures.is_none());
    assert_eq!(
        policy.attestations[0].predicate_type,
        "https://slsa.dev/provenance/v1"
    );
    assert!(PolicySet::from_keys(Vec::new(), Vec::new()).is_err());
}

#[test]
fn a_given_osv_database_stands_for_each_policys_own_which_is_not_read() {
    // The policy names a database that was not read: it fails.
    let yaml = format!("{ISSUE_SHAPE}  vulnerabilities:\n    osv: no-such-osv\n");
    let err = load_yaml(&yaml).unwrap_err().to_string();
    assert!(err.contains("no-such-osv"), "{err}");
    let testdata = PathBuf::from("testdata/osv");
    let given = GivenOsv {
        path: testdata.clone(),
        database: Arc::new(crate::testdata::osv(&[])),
        digest: sha256(b"records"),
    };
    let with_given = |given: &GivenOsv| {
        let mut files = Resolved::new(Some(given.clone()));
        files.insert_file(beside("keys/ci.pub"), Ok(KEY_PEM.into()));
        build_files(&[("policy.yaml", &yaml)], &files)
    };
    let set = with_given(&given).unwrap();
    let v = set.policies[0].vulnerabilities.as_ref().unwrap();
    assert!(Arc::ptr_eq(&v.database, &given.database));
    assert_eq!(v.osv, testdata);
    // The given records join the version like the policy's own would.
    let changed = GivenOsv {
        digest: sha256(b"other records"),
        database: Arc::new(crate::testdata::osv(&[])),
        ..given
    };
    let again = with_given(&changed).unwrap();
    assert_ne!(again.version, set.version);
}

#[test]
fn inputs_from_names_authorities_that_sign_and_takes_the_inputs_from_them() {
    let with = |list: &str| {
        edited(
            "  vendoredInputs",
            &format!("  inputsFrom: {list}\n  vendoredInputs"),
        )
    };
    for (list, needle) in [
        ("[]", "spec.inputsFrom: an empty list trusts no provenance"),
        (
            "[nobody]",
            "spec.inputsFrom: \"nobody\" is not an authority of this policy",
        ),
    ] {
        let err = refused(&with(list));
        assert!(err.contains(needle), "{list}: {err}");
    }
    let set = load_yaml(&with("[release]")).unwrap();
    let p = &set.policies[0];
    assert_eq!(p.inputs_from.as_deref(), Some(&["release".to_string()][..]));
    assert_eq!(p.input_authorities, ["release"]);
    let shown = p.to_string();
    assert!(
        shown.contains("inputs from: provenance or CycloneDX SBOM signed by any of [release]\n"),
        "{shown}"
    );
    // Without it, the provenance requirement's authorities supply them.
    let p = &load_yaml(ISSUE_SHAPE).unwrap().policies[0];
    assert_eq!(p.input_authorities, ["ci"]);
    assert!(
        p.to_string().contains(
            "inputs from: provenance or CycloneDX SBOM signed by any of [ci], as its attestation \
             requirement says"
        ),
        "{p}"
    );
    // No requirement for them and no inputsFrom: no one, said so.
    let p = &load_yaml(&edited(
        "predicateType: https://slsa.dev/provenance/v1",
        "predicateType: https://example.com/other",
    ))
    .unwrap()
    .policies[0];
    assert!(p.input_authorities.is_empty());
    assert!(p.to_string().contains("no trusted provenance"), "{p}");
}
/// Found by fuzzing the policy loader: the YAML parser takes time
/// quadratic in the nesting of flow collections (`[[[...`) before its
/// recursion limit applies, so a 16 KB file took seconds and a 1 MiB one
/// hours.
#[test]
fn regression_issue_8_fuzz_yaml_flow_nesting() {
    for (open, close) in [("[", "]"), ("{a: ", "}")] {
        let yaml = format!(
            "apiVersion: vouch.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {}{}\n",
            open.repeat(10_000),
            close.repeat(10_000)
        );
        let err = refused(&yaml);
        assert!(err.contains("nested deeper than 64 levels"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }
}

#[test]
fn vendor_vex_names_its_key_and_directory_and_is_built_from_what_was_read() {
    let yaml = format!(
        "{ISSUE_SHAPE}  vulnerabilities:\n    osv: osv\n    vendorVex:\n      \
         - {{name: ubuntu, path: vex/ubuntu/, key: keys/ubuntu.asc, answersFor: [\"pkg:deb/ubuntu/*\"]}}\n      \
         - {{name: local, path: vex/local, answersFor: [\"pkg:apk/alpine/*\"]}}\n"
    );
    let file = parse(&beside("policy.yaml"), yaml.clone().into_bytes());
    assert_eq!(
        file.references(),
        [
            Reference::File(beside("keys/ci.pub")),
            Reference::Osv(beside("osv")),
            Reference::File(beside("keys/ubuntu.asc")),
            Reference::VendorVex(beside("vex/ubuntu/")),
            Reference::VendorVex(beside("vex/local")),
        ]
    );
    let testdata = |path: &str| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/vendor-vex/");
        std::fs::read(format!("{root}{path}")).unwrap()
    };
    let given = GivenOsv {
        path: "osv".into(),
        database: Arc::new(crate::testdata::osv(&[])),
        digest: sha256(b"records"),
    };
    let mut files = Resolved::new(Some(given));
    files.insert_file(beside("keys/ci.pub"), Ok(KEY_PEM.into()));
    files.insert_file(beside("keys/ubuntu.asc"), Ok(testdata("keys/vendor.asc")));
    let ubuntu = VexFile {
        path: beside("vex/ubuntu/CVE-2025-0395.json"),
        bytes: testdata("ubuntu/CVE-2025-0395.json"),
        signature: Some(testdata("ubuntu/CVE-2025-0395.json.asc")),
    };
    files.insert_vendor_vex(beside("vex/ubuntu/"), Ok(vec![ubuntu]));
    files.insert_vendor_vex(beside("vex/local"), Ok(Vec::new()));
    let set = build_files(&[("policy.yaml", &yaml)], &files).unwrap();
    let v = set.policies[0].vulnerabilities.as_ref().unwrap();
    assert_eq!(v.vendor_vex.len(), 2);
    assert_eq!(v.vendor_vex[0].documents[0].statements.len(), 1);
    assert!(v.vendor_vex[1].documents.is_empty());
    assert!(
        v.to_string().ends_with(
            "; vendor VEX ubuntu (1 documents from /policies/vex/ubuntu/, signed) answering for \
             pkg:deb/ubuntu/*; vendor VEX local (0 documents from /policies/vex/local) answering \
             for pkg:apk/alpine/*"
        ),
        "{v}"
    );

    // A directory that could not be read, and a name used twice.
    files.insert_vendor_vex(beside("vex/local"), Err("cannot list it".into()));
    let e = build_files(&[("policy.yaml", &yaml)], &files)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("spec.vulnerabilities.vendorVex[1] (local).path: cannot list it"),
        "{e}"
    );
    let twice = yaml.replace("name: local", "name: ubuntu");
    let e = build_files(&[("policy.yaml", &twice)], &files)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("vendor VEX name \"ubuntu\" is used twice"),
        "{e}"
    );
}

#[test]
fn require_distribution_and_distribution_approvals_load_and_a_typo_is_refused() {
    let yaml = edited(
        "  vendoredInputs: {requireMatch: true}",
        "  vendoredInputs:\n    critical:\n      require: distribution\n      approved: [{name: flate2, distribution: debian}]",
    );
    let set = load_yaml(&yaml).unwrap();
    let rules = set.policies[0].vendored_inputs.as_ref().unwrap();
    assert_eq!(
        rules.require_critical,
        Some(vendored::Require::Distribution)
    );
    let approved = rules.approved_critical.as_ref().unwrap();
    assert_eq!(approved[0].distribution.as_deref(), Some("debian"));
    let err = refused(&edited(
        "  vendoredInputs: {requireMatch: true}",
        "  vendoredInputs: {critical: {require: distro}}",
    ));
    assert!(err.contains("distro"), "{err}");
}
