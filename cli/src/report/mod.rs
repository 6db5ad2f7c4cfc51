//! The HTML page of `vouch report`: one self-contained page for auditors.
//!
//! The page is computed from the same [`Verdict`] that `vouch verify` and
//! `vouch vulns` print (and, with `--diff`, the same [`Diff`] as `vouch
//! diff`), so that what an auditor reads is exactly what admission decides.
//!
//! It is an askama template (`page.html`), whose every interpolation goes
//! through [`Html`], vouch's escaper: everything the page shows from
//! evidence (input names, purls, VEX impact statements, signer identities)
//! is attacker-controlled text, and escaping is what a template does unless
//! told otherwise. The page is one file with no external reference: an
//! inline style sheet (`report.css`), a small inline script that only adds
//! table sorting (`report.js`; the tables are plain HTML and read the same
//! with scripts off), both included at build time, and a
//! Content-Security-Policy that admits those two by the hash of their
//! exact bytes and nothing else, so that even a missed escape could
//! neither run a script nor load anything.

use std::fmt;

use askama::Template;
use base64::Engine as _;
use vouch_evidence::digest::sha256;
use vouch_evidence::osv::Severity;
use vouch_evidence::text;
use vouch_verify::diff::{Bump, Change, Diff, SwapKind};
use vouch_verify::evaluate::{ProvenanceSummary, Verdict};
use vouch_verify::vulns::{Finding, ImageInput};

use crate::findings::vex_cell;

/// The page's style sheet; admitted by its hash in the page's CSP.
const STYLE: &str = include_str!("report.css");

/// The page's script: makes every `table.sortable` sortable by clicking a
/// header (numeric-aware; a cell's `data-sort` overrides its text), and
/// marks such tables `data-sortable="true"` so that sorting affordances
/// only show where it works. Admitted by its hash in the page's CSP.
const SCRIPT: &str = include_str!("report.js");

/// What the page header says about how the report was made.
pub struct Header {
    /// The policy files read.
    pub policy_files: Vec<String>,
    /// The policy set's version digest (what a verdict cache keys on).
    pub policy_version: String,
    /// Where the OSV records came from, in words.
    pub osv: String,
    /// When the report was generated (RFC 3339, UTC).
    pub generated: String,
}

/// The whole page: the verdict on `new`, and with `diff` the OLD verdict
/// and what changed since.
pub fn render(header: &Header, new: &Verdict, diff: Option<(&Verdict, &Diff)>) -> String {
    let page = Page {
        header,
        v: new,
        diff,
        style: STYLE,
        script: SCRIPT,
        style_hash: csp_hash(STYLE),
        script_hash: csp_hash(SCRIPT),
        version: env!("CARGO_PKG_VERSION"),
    };
    // Rendering into a String fails only if a value's Display does, and
    // none here does.
    page.render().unwrap_or_default()
}

/// The template's values.
#[derive(Template)]
#[template(path = "page.html", config = "src/report/askama.toml")]
struct Page<'a> {
    header: &'a Header,
    /// The verdict the page is about.
    v: &'a Verdict,
    /// OLD's verdict and the diff from it, with `--diff`.
    diff: Option<(&'a Verdict, &'a Diff)>,
    style: &'static str,
    script: &'static str,
    style_hash: String,
    script_hash: String,
    version: &'static str,
}

/// The escaper of every value the page shows: [`escape`].
#[derive(Clone, Copy)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        dest.write_str(&escape(string))
    }
}

/// Escapes `s` for HTML text and for quoted attribute values: `&`, `<`,
/// `>`, `"` and `'`; and first, as every text vouch shows, its control
/// characters and bidi overrides ([`text::escape`]), which a browser
/// would otherwise honour (a U+202E shows `DENY` as `YNED`). Every string
/// that comes from evidence goes through it, since attestation content is
/// written by whoever signed it.
fn escape(s: &str) -> String {
    let s = text::escape(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The CSP source expression admitting exactly `inline` (a `<style>` or
/// `<script>` element's content).
fn csp_hash(inline: &str) -> String {
    let digest = sha256(inline.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest.0)
    )
}

/// The verdict banner: its class, its word and what it says.
fn banner(v: &Verdict) -> (&'static str, &'static str, String) {
    let (class, word) = match (v.allowed(), v.warnings.is_empty()) {
        (false, _) => ("deny", "DENY"),
        (true, true) => ("allow", "ALLOW"),
        (true, false) => ("warn", "ALLOW"),
    };
    let what = if !v.allowed() {
        format!("{} reason(s) deny admission", v.denials.len())
    } else if v.warnings.is_empty() {
        "every matching policy passes".to_string()
    } else {
        format!("admitted with {} warning(s)", v.warnings.len())
    };
    (class, word, what)
}

/// An RFC 3339 time split after its `T`, where a narrow column may wrap
/// it; `None` for other text.
fn split_time(s: &str) -> Option<(&str, &str)> {
    s.split_at_checked(11).filter(|(date, _)| {
        date.ends_with('T') && date[..10].bytes().all(|b| b.is_ascii_digit() || b == b'-')
    })
}

/// An input's version, `?` when not recorded.
fn version(i: &ImageInput) -> &str {
    i.version.as_deref().unwrap_or("?")
}

/// Who provides an input: the distribution package it was unbundled
/// onto (`librust-flate2-dev 1.0.25-1`), or `vendored`.
fn provider(i: &ImageInput) -> String {
    match &i.distribution {
        Some(d) => format!("{} {}", d.package(), d.version()),
        None => "vendored".into(),
    }
}

/// How many inputs of the diff went back from a distribution's build to
/// a vendored copy.
fn rebundled(d: &Diff) -> usize {
    d.swaps
        .iter()
        .filter(|s| s.kind == SwapKind::Rebundled)
        .count()
}

/// How many inputs were unbundled onto a distribution's build.
fn unbundled_count(v: &Verdict) -> usize {
    v.inputs.iter().filter(|i| i.distribution.is_some()).count()
}

/// How many inputs are critical.
fn critical_count(v: &Verdict) -> usize {
    v.inputs.iter().filter(|i| i.critical).count()
}

/// How many findings no trusted VEX answers.
fn open_count(v: &Verdict) -> usize {
    v.findings.iter().filter(|f| !f.answered()).count()
}

/// How many of those are in critical inputs.
fn open_critical_count(v: &Verdict) -> usize {
    v.findings
        .iter()
        .filter(|f| !f.answered() && f.input.critical)
        .count()
}

/// A severity's rank for sorting: unknown lowest.
fn severity_rank(s: &Option<Severity>) -> u8 {
    match s {
        None => 0,
        Some(Severity::None) => 1,
        Some(Severity::Low) => 2,
        Some(Severity::Medium) => 3,
        Some(Severity::High) => 4,
        Some(Severity::Critical) => 5,
    }
}

/// A finding's score as shown, one decimal; `-` without one.
fn score(f: &Finding) -> String {
    f.score.map_or("-".into(), |s| format!("{s:.1}"))
}

/// A finding's score for sorting; -1 without one.
fn score_sort(f: &Finding) -> String {
    f.score.map_or("-1".into(), |s| s.to_string())
}

/// The class of a version bump's label: loud for a major bump or a
/// downgrade.
fn bump_class(bump: &Bump) -> &'static str {
    match bump {
        Bump::Major | Bump::Downgrade => "warn",
        _ => "no",
    }
}

/// The provenance facts shown, with their labels.
fn provenance_rows(p: &ProvenanceSummary) -> [(&'static str, Option<&str>); 6] {
    [
        ("Builder", p.builder_id.as_deref()),
        ("Build type", p.build_type.as_deref()),
        ("Invocation", p.invocation_id.as_deref()),
        ("Started", p.started_on.as_deref()),
        ("Finished", p.finished_on.as_deref()),
        ("Source", p.source.as_deref()),
    ]
}

/// A VEX statement's free texts, with their labels.
fn statement_texts(s: &vouch_evidence::vex::Statement) -> [(&'static str, Option<&str>); 3] {
    [
        ("Impact", s.impact_statement.as_deref()),
        ("Action", s.action_statement.as_deref()),
        ("Notes", s.status_notes.as_deref()),
    ]
}

#[cfg(test)]
mod tests;
