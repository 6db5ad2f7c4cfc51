//! Output that cannot lie (issue 13, findings 10 and 11): strings from a
//! project, from evidence and from a registry reach the terminal, tables,
//! errors and the HTML report escaped, never as control characters or
//! bidi overrides; `vouch diff --output markdown` renders, in GitHub's own
//! renderer (`cmark-gfm`), every section with each hostile name shown
//! literally and nothing of it read as markup. JSON stays exact.

use crate::common;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::registry::layout_image;
use common::{assert_ok, copy_tree, edit, inputs_json, root, vouch, vouch_in, Fixture};
use serde_json::Value;
use vouch_evidence::text::escape;

/// The name of the issue's report: resets the colours, clears the screen,
/// homes the cursor (C0 `ESC [` and C1 `CSI` alike), reverses what follows
/// with a bidi override, returns the carriage, backspaces, and starts a
/// new line that looks like a verdict.
const DRAWING: &str = "tinyxml2\u{1b}[0m\u{1b}[2J\u{1b}[H\u{9b}2J\u{202e}WOLLA\u{2066}\r\u{8}\u{7f}\u{85}\u{61c}\nvouch: ALLOW";

/// Names that try every way out of a Markdown code span or list item:
/// backticks, an HTML comment, a script, a link, emphasis, a table row,
/// an entity, a heading, a line break and an escape sequence.
const MARKDOWN: [&str; 2] = [
    "tinyxml2`` ` <!-- hidden\n<!-- and so is every section after it",
    "`<script>alert(1)</script>](javascript:alert(1)) *x* _y_ | a | b | &amp; \\`\n# forged\n- [x](http://evil.example) \u{1b}[2J",
];

/// `s` as a YAML double-quoted scalar: every character that is not
/// printable ASCII as a `\u` escape, so that the file itself is plain.
fn yaml_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Asserts that `bytes`, shown to a person, hold no control character
/// (but line breaks), no C1 control, no bidi override and no line
/// separator: nothing a terminal or a browser would act on.
fn assert_nothing_raw(what: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("{what} is not UTF-8 ({e}): {bytes:?}"));
    for (at, c) in text.char_indices() {
        let raw = (c.is_control() && c != '\n')
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}')
            || ('\u{2028}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c);
        assert!(
            !raw,
            "{what}: raw {c:?} at byte {at}:\n{}",
            text.escape_debug()
        );
    }
}

/// Asserts both streams of `out` show nothing raw, and that `name` is
/// shown escaped in one of them.
fn assert_shown_escaped(what: &str, out: &Output, name: &str) {
    assert_nothing_raw(&format!("{what} stdout"), &out.stdout);
    assert_nothing_raw(&format!("{what} stderr"), &out.stderr);
    let both = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = escape(name);
    assert!(
        both.contains(shown.as_ref()),
        "{what}: {shown} not shown in:\n{both}"
    );
    // The forged line never starts a line of its own.
    assert!(
        !both.lines().any(|l| l.starts_with("vouch: ALLOW")),
        "{what}: a forged line:\n{both}"
    );
}

/// Renames the input `from` of the project at `project` to `to`.
fn rename_input(project: &Path, from: &str, to: &str) {
    edit(
        &project.join("vouch.inputs.yaml"),
        &format!("name: {from}\n"),
        &format!("name: {}\n", yaml_quoted(to)),
    );
}

#[test]
fn regression_issue_9_an_input_name_cannot_draw_on_the_terminal() {
    // tinyxml2 renamed: it still matches its declaration, and is still
    // critical by the shipped rules (`*tinyxml2*`).
    let f = Fixture::demo().with_vulns().with_image("oci:layout:app");
    rename_input(&f.project, "tinyxml2", DRAWING);
    let project = f.project.to_str().unwrap().to_string();

    // JSON is data: the name comes out exactly as declared.
    let inputs = inputs_json(&f.project);
    assert!(
        inputs.iter().any(|i| i["name"] == DRAWING),
        "JSON keeps the name exactly: {inputs:?}"
    );

    // `vouch inputs`: the table.
    let out = vouch_in(f.dir(), &["inputs", &project]);
    assert_ok(&out);
    assert_shown_escaped("inputs", &out, DRAWING);

    // Attested, then judged: the critical input's unanswered findings
    // deny the image, and the denial names it.
    layout_image(&f.dir().join("layout"), "app");
    assert_ok(&f.attest("ci.key", &[]));
    let out = vouch_in(
        f.dir(),
        &["verify", "oci:layout:app", "--policy", "policy.yaml"],
    );
    assert_eq!(out.status.code(), Some(1), "denied");
    assert!(String::from_utf8_lossy(&out.stdout).contains(": DENY"));
    assert_shown_escaped("verify", &out, DRAWING);

    let out = vouch_in(
        f.dir(),
        &["vulns", "oci:layout:app", "--policy", "policy.yaml"],
    );
    assert_ok(&out);
    assert_shown_escaped("vulns", &out, DRAWING);

    // The report's page: HTML-escaped, and the controls and overrides,
    // which a browser honours too (U+202E reverses text), escaped first.
    let out = vouch_in(
        f.dir(),
        &[
            "report",
            "oci:layout:app",
            "--policy",
            "policy.yaml",
            "-o",
            "report.html",
        ],
    );
    assert_ok(&out);
    let page = fs::read(f.dir().join("report.html")).unwrap();
    assert_nothing_raw("report.html", &page);
    assert!(String::from_utf8_lossy(&page).contains("tinyxml2\\u{1b}[0m\\u{1b}[2J"));

    // A mismatch: the error lists the input, escaped, on one line.
    edit(
        &f.project.join("vouch.inputs.yaml"),
        "sha256: 240a5416",
        "sha256: 340a5416",
    );
    let out = vouch_in(f.dir(), &["inputs", &project]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("MISMATCH"));
    assert_shown_escaped("inputs (mismatch)", &out, DRAWING);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let listed = stderr
        .lines()
        .find(|l| l.contains("tinyxml2"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        listed.contains("vouch: ALLOW 10.0.0 (generic): path third_party/tinyxml2"),
        "one line: {listed}"
    );
}

/// stub: a registry that answers the version check and then every request
/// with 400 and a distribution error whose message is `message`: a
/// hostile registry's error body, which nothing else here can serve.
fn hostile_registry(message: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let (status, body) = if request_line.starts_with("GET /v2/ ") {
                ("200 OK", "{}".to_string())
            } else {
                let error = serde_json::json!({"errors": [
                    {"code": "MANIFEST_INVALID", "message": message}
                ]});
                ("400 Bad Request", error.to_string())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    host
}

#[test]
fn regression_issue_9_an_error_cannot_draw_on_the_terminal() {
    let host = hostile_registry(DRAWING);
    let dir = common::tempdir();
    // By digest: the manifest is fetched (a GET, which has a body).
    let image = format!("{host}/team/app@sha256:{}", "0".repeat(64));
    let out = vouch_in(dir.path(), &["tree", &image]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("vouch: error: "), "{stderr}");
    assert_shown_escaped("tree (registry error)", &out, DRAWING);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

/// `cmark-gfm` (GitHub's CommonMark renderer, with its extensions) on
/// `markdown`, raw HTML let through (`--unsafe`) so that any that the
/// Markdown holds shows up.
fn cmark_gfm(markdown: &[u8]) -> String {
    let mut child = Command::new("cmark-gfm")
        .args([
            "--unsafe",
            "-e",
            "table",
            "-e",
            "autolink",
            "-e",
            "strikethrough",
        ])
        .args(["-e", "tasklist"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cmark-gfm: {e}: run scripts/install-oracles.sh (apt package cmark-gfm)")
        });
    child.stdin.take().unwrap().write_all(markdown).unwrap();
    let mut html = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut html)
        .unwrap();
    assert!(child.wait().unwrap().success());
    html
}

/// `s` as CommonMark renders text: `&`, `<`, `>` and `"` as entities.
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn regression_issue_9_diff_markdown_shows_hostile_names_as_text_in_every_section() {
    // v1: the demo as shipped. v2: tinyxml2 and minijson renamed to the
    // hostile names, so that they are removed and added, leave and join
    // the critical set, and carry their findings under the new names.
    let f = Fixture::demo()
        .with_vulns()
        .with_layout_image("v1", "app")
        .attested();
    let v2 = f.dir().join("demo-service-v2");
    copy_tree(&f.project, &v2);
    rename_input(&v2, "tinyxml2", MARKDOWN[0]);
    rename_input(&v2, "minijson", MARKDOWN[1]);
    layout_image(&f.dir().join("v2"), "app");
    assert_ok(&vouch_in(
        f.dir(),
        &[
            "attest",
            v2.to_str().unwrap(),
            "--image",
            "oci:v2:app",
            "--key",
            "ci.key",
        ],
    ));

    let diff = |format: &str| {
        let out = vouch_in(
            f.dir(),
            &[
                "diff",
                "oci:v1:app",
                "oci:v2:app",
                "--policy",
                "policy.yaml",
                "--output",
                format,
            ],
        );
        assert_ok(&out);
        out
    };
    let json: Value = serde_json::from_slice(&diff("json").stdout).unwrap();
    let markdown = diff("markdown");
    let html = cmark_gfm(&markdown.stdout);

    // Every section the diff has is a heading of its own, in order.
    let sections = [
        ("rehashed", "DIGEST CHANGED, VERSION UNCHANGED"),
        ("changed", "Version changes"),
        ("added", "Added inputs"),
        ("removed", "Removed inputs"),
        ("critical", "Critical set"),
        ("introduced", "Vulnerabilities introduced"),
        ("fixed", "Vulnerabilities fixed"),
        ("staleVex", "VEX answers that no longer apply"),
    ];
    let mut at = 0;
    let mut shown = 0;
    for (key, title) in sections {
        let n = json[key].as_array().unwrap().len();
        if n == 0 {
            continue;
        }
        let heading = format!("<h3>{title} ({n})</h3>");
        let found = html[at..]
            .find(&heading)
            .unwrap_or_else(|| panic!("{heading} missing, or out of order, in:\n{html}"));
        at += found + heading.len();
        shown += 1;
    }
    assert!(shown >= 4, "added, removed, critical, introduced: {json}");
    assert!(html.starts_with("<h2>vouch diff</h2>"), "{html}");

    // Each name is shown literally (escaped as a terminal would show it),
    // as code, wherever it appears, and nothing of it became markup.
    for name in MARKDOWN {
        let code = format!("<code>{}</code>", html_text(&escape(name)));
        assert!(html.contains(&code), "{code} not in:\n{html}");
    }
    for tag in [
        "<!--", "<script", "<a ", "<a>", "<em>", "<table", "<h1", "<img", "<input",
    ] {
        assert!(!html.contains(tag), "{tag} in:\n{html}");
    }
    let allowed = ["h2", "h3", "p", "ul", "li", "code", "strong", "br /"];
    for element in html.split('<').skip(1) {
        let name = element.split('>').next().unwrap().trim_start_matches('/');
        assert!(
            allowed.contains(&name),
            "element <{element:.40}> in:\n{html}"
        );
    }
    assert_nothing_raw("diff --output markdown", &markdown.stdout);

    // The plain text report shows the names escaped too.
    let table = diff("table");
    for name in MARKDOWN {
        assert_shown_escaped("diff", &table, name);
    }
}

#[test]
fn regression_issue_9_a_webhook_log_line_cannot_draw_on_the_terminal() {
    // The webhook logs each review: the pod's name and the user's come
    // from the request. Hostile ones are escaped, and a newline in them
    // cannot start a log line of its own.
    let dir = common::tempdir();
    let d = dir.path();
    let certs = vouch()
        .current_dir(d)
        .args(["webhook", "certs", "--service", "vouch-webhook"])
        .args(["--namespace", "vouch-system", "--out", "certs"])
        .output()
        .unwrap();
    assert_ok(&certs);
    fs::create_dir(d.join("policies")).unwrap();
    assert_ok(&vouch_in(d, &["keygen", "--out", "policies/ci"]));
    fs::write(d.join("policies/demo.yaml"), common::demo_policy()).unwrap();
    let mut child = vouch()
        .current_dir(d)
        .args(common::WEBHOOK_ARGS)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).split(b'\n');
    let mut port = None;
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = String::from_utf8(line.unwrap()).unwrap();
        seen.push_str(&line);
        if let Some(rest) = line.split("listening on https://127.0.0.1:").nth(1) {
            port = Some(rest.split(' ').next().unwrap().to_string());
            break;
        }
    }
    let Some(port) = port else {
        let _ = child.kill();
        panic!("the webhook did not start: {:?}: {seen}", child.wait())
    };
    let mut review: Value = serde_json::from_slice(
        &fs::read(root().join("testdata/admission/pod-create.json")).unwrap(),
    )
    .unwrap();
    review["request"]["name"] = Value::from(DRAWING);
    review["request"]["userInfo"]["username"] = Value::from(format!("user{DRAWING}"));
    let host = "vouch-webhook.vouch-system.svc";
    let post = |review: &Value| {
        let curl = Command::new("curl")
            .args(["-sS", "--max-time", "60", "--cacert"])
            .arg(d.join("certs/ca.crt"))
            .args(["--resolve", &format!("{host}:{port}:127.0.0.1")])
            .args(["-H", "Content-Type: application/json", "--data-binary"])
            .arg(review.to_string())
            .arg(format!("https://{host}:{port}/validate"))
            .output()
            .unwrap();
        assert_ok(&curl);
        assert_nothing_raw("webhook answer", &curl.stdout);
        serde_json::from_slice::<Value>(&curl.stdout).unwrap()
    };
    post(&review);
    // A bad image reference is denied naming it: the message kubectl
    // prints shows it escaped.
    review["request"]["object"]["spec"]["containers"][0]["image"] =
        Value::from(format!("127.0.0.1:5000/shop/web{DRAWING}:1"));
    let answer = post(&review);
    let message = answer["response"]["status"]["message"].as_str().unwrap();
    assert!(message.contains(escape(DRAWING).as_ref()), "{message}");
    // The review's log line is written before the answer is sent.
    let _ = child.kill();
    let _ = child.wait();
    let mut log = Vec::new();
    for line in lines {
        log.extend_from_slice(&line.unwrap());
        log.push(b'\n');
    }
    assert_nothing_raw("webhook log", &log);
    let log = String::from_utf8(log).unwrap();
    let shown = escape(DRAWING);
    let line = log
        .lines()
        .find(|l| l.starts_with("vouch webhook: validate"))
        .unwrap_or_else(|| panic!("no review logged:\n{log}"));
    assert!(line.contains(&format!("/{shown} by user{shown}")), "{line}");
    assert!(
        !log.lines().any(|l| l.starts_with("vouch: ALLOW")),
        "a forged line:\n{log}"
    );
}
