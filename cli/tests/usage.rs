//! vouch's command line as a whole: the top-level help a user starts from,
//! the shell completions and the manual page generated from the same flag
//! definitions (each checked by the shell or formatter that reads it), and
//! how a command's end becomes its exit status and its last line.

use crate::common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{stderr, stdout, tempdir, vouch, vouch_in, Fixture};

/// `vouch ARGS`, which must succeed, and its standard output.
fn stdout_of(args: &[&str]) -> String {
    let out = vouch().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// The commands `vouch --help` lists (but `help`).
fn commands() -> Vec<String> {
    let help = stdout_of(&["--help"]);
    let listed: Vec<String> = help
        .split("\nCommands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|line| !line.is_empty())
        // A command's line starts with its name; its description's
        // continuation lines are indented further.
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect();
    for name in [
        "inputs",
        "attest",
        "verify",
        "webhook",
        "completions",
        "man",
    ] {
        assert!(listed.iter().any(|c| c == name), "{name} in {listed:?}");
    }
    listed
}

/// `PROGRAM ARGS` with `script` written to a file of `dir`, whose path
/// replaces `{}` in ARGS.
fn run_on(dir: &Path, script: &str, program: &str, args: &[&str]) -> Output {
    let file = dir.join("script");
    std::fs::write(&file, script).unwrap();
    let file = file.to_str().unwrap();
    Command::new(program)
        .args(args.iter().map(|a| a.replace("{}", file)))
        .output()
        .unwrap_or_else(|e| panic!("{program} (scripts/install-oracles.sh installs it): {e}"))
}

#[test]
fn regression_issue_14_the_top_level_help_is_for_users_with_the_workflows_and_where_to_start() {
    let help = stdout_of(&["--help"]);
    let description = help.split("\nUsage:").next().unwrap();
    // Not the manifest's note for developers.
    assert!(!help.contains("No domain logic"), "{help}");
    assert!(!help.contains("dispatch"), "{help}");
    for needle in [
        "In CI",
        "vouch inputs",
        "vouch attest",
        "At admission",
        "vouch verify",
        "vouch webhook",
        "vouch policy check",
        "For audit",
        "vouch tree",
        "vouch vulns",
        "vouch diff",
        "vouch report",
        "Exit status: 0 allowed",
    ] {
        assert!(description.contains(needle), "{needle} in {description}");
    }
    assert!(help.contains("scripts/demo.sh"), "{help}");
    assert!(help.contains("vouch keygen"), "{help}");
    // The summary (`-h`) says what vouch does in one line.
    let short = stdout_of(&["-h"]);
    assert!(
        short.starts_with("Sign images and the evidence of what went into them"),
        "{short}"
    );
}

#[test]
fn bash_completion_registers_for_vouch_and_completes_commands_and_flags() {
    let dir = tempdir();
    let script = stdout_of(&["completions", "bash"]);
    // Sourced by bash, the script registers its function for `vouch`; the
    // function, called as bash calls it, completes a command, then a flag
    // of that command.
    let probe = r#"
set -e
source "$1"
spec=$(complete -p vouch)
echo "spec: $spec"
fn=$(sed -n 's/.*-F \([^ ]*\).*/\1/p' <<<"$spec")
complete_line() {
    COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}
    read -r -a COMP_WORDS <<<"$COMP_LINE"
    [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    "$fn" vouch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "$1 => ${COMPREPLY[*]}"
}
complete_line "vouch verif"
complete_line "vouch verify --trusted"
complete_line "vouch completions "
"#;
    let out = run_on(dir.path(), &script, "bash", &["-c", probe, "probe", "{}"]);
    let stdout = stdout(&out);
    assert!(out.status.success(), "{stdout}{}", stderr(&out));
    let line = |prefix: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} in {stdout}"))
            .to_string()
    };
    let spec = line("spec: ");
    assert!(
        spec.starts_with("spec: complete ")
            && spec.contains(" -F _vouch ")
            && spec.ends_with(" vouch"),
        "{spec}"
    );
    let words = |l: String| -> Vec<String> {
        let (_, after) = l.split_once(" => ").unwrap();
        after.split_whitespace().map(str::to_string).collect()
    };
    let mut verbs = words(line("vouch verif =>"));
    verbs.sort();
    assert_eq!(verbs, ["verify", "verify-bundle", "verify-image"]);
    assert_eq!(words(line("vouch verify --trusted =>")), ["--trusted-root"]);
    // After `completions`: its SHELL values (and its flags).
    let shells: Vec<String> = words(line("vouch completions  =>"))
        .into_iter()
        .filter(|w| !w.starts_with('-'))
        .collect();
    assert_eq!(shells, ["bash", "zsh", "fish"]);
}

#[test]
fn zsh_and_fish_completions_parse_and_fish_completes_a_command() {
    let dir = tempdir();
    let zsh = stdout_of(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef vouch"), "{zsh}");
    let out = run_on(dir.path(), &zsh, "zsh", &["-n", "{}"]);
    assert!(out.status.success(), "zsh -n: {}", stderr(&out));

    let fish = stdout_of(&["completions", "fish"]);
    let out = run_on(dir.path(), &fish, "fish", &["--no-execute", "{}"]);
    assert!(out.status.success(), "fish --no-execute: {}", stderr(&out));
    // And loaded, fish completes with it (`complete -C`: what a <Tab>
    // after the line would offer, one candidate a line, then its help).
    let out = run_on(
        dir.path(),
        &fish,
        "fish",
        &[
            "--no-config",
            "-c",
            "source {}; complete -C'vouch verify-i'",
        ],
    );
    let offered = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    let first: Vec<&str> = offered
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(first, ["verify-image"], "{offered}");
}

#[test]
fn the_man_page_renders_without_warnings_and_lists_every_command() {
    let dir = tempdir();
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH vouch 1"), "{page}");
    let out = run_on(dir.path(), &page, "groff", &["-man", "-Tutf8", "-ww", "{}"]);
    let warnings = stderr(&out);
    assert!(out.status.success() && warnings.is_empty(), "{warnings}");
    // groff writes `-` as a hyphen (U+2010) in UTF-8 text.
    let rendered = stdout(&out).replace('\u{2010}', "-");
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "SUBCOMMANDS"] {
        // Bold, by overstriking each letter.
        let bold: String = section.chars().flat_map(|c| [c, '\u{8}', c]).collect();
        assert!(rendered.contains(&bold), "{section} in {rendered}");
    }
    let listed: Vec<&str> = rendered
        .lines()
        .filter_map(|l| l.trim().strip_prefix("vouch-")?.strip_suffix("(1)"))
        .collect();
    let mut expected = commands();
    expected.push("help".into());
    assert_eq!(listed, expected, "{rendered}");
}

#[test]
fn a_closed_stdout_ends_a_command_quietly_with_status_0() {
    for args in [
        &["completions", "bash"][..],
        &["man"],
        &[
            "inputs",
            "testdata/projects/demo-service",
            "--output",
            "json",
        ],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = vouch()
            .current_dir(common::root())
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("error"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn regression_issue_14_a_denial_is_reported_as_a_denial_not_as_an_error() {
    // An image with nothing attached: the demo policy denies it.
    let f = Fixture::demo().with_layout_image("layout", "app");
    let (out, verdict) = f.verify("policy.yaml");
    let stderr = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(verdict["images"][0]["verdict"], "deny", "{verdict}");
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with("vouch: denied: oci:layout:app ("),
        "{stderr}"
    );
    assert!(last.contains("attestation provenance"), "{stderr}");
    assert!(!stderr.contains("vouch: error:"), "{stderr}");
}

#[test]
fn misconfigurations_exit_2_with_their_message_as_before() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("project")).unwrap();
    for (args, needle) in [
        // A flag that does not apply.
        (
            &["vulns", "project"][..],
            "a directory is matched against --osv DIR|ZIP; none given",
        ),
        // Files the flags name that cannot be used.
        (
            &["verify", "oci:layout:app", "--policy", "missing.yaml"],
            "missing.yaml",
        ),
        (
            &["vulns", "oci:layout:app", "--key", "missing.pub"],
            "cannot open public key missing.pub",
        ),
        (&["vulns", "project", "--osv", "missing-osv"], "missing-osv"),
    ] {
        let out = vouch_in(dir.path(), args);
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("vouch: error: "), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {needle} in {stderr}");
    }
}
