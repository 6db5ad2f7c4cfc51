//! `vouch policy check`: the shipped example policies pass, and broken
//! policies fail with their file, line and reason.

use crate::common;

use std::fs;
use std::path::Path;

use common::{assert_fails_with, assert_ok, root, tempdir, vouch};

fn check(dir: &Path, paths: &[&Path]) -> std::process::Output {
    vouch()
        .current_dir(dir)
        .arg("policy")
        .arg("check")
        .args(paths)
        .output()
        .unwrap()
}

#[test]
fn shipped_policies_are_valid_and_say_what_they_require() {
    let policies = root().join("policies");
    for file in ["production.yaml", "audit-warn.yaml", "vouch-release.yaml"] {
        let out = check(&policies, &[Path::new(file)]);
        assert_ok(&out);
    }
    // The whole directory: every policy, criticality rules skipped.
    let out = check(&root(), &[Path::new("policies")]);
    assert_ok(&out);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("production (enforce"), "{stdout}");
    assert!(stdout.contains("audit-warn (warn"), "{stdout}");
    assert!(stdout.contains("vouch-release (enforce"), "{stdout}");
    assert!(
        stdout.contains("requires attestation provenance: https://slsa.dev/provenance/v1"),
        "{stdout}"
    );
    assert!(stdout.contains("with a Rego condition"), "{stdout}");
    assert!(stdout.contains("authority ci: key ecdsa-p256"), "{stdout}");
    assert!(
        stdout.contains("every input matches its lockfile"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped policies/critical.yaml (kind: CriticalityRules)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("policies: valid, version sha256:"),
        "{stdout}"
    );
}

/// A copy of the shipped production policy (and its key) in a temporary
/// directory, with `from` replaced by `to`.
fn broken(from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempdir();
    let policies = root().join("policies");
    let text = fs::read_to_string(policies.join("production.yaml")).unwrap();
    assert!(text.contains(from), "{from}");
    fs::create_dir(dir.path().join("keys")).unwrap();
    fs::copy(policies.join("keys/ci.pub"), dir.path().join("keys/ci.pub")).unwrap();
    fs::write(
        dir.path().join("production.yaml"),
        text.replacen(from, to, 1),
    )
    .unwrap();
    dir
}

/// The 1-based line of the first occurrence of `needle` in the shipped
/// production policy.
fn line_of(needle: &str) -> usize {
    let text = fs::read_to_string(root().join("policies/production.yaml")).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn control_the_unbroken_copy_passes() {
    let dir = broken("mode: enforce", "mode: enforce");
    assert_ok(&check(dir.path(), &[Path::new("production.yaml")]));
}

#[test]
fn an_unknown_field_is_reported_with_file_and_line() {
    let dir = broken(
        "  mode: enforce\n",
        "  mode: enforce\n  verifyDigest: true\n",
    );
    let out = check(dir.path(), &[Path::new("production.yaml")]);
    let line = line_of("  mode: enforce") + 1;
    assert_fails_with(
        &out,
        &format!("vouch: error: invalid policy in production.yaml: line {line}: spec: unknown field `verifyDigest`"),
    );
}

#[test]
fn malformed_yaml_is_reported_with_its_line() {
    // Bad input 14.
    let dir = broken("  mode: enforce\n", "  mode: [enforce\n");
    let out = check(dir.path(), &[Path::new("production.yaml")]);
    assert_fails_with(&out, "invalid policy in production.yaml: line ");
}

#[test]
fn a_bad_glob_and_a_bad_regexp_are_reported_with_their_lines() {
    // Bad input 8.
    let dir = broken(
        "registry.example.com/team/**",
        "registry.example.com/team/[z-a]",
    );
    let out = check(dir.path(), &[Path::new("production.yaml")]);
    let line = line_of("registry.example.com/team/**");
    assert_fails_with(&out, &format!("line {line}: spec.images[0].glob: glob"));
    assert_fails_with(&out, "is not a valid glob");

    let dir = broken("refs/tags/v.*", "refs/tags/(v.*");
    let out = check(dir.path(), &[Path::new("production.yaml")]);
    let line = line_of("refs/tags/v.*");
    assert_fails_with(&out, &format!("line {line}: "));
    assert_fails_with(&out, "subjectRegExp: invalid regular expression");
}

#[test]
fn a_zero_threshold_is_refused() {
    // Bad input 9.
    let dir = broken("      threshold: 1\n", "      threshold: 0\n");
    let out = check(dir.path(), &[Path::new("production.yaml")]);
    let line = line_of("      threshold: 1");
    assert_fails_with(&out, &format!("line {line}: "));
    assert_fails_with(&out, "threshold 0 is out of range: it must be at least 1");
}

#[test]
fn a_rego_syntax_error_is_refused() {
    let dir = broken("          some dep in", "          some dep in in");
    let out = check(dir.path(), &[Path::new("production.yaml")]);
    assert_fails_with(&out, "spec.attestations[0].rego: Rego syntax error");
    assert_fails_with(&out, "rego:16:");
}

#[test]
fn an_undefined_authority_is_refused() {
    let dir = broken("authorities: [ci, release]", "authorities: [ci, nightly]");
    let out = check(dir.path(), &[Path::new("production.yaml")]);
    assert_fails_with(
        &out,
        "spec.attestations[0] (provenance).authorities: \"nightly\" is not an authority of this policy",
    );
}

#[test]
fn every_path_is_checked_and_each_error_reported() {
    let bad = broken("mode: enforce", "mode: block");
    let good = root().join("policies/audit-warn.yaml");
    let out = check(bad.path(), &[Path::new("production.yaml"), &good]);
    assert_fails_with(&out, "unknown variant `block`");
    assert_fails_with(&out, "1 of 2 policy paths are invalid");
    // The valid one was still checked and shown.
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("audit-warn (warn"), "{stdout}");
}

#[test]
fn a_missing_file_and_no_arguments_are_errors() {
    let dir = tempdir();
    let out = check(dir.path(), &[Path::new("absent.yaml")]);
    assert_fails_with(&out, "invalid policy in absent.yaml: cannot open");
    let out = check(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "usage error");
}

#[test]
fn a_policy_directory_reads_yaml_in_any_case_and_warns_about_other_files() {
    let dir = broken("mode: enforce", "mode: enforce");
    let policy = fs::read_to_string(dir.path().join("production.yaml")).unwrap();
    fs::write(
        dir.path().join("strict.YAML"),
        policy.replacen("name: production", "name: strict", 1),
    )
    .unwrap();
    fs::write(dir.path().join("notes.json"), "{}").unwrap();
    let out = check(dir.path(), &[Path::new(".")]);
    assert_ok(&out);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("strict (enforce"), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "vouch: warning: ./notes.json was not read: a policy file's name ends in .yaml or .yml"
        ),
        "{stderr}"
    );
    // The key the policy names, in keys/, is no warning.
    assert_eq!(stderr.matches("vouch: warning:").count(), 1, "{stderr}");
}
