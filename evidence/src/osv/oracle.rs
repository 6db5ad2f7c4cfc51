//! The version-order oracles' plumbing, for tests: each ecosystem's own
//! tool (dpkg, rpm, Ruby) answers for many pairs in one process.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `command` with `input` on its stdin (written from another thread,
/// so that a large answer cannot deadlock it) and returns its stdout;
/// `oracle` names the tool in the failure, so that a missing or failing
/// oracle is named rather than read as an answer.
pub(super) fn stdout_of(command: &mut Command, input: String, oracle: &str) -> String {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("the {oracle} oracle cannot start: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "the {oracle} oracle failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}
