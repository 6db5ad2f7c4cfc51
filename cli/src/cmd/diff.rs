//! `vouch diff OLD NEW`: what an upgrade changes, from both images'
//! verified evidence.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use vouch_evidence::text::escape;
use vouch_verify::diff::{Diff, Swap, SwapKind};
use vouch_verify::vulns::{Finding, ImageInput};

use crate::args::{OsvArgs, RegistryArgs, TrustArgs, TrustedRootArgs};
use crate::findings::vex_cell;
use crate::judge::Judge;
use crate::term;

/// How `vouch diff` writes.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DiffOutput {
    /// A plain-text report.
    Table,
    /// JSON, one document.
    Json,
    /// Markdown, for a pull-request comment.
    Markdown,
}

/// Arguments of `vouch diff`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch diff oci:build/layout:v1 oci:build/layout:v2 --policy policy.yaml\n  \
    vouch diff oci:build/layout:v1 oci:build/layout:v2 --key ci.pub\n  \
    vouch diff registry.example.com/app:1.4 registry.example.com/app:1.5 --policy policies/ \\\n    \
    --osv osv-export.zip --output markdown >comment.md\n\n\
    Both images' inputs come from their verified provenance (else CycloneDX SBOM) under the\n\
    policy's authorities (or the --key keys). Exit status: 0 whatever changed; 1 when an\n\
    image has no verified inputs to compare.")]
pub struct Args {
    /// The image before the upgrade.
    #[arg(value_name = "OLD")]
    old: String,
    /// The image after it.
    #[arg(value_name = "NEW")]
    new: String,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    osv: OsvArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffOutput::Table)]
    output: DiffOutput,
    #[command(flatten)]
    trusted_root: TrustedRootArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

fn version(i: &ImageInput) -> &str {
    i.version.as_deref().unwrap_or("?")
}

/// How a string from evidence is shown: escaped ([`escape`]) in text; in
/// Markdown, also put in a code span its content cannot close, so that a
/// name can neither end the span nor open HTML, a comment, a link, an
/// autolink, emphasis or a block of its own.
#[derive(Clone, Copy)]
struct Shown {
    markdown: bool,
}

impl Shown {
    fn value(self, s: &str) -> String {
        let s = escape(s);
        if self.markdown {
            code_span(&s)
        } else {
            s.into_owned()
        }
    }
}

/// `s` as a CommonMark code span: a fence one backtick longer than the
/// longest run of backticks in `s`, which therefore cannot close it. When
/// `s` is empty, or starts or ends with a backtick or a space, a space
/// goes inside each fence, which CommonMark strips again: so a backtick
/// at either end of `s` is not read as part of the fence, and spaces at
/// its ends are kept. Inside a code span nothing else is interpreted:
/// `<`, `[`, `*`, `&`, `|` and `\` are shown as they are. `s` holds no
/// line break (it was escaped).
fn code_span(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = s.is_empty() || s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']);
    let space = if pad { " " } else { "" };
    format!("{fence}{space}{s}{space}{fence}")
}

/// Who provides an input: the distribution package it was unbundled onto
/// (`librust-flate2-dev 1.0.25-1`), or `vendored`.
fn provider(i: &ImageInput, shown: Shown) -> String {
    match &i.distribution {
        Some(d) => format!("{} {}", shown.value(d.package()), shown.value(d.version())),
        None => "vendored".into(),
    }
}

fn finding_line(f: &Finding, shown: Shown) -> String {
    format!(
        "{} ({}) in {} {}{}",
        shown.value(&f.id),
        f.severity.map_or("unknown".into(), |s| s.to_string()),
        shown.value(&f.input.name),
        shown.value(f.input.matched_version()),
        if f.input.critical { ", critical" } else { "" }
    )
}

/// The diff as plain text, or as Markdown. Every string from the images'
/// evidence goes through [`Shown::value`]; the rest is vouch's own words.
pub fn render(d: &Diff, markdown: bool) -> String {
    let mut out = String::new();
    let (h, item) = if markdown { ("### ", "- ") } else { ("", "  ") };
    let shown = Shown { markdown };
    let v = |s: &str| shown.value(s);
    if markdown {
        let _ = writeln!(
            out,
            "## vouch diff\n\n**old** {}  \n**new** {}\n",
            v(&d.old),
            v(&d.new)
        );
    } else {
        let _ = writeln!(out, "old {}\nnew {}", v(&d.old), v(&d.new));
    }
    if d.is_empty() {
        let _ = writeln!(
            out,
            "\nNo changes in inputs, critical set, vulnerabilities or VEX."
        );
        return out;
    }
    let mut section = |title: &str, lines: Vec<String>| {
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{h}{title} ({})", lines.len());
        if markdown {
            out.push('\n');
        }
        for line in lines {
            let _ = writeln!(out, "{item}{line}");
        }
    };
    section(
        "DIGEST CHANGED, VERSION UNCHANGED",
        d.rehashed
            .iter()
            .map(|r| {
                format!(
                    "{} {} ({}): {} -> {}{}",
                    if markdown { "**warning**" } else { "WARNING" },
                    v(&r.new.name),
                    v(version(&r.new)),
                    v(&r.old.digests.join(", ")),
                    v(&r.new.digests.join(", ")),
                    if r.new.critical { " [critical]" } else { "" }
                )
            })
            .collect(),
    );
    // A return to a vendored copy leaves the distribution's maintenance:
    // listed first, and loud.
    let mut swaps: Vec<&Swap> = d.swaps.iter().collect();
    swaps.sort_by_key(|s| s.kind != SwapKind::Rebundled);
    section(
        "Distribution swaps",
        swaps
            .iter()
            .map(|s| {
                format!(
                    "{}{} {} {} ({}): {} -> {}{}",
                    match (s.kind, markdown) {
                        (SwapKind::Rebundled, true) => "**warning** ",
                        (SwapKind::Rebundled, false) => "WARNING ",
                        _ => "",
                    },
                    s.kind,
                    v(&s.new.name),
                    v(version(&s.new)),
                    v(&s.new.ecosystem),
                    provider(&s.old, shown),
                    provider(&s.new, shown),
                    if s.new.critical { " [critical]" } else { "" }
                )
            })
            .collect(),
    );
    section(
        "Version changes",
        d.changed
            .iter()
            .map(|c| {
                format!(
                    "{} ({}): {} -> {} [{}]{}",
                    v(&c.new.name),
                    v(&c.new.ecosystem),
                    v(version(&c.old)),
                    v(version(&c.new)),
                    c.bump,
                    if c.new.critical { " [critical]" } else { "" }
                )
            })
            .collect(),
    );
    let input = |i: &ImageInput| format!("{} {} ({})", v(&i.name), v(version(i)), v(&i.ecosystem));
    section("Added inputs", d.added.iter().map(input).collect());
    section("Removed inputs", d.removed.iter().map(input).collect());
    section(
        "Critical set",
        d.critical
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}{}",
                    c.change,
                    v(&c.input.name),
                    v(version(&c.input)),
                    if c.input.critical_reasons.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", v(&c.input.critical_reasons.join("; ")))
                    }
                )
            })
            .collect(),
    );
    section(
        "Vulnerabilities introduced",
        d.introduced
            .iter()
            .map(|f| format!("{} [VEX: {}]", finding_line(f, shown), v(&vex_cell(f))))
            .collect(),
    );
    section(
        "Vulnerabilities fixed",
        d.fixed.iter().map(|f| finding_line(f, shown)).collect(),
    );
    section(
        "VEX answers that no longer apply",
        d.stale_vex
            .iter()
            .map(|s| format!("{}: {}", v(&s.finding.id), v(&s.why)))
            .collect(),
    );
    out
}

/// Compares OLD and NEW.
pub async fn run(args: Args) -> Result<()> {
    let judge = Judge::load(&args.trust, &args.osv, &args.trusted_root)?;
    let (_, _, d) = judge.compare(&args.registry, &args.old, &args.new).await?;
    match args.output {
        DiffOutput::Json => writeln!(term::data_stdout(), "{}", serde_json::to_string_pretty(&d)?)?,
        DiffOutput::Table => write!(term::text_stdout(), "{}", render(&d, false))?,
        DiffOutput::Markdown => write!(term::text_stdout(), "{}", render(&d, true))?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_span_outlasts_every_backtick_run_and_keeps_its_ends() {
        assert_eq!(code_span("zlib"), "`zlib`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("a``b```c"), "````a``b```c````");
        assert_eq!(code_span("`a"), "`` `a ``");
        assert_eq!(code_span("a`"), "`` a` ``");
        assert_eq!(code_span(" a "), "`  a  `");
        assert_eq!(code_span(""), "`  `");
        assert_eq!(code_span("<!-- x"), "`<!-- x`");
    }

    #[test]
    fn swaps_are_shown_with_a_return_to_vendored_first_and_loud() {
        use vouch_evidence::fixtures;
        let input = |deb: Option<&str>| {
            ImageInput::from(vouch_evidence::input::InputRecord {
                distribution: deb.map(|v| {
                    fixtures::distribution(
                        fixtures::debian_12("librust-flate2-dev", v),
                        "rust-flate2",
                        &[],
                    )
                }),
                ..fixtures::cargo_input("flate2", "1.0.25")
            })
        };
        let swap = |old, new, kind| Swap {
            old: input(old),
            new: input(new),
            kind,
        };
        let d = Diff {
            old: "old".into(),
            new: "new".into(),
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
            rehashed: Vec::new(),
            swaps: vec![
                swap(None, Some("1.0.25-1"), SwapKind::Unbundled),
                swap(
                    Some("1.0.25-1"),
                    Some("1.0.25-2"),
                    SwapKind::DistributionChanged,
                ),
                swap(Some("1.0.25-2"), None, SwapKind::Rebundled),
            ],
            critical: Vec::new(),
            fixed: Vec::new(),
            introduced: Vec::new(),
            stale_vex: Vec::new(),
        };
        let text = render(&d, false);
        let lines: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("Distribution swaps (3)"))
            .skip(1)
            .take(3)
            .collect();
        assert_eq!(
            lines,
            [
                "  WARNING rebundled flate2 1.0.25 (cargo): librust-flate2-dev 1.0.25-2 -> vendored [critical]",
                "  unbundled flate2 1.0.25 (cargo): vendored -> librust-flate2-dev 1.0.25-1 [critical]",
                "  distribution-changed flate2 1.0.25 (cargo): librust-flate2-dev 1.0.25-1 -> librust-flate2-dev 1.0.25-2 [critical]",
            ],
            "{text}"
        );
        let markdown = render(&d, true);
        assert!(
            markdown.contains("- **warning** rebundled `flate2` `1.0.25` (`cargo`): `librust-flate2-dev` `1.0.25-2` -> vendored"),
            "{markdown}"
        );
    }

    #[test]
    fn markdown_values_are_escaped_then_put_in_code_spans() {
        let shown = Shown { markdown: true };
        assert_eq!(shown.value("a\n# b\u{1b}"), "`a\\n# b\\u{1b}`");
        let text = Shown { markdown: false };
        assert_eq!(text.value("a\n# b\u{1b}"), "a\\n# b\\u{1b}");
    }
}
