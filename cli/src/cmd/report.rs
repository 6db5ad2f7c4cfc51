//! `vouch report`: one self-contained HTML page for auditors.
//!
//! The page is computed from the same [`Verdict`] that `vouch verify` and
//! `vouch vulns` print (and, with `--diff`, the same [`Diff`] as `vouch
//! diff`), so that what an auditor reads is exactly what admission decides.
//!
//! Everything it shows from evidence (input names, purls, VEX impact
//! statements, signer identities) is attacker-controlled text and goes
//! through [`escape`]. The page is one file with no external reference:
//! an inline style sheet, a small inline script that only adds table
//! sorting (the tables are plain HTML and read the same with scripts off),
//! and a Content-Security-Policy that admits those two by hash and nothing
//! else, so that even a missed escape could neither run a script nor load
//! anything.

use std::fmt::{self, Write as _};
use std::path::PathBuf;

use anyhow::Result;
use base64::Engine as _;
use vouch_evidence::digest::sha256;
use vouch_evidence::osv::Severity;
use vouch_evidence::text::{self, Escaped};
use vouch_verify::diff::{Change, Diff};
use vouch_verify::evaluate::Verdict;
use vouch_verify::policy::PolicySet;
use vouch_verify::vulns::{Finding, ImageInput};

use super::verify::{Judge, TrustArgs};
use super::vulns::vex_cell;
use super::{now_rfc3339, RegistryArgs};
use crate::files::{write_atomic, Overwrite};
use crate::term::note;

/// Arguments of `vouch report`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch report oci:build/layout:app --policy policies/production.yaml -o report.html\n  \
    vouch report registry.example.com/app:1.5 --policy policies/ --osv osv-export.zip \\\n    \
    --diff registry.example.com/app:1.4 -o upgrade.html\n\n\
    The page holds the verdict, who signed what and when, the provenance, the inputs\n\
    (critical ones marked), the findings with their VEX answers and every VEX statement\n\
    read; with --diff, what the upgrade from OLD changes. It is one file with no external\n\
    reference. A denied image gets its report too (exit status 0).")]
pub struct Args {
    /// The image.
    #[arg(value_name = "IMAGE")]
    image: String,
    #[command(flatten)]
    trust: TrustArgs,
    /// OSV records (directory or export zip); default: the policy's.
    #[arg(long, value_name = "DIR|ZIP")]
    osv: Option<PathBuf>,
    /// An older image to show the upgrade diff from.
    #[arg(long, value_name = "OLD")]
    diff: Option<String>,
    /// Where to write the HTML.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// Trusted root for keyless authorities (default: Sigstore public good).
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// What the page header says about how the report was made.
struct Header {
    /// The policy files read.
    policy_files: Vec<String>,
    /// The policy set's version digest (what a verdict cache keys on).
    policy_version: String,
    /// Where the OSV records came from, in words.
    osv: String,
    /// When the report was generated (RFC 3339, UTC).
    generated: String,
}

/// Writes the report.
pub async fn run(args: Args) -> Result<()> {
    let judge = Judge::load(
        &args.trust,
        args.osv.as_deref(),
        args.trusted_root.as_deref(),
    )?;
    let policies = &judge.policies;
    let (new, old) = match &args.diff {
        Some(old) => {
            let (old, new, diff) =
                super::diff::compare(&judge, &args.registry, old, &args.image).await?;
            (new, Some((old, diff)))
        }
        None => (judge.verdict(&args.registry, &args.image).await?, None),
    };
    let header = Header {
        policy_files: policies
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        policy_version: policies.version.to_string(),
        osv: osv_sources(&args, policies, &new),
        generated: now_rfc3339(),
    };
    let html = render(&header, &new, old.as_ref().map(|(v, d)| (v, d)));
    write_atomic(&args.output, html.as_bytes(), 0o644, Overwrite::Yes)?;
    let open = new.findings.iter().filter(|f| !f.answered()).count();
    note!(
        "wrote {}: {}@{} {} ({} finding(s), {open} unanswered)",
        args.output.display(),
        Escaped(&new.image),
        Escaped(&new.digest),
        new.verdict.as_str().to_uppercase(),
        new.findings.len()
    );
    Ok(())
}

/// Where the findings' OSV records came from: `--osv`, else the
/// `vulnerabilities` sections of the policies that matched the image.
fn osv_sources(args: &Args, policies: &PolicySet, v: &Verdict) -> String {
    if let Some(path) = &args.osv {
        return format!("{} (--osv, for every matching policy)", path.display());
    }
    let sources: Vec<String> = policies
        .policies
        .iter()
        .filter(|p| v.policies.iter().any(|r| r.name == p.name))
        .filter_map(|p| {
            let section = p.vulnerabilities.as_ref()?;
            Some(format!(
                "policy {}: {} ({} records)",
                p.name,
                section.osv.display(),
                section.database.len()
            ))
        })
        .collect();
    if sources.is_empty() {
        "none: no --osv, and no matching policy has a vulnerabilities section".into()
    } else {
        sources.join("; ")
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

/// The page's style sheet; admitted by its hash in the page's CSP.
const STYLE: &str = r#"
:root { --fg: #1d2433; --muted: #5b6478; --line: #d9dee8; --head: #f3f5f9;
  --deny: #b42318; --deny-bg: #fef3f2; --allow: #067647; --allow-bg: #ecfdf3;
  --warn: #b54708; --warn-bg: #fffaeb; --crit-bg: #fff4f2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 10px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 22px 0 8px; }
code, .mono { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
header.page { border-bottom: 1px solid var(--line); padding-bottom: 16px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 12px 0 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
nav.toc { margin-top: 12px; font-size: 13px; }
nav.toc a { margin-right: 14px; color: #175cd3; text-decoration: none; }
.banner { display: flex; align-items: center; gap: 18px; padding: 14px 18px; border-radius: 8px;
  border: 1px solid; margin: 8px 0 12px; }
.banner .word { font-size: 28px; font-weight: 800; letter-spacing: 0.06em; }
.banner.deny { color: var(--deny); background: var(--deny-bg); border-color: #fda29b; }
.banner.allow { color: var(--allow); background: var(--allow-bg); border-color: #75e0a7; }
.banner.warn { color: var(--warn); background: var(--warn-bg); border-color: #fec84b; }
.banner .what { color: var(--fg); }
ul.reasons { margin: 4px 0 8px; padding-left: 20px; }
ul.reasons.deny li { color: var(--deny); }
ul.reasons.warn li { color: var(--warn); }
ul.plain { margin: 0; padding-left: 16px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
thead th { background: var(--head); font-weight: 600; overflow-wrap: normal; }
table.fixed { table-layout: fixed; }
col.w6 { width: 6%; } col.w7 { width: 7%; } col.w8 { width: 8%; } col.w9 { width: 9%; }
col.w10 { width: 10%; } col.w11 { width: 11%; } col.w12 { width: 12%; } col.w14 { width: 14%; }
col.w15 { width: 15%; } col.w16 { width: 16%; } col.w17 { width: 17%; }
col.w20 { width: 20%; } col.w22 { width: 22%; } col.w24 { width: 24%; } col.w25 { width: 25%; }
col.w28 { width: 28%; } col.w30 { width: 30%; } col.w33 { width: 33%; } col.w34 { width: 34%; }
col.w40 { width: 40%; } col.w47 { width: 47%; } col.w60 { width: 60%; }
tbody tr:nth-child(even) td { background: #fafbfd; }
tbody tr.critical td { background: var(--crit-bg); }
tbody tr.critical td:first-child { box-shadow: inset 4px 0 0 var(--deny); }
tbody tr.ignored td, tbody tr.untrusted td { color: var(--muted); }
table[data-sortable] thead th { cursor: pointer; user-select: none; }
table[data-sortable] thead th:hover { background: #e8ecf4; }
table[data-sortable] thead th[aria-sort="ascending"]::after { content: " \25B2"; color: var(--fg); }
table[data-sortable] thead th[aria-sort="descending"]::after { content: " \25BC"; color: var(--fg); }
.tag { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; font-weight: 600;
  border: 1px solid transparent; white-space: nowrap; }
.tag.yes, .tag.deny, .tag.fail, .tag.sev-critical, .tag.sev-high, .tag.open { color: var(--deny);
  background: var(--deny-bg); border-color: #fda29b; }
.tag.warn, .tag.sev-medium, .tag.under_investigation, .tag.affected { color: var(--warn);
  background: var(--warn-bg); border-color: #fec84b; }
.tag.ok, .tag.not_affected, .tag.fixed, .tag.trusted { color: var(--allow); background: var(--allow-bg);
  border-color: #75e0a7; }
.tag.no, .tag.ignore, .tag.sev-low, .tag.sev-none, .tag.sev-unknown, .tag.untrusted { color: var(--muted);
  background: var(--head); border-color: var(--line); }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 10px 0; }
.alert { border: 2px solid var(--deny); background: var(--deny-bg); border-radius: 8px;
  padding: 8px 14px; margin: 16px 0; }
.alert h3 { color: var(--deny); margin-top: 6px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { nav.toc { display: none; } main { padding: 0; } }
"#;

/// The page's script: makes every `table.sortable` sortable by clicking a
/// header (numeric-aware; a cell's `data-sort` overrides its text), and
/// marks such tables `data-sortable="true"` so that sorting affordances
/// only show where it works. Admitted by its hash in the page's CSP.
const SCRIPT: &str = r#"
(function () {
  "use strict";
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  function key(row, i) {
    var cell = row.cells[i];
    if (!cell) { return ""; }
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }
  function compare(a, b) {
    var x = Number(a), y = Number(b);
    if (a !== "" && b !== "" && !isNaN(x) && !isNaN(y)) { return x - y; }
    return collator.compare(a, b);
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    table.setAttribute("data-sortable", "true");
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, i) {
      th.tabIndex = 0;
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var c = compare(key(a, i), key(b, i));
          return dir === "ascending" ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  });
})();
"#;

/// The CSP source expression admitting exactly `inline` (a `<style>` or
/// `<script>` element's content).
fn csp_hash(inline: &str) -> String {
    let digest = sha256(inline.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest.0)
    )
}

/// The whole page: the verdict on `new`, and with `diff` the OLD verdict
/// and what changed since.
fn render(header: &Header, new: &Verdict, diff: Option<(&Verdict, &Diff)>) -> String {
    let mut out = String::with_capacity(64 * 1024);
    // Writing into a String cannot fail.
    let _ = page(&mut out, header, new, diff);
    out
}

fn page(
    out: &mut String,
    header: &Header,
    v: &Verdict,
    diff: Option<(&Verdict, &Diff)>,
) -> fmt::Result {
    let subject = format!("{}@{}", v.image, v.digest);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src {}; script-src {}; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"vouch {}\">\n\
         <title>vouch report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        csp_hash(STYLE),
        csp_hash(SCRIPT),
        env!("CARGO_PKG_VERSION"),
        escape(&subject),
    )?;
    page_header(out, header, v, diff.map(|(old, _)| old))?;
    verdict_section(out, v)?;
    signers_section(out, v)?;
    provenance_section(out, v)?;
    inputs_section(out, v)?;
    findings_section(out, v)?;
    vex_section(out, v)?;
    if let Some((old, d)) = diff {
        diff_section(out, old, v, d)?;
    }
    write!(
        out,
        "<footer>Generated by vouch {} at {}. Every signed item above was verified against the \
         policy's authorities before it was used; what did not verify is listed with the \
         reason and never counted.</footer>\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&header.generated),
    )
}

fn page_header(
    out: &mut String,
    header: &Header,
    v: &Verdict,
    old: Option<&Verdict>,
) -> fmt::Result {
    write!(
        out,
        "<header class=\"page\" id=\"header\">\n<h1>Supply-chain audit report</h1>\n\
         <div class=\"muted\">Evidence attached to one container image, verified and judged \
         by vouch.</div>\n<dl class=\"facts\">\n<dt>Image</dt><dd><code id=\"subject\">{}@{}</code></dd>\n",
        escape(&v.image),
        escape(&v.digest),
    )?;
    if let Some(old) = old {
        writeln!(
            out,
            "<dt>Compared with</dt><dd><code>{}@{}</code></dd>",
            escape(&old.image),
            escape(&old.digest)
        )?;
    }
    out.push_str("<dt>Policy files</dt><dd>");
    list_or(out, &header.policy_files, "none", true)?;
    write!(
        out,
        "</dd>\n<dt>Policy set version</dt><dd><code>{}</code></dd>\n\
         <dt>OSV records</dt><dd>{}</dd>\n<dt>Generated</dt><dd>{}</dd>\n\
         <dt>vouch version</dt><dd>{}</dd>\n</dl>\n<nav class=\"toc\">\
         <a href=\"#verdict\">Verdict</a><a href=\"#signers\">Signers</a>\
         <a href=\"#provenance\">Provenance</a><a href=\"#inputs\">Inputs</a>\
         <a href=\"#findings\">Findings</a><a href=\"#vex\">VEX</a>{}</nav>\n</header>\n",
        escape(&header.policy_version),
        escape(&header.osv),
        escape(&header.generated),
        env!("CARGO_PKG_VERSION"),
        if old.is_some() {
            "<a href=\"#diff\">Upgrade diff</a>"
        } else {
            ""
        },
    )
}

/// `items` as a plain list (each escaped, in `<code>` if `code`), or
/// `empty` in muted text.
fn list_or(out: &mut String, items: &[String], empty: &str, code: bool) -> fmt::Result {
    if items.is_empty() {
        return write!(out, "<span class=\"muted\">{}</span>", escape(empty));
    }
    out.push_str("<ul class=\"plain\">");
    for item in items {
        if code {
            write!(out, "<li><code>{}</code></li>", escape(item))?;
        } else {
            write!(out, "<li>{}</li>", escape(item))?;
        }
    }
    out.push_str("</ul>");
    Ok(())
}

/// Opens a table: `id` (empty for none), sortable or not, and its
/// columns as (header, width in percent of the page, one of the style
/// sheet's `col.wN` classes); the widths fix the layout, so that long
/// digests and key ids wrap inside their column instead of widening the
/// table past the page.
fn table_head(out: &mut String, id: &str, sortable: bool, cols: &[(&str, u8)]) -> fmt::Result {
    out.push_str("<table");
    if !id.is_empty() {
        write!(out, " id=\"{}\"", escape(id))?;
    }
    write!(
        out,
        " class=\"fixed{}\">\n<colgroup>",
        if sortable { " sortable" } else { "" }
    )?;
    for (_, width) in cols {
        write!(out, "<col class=\"w{width}\">")?;
    }
    out.push_str("</colgroup>\n<thead><tr>");
    for (header, _) in cols {
        write!(out, "<th>{}</th>", escape(header))?;
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    Ok(())
}

/// A small coloured label; `class` is one of the style sheet's tag
/// classes (never evidence text).
fn tag(class: &str, text: &str) -> String {
    format!(
        "<span class=\"tag {}\">{}</span>",
        escape(class),
        escape(text)
    )
}

/// An RFC 3339 time, escaped, that may wrap between its date and its
/// time in a narrow column (a `<wbr>` after the `T`); other text as is.
fn time(s: &str) -> String {
    match s.split_at_checked(11) {
        Some((date, rest))
            if date.ends_with('T')
                && date[..10].bytes().all(|b| b.is_ascii_digit() || b == b'-') =>
        {
            format!("{}<wbr>{}", escape(date), escape(rest))
        }
        _ => escape(s),
    }
}

/// The row attribute marking a critical input's row.
fn critical_class(i: &ImageInput) -> &'static str {
    if i.critical {
        " class=\"critical\""
    } else {
        ""
    }
}

fn yes_no(b: bool) -> String {
    if b {
        tag("yes", "yes")
    } else {
        tag("no", "no")
    }
}

fn verdict_section(out: &mut String, v: &Verdict) -> fmt::Result {
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
    write!(
        out,
        "<section id=\"verdict\">\n<h2>Verdict</h2>\n<div class=\"banner {class}\" \
         id=\"verdict-banner\"><span class=\"word\">{word}</span><span class=\"what\">{}</span></div>\n",
        escape(&what)
    )?;
    if !v.denials.is_empty() {
        out.push_str("<h3>Denied because</h3>\n<ul class=\"reasons deny\" id=\"denials\">");
        for d in &v.denials {
            write!(out, "<li>{}</li>", escape(d))?;
        }
        out.push_str("</ul>\n");
    }
    if !v.warnings.is_empty() {
        out.push_str("<h3>Warnings</h3>\n<ul class=\"reasons warn\" id=\"warnings\">");
        for w in &v.warnings {
            write!(out, "<li>{}</li>", escape(w))?;
        }
        out.push_str("</ul>\n");
    }
    if v.policies.is_empty() {
        out.push_str("<p class=\"muted\">No policy matches this image.</p>\n");
    }
    for p in &v.policies {
        write!(
            out,
            "<div class=\"card policy\">\n<h3>Policy {} {} <span class=\"muted small\">{} mode, \
             from {}</span></h3>\n",
            escape(&p.name),
            if p.passed {
                tag("ok", "pass")
            } else {
                tag("fail", "FAIL")
            },
            escape(&p.mode.to_string()),
            escape(&p.source)
        )?;
        if !p.requirements.is_empty() {
            table_head(
                out,
                "",
                false,
                &[
                    ("Result", 7),
                    ("Requirement", 16),
                    ("Reason", 47),
                    ("Satisfied by", 30),
                ],
            )?;
            for r in &p.requirements {
                write!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>",
                    if r.passed {
                        tag("ok", "ok")
                    } else {
                        tag("fail", "FAIL")
                    },
                    escape(&r.requirement),
                    escape(&r.reason)
                )?;
                list_or(out, &r.satisfied_by, "-", false)?;
                out.push_str("</td></tr>\n");
            }
            out.push_str("</tbody>\n</table>\n");
        }
        if !p.warnings.is_empty() {
            out.push_str("<ul class=\"reasons warn\">");
            for w in &p.warnings {
                write!(out, "<li>{}</li>", escape(w))?;
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
    Ok(())
}

fn signers_section(out: &mut String, v: &Verdict) -> fmt::Result {
    out.push_str(
        "<section id=\"signers\">\n<h2>Who signed what, and when</h2>\n<p class=\"muted small\">\
         Every signature and attestation found next to the image. <em>Signed at</em> is a \
         verified time (a transparency-log or timestamp-authority time, or the signed \
         predicate's own time); <em>created</em> is the unsigned annotation, for reference \
         only.</p>\n",
    );
    if v.evidence.is_empty() {
        out.push_str(
            "<p class=\"muted\">No signatures or attestations are attached.</p>\n</section>\n",
        );
        return Ok(());
    }
    table_head(
        out,
        "evidence-table",
        true,
        &[
            ("Kind", 9),
            ("Format", 7),
            ("Predicate type / digest", 24),
            ("Status", 8),
            ("Signed by / why ignored", 28),
            ("Signed at", 12),
            ("Created (unsigned)", 12),
        ],
    )?;
    for e in &v.evidence {
        let verified = !e.verified_by.is_empty();
        write!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td><code>{}</code>\
             <div class=\"muted small mono\">{}</div></td><td>{}</td><td>",
            if verified { "verified" } else { "ignored" },
            escape(e.kind.name()),
            escape(e.format.name()),
            escape(e.predicate_type.as_deref().unwrap_or("-")),
            escape(&e.digest),
            if verified {
                tag("ok", "verified")
            } else {
                tag("no", "ignored")
            },
        )?;
        if verified {
            let signers = if e.signers.is_empty() {
                &e.verified_by
            } else {
                &e.signers
            };
            list_or(out, signers, "-", false)?;
        } else if e.ignored.is_empty() {
            out.push_str("no authority of a matching policy applies");
        } else {
            list_or(out, &e.ignored, "-", false)?;
        }
        writeln!(
            out,
            "</td><td>{}</td><td class=\"muted\">{}</td></tr>",
            time(e.signed_at.as_deref().unwrap_or("-")),
            time(e.created.as_deref().unwrap_or("-")),
        )?;
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    Ok(())
}

fn provenance_section(out: &mut String, v: &Verdict) -> fmt::Result {
    out.push_str("<section id=\"provenance\">\n<h2>Provenance</h2>\n");
    match &v.provenance {
        None => out.push_str("<p class=\"muted\">No verified SLSA provenance.</p>\n"),
        Some(p) => {
            out.push_str("<dl class=\"facts\">\n");
            let rows = [
                ("Builder", &p.builder_id),
                ("Build type", &p.build_type),
                ("Invocation", &p.invocation_id),
                ("Started", &p.started_on),
                ("Finished", &p.finished_on),
                ("Source", &p.source),
            ];
            for (label, value) in rows {
                writeln!(
                    out,
                    "<dt>{label}</dt><dd>{}</dd>",
                    match value {
                        Some(s) => format!("<code>{}</code>", escape(s)),
                        None => "<span class=\"muted\">not recorded</span>".into(),
                    }
                )?;
            }
            write!(
                out,
                "<dt>Signed by</dt><dd>{}</dd>\n</dl>\n",
                escape(&p.signed_by)
            )?;
        }
    }
    write!(
        out,
        "<p id=\"inputs-from\">{}</p>\n</section>\n",
        match &v.inputs_from {
            Some(from) => format!("Inputs read from the {}.", escape(from)),
            None => "<strong>No verified provenance or CycloneDX SBOM: the image's inputs are \
                     unknown.</strong>"
                .into(),
        }
    )
}

fn inputs_section(out: &mut String, v: &Verdict) -> fmt::Result {
    let critical = v.inputs.iter().filter(|i| i.critical).count();
    write!(
        out,
        "<section id=\"inputs\">\n<h2>Inputs</h2>\n<p class=\"muted small\">{} vendored input(s), \
         {critical} critical. Click a column header to sort.</p>\n",
        v.inputs.len()
    )?;
    if v.inputs.is_empty() {
        out.push_str("<p class=\"muted\">No inputs recorded.</p>\n</section>\n");
        return Ok(());
    }
    table_head(
        out,
        "inputs-table",
        true,
        &[
            ("Name", 11),
            ("Version", 7),
            ("Ecosystem", 8),
            ("Purl / CPE", 16),
            ("Critical", 22),
            ("Digests", 17),
            ("On disk", 8),
            ("Origin", 11),
        ],
    )?;
    for i in &v.inputs {
        write!(
            out,
            "<tr{}><td><strong>{}</strong></td><td>{}</td><td>{}</td><td><code>{}</code>",
            critical_class(i),
            escape(&i.name),
            escape(version(i)),
            escape(&i.ecosystem),
            escape(i.purl.as_deref().unwrap_or("-")),
        )?;
        if let Some(cpe) = &i.cpe {
            write!(out, "<div class=\"muted small mono\">{}</div>", escape(cpe))?;
        }
        write!(
            out,
            "</td><td data-sort=\"{}\">{}",
            if i.critical { "1" } else { "0" },
            yes_no(i.critical),
        )?;
        if !i.critical_reasons.is_empty() {
            list_or(out, &i.critical_reasons, "", false)?;
        }
        out.push_str("</td><td>");
        list_or(out, &i.digests, "-", true)?;
        out.push_str("</td><td>");
        match i.matched.as_deref() {
            Some("match") => out.push_str(&tag("ok", "match")),
            Some("mismatch") => out.push_str(&tag("deny", "mismatch")),
            Some(other) => out.push_str(&tag("no", other)),
            None => out.push_str("<span class=\"muted\">-</span>"),
        }
        if let Some(reason) = &i.mismatch_reason {
            write!(out, "<div class=\"small\">{}</div>", escape(reason))?;
        }
        writeln!(
            out,
            "</td><td><code>{}</code></td></tr>",
            escape(i.uri.as_deref().unwrap_or("-"))
        )?;
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    Ok(())
}

fn version(i: &ImageInput) -> &str {
    i.version.as_deref().unwrap_or("?")
}

/// A severity's rank for sorting: unknown lowest.
fn severity_rank(s: Option<Severity>) -> u8 {
    match s {
        None => 0,
        Some(Severity::None) => 1,
        Some(Severity::Low) => 2,
        Some(Severity::Medium) => 3,
        Some(Severity::High) => 4,
        Some(Severity::Critical) => 5,
    }
}

fn severity_tag(s: Option<Severity>) -> String {
    match s {
        Some(s) => tag(&format!("sev-{s}"), &s.to_string()),
        None => tag("sev-unknown", "unknown"),
    }
}

/// The finding's id cell: id, aliases and summary.
fn id_cell(f: &Finding) -> String {
    let mut cell = format!("<strong>{}</strong>", escape(&f.id));
    if !f.aliases.is_empty() {
        let aliases: Vec<String> = f.aliases.iter().map(|a| escape(a)).collect();
        cell.push_str(&format!(
            "<div class=\"muted small\">aka {}</div>",
            aliases.join(", ")
        ));
    }
    if let Some(summary) = &f.summary {
        cell.push_str(&format!("<div class=\"small\">{}</div>", escape(summary)));
    }
    cell
}

/// The VEX answer cell: status, justification, statements, signer, time
/// and document; or the absence of one.
fn answer_cell(f: &Finding) -> String {
    let Some(a) = &f.answer else {
        return tag("open", "no answer");
    };
    let mut cell = tag(a.status.as_str(), a.status.as_str());
    if let Some(j) = a.justification {
        cell.push_str(&format!(
            " <span class=\"small\">{}</span>",
            escape(j.as_str())
        ));
    }
    if let Some(impact) = &a.impact {
        cell.push_str(&format!("<div>Impact: {}</div>", escape(impact)));
    }
    if let Some(action) = &a.action {
        cell.push_str(&format!("<div>Action: {}</div>", escape(action)));
    }
    cell.push_str(&format!(
        "<div class=\"muted small\">by {} at {}</div><div class=\"muted small\">{}</div>",
        escape(&a.by),
        time(&a.timestamp),
        escape(&a.document)
    ));
    cell
}

fn findings_section(out: &mut String, v: &Verdict) -> fmt::Result {
    let open = v.findings.iter().filter(|f| !f.answered()).count();
    let open_critical = v
        .findings
        .iter()
        .filter(|f| !f.answered() && f.input.critical)
        .count();
    write!(
        out,
        "<section id=\"findings\">\n<h2>Vulnerability findings</h2>\n<p class=\"muted small\" \
         id=\"findings-summary\">{} finding(s): {} answered by trusted VEX, {open} unanswered \
         ({open_critical} in critical inputs). Only a <em>not_affected</em> or <em>fixed</em> \
         statement from a trusted VEX authority answers a finding.</p>\n",
        v.findings.len(),
        v.findings.len() - open
    )?;
    if v.findings.is_empty() {
        out.push_str(
            "<p class=\"muted\">No known vulnerabilities in the recorded inputs.</p>\n</section>\n",
        );
        return Ok(());
    }
    table_head(
        out,
        "findings-table",
        true,
        &[
            ("ID", 16),
            ("Severity", 8),
            ("Score", 6),
            ("Input", 8),
            ("Version", 7),
            ("Critical", 7),
            ("Fixed in", 7),
            ("Action", 7),
            ("VEX answer", 20),
            ("Ignored VEX", 14),
        ],
    )?;
    for f in &v.findings {
        let mut classes = vec![if f.answered() { "answered" } else { "open" }];
        if f.input.critical {
            classes.push("critical");
        }
        write!(
            out,
            "<tr class=\"{}\"><td data-sort=\"{}\">{}</td><td data-sort=\"{}\">{}</td>\
             <td data-sort=\"{}\">{}</td><td>{}</td><td>{}</td><td data-sort=\"{}\">{}</td><td>",
            classes.join(" "),
            escape(&f.id),
            id_cell(f),
            severity_rank(f.severity),
            severity_tag(f.severity),
            f.score.map_or("-1".into(), |s| s.to_string()),
            f.score.map_or("-".into(), |s| format!("{s:.1}")),
            escape(&f.input.name),
            escape(version(&f.input)),
            if f.input.critical { "1" } else { "0" },
            yes_no(f.input.critical),
        )?;
        list_or(out, &f.fixed, "-", false)?;
        write!(
            out,
            "</td><td>{}</td><td data-sort=\"{}\">{}</td><td>",
            tag(&f.action.to_string(), &f.action.to_string()),
            escape(&vex_cell(f)),
            answer_cell(f),
        )?;
        list_or(out, &f.ignored_vex, "-", false)?;
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    Ok(())
}

fn vex_section(out: &mut String, v: &Verdict) -> fmt::Result {
    out.push_str(
        "<section id=\"vex\">\n<h2>VEX statements</h2>\n<p class=\"muted small\">Every VEX \
         statement read from a verified attestation, trusted or not. Statements from signers \
         outside the policy's VEX authorities are shown and never used.</p>\n",
    );
    if v.vex.is_empty() {
        out.push_str("<p class=\"muted\">No VEX statements.</p>\n</section>\n");
        return Ok(());
    }
    table_head(
        out,
        "vex-table",
        true,
        &[
            ("Vulnerability", 10),
            ("Status", 14),
            ("Products", 20),
            ("Statement", 15),
            ("Signer", 14),
            ("Trusted", 7),
            ("Timestamp", 10),
            ("Document", 10),
        ],
    )?;
    for s in &v.vex {
        let st = &s.statement;
        write!(
            out,
            "<tr class=\"{}\"><td><strong>{}</strong>",
            if s.trusted { "trusted" } else { "untrusted" },
            escape(&st.vulnerability)
        )?;
        if !st.aliases.is_empty() {
            let aliases: Vec<String> = st.aliases.iter().map(|a| escape(a)).collect();
            write!(
                out,
                "<div class=\"muted small\">aka {}</div>",
                aliases.join(", ")
            )?;
        }
        write!(
            out,
            "</td><td>{}",
            tag(st.status.as_str(), st.status.as_str())
        )?;
        if let Some(j) = st.justification {
            write!(out, "<div class=\"small\">{}</div>", escape(j.as_str()))?;
        }
        out.push_str("</td><td><ul class=\"plain\">");
        for p in &st.products {
            write!(out, "<li><code>{}</code>", escape(&p.id))?;
            if !p.subcomponents.is_empty() {
                list_or(out, &p.subcomponents, "", true)?;
            }
            out.push_str("</li>");
        }
        out.push_str("</ul></td><td>");
        for (label, text) in [
            ("Impact", &st.impact_statement),
            ("Action", &st.action_statement),
            ("Notes", &st.status_notes),
        ] {
            if let Some(text) = text {
                write!(out, "<div>{label}: {}</div>", escape(text))?;
            }
        }
        writeln!(
            out,
            "</td><td>{}</td><td data-sort=\"{}\">{}</td><td>{}</td><td class=\"small\">{}</td></tr>",
            escape(&s.signer),
            u8::from(s.trusted),
            if s.trusted {
                tag("trusted", "trusted")
            } else {
                tag("untrusted", "not trusted")
            },
            time(&st.timestamp.to_string()),
            escape(&s.document)
        )?;
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    Ok(())
}

/// One input as a table row of the diff: name, version, ecosystem, purl,
/// critical.
fn diff_input_row(out: &mut String, i: &ImageInput) -> fmt::Result {
    writeln!(
        out,
        "<tr{}><td><strong>{}</strong></td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
        critical_class(i),
        escape(&i.name),
        escape(version(i)),
        escape(&i.ecosystem),
        escape(i.purl.as_deref().unwrap_or("-")),
        yes_no(i.critical)
    )
}

fn diff_inputs(out: &mut String, id: &str, title: &str, inputs: &[ImageInput]) -> fmt::Result {
    if inputs.is_empty() {
        return Ok(());
    }
    writeln!(out, "<h3>{title} ({})</h3>", inputs.len())?;
    table_head(
        out,
        id,
        true,
        &[
            ("Name", 20),
            ("Version", 12),
            ("Ecosystem", 12),
            ("Purl", 40),
            ("Critical", 16),
        ],
    )?;
    for i in inputs {
        diff_input_row(out, i)?;
    }
    out.push_str("</tbody>\n</table>\n");
    Ok(())
}

fn diff_findings(out: &mut String, id: &str, title: &str, findings: &[Finding]) -> fmt::Result {
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(out, "<h3>{title} ({})</h3>", findings.len())?;
    table_head(
        out,
        id,
        true,
        &[
            ("ID", 25),
            ("Severity", 9),
            ("Input", 14),
            ("Version", 10),
            ("Critical", 9),
            ("VEX answer", 33),
        ],
    )?;
    for f in findings {
        writeln!(
            out,
            "<tr{}><td data-sort=\"{}\">{}</td><td data-sort=\"{}\">{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            critical_class(&f.input),
            escape(&f.id),
            id_cell(f),
            severity_rank(f.severity),
            severity_tag(f.severity),
            escape(&f.input.name),
            escape(version(&f.input)),
            yes_no(f.input.critical),
            answer_cell(f)
        )?;
    }
    out.push_str("</tbody>\n</table>\n");
    Ok(())
}

fn diff_section(out: &mut String, old: &Verdict, new: &Verdict, d: &Diff) -> fmt::Result {
    write!(
        out,
        "<section id=\"diff\">\n<h2>Upgrade diff</h2>\n<dl class=\"facts\">\n\
         <dt>Old</dt><dd><code>{}</code> {}</dd>\n<dt>New</dt><dd><code>{}</code> {}</dd>\n</dl>\n",
        escape(&d.old),
        verdict_tag(old),
        escape(&d.new),
        verdict_tag(new),
    )?;
    if d.is_empty() {
        out.push_str(
            "<p id=\"diff-empty\">No changes in inputs, critical set, vulnerabilities or VEX.</p>\n\
             </section>\n",
        );
        return Ok(());
    }
    if !d.rehashed.is_empty() {
        write!(
            out,
            "<div class=\"alert\" id=\"diff-rehashed\">\n<h3>Digest changed, version unchanged \
             ({})</h3>\n<p>The same declared release now has other bytes: a silent re-tag, or a \
             tampered vendor tree. Check these before anything else.</p>\n",
            d.rehashed.len()
        )?;
        table_head(
            out,
            "diff-rehashed-table",
            true,
            &[
                ("Name", 16),
                ("Version", 10),
                ("Old digests", 30),
                ("New digests", 30),
                ("Critical", 14),
            ],
        )?;
        for r in &d.rehashed {
            write!(
                out,
                "<tr{}><td><strong>{}</strong></td><td>{}</td><td>",
                critical_class(&r.new),
                escape(&r.new.name),
                escape(version(&r.new))
            )?;
            list_or(out, &r.old.digests, "-", true)?;
            out.push_str("</td><td>");
            list_or(out, &r.new.digests, "-", true)?;
            writeln!(out, "</td><td>{}</td></tr>", yes_no(r.new.critical))?;
        }
        out.push_str("</tbody>\n</table>\n</div>\n");
    }
    if !d.changed.is_empty() {
        writeln!(out, "<h3>Version changes ({})</h3>", d.changed.len())?;
        table_head(
            out,
            "diff-changed",
            true,
            &[
                ("Name", 24),
                ("Ecosystem", 14),
                ("Old", 16),
                ("New", 16),
                ("Bump", 15),
                ("Critical", 15),
            ],
        )?;
        for c in &d.changed {
            let bump = c.bump.to_string();
            let class = match bump.as_str() {
                "major" | "downgrade" => "warn",
                _ => "no",
            };
            writeln!(
                out,
                "<tr{}><td><strong>{}</strong></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td></tr>",
                critical_class(&c.new),
                escape(&c.new.name),
                escape(&c.new.ecosystem),
                escape(version(&c.old)),
                escape(version(&c.new)),
                tag(class, &bump),
                yes_no(c.new.critical)
            )?;
        }
        out.push_str("</tbody>\n</table>\n");
    }
    diff_inputs(out, "diff-added", "Added inputs", &d.added)?;
    diff_inputs(out, "diff-removed", "Removed inputs", &d.removed)?;
    if !d.critical.is_empty() {
        writeln!(out, "<h3>Critical set ({})</h3>", d.critical.len())?;
        table_head(
            out,
            "diff-critical",
            true,
            &[
                ("Change", 10),
                ("Name", 20),
                ("Version", 10),
                ("Why critical", 60),
            ],
        )?;
        for c in &d.critical {
            write!(
                out,
                "<tr><td>{}</td><td><strong>{}</strong></td><td>{}</td><td>",
                tag(
                    if c.change == Change::Added {
                        "yes"
                    } else {
                        "no"
                    },
                    &c.change.to_string()
                ),
                escape(&c.input.name),
                escape(version(&c.input))
            )?;
            list_or(out, &c.input.critical_reasons, "-", false)?;
            out.push_str("</td></tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }
    diff_findings(
        out,
        "diff-introduced",
        "Vulnerabilities introduced",
        &d.introduced,
    )?;
    diff_findings(out, "diff-fixed", "Vulnerabilities fixed", &d.fixed)?;
    if !d.stale_vex.is_empty() {
        writeln!(
            out,
            "<h3>VEX answers that no longer apply ({})</h3>",
            d.stale_vex.len()
        )?;
        table_head(
            out,
            "diff-stale-vex",
            true,
            &[("ID", 16), ("Input", 16), ("Old answer", 34), ("Why", 34)],
        )?;
        for s in &d.stale_vex {
            writeln!(
                out,
                "<tr><td><strong>{}</strong></td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
                escape(&s.finding.id),
                escape(&s.finding.input.name),
                escape(version(&s.finding.input)),
                escape(&vex_cell(&s.finding)),
                escape(&s.why)
            )?;
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
    Ok(())
}

fn verdict_tag(v: &Verdict) -> String {
    if v.allowed() {
        tag("ok", "ALLOW")
    } else {
        tag("deny", "DENY")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

    use super::*;
    use vouch_verify::evaluate::Decision;

    fn input(name: &str, critical: bool) -> ImageInput {
        ImageInput {
            name: name.into(),
            version: Some("1.0.0".into()),
            ecosystem: "generic".into(),
            purl: Some(format!("pkg:generic/{name}@1.0.0")),
            uri: None,
            critical,
            critical_reasons: Vec::new(),
            digests: vec!["sha256:00".into()],
            cpe: None,
            matched: Some("match".into()),
            mismatch_reason: None,
        }
    }

    fn verdict_with(inputs: Vec<ImageInput>) -> Verdict {
        Verdict {
            image: "oci:layout:app".into(),
            digest: "sha256:ab".into(),
            verdict: Decision::Deny,
            denials: vec!["policy p: <b>denied</b>".into()],
            warnings: Vec::new(),
            policies: Vec::new(),
            evidence: Vec::new(),
            inputs,
            inputs_from: None,
            findings: Vec::new(),
            vex: Vec::new(),
            provenance: None,
        }
    }

    fn header() -> Header {
        Header {
            policy_files: vec!["policy.yaml".into()],
            policy_version: "sha256:00".into(),
            osv: "none".into(),
            generated: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn the_diff_puts_rehashed_inputs_first_and_loud() {
        use vouch_verify::diff::{Bump, Rehashed, VersionChange};
        let mut rehashed_new = input("zlib", true);
        rehashed_new.digests = vec!["sha256:11".into()];
        let mut bumped = input("minijson", false);
        bumped.version = Some("1.1.0".into());
        let d = Diff {
            old: "oci:layout:old@sha256:aa".into(),
            new: "oci:layout:app@sha256:ab".into(),
            added: vec![input("added-lib", false)],
            removed: Vec::new(),
            changed: vec![VersionChange {
                old: input("minijson", false),
                new: bumped,
                bump: Bump::Minor,
            }],
            rehashed: vec![Rehashed {
                old: input("zlib", true),
                new: rehashed_new,
            }],
            critical: Vec::new(),
            fixed: Vec::new(),
            introduced: Vec::new(),
            stale_vex: Vec::new(),
        };
        let v = verdict_with(vec![input("zlib", true)]);
        let page = render(&header(), &v, Some((&v, &d)));
        let diff = &page[page.find("<section id=\"diff\">").unwrap()..];
        let rehashed = diff
            .find("<div class=\"alert\" id=\"diff-rehashed\">")
            .unwrap();
        let changed = diff.find("<table id=\"diff-changed\"").unwrap();
        let added = diff.find("<table id=\"diff-added\"").unwrap();
        assert!(rehashed < changed && changed < added, "{diff}");
        assert!(diff[rehashed..changed].contains("<code>sha256:00</code>"));
        assert!(diff[rehashed..changed].contains("<code>sha256:11</code>"));
        assert!(diff[changed..added].contains("<td>1.0.0</td><td>1.1.0</td>"));
        assert!(diff[changed..added].contains(">minor</span>"));
        // Empty parts are left out, and the header names OLD.
        assert!(!diff.contains("diff-removed") && !diff.contains("diff-stale-vex"));
        assert!(page.contains("<dt>Compared with</dt>"));
        // Negative control: no changes, no tables.
        let empty = Diff {
            added: Vec::new(),
            changed: Vec::new(),
            rehashed: Vec::new(),
            ..d
        };
        let page = render(&header(), &v, Some((&v, &empty)));
        assert!(page.contains("<p id=\"diff-empty\">"), "{page}");
        assert!(!page.contains("diff-rehashed") && !page.contains("diff-changed"));
        // Every column width the tables use has its rule in the style sheet.
        for (i, _) in page.match_indices("<col class=\"w") {
            let class = &page[i + 12..i + 12 + page[i + 12..].find('"').unwrap()];
            assert!(
                STYLE.contains(&format!("col.{class} {{")),
                "no rule for {class}"
            );
        }
    }

    #[test]
    fn escape_covers_the_five_characters_and_nothing_else() {
        assert_eq!(
            escape(r#"a&b<c>d"e'f é"#),
            "a&amp;b&lt;c&gt;d&quot;e&#39;f é"
        );
        assert_eq!(escape("plain-text_1.2"), "plain-text_1.2");
    }

    #[test]
    fn a_script_in_an_input_name_comes_out_inert() {
        let hostile = "<script>alert('x')</script><img src=x onerror=\"alert(1)\">";
        let page = render(&header(), &verdict_with(vec![input(hostile, true)]), None);
        // The only script element is the page's own, and no tag of the
        // input's survives.
        assert_eq!(page.matches("<script>").count(), 1, "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("alert('x')"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
            "{page}"
        );
        // Denials (evidence-derived text) too.
        assert!(page.contains("policy p: &lt;b&gt;denied&lt;/b&gt;"));
        // Negative control: a plain name is rendered as is, in its row.
        let plain = render(&header(), &verdict_with(vec![input("zlib", false)]), None);
        assert!(plain.contains("<td><strong>zlib</strong></td>"), "{plain}");
    }

    #[test]
    fn the_page_references_nothing_outside_itself_and_admits_only_its_own_code() {
        let page = render(&header(), &verdict_with(vec![input("zlib", true)]), None);
        for needle in ["http://", "https://", "src=", "<link", "@import", "url("] {
            assert!(!page.contains(needle), "{needle} in the page");
        }
        let csp = format!(
            "default-src 'none'; style-src {}; script-src {};",
            csp_hash(STYLE),
            csp_hash(SCRIPT)
        );
        assert!(page.contains(&csp), "{page}");
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
        // A known vector for the hash form: sha256("") in base64.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        // The critical row is marked, the other one is not.
        let two = render(
            &header(),
            &verdict_with(vec![input("zlib", true), input("minijson", false)]),
            None,
        );
        assert!(two.contains("<tr class=\"critical\"><td><strong>zlib</strong>"));
        assert!(two.contains("<tr><td><strong>minijson</strong>"));
    }
}
