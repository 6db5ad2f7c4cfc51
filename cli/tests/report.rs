//! `vouch report` end to end: the demo project attested onto an `oci:`
//! layout, one of its two findings answered by the security team's VEX,
//! the report written by the real binary, then opened in headless Chromium
//! (Debian's `chromium`, installed by scripts/install-oracles.sh) and
//! checked in the DOM Chromium renders (`--dump-dom`), with the page's own
//! script run under its own Content-Security-Policy.

use crate::common;

use std::fs;

use common::registry::layout_image;
use common::report::{dump_dom, section, text};
use common::{
    assert_fails_with, assert_ok, copy_tree, vex_create, vouch_in, Fixture, NOT_AFFECTED,
};

/// The working directory of every test here: the demo project attested
/// with `ci.key` onto `oci:layout:app`, the demo-vulns policy as
/// `policy.yaml` with testdata/osv beside it as `osv/`, a `security` key
/// pair (the policy's VEX authority), and a VEX document from it that
/// answers CVE-2024-50615 in tinyxml2, and only that.
fn scenario() -> Fixture {
    let f = Fixture::demo()
        .with_vulns()
        .with_layout_image("layout", "app")
        .attested();
    answer(&f, "CVE-2024-50615");
    f
}

/// The security team answers `cve` in tinyxml2 for `oci:layout:app`:
/// `vouch vex create`, then `vouch vex attach` with `security.key`.
fn answer(f: &Fixture, cve: &str) {
    let file = format!("{cve}.vex.json");
    let impact = [
        "--impact",
        "demo-service parses only its own bundled XML configuration",
    ];
    assert_ok(&vex_create(
        f.dir(),
        "oci:layout:app",
        &[cve],
        &file,
        &[NOT_AFFECTED.as_slice(), &impact].concat(),
    ));
    assert_ok(&vouch_in(
        f.dir(),
        &[
            "vex",
            "attach",
            "oci:layout:app",
            &file,
            "--key",
            "security.key",
        ],
    ));
}

/// `vouch report IMAGE --policy policy.yaml -o OUT EXTRA...`, which must
/// succeed (a denied image gets its report too).
fn report(f: &Fixture, image: &str, out: &str, extra: &[&str]) {
    let mut args = vec!["report", image, "--policy", "policy.yaml", "-o", out];
    args.extend_from_slice(extra);
    let run = vouch_in(f.dir(), &args);
    assert_ok(&run);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains(&format!("wrote {out}")), "{stderr}");
}

/// One table row: the attributes of its `<tr>` and the text of its cells.
struct Row {
    attrs: String,
    cells: Vec<String>,
}

/// The body rows of the table with id `id`.
fn rows(dom: &str, id: &str) -> Vec<Row> {
    let start = dom
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table #{id} in {dom}"));
    let table = &dom[start..start + dom[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let (attrs, rest) = row.split_once('>').unwrap();
            let cells = rest
                .split("<td")
                .skip(1)
                .map(|cell| text(&cell[cell.find('>').unwrap() + 1..]))
                .collect();
            Row {
                attrs: attrs.to_string(),
                cells,
            }
        })
        .collect()
}

/// The header cells of the table with id `id`.
fn headers(dom: &str, id: &str) -> Vec<String> {
    let start = dom.find(&format!("<table id=\"{id}\"")).unwrap();
    let table = &dom[start..start + dom[start..].find("</thead>").unwrap()];
    table
        .split("<th")
        .skip(1)
        .filter(|h| h.starts_with('>') || h.starts_with(' '))
        .map(|h| text(&h[h.find('>').unwrap() + 1..]))
        .collect()
}

fn row_named<'a>(rows: &'a [Row], first_cell_starts: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.cells[0].starts_with(first_cell_starts))
        .unwrap_or_else(|| panic!("no row {first_cell_starts}"))
}

fn is_critical(row: &Row) -> bool {
    row.attrs.split("class=\"").nth(1).is_some_and(|c| {
        c.split('"')
            .next()
            .unwrap()
            .split(' ')
            .any(|c| c == "critical")
    })
}

#[test]
fn the_report_renders_the_verdict_inputs_and_findings_in_chromium() {
    let f = scenario();
    report(&f, "oci:layout:app", "report.html", &[]);
    let page = f.dir().join("report.html");
    let dom = dump_dom(&page, &[]);

    // The header names the image by digest, the policy file and the version.
    let header = text(&dom[..dom.find("<section id=\"verdict\"").unwrap()]);
    assert!(header.contains("oci:layout:app@sha256:"), "{header}");
    assert!(header.contains("policy.yaml"), "{header}");
    assert!(
        header.contains(concat!("vouch version ", env!("CARGO_PKG_VERSION"))),
        "{header}"
    );

    // The page's script ran in Chromium (its CSP hash admits it) and made
    // each table sortable.
    for table in [
        "inputs-table",
        "findings-table",
        "vex-table",
        "evidence-table",
    ] {
        let start = dom.find(&format!("<table id=\"{table}\"")).unwrap();
        let open = &dom[start..start + dom[start..].find('>').unwrap()];
        assert!(open.contains("data-sortable=\"true\""), "{open}");
    }

    // Verdict: denied, for the unanswered finding in a critical input.
    let verdict = text(section(&dom, "verdict"));
    assert!(verdict.starts_with("Verdict DENY"), "{verdict}");
    assert!(
        verdict.contains("CVE-2024-50614 (medium) in critical input tinyxml2"),
        "{verdict}"
    );
    assert!(!verdict.contains("CVE-2024-50615 (medium)"), "{verdict}");

    // Inputs: one row per input of the provenance, each with its columns;
    // all three are critical in the demo (the negative control is OLD's
    // report in the diff test, where minijson is not).
    assert_eq!(
        headers(&dom, "inputs-table"),
        [
            "Name",
            "Version",
            "Ecosystem",
            "Purl / CPE",
            "Critical",
            "Digests",
            "On disk",
            "Origin"
        ]
    );
    let inputs = rows(&dom, "inputs-table");
    let mut names: Vec<&str> = inputs.iter().map(|r| r.cells[0].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["minijson", "tinyxml2", "zlib"]);
    let tinyxml2 = row_named(&inputs, "tinyxml2");
    assert!(is_critical(tinyxml2), "{}", tinyxml2.attrs);
    assert_eq!(tinyxml2.cells[1], "10.0.0");
    assert_eq!(tinyxml2.cells[3], "pkg:github/leethomason/tinyxml2@10.0.0");
    assert!(
        tinyxml2.cells[4].starts_with("yes data-format-parsers:"),
        "{}",
        tinyxml2.cells[4]
    );
    assert!(tinyxml2.cells[5]
        .contains("sha256:240a5416d1b64ed6939c723cd221dc28c9f21b7db9eeb8f5a1fdd2128a1de1fb"));
    assert_eq!(tinyxml2.cells[6], "match");

    // Findings: 50615 answered by the security team, 50614 open.
    let findings = rows(&dom, "findings-table");
    assert_eq!(findings.len(), 2, "{dom}");
    let answered = row_named(&findings, "CVE-2024-50615");
    let open = row_named(&findings, "CVE-2024-50614");
    assert_eq!(answered.cells[3], "tinyxml2");
    assert_eq!(answered.cells[7], "ignore");
    assert!(
        answered.cells[8].starts_with("not_affected vulnerable_code_not_in_execute_path"),
        "{}",
        answered.cells[8]
    );
    assert!(
        answered.cells[8].contains("by security: key "),
        "{}",
        answered.cells[8]
    );
    assert!(answered.attrs.contains("answered"), "{}", answered.attrs);
    assert_eq!(open.cells[7], "deny");
    assert_eq!(open.cells[8], "no answer");
    assert!(
        is_critical(open) && open.attrs.contains("open"),
        "{}",
        open.attrs
    );

    // VEX: the one statement read, trusted.
    let vex = rows(&dom, "vex-table");
    assert_eq!(vex.len(), 1);
    assert!(vex[0].cells[0].starts_with("CVE-2024-50615"));
    assert_eq!(vex[0].cells[5], "trusted");

    // Who signed what: the provenance by ci, the VEX by security.
    let signers = text(section(&dom, "signers"));
    assert!(
        signers.contains("https://slsa.dev/provenance/v1"),
        "{signers}"
    );
    assert!(signers.contains("demo-vulns/ci: key "), "{signers}");
    assert!(signers.contains("demo-vulns/security: key "), "{signers}");
    let provenance = text(section(&dom, "provenance"));
    assert!(
        provenance.contains("Builder https://vouch.dev/builders/local"),
        "{provenance}"
    );
    assert!(!dom.contains("<section id=\"diff\""));

    // Negative control: once 50614 is answered as well, the same page says
    // ALLOW and leaves no finding open.
    answer(&f, "CVE-2024-50614");
    report(&f, "oci:layout:app", "report.html", &[]);
    let dom = dump_dom(&page, &[]);
    let verdict = text(section(&dom, "verdict"));
    assert!(verdict.starts_with("Verdict ALLOW"), "{verdict}");
    let findings = rows(&dom, "findings-table");
    assert_eq!(findings.len(), 2);
    for f in &findings {
        assert!(f.cells[8].starts_with("not_affected"), "{}", f.cells[8]);
    }
}

#[test]
fn the_page_script_sorts_and_nothing_else_runs() {
    let f = scenario();
    report(&f, "oci:layout:app", "report.html", &[]);

    // A harness page frames the unmodified report (same directory, so
    // Chromium lets it in with --allow-file-access-from-files), clicks its
    // headers, and writes what it saw into its own DOM for --dump-dom.
    let harness = f.dir().join("harness.html");
    fs::write(
        &harness,
        r#"<!DOCTYPE html><html><body><iframe id="r" src="report.html"></iframe><pre id="out">not run</pre>
<script>
document.getElementById("r").addEventListener("load", function () {
  var d = this.contentDocument, out = [];
  var table = d.getElementById("inputs-table");
  var column = function (i) {
    return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
      return r.cells[i].textContent.trim();
    }).join(",");
  };
  var name = table.tHead.rows[0].cells[0], version = table.tHead.rows[0].cells[1];
  out.push("initial=" + column(0));
  name.click();
  out.push("ascending=" + column(0) + "|" + name.getAttribute("aria-sort"));
  name.click();
  out.push("descending=" + column(0) + "|" + name.getAttribute("aria-sort"));
  // Numeric-aware: two more rows whose versions sort apart as text.
  ["2.10.0", "2.9.0"].forEach(function (v) {
    var row = table.tBodies[0].rows[0].cloneNode(true);
    row.cells[1].textContent = v;
    table.tBodies[0].appendChild(row);
  });
  version.click();
  out.push("versions=" + column(1) + "|" + name.getAttribute("aria-sort"));
  document.getElementById("out").textContent = out.join("\n");
});
</script></body></html>
"#,
    )
    .unwrap();
    let dom = dump_dom(&harness, &["--allow-file-access-from-files"]);
    let out = text(&dom[dom.find("<pre id=\"out\">").unwrap()..dom.find("</pre>").unwrap()]);
    assert!(!out.contains("not run"), "the harness did not run: {dom}");
    let seen: Vec<&str> = out.split(' ').collect();
    // The initial order is the evidence's; the clicks sort by name both ways.
    assert_eq!(seen[0], "initial=minijson,tinyxml2,zlib", "{out}");
    assert_eq!(
        seen[1], "ascending=minijson,tinyxml2,zlib|ascending",
        "{out}"
    );
    assert_eq!(
        seen[2], "descending=zlib,tinyxml2,minijson|descending",
        "{out}"
    );
    // 2.9.0 before 2.10.0 before 10.0.0; as plain text they would be
    // 10.0.0, 2.10.0, 2.9.0. Sorting by version cleared the name's mark.
    assert_eq!(
        seen[3], "versions=0.4.2,1.3.1,2.9.0,2.10.0,10.0.0|null",
        "{out}"
    );

    // The CSP admits the page's own script and no other: a script added to
    // the page (as a missed escape would add one) does not run, while the
    // page's own still does.
    let page = fs::read_to_string(f.dir().join("report.html")).unwrap();
    let injected = page.replace(
        "</main>",
        "</main><script>document.body.setAttribute(\"data-injected\", \"yes\")</script>",
    );
    assert_ne!(injected, page);
    let tampered = f.dir().join("tampered.html");
    fs::write(&tampered, injected).unwrap();
    let dom = dump_dom(&tampered, &[]);
    assert!(!dom.contains("data-injected=\"yes\""), "{dom}");
    assert!(dom.contains("data-sortable=\"true\""), "{dom}");
    // Control: the same injection into the page without its CSP runs.
    let csp_start = page
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let csp_end = csp_start + page[csp_start..].find('>').unwrap() + 1;
    let without_csp = format!("{}{}", &page[..csp_start], &page[csp_end..]).replace(
        "</main>",
        "</main><script>document.body.setAttribute(\"data-injected\", \"yes\")</script>",
    );
    fs::write(&tampered, without_csp).unwrap();
    let dom = dump_dom(&tampered, &[]);
    assert!(dom.contains("data-injected=\"yes\""), "{dom}");
}

/// zlib's declared (and observed) dirhash in the demo project.
const NEW_ZLIB_HASH: &str = "138f3eabe0b548d539758de50ac7bd4e5903c473f947769414718573be20e16a";

#[test]
fn with_diff_the_report_names_what_the_upgrade_changes() {
    let f = scenario();
    // OLD: the same project a release earlier, minijson 0.4.1 and not yet
    // listed as critical, and zlib 1.3.1 with other bytes than NEW's (a
    // local edit, declared with its digest), attested onto another layout
    // image.
    let old_project = f.dir().join("demo-service-old");
    copy_tree(&f.project, &old_project);
    let declared = old_project.join("vouch.inputs.yaml");
    let text_before = fs::read_to_string(&declared).unwrap();
    fs::write(&declared, text_before.replace("0.4.2", "0.4.1")).unwrap();
    fs::remove_file(old_project.join("vouch.critical.yaml")).unwrap();
    let readme = old_project.join("third_party/zlib/README");
    let mut edited = fs::read_to_string(&readme).unwrap();
    edited.push_str("\nlocal build note\n");
    fs::write(&readme, edited).unwrap();
    let zlib = common::inputs_json(&old_project)
        .into_iter()
        .find(|i| i["name"] == "zlib")
        .unwrap();
    let old_hash = zlib["observed"]
        .as_str()
        .unwrap()
        .strip_prefix("dirHash:")
        .unwrap()
        .to_string();
    assert_ne!(old_hash, NEW_ZLIB_HASH);
    let declared_text = fs::read_to_string(&declared).unwrap();
    assert!(declared_text.contains(NEW_ZLIB_HASH));
    fs::write(&declared, declared_text.replace(NEW_ZLIB_HASH, &old_hash)).unwrap();
    layout_image(&f.dir().join("layout-old"), "v1");
    assert_ok(&vouch_in(
        f.dir(),
        &[
            "attest",
            old_project.to_str().unwrap(),
            "--image",
            "oci:layout-old:v1",
            "--key",
            "ci.key",
        ],
    ));

    report(
        &f,
        "oci:layout:app",
        "upgrade.html",
        &["--diff", "oci:layout-old:v1"],
    );
    let dom = dump_dom(&f.dir().join("upgrade.html"), &[]);
    let diff = text(section(&dom, "diff"));
    assert!(diff.contains("Old oci:layout-old:v1@sha256:"), "{diff}");
    assert!(diff.contains("New oci:layout:app@sha256:"), "{diff}");
    // The re-hashed input comes first, in the alert box.
    let rehashed_at = dom.find("id=\"diff-rehashed\"").unwrap();
    assert!(rehashed_at < dom.find("id=\"diff-changed\"").unwrap());
    let rehashed = rows(&dom, "diff-rehashed-table");
    assert_eq!(rehashed.len(), 1, "{diff}");
    assert_eq!(
        rehashed[0].cells,
        [
            "zlib".to_string(),
            "1.3.1".to_string(),
            format!("dirHash:{old_hash}"),
            format!("dirHash:{NEW_ZLIB_HASH}"),
            "yes".to_string()
        ]
    );
    let changed = rows(&dom, "diff-changed");
    assert_eq!(changed.len(), 1, "{diff}");
    assert_eq!(
        changed[0].cells,
        ["minijson", "generic", "0.4.1", "0.4.2", "patch", "yes"]
    );
    let critical = rows(&dom, "diff-critical");
    assert_eq!(critical.len(), 1, "{diff}");
    assert_eq!(critical[0].cells[..3], ["added", "minijson", "0.4.2"]);
    // Nothing was added or removed, and both have the same findings: those
    // parts are absent, not empty.
    for absent in [
        "diff-added",
        "diff-removed",
        "diff-introduced",
        "diff-fixed",
    ] {
        assert!(
            !dom.contains(&format!("id=\"{absent}\"")),
            "{absent}: {diff}"
        );
    }
    // The rest of the page is NEW's.
    assert!(text(section(&dom, "verdict")).starts_with("Verdict DENY"));
    let header = text(&dom[..dom.find("<section id=\"verdict\"").unwrap()]);
    assert!(
        header.contains("Compared with oci:layout-old:v1@sha256:"),
        "{header}"
    );

    // OLD's own report: minijson is not critical there, tinyxml2 is.
    report(&f, "oci:layout-old:v1", "old.html", &[]);
    let dom = dump_dom(&f.dir().join("old.html"), &[]);
    let inputs = rows(&dom, "inputs-table");
    let minijson = row_named(&inputs, "minijson");
    assert!(!is_critical(minijson), "{}", minijson.attrs);
    assert_eq!(minijson.cells[1], "0.4.1");
    assert!(minijson.cells[4].starts_with("no"), "{}", minijson.cells[4]);
    assert!(is_critical(row_named(&inputs, "tinyxml2")));
}

#[test]
fn an_image_that_cannot_be_read_is_an_error_and_writes_nothing() {
    let f = scenario();
    let out = vouch_in(
        f.dir(),
        &[
            "report",
            "oci:no-such-layout:app",
            "--policy",
            "policy.yaml",
            "-o",
            "report.html",
        ],
    );
    assert_fails_with(&out, "no-such-layout");
    assert!(!f.dir().join("report.html").exists());
    // Control: the attested image gets its report.
    report(&f, "oci:layout:app", "report.html", &[]);
    assert!(f.dir().join("report.html").exists());
}
