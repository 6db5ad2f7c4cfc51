//! Rego conditions on attestations, evaluated with regorus.
//!
//! A condition is a Rego v1 module in `package vouch` that defines a
//! `deny` set of messages:
//!
//! ```rego
//! package vouch
//!
//! deny contains msg if {
//!     some dep in input.buildDefinition.resolvedDependencies
//!     dep.annotations.match == "mismatch"
//!     msg := sprintf("%s does not match its lockfile", [dep.name])
//! }
//! ```
//!
//! `input` is the **predicate** of the verified in-toto statement (for SLSA
//! provenance: the object with `buildDefinition` and `runDetails`), never
//! the unverified envelope. The attestation satisfies the condition when
//! `data.vouch.deny` is empty; each message in it is a reason for denial.
//!
//! Everything that can be checked before evaluation is checked at load:
//! syntax (regorus's message, with its line and column inside the
//! condition), the package (anything but `vouch` would leave `deny`
//! undefined and so deny nothing), and that `deny` is defined.
//!
//! An evaluation may take [`TIME_LIMIT`], and the caller's wait is bounded
//! by it whatever the condition does: regorus's execution timer stops the
//! interpreter between steps, but a single builtin (`numbers.range` over a
//! billion numbers, `replace` on a large string) is one step, however long
//! it runs. So the evaluation runs on a thread of its own, and the caller
//! stops waiting at the limit (plus [`REPORT_GRACE`], for the timer's own
//! message): the verdict is an error, which denies. The abandoned thread
//! ends at its next step; at most [`MAX_RUNNING`] evaluations run at once,
//! so that overrunning conditions cannot pile threads up.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, Value};

/// The package a condition must declare.
pub const PACKAGE: &str = "data.vouch";
/// The rule evaluated: a set (or array) of denial messages.
pub const DENY_RULE: &str = "data.vouch.deny";
/// The longest a condition may run on one predicate before it is an error
/// (a policy must not be able to stall admission).
pub const TIME_LIMIT: Duration = Duration::from_secs(2);
/// How long past [`TIME_LIMIT`] the caller waits for the interpreter to
/// report that it stopped, before it reports so itself: the limit holds
/// within 5%.
pub const REPORT_GRACE: Duration = Duration::from_millis(100);
/// The most evaluations running at once (in this process); one more is an
/// error. Far above what admission needs (each takes milliseconds), and a
/// bound on the threads left running by conditions that overran.
pub const MAX_RUNNING: usize = 64;

/// Evaluations running now.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// A place among the [`MAX_RUNNING`] evaluations, given back on drop.
struct Slot;

impl Slot {
    fn take() -> Option<Slot> {
        let taken = RUNNING.fetch_add(1, Ordering::SeqCst);
        if taken >= MAX_RUNNING {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The largest condition read, in bytes. Conditions are a few hundred
/// bytes; regorus's load time grows faster than their length (a 100 KB
/// body of plain assignments took seconds).
pub const MAX_SOURCE_BYTES: usize = 16 * 1024;
/// The deepest nesting of `[` and `{` (a rule body's braces included) a
/// condition may have: regorus 0.14 parses each such level twice, first as
/// a comprehension, then as a literal, so its time doubles with each.
pub const MAX_NESTING: usize = 8;
/// The most unary minus signs in a row: regorus 0.14 recurses once per
/// sign, outside its own expression depth limit.
pub const MAX_MINUS_RUN: usize = 8;

/// Refuses, before regorus reads it, a condition that regorus would take
/// too long or too deep a stack to parse (see the limits above). Strings
/// and comments are skipped; errors name the line in the condition.
fn check_shape(source: &str) -> Result<(), String> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(format!(
            "the Rego condition is larger than the limit of {MAX_SOURCE_BYTES} bytes"
        ));
    }
    let mut open: Vec<char> = Vec::new();
    let (mut nesting, mut minus, mut line) = (0usize, 0usize, 1usize);
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '#' => {
                chars.by_ref().find(|&c| c == '\n');
                line += 1;
            }
            '-' => {
                minus += 1;
                if minus > MAX_MINUS_RUN {
                    return Err(format!(
                        "the Rego condition has more than {MAX_MINUS_RUN} unary minus signs \
                         in a row (line {line})"
                    ));
                }
            }
            _ => {
                minus = 0;
                match c {
                    '"' => {
                        let mut escaped = false;
                        for c in chars.by_ref() {
                            match c {
                                '\n' => line += 1,
                                '"' if !escaped => break,
                                _ => {}
                            }
                            escaped = c == '\\' && !escaped;
                        }
                    }
                    '`' => {
                        for c in chars.by_ref().take_while(|&c| c != '`') {
                            line += usize::from(c == '\n');
                        }
                    }
                    '[' | '{' | '(' => {
                        open.push(c);
                        if c != '(' {
                            nesting += 1;
                            if nesting > MAX_NESTING {
                                return Err(format!(
                                    "the Rego condition has `[` and `{{` nested deeper than \
                                     {MAX_NESTING} levels (line {line})"
                                ));
                            }
                        }
                    }
                    ']' | '}' | ')' => {
                        nesting -= usize::from(open.pop().is_some_and(|o| o != '('));
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// A compiled Rego condition.
#[derive(Clone)]
pub struct RegoCondition {
    source: Arc<str>,
    engine: Engine,
}

impl fmt::Debug for RegoCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegoCondition")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl RegoCondition {
    /// Parses and checks `source`; `name` names it in regorus's messages
    /// (`<name>:LINE:COL: error: ...`). The error is the reason only: the
    /// caller adds the policy file and attestation.
    pub fn compile(name: &str, source: &str) -> Result<Self, String> {
        check_shape(source)?;
        let mut engine = Engine::new();
        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: TIME_LIMIT,
            check_interval: std::num::NonZeroU32::MIN,
        });
        let package = engine
            .add_policy(name.to_string(), source.to_string())
            .map_err(|e| format!("Rego syntax error: {e}"))?;
        if package != PACKAGE {
            return Err(format!(
                "the Rego condition is in package {:?}: it must be `package vouch`, whose \
                 `deny` rule is evaluated",
                package.trim_start_matches("data.")
            ));
        }
        let declared = engine
            .has_declared_rule_rooted_at(name, "deny")
            .map_err(|e| format!("Rego error: {e}"))?;
        if !declared {
            return Err(
                "the Rego condition defines no `deny` rule: write `deny contains msg if { ... }`"
                    .to_string(),
            );
        }
        let condition = RegoCondition {
            source: source.into(),
            engine,
        };
        // A first evaluation on an empty predicate resolves every reference,
        // so that an unknown function is an error here, not at admission.
        condition.evaluate(&serde_json::Value::Object(serde_json::Map::new()))?;
        Ok(condition)
    }

    /// The condition as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates `data.vouch.deny` with `input` = `predicate` and returns
    /// its messages, sorted; empty means the condition holds. A `deny`
    /// that is not a set or array, or an evaluation error (a type error, the
    /// time limit, too many evaluations running), is an error: the caller
    /// denies with it as the reason. Returns within [`TIME_LIMIT`] and
    /// [`REPORT_GRACE`], whatever the condition does (see the module
    /// documentation).
    pub fn evaluate(&self, predicate: &serde_json::Value) -> Result<Vec<String>, String> {
        let slot = Slot::take().ok_or_else(|| {
            format!("Rego evaluation refused: {MAX_RUNNING} evaluations are running already")
        })?;
        let mut engine = self.engine.clone();
        engine.set_input(Value::from(predicate.clone()));
        let (sender, receiver) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("vouch-rego".into())
            .spawn(move || {
                let _slot = slot;
                let _ = sender.send(
                    engine
                        .eval_rule(DENY_RULE.to_string())
                        .map_err(|e| e.to_string()),
                );
            })
            .map_err(|e| format!("Rego evaluation failed: cannot start it: {e}"))?;
        let deny = match receiver.recv_timeout(TIME_LIMIT + REPORT_GRACE) {
            Ok(result) => result.map_err(|e| format!("Rego evaluation failed: {e}"))?,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!(
                    "Rego evaluation failed: it ran past the time limit of {TIME_LIMIT:?}"
                ))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err("Rego evaluation failed: it stopped without a result".into())
            }
        };
        let items: Vec<Value> = match &deny {
            Value::Undefined => Vec::new(),
            Value::Set(set) => set.iter().cloned().collect(),
            Value::Array(array) => array.iter().cloned().collect(),
            other => {
                return Err(format!(
                    "Rego `deny` is {}, not a set of messages",
                    as_json(other)
                ))
            }
        };
        let mut messages: Vec<String> = items
            .iter()
            .map(|v| match v.as_string() {
                Ok(s) => s.to_string(),
                Err(_) => as_json(v),
            })
            .collect();
        messages.sort();
        Ok(messages)
    }
}

/// A Rego value as compact JSON, for messages.
fn as_json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("(not JSON: {e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MISMATCH: &str = r#"package vouch

deny contains msg if {
    some dep in input.buildDefinition.resolvedDependencies
    dep.annotations.match == "mismatch"
    msg := sprintf("input %s does not match its lockfile", [dep.name])
}
"#;

    fn provenance(matches: &[(&str, &str)]) -> serde_json::Value {
        let deps: Vec<serde_json::Value> = matches
            .iter()
            .map(|(name, m)| {
                serde_json::json!({
                    "name": name,
                    "digest": {"sha256": "00".repeat(32)},
                    "annotations": {"ecosystem": "cargo", "version": "1.0.0", "match": m}
                })
            })
            .collect();
        serde_json::json!({
            "buildDefinition": {
                "buildType": "https://vouch.dev/attest/vendored-inputs/v1",
                "externalParameters": {"project": "."},
                "resolvedDependencies": deps
            },
            "runDetails": {"builder": {"id": "https://vouch.dev/builders/local"}}
        })
    }

    #[test]
    fn deny_is_empty_when_every_input_matches() {
        let c = RegoCondition::compile("provenance.rego", MISMATCH).unwrap();
        let denied = c
            .evaluate(&provenance(&[("zlib", "match"), ("serde", "match")]))
            .unwrap();
        assert!(denied.is_empty(), "{denied:?}");
    }

    #[test]
    fn deny_names_each_mismatched_input() {
        let c = RegoCondition::compile("provenance.rego", MISMATCH).unwrap();
        let denied = c
            .evaluate(&provenance(&[
                ("zlib", "mismatch"),
                ("serde", "match"),
                ("abc", "mismatch"),
            ]))
            .unwrap();
        assert_eq!(
            denied,
            [
                "input abc does not match its lockfile",
                "input zlib does not match its lockfile"
            ]
        );
    }

    #[test]
    fn syntax_error_is_refused_with_its_line() {
        let err = RegoCondition::compile(
            "provenance.rego",
            "package vouch\n\ndeny contains msg if {\n    msg := \n}\n",
        )
        .unwrap_err();
        assert!(err.contains("Rego syntax error"), "{err}");
        assert!(err.contains("provenance.rego:"), "{err}");
        assert!(err.contains(":4:") || err.contains(":5:"), "{err}");
    }

    #[test]
    fn wrong_package_or_no_deny_is_refused() {
        let err = RegoCondition::compile("x", "package other\n\ndeny contains 1 if { true }\n")
            .unwrap_err();
        assert!(err.contains("package \"other\""), "{err}");
        let err = RegoCondition::compile("x", "package vouch\n\nallow := true\n").unwrap_err();
        assert!(err.contains("no `deny` rule"), "{err}");
        // Control: an empty-but-defined deny is fine.
        assert!(
            RegoCondition::compile("x", "package vouch\n\ndeny contains 1 if { false }\n").is_ok()
        );
    }

    #[test]
    fn regression_issue_8_the_time_limit_holds_while_one_builtin_runs_on() {
        // A builtin that runs until the test lets it end: one step of the
        // interpreter, as long as wanted.
        let (release, released) = mpsc::channel::<()>();
        let released = Arc::new(std::sync::Mutex::new(released));
        let mut engine = Engine::new();
        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: TIME_LIMIT,
            check_interval: std::num::NonZeroU32::MIN,
        });
        engine
            .add_extension(
                "slow".into(),
                0,
                Box::new(move |_: Vec<Value>| {
                    let _ = released
                        .lock()
                        .unwrap()
                        .recv_timeout(Duration::from_secs(60));
                    Ok(Value::from(true))
                }),
            )
            .unwrap();
        let source = "package vouch\n\ndeny contains \"slow\" if { slow() }\n";
        engine.add_policy("x".into(), source.into()).unwrap();
        let condition = RegoCondition {
            source: source.into(),
            engine,
        };
        let (done, result) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(condition.evaluate(&serde_json::json!({})));
        });
        // Far past the limit, and still short of the builtin's end.
        let result = result.recv_timeout(TIME_LIMIT * 5);
        let _ = release.send(());
        let err = result
            .expect("the evaluation waited for its builtin to end")
            .unwrap_err();
        assert!(err.contains("ran past the time limit of 2s"), "{err}");
    }

    #[test]
    fn non_string_messages_are_shown_as_json() {
        let c = RegoCondition::compile(
            "x",
            "package vouch\n\ndeny contains {\"n\": input.n} if { input.n > 1 }\n",
        )
        .unwrap();
        assert_eq!(
            c.evaluate(&serde_json::json!({"n": 2})).unwrap(),
            [r#"{"n":2}"#]
        );
        assert!(c.evaluate(&serde_json::json!({"n": 1})).unwrap().is_empty());
    }

    /// A deny rule whose body assigns `expr`.
    fn assigning(expr: &str) -> String {
        format!("package vouch\n\ndeny contains msg if {{\n    x := {expr}\n    msg := \"m\"\n}}\n")
    }

    /// Found by fuzzing the policy loader: each `[` or `{` level regorus
    /// 0.14 parses twice (as a comprehension, then as a literal), so 20
    /// levels took seconds and 30 would take days.
    #[test]
    fn regression_issue_8_fuzz_rego_nested_brackets() {
        for (open, close) in [("[", "]"), ("{", "}"), ("{\"k\": ", "}")] {
            let deep = format!("{}1{}", open.repeat(20), close.repeat(20));
            let err = RegoCondition::compile("x", &assigning(&deep)).unwrap_err();
            assert!(err.contains("nested deeper than"), "{err}");
        }
        // Brackets in strings and comments do not count.
        let text = format!("\"{}\" # {}", "[".repeat(40), "{".repeat(40));
        assert!(RegoCondition::compile("x", &assigning(&text)).is_ok());
    }

    /// Found by fuzzing the policy loader: regorus 0.14 recurses once per
    /// unary minus, outside its expression depth limit, so a long run of
    /// them overflowed the stack and aborted the process.
    #[test]
    fn regression_issue_8_fuzz_rego_unary_minus_run() {
        let deep = format!("{}1", "-".repeat(5000));
        let err = RegoCondition::compile("x", &assigning(&deep)).unwrap_err();
        assert!(err.contains("unary minus"), "{err}");
        // Control: an ordinary subtraction of a negative number.
        assert!(RegoCondition::compile("x", &assigning("2 - -1")).is_ok());
    }

    /// Found by fuzzing the policy loader: regorus 0.14's time grows faster
    /// than the number of statements in a rule body, so a condition of
    /// 100 KB took seconds to load.
    #[test]
    fn regression_issue_8_fuzz_rego_oversized_condition() {
        let body: String = (0..5000).map(|i| format!("    x{i} := 1\n")).collect();
        let source =
            format!("package vouch\n\ndeny contains msg if {{\n{body}    msg := \"m\"\n}}\n");
        let err = RegoCondition::compile("x", &source).unwrap_err();
        assert!(err.contains("larger than"), "{err}");
    }
}
