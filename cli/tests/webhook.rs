//! `vouch webhook` end to end: real TLS (certificates from `vouch webhook
//! certs`, checked by curl against the generated CA and the Service name),
//! a real Distribution registry holding images attested by `vouch attest`,
//! and the recorded AdmissionReviews of testdata/admission/ with their
//! images rewritten to the test registry's.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::registry::Registry;
use common::stub::{Fault, FaultServer};
use common::{
    assert_ok, demo_policy, root, tempdir, vex_create, vouch, vouch_in, Fixture, NOT_AFFECTED,
};
use serde_json::{json, Value};

pub(crate) const SERVICE: &str = "vouch-webhook";
pub(crate) const NAMESPACE: &str = "vouch-system";

/// The Service name the certificate is issued for.
fn host() -> String {
    format!("{SERVICE}.{NAMESPACE}.svc")
}

/// An ImagePolicy requiring `ci.pub`'s provenance and SBOM (the demo
/// policy) of the images `glob` matches, in `mode`.
fn policy(name: &str, glob: &str, mode: &str, key: &Path) -> String {
    demo_policy()
        .replace(
            "metadata: {name: demo}",
            &format!("metadata: {{name: {name}}}"),
        )
        .replace(
            "  images: [{glob: \"oci:**\"}]          # every image in a local OCI layout",
            &format!("  mode: {mode}\n  images: [{{glob: \"{glob}\"}}]"),
        )
        .replace(
            "key: {path: ci.pub}",
            &format!("key: {{path: {}}}", key.display()),
        )
}

/// The webhook tests' fixture: certificates, `ci.key`/`ci.pub`, a policy
/// directory (`*/enforced/*` enforced, `*/warned/*` in warn mode), and a
/// registry with `enforced/good:v1` (the fixture's image) attested by
/// `ci.key`, `enforced/bad:v1` and `warned/app:v1` not attested.
fn world() -> Fixture {
    let f = Fixture::new()
        .with_project()
        .with_key("ci")
        .with_registry(Registry::plain())
        .with_registry_image("enforced/good", "v1");
    let dir = f.dir();
    assert_ok(&f.run([
        "webhook",
        "certs",
        "--service",
        SERVICE,
        "--namespace",
        NAMESPACE,
        "--out",
        "certs",
    ]));
    let policies = dir.join("policies");
    std::fs::create_dir(&policies).unwrap();
    let key = dir.join("ci.pub");
    std::fs::write(
        policies.join("enforce.yaml"),
        policy("enforced", "*/enforced/*", "enforce", &key),
    )
    .unwrap();
    std::fs::write(
        policies.join("warn.yaml"),
        policy("warned", "*/warned/*", "warn", &key),
    )
    .unwrap();
    f.registry().push_image("enforced/bad", "v1");
    f.registry().push_image("warned/app", "v1");
    f.attested()
}

/// The fixture's image that no one attested, under the enforced policy.
fn bad_image(world: &Fixture) -> String {
    world.registry().reference("enforced/bad", "v1")
}

/// The fixture's image that no one attested, under the warn-mode policy.
fn warned_image(world: &Fixture) -> String {
    world.registry().reference("warned/app", "v1")
}

/// A running `vouch webhook`; killed on drop (cli/tests/release.rs runs
/// the release binary's).
pub(crate) struct Webhook {
    child: Child,
    port: u16,
    ca: PathBuf,
    log: Arc<Mutex<String>>,
}

impl Webhook {
    fn start(dir: &Path, extra: &[&str]) -> Webhook {
        Webhook::start_in(vouch(), dir, extra)
    }

    /// The webhook, run by `prlimit` with at most `nofile` open files.
    fn start_with_nofile(dir: &Path, nofile: u32, extra: &[&str]) -> Webhook {
        let mut prlimit = Command::new("prlimit");
        prlimit
            .arg(format!("--nofile={nofile}:{nofile}"))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_vouch"));
        Webhook::start_in(prlimit, dir, extra)
    }

    /// `command` (`vouch`, or a wrapper running it) with the webhook's
    /// arguments.
    pub(crate) fn start_in(mut command: Command, dir: &Path, extra: &[&str]) -> Webhook {
        let mut child = command
            .current_dir(dir)
            .args(common::WEBHOOK_ARGS)
            .args(["--reload-interval", "1"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut port = None;
        let mut seen = String::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.split("listening on https://127.0.0.1:").nth(1) {
                port = Some(rest.split(' ').next().unwrap().parse().unwrap());
                break;
            }
        }
        let port = port.unwrap_or_else(|| panic!("the webhook did not start:\n{seen}"));
        let log = Arc::new(Mutex::new(seen));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Webhook {
            child,
            port,
            ca: dir.join("certs/ca.crt"),
            log,
        }
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `curl` over HTTPS to the Service name (resolved to 127.0.0.1),
    /// trusting only the generated CA: (HTTP status, body).
    fn call(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
        let url = format!("https://{}:{}{path}", host(), self.port);
        let mut curl = Command::new("curl");
        curl.args(["-sS", "--max-time", "60", "--cacert"])
            .arg(&self.ca)
            .args(["--resolve", &format!("{}:{}:127.0.0.1", host(), self.port)])
            .args(["-X", method, "-w", "\n%{http_code}", &url])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if body.is_some() {
            curl.args([
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                "@-",
            ])
            .stdin(Stdio::piped());
        }
        let mut child = curl.spawn().unwrap();
        if let Some(body) = body {
            let mut stdin = child.stdin.take().unwrap();
            // A refused oversized body may close the connection early.
            let _ = stdin.write_all(body);
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let split = out.stdout.iter().rposition(|b| *b == b'\n').unwrap();
        let code = std::str::from_utf8(&out.stdout[split + 1..])
            .unwrap()
            .parse()
            .unwrap();
        (code, out.stdout[..split].to_vec())
    }

    /// POSTs `review` to `path` and returns its `response`.
    pub(crate) fn review(&self, path: &str, review: &Value) -> Value {
        let (code, body) = self.call("POST", path, Some(review.to_string().as_bytes()));
        assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
        let answer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(answer["kind"], "AdmissionReview");
        assert_eq!(
            answer["response"]["uid"], review["request"]["uid"],
            "uid echoed"
        );
        answer["response"].clone()
    }

    fn metrics(&self) -> String {
        let (code, body) = self.call("GET", "/metrics", None);
        assert_eq!(code, 200);
        String::from_utf8(body).unwrap()
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn recorded(name: &str) -> Value {
    let path = root().join(format!("testdata/admission/{name}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The recorded Pod CREATE with only these containers, in `namespace`.
pub(crate) fn pod(namespace: &str, images: &[&str]) -> Value {
    let mut review = recorded("pod-create");
    review["request"]["namespace"] = json!(namespace);
    let spec = review["request"]["object"]["spec"].as_object_mut().unwrap();
    spec.remove("initContainers");
    spec.remove("volumes");
    spec.insert(
        "containers".into(),
        images
            .iter()
            .enumerate()
            .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
            .collect(),
    );
    review
}

/// The recorded Deployment CREATE with one container running `image`.
fn deployment(image: &str) -> Value {
    let mut review = recorded("deployment-create");
    let spec = review["request"]["object"]["spec"]["template"]["spec"]
        .as_object_mut()
        .unwrap();
    spec.remove("initContainers");
    spec.remove("volumes");
    spec.insert(
        "containers".into(),
        json!([{"name": "app", "image": image}]),
    );
    review
}

pub(crate) fn message(response: &Value) -> String {
    response["status"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn patch(response: &Value) -> Value {
    assert_eq!(response["patchType"], "JSONPatch", "{response}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(response["patch"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Polls `check` (up to a minute) until it holds; the policy poll is 1 s.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < Duration::from_secs(60), "never: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn validate_allows_attested_denies_unattested_warns_in_warn_mode_and_caches_by_digest() {
    let world = world();
    let webhook = Webhook::start(world.dir(), &[]);

    let allowed = webhook.review("/validate?timeout=10s", &pod("shop", &[&world.image]));
    assert_eq!(allowed["allowed"], true, "{allowed}");
    assert!(allowed.get("warnings").is_none(), "{allowed}");

    // The same image again, in a Deployment: answered from the cache.
    let again = webhook.review("/validate", &deployment(&world.image));
    assert_eq!(again["allowed"], true, "{again}");
    let metrics = webhook.metrics();
    assert!(
        metrics.contains("vouch_webhook_cache_hits_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vouch_webhook_cache_misses_total 1\n"),
        "{metrics}"
    );

    // An unattested image next to the good one: the whole pod is denied,
    // naming the bad image and why, and not the good one.
    let denied = webhook.review(
        "/validate",
        &pod("shop", &[&world.image, &bad_image(&world)]),
    );
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 403);
    let why = message(&denied);
    assert!(why.contains(&bad_image(&world)), "{why}");
    assert!(why.contains("enforced"), "{why}");
    assert!(!why.contains(&world.image), "{why}");

    // Warn mode: admitted, with the failing policy as a warning.
    let warned = webhook.review("/validate", &pod("shop", &[&warned_image(&world)]));
    assert_eq!(warned["allowed"], true, "{warned}");
    let warnings = warned["warnings"].as_array().unwrap();
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains(&warned_image(&world)),
        "{warned}"
    );

    let metrics = webhook.metrics();
    assert!(
        metrics.contains("vouch_webhook_requests_total{endpoint=\"validate\",verdict=\"allow\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vouch_webhook_requests_total{endpoint=\"validate\",verdict=\"deny\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vouch_webhook_verification_seconds_count"),
        "{metrics}"
    );
}

#[test]
fn exempt_namespaces_delete_and_dry_run() {
    let world = world();
    let webhook = Webhook::start(world.dir(), &["--exempt-namespace", "infra"]);
    // The same unattested pod: denied in shop, admitted unchecked in infra.
    let checked = webhook.review("/validate", &pod("shop", &[&bad_image(&world)]));
    assert_eq!(checked["allowed"], false, "{checked}");
    let exempt = webhook.review("/validate", &pod("infra", &[&bad_image(&world)]));
    assert_eq!(exempt["allowed"], true, "{exempt}");
    // --exempt-namespace replaces the default list.
    let system = webhook.review("/validate", &pod("kube-system", &[&bad_image(&world)]));
    assert_eq!(system["allowed"], false, "{system}");

    let deleted = webhook.review("/validate", &recorded("pod-delete"));
    assert_eq!(deleted["allowed"], true, "{deleted}");

    // A dry run gets the real verdict.
    let mut dry = recorded("pod-create-dryrun");
    let spec = dry["request"]["object"]["spec"].as_object_mut().unwrap();
    spec.remove("initContainers");
    spec.remove("volumes");
    spec.insert(
        "containers".into(),
        json!([{"name": "c", "image": bad_image(&world)}]),
    );
    let answer = webhook.review("/validate", &dry);
    assert_eq!(answer["allowed"], false, "{answer}");
    assert!(webhook.log().contains("(dry run)"), "{}", webhook.log());
}

#[test]
fn mutate_pins_each_tag_to_the_digest_it_points_to_now() {
    let world = world();
    let webhook = Webhook::start(world.dir(), &["--require-digest"]);
    let response = webhook.review("/mutate", &pod("shop", &[&world.image, &world.image]));
    assert_eq!(response["allowed"], true, "{response}");
    let pinned = format!("{}@{}", world.image, world.digest);
    assert_eq!(
        patch(&response),
        json!([
            {"op": "replace", "path": "/spec/containers/0/image", "value": pinned},
            {"op": "replace", "path": "/spec/containers/1/image", "value": pinned},
        ])
    );
    // A digest reference is left as written.
    let as_is = webhook.review("/mutate", &pod("shop", &[&pinned]));
    assert_eq!(as_is["allowed"], true);
    assert!(as_is.get("patch").is_none(), "{as_is}");

    // --require-digest: the tag is refused by /validate, the pin admitted.
    let tag = webhook.review("/validate", &pod("shop", &[&world.image]));
    assert_eq!(tag["allowed"], false, "{tag}");
    assert!(message(&tag).contains("no digest"), "{tag}");
    let digest = webhook.review("/validate", &pod("shop", &[&pinned]));
    assert_eq!(digest["allowed"], true, "{digest}");

    // The tag moves: the next review pins the new digest.
    let moved = world.registry().push_image("enforced/good", "v1");
    assert_ne!(moved, world.digest);
    let response = webhook.review("/mutate", &deployment(&world.image));
    assert_eq!(
        patch(&response)[0]["value"],
        format!("{}@{moved}", world.image),
        "{response}"
    );
    // ... and the new digest, never attested, is denied: the verdict of
    // the old digest is not reused for the tag.
    let denied = webhook.review(
        "/validate",
        &pod("shop", &[&format!("{}@{moved}", world.image)]),
    );
    assert_eq!(denied["allowed"], false, "{denied}");
}

#[test]
fn an_unreachable_registry_is_a_deny_within_the_budget_or_an_allow_with_fail_open() {
    let world = world();
    let hang = FaultServer::start(Fault::Hang);
    let image = format!("{}/enforced/app:v1", hang.host);
    let closed = Webhook::start(world.dir(), &[]);
    // The apiserver's timeout=3s leaves a 2 s budget.
    let denied = closed.review("/validate?timeout=3s", &pod("shop", &[&image]));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 504, "{denied}");
    assert!(message(&denied).contains("2000 ms budget"), "{denied}");
    let mutated = closed.review("/mutate?timeout=3s", &pod("shop", &[&image]));
    assert_eq!(mutated["allowed"], false, "{mutated}");

    // 429 past the budget: a deny with the registry's answer as the reason.
    let limited = FaultServer::start(Fault::Status(429));
    let image429 = format!("{}/enforced/app:v1", limited.host);
    let denied = closed.review("/validate?timeout=5s", &pod("shop", &[&image429]));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert!(message(&denied).contains(&limited.host), "{denied}");
    assert!(message(&denied).contains("429"), "{denied}");
    let failing = FaultServer::start(Fault::Status(500));
    let image500 = format!("{}/enforced/app:v1", failing.host);
    let denied = closed.review("/validate?timeout=5s", &pod("shop", &[&image500]));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 500, "{denied}");
    assert!(message(&denied).contains("500"), "{denied}");

    // Negative control: the same request with --fail-open is admitted,
    // with the reason as a warning.
    let open = Webhook::start(world.dir(), &["--fail-open"]);
    let allowed = open.review("/validate?timeout=3s", &pod("shop", &[&image]));
    assert_eq!(allowed["allowed"], true, "{allowed}");
    let warning = allowed["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("--fail-open") && warning.contains(&hang.host),
        "{warning}"
    );
}

#[test]
fn policies_reload_on_change_and_an_invalid_change_keeps_the_previous_set() {
    let world = world();
    let webhook = Webhook::start(world.dir(), &[]);
    let review = pod("shop", &[&warned_image(&world)]);
    assert_eq!(webhook.review("/validate", &review)["allowed"], true);

    // warn becomes enforce: the same image is now denied.
    let key = world.dir().join("ci.pub");
    let path = world.dir().join("policies/warn.yaml");
    std::fs::write(&path, policy("warned", "*/warned/*", "enforce", &key)).unwrap();
    eventually("the enforce policy denies", || {
        webhook.review("/validate", &review)["allowed"] == false
    });
    assert!(webhook
        .metrics()
        .contains("vouch_webhook_policy_reloads_total 1\n"));

    // An invalid file: logged, and the enforce set stays in force.
    std::fs::write(
        &path,
        "apiVersion: vouch.dev/v1alpha1\nkind: ImagePolicy\nspec: [\n",
    )
    .unwrap();
    eventually("the invalid policy is reported", || {
        webhook
            .log()
            .contains("vouch: error: invalid policy in policies")
    });
    assert!(webhook
        .metrics()
        .contains("vouch_webhook_policy_reload_failures_total 1\n"));
    let still = webhook.review("/validate", &review);
    assert_eq!(still["allowed"], false, "{still}");
}

#[test]
fn probes_metrics_and_bad_requests() {
    let world = world();
    let webhook = Webhook::start(world.dir(), &[]);
    assert_eq!(webhook.call("GET", "/healthz", None).0, 200);
    let (code, body) = webhook.call("GET", "/readyz", None);
    assert_eq!(code, 200);
    assert!(String::from_utf8_lossy(&body).contains("sha256:"));
    assert!(webhook
        .metrics()
        .contains("# TYPE vouch_webhook_requests_total counter"));

    // Not JSON, not a review, too large: 4xx with the reason, and the
    // server still answers afterwards.
    let (code, body) = webhook.call("POST", "/validate", Some(b"not json"));
    assert_eq!(code, 400);
    assert!(String::from_utf8_lossy(&body).contains("vouch: error: invalid AdmissionReview"));
    let (code, body) = webhook.call(
        "POST",
        "/mutate",
        Some(br#"{"apiVersion":"v1","kind":"Pod"}"#),
    );
    assert_eq!(code, 400, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("apiVersion"));
    let huge = vec![b' '; 4 * 1024 * 1024];
    assert_eq!(webhook.call("POST", "/validate", Some(&huge)).0, 413);
    // A bad image reference is a deny naming it, not a 400.
    let bad_ref = webhook.review("/validate", &pod("shop", &["Not A Reference"]));
    assert_eq!(bad_ref["allowed"], false);
    assert!(message(&bad_ref).contains("Not A Reference"), "{bad_ref}");
    let ok = webhook.review("/validate", &pod("shop", &[&world.image]));
    assert_eq!(ok["allowed"], true, "{ok}");

    // The TLS name is checked: a client expecting another name is refused.
    let out = Command::new("curl")
        .args(["-sS", "--cacert"])
        .arg(world.dir().join("certs/ca.crt"))
        .args([
            "--resolve",
            &format!("other.svc:{}:127.0.0.1", webhook.port),
        ])
        .arg(format!("https://other.svc:{}/healthz", webhook.port))
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn certs_are_issued_for_the_service_and_the_key_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempdir();
    let out = vouch_in(
        tmp.path(),
        &[
            "webhook",
            "certs",
            "--service",
            "hook",
            "--namespace",
            "ops",
            "--out",
            "c",
        ],
    );
    assert_ok(&out);
    let ca = std::fs::read(tmp.path().join("c/ca.crt")).unwrap();
    let bundle = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(bundle.trim())
            .unwrap(),
        ca
    );
    let mode = std::fs::metadata(tmp.path().join("c/tls.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(tmp.path().join("c/tls.crt"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("DNS:hook.ops.svc, DNS:hook.ops.svc.cluster.local"),
        "{text}"
    );
    let verified = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(tmp.path().join("c/ca.crt"))
        .arg(tmp.path().join("c/tls.crt"))
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );

    // Negative control: a name Kubernetes would refuse.
    let bad = vouch_in(
        tmp.path(),
        &[
            "webhook",
            "certs",
            "--service",
            "Hook_1",
            "--namespace",
            "ops",
            "--out",
            "d",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("vouch: error: invalid service name"));
}

/// `review` with the pod spec at `pointer` (inside `request.object`)
/// running `containers` and `ephemeral`, and no init containers or volumes.
fn with_pod_spec(
    mut review: Value,
    pointer: &str,
    containers: &[&str],
    ephemeral: &[&str],
) -> Value {
    let spec = review["request"]["object"]
        .pointer_mut(pointer)
        .unwrap()
        .as_object_mut()
        .unwrap();
    spec.remove("initContainers");
    spec.remove("volumes");
    let list = |images: &[&str]| -> Value {
        images
            .iter()
            .enumerate()
            .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
            .collect()
    };
    spec.insert("containers".into(), list(containers));
    if !ephemeral.is_empty() {
        spec.insert("ephemeralContainers".into(), list(ephemeral));
    }
    review
}

#[test]
fn cronjobs_and_ephemeral_containers_are_checked() {
    let world = world();
    let webhook = Webhook::start(world.dir(), &[]);
    let cron = |image: &str| {
        with_pod_spec(
            recorded("cronjob-create"),
            "/spec/jobTemplate/spec/template/spec",
            &[image],
            &[],
        )
    };
    let allowed = webhook.review("/validate", &cron(&world.image));
    assert_eq!(allowed["allowed"], true, "{allowed}");
    let denied = webhook.review("/validate", &cron(&bad_image(&world)));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert!(message(&denied).contains(&bad_image(&world)), "{denied}");

    // kubectl debug: an UPDATE of pods/ephemeralcontainers adding a debug
    // container to a pod whose own containers are allowed.
    let debug = |image: &str| {
        with_pod_spec(
            recorded("pod-ephemeralcontainers-update"),
            "/spec",
            &[&world.image],
            &[image],
        )
    };
    let denied = webhook.review("/validate", &debug(&bad_image(&world)));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert!(message(&denied).contains(&bad_image(&world)), "{denied}");
    let allowed = webhook.review("/validate", &debug(&world.image));
    assert_eq!(allowed["allowed"], true, "{allowed}");
}

/// testdata/policies/demo-vulns.yaml for the images under `*/vulns/*`,
/// with the keys `ci.pub` and `security.pub` of `dir` and the real OSV
/// records of testdata/osv; unanswered critical findings warn (so that
/// either image is admitted on its own), and `upgrade` is as given.
fn vulns_policy(dir: &Path, upgrade: &str) -> String {
    let text = std::fs::read_to_string(root().join("testdata/policies/demo-vulns.yaml")).unwrap();
    let key = |name: &str| format!("key: {{path: {}}}", dir.join(name).display());
    let mut policy = String::new();
    for line in text.lines() {
        let (indent, body) = line.split_at(line.len() - line.trim_start().len());
        let replaced = match body.split_once(':').map(|(field, _)| field) {
            Some("images") => "images: [{glob: \"*/vulns/*\"}]".to_string(),
            Some("key") if body.contains("ci.pub") => key("ci.pub"),
            Some("key") if body.contains("security.pub") => key("security.pub"),
            Some("osv") => format!("osv: {}", root().join("testdata/osv").display()),
            Some("critical") => "critical: warn".to_string(),
            Some("upgrade") => format!("upgrade: {upgrade}"),
            _ => body.to_string(),
        };
        policy.push_str(indent);
        policy.push_str(&replaced);
        policy.push('\n');
    }
    for field in ["images", "key", "osv", "critical", "upgrade"] {
        assert!(
            policy.contains(&format!(" {field}: ")),
            "demo-vulns.yaml has no {field}:\n{text}"
        );
    }
    policy
}

/// A Deployment UPDATE, as `kubectl set image` sends it: container `app`
/// moves from `old` to `new`.
fn deployment_update(old: &str, new: &str) -> Value {
    let mut review = deployment(new);
    let request = &mut review["request"];
    request["operation"] = json!("UPDATE");
    request["options"] = json!({
        "kind": "UpdateOptions",
        "apiVersion": "meta.k8s.io/v1",
        "fieldManager": "kubectl-set",
        "fieldValidation": "Strict",
    });
    // A stored object has its uid, creation time and resource version.
    let metadata = &mut request["object"]["metadata"];
    metadata["uid"] = json!("0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f");
    metadata["creationTimestamp"] = json!("2025-11-26T09:58:11Z");
    metadata["resourceVersion"] = json!("48213");
    metadata["generation"] = json!(2);
    let mut before = request["object"].clone();
    before["metadata"]["generation"] = json!(1);
    before["spec"]["template"]["spec"]["containers"][0]["image"] = json!(old);
    request["oldObject"] = before;
    review
}

fn warnings(response: &Value) -> String {
    response["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .map(|w| w.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// OLD and NEW for the upgrade rule: the demo project attested by ci onto
/// two images, the security team answering both tinyxml2 CVEs for OLD
/// only, and [`vulns_policy`] with `upgrade` in policies/vulns.yaml.
/// Returns OLD, NEW and OLD's digest.
fn upgrade_images(world: &Fixture, upgrade: &str) -> (String, String, String) {
    let dir = world.dir();
    assert_ok(&vouch_in(dir, &["keygen", "--out", "security"]));
    let old_digest = world.registry().push_image("vulns/old", "v1");
    world.registry().push_image("vulns/new", "v1");
    let old = world.registry().reference("vulns/old", "v1");
    let new = world.registry().reference("vulns/new", "v1");
    let project = root().join("testdata/projects/demo-service");
    for image in [&old, &new] {
        assert_ok(&vouch_in(
            dir,
            &[
                "attest",
                project.to_str().unwrap(),
                "--image",
                image,
                "--key",
                "ci.key",
            ],
        ));
    }
    assert_ok(&vex_create(
        dir,
        &old,
        &["CVE-2024-50614", "CVE-2024-50615"],
        "old.vex.json",
        &NOT_AFFECTED,
    ));
    assert_ok(&vouch_in(
        dir,
        &[
            "vex",
            "attach",
            &old,
            "old.vex.json",
            "--key",
            "security.key",
        ],
    ));
    std::fs::write(dir.join("policies/vulns.yaml"), vulns_policy(dir, upgrade)).unwrap();
    (old, new, old_digest)
}

#[test]
fn regression_issue_7_an_upgrade_may_not_bring_a_new_unanswered_critical_finding() {
    let world = world();
    let dir = world.dir();
    let (old, new, _) = upgrade_images(&world, "deny");
    let policy_file = dir.join("policies/vulns.yaml");
    let webhook = Webhook::start(world.dir(), &[]);

    // Each image on its own: OLD is clean; NEW is admitted with a warning
    // for each unanswered CVE (critical: warn), and no upgrade is named.
    let created = webhook.review("/validate", &deployment(&old));
    assert_eq!(created["allowed"], true, "{created}");
    assert!(created.get("warnings").is_none(), "{created}");
    let created = webhook.review("/validate", &deployment(&new));
    assert_eq!(created["allowed"], true, "{created}");
    let warned = warnings(&created);
    assert!(
        warned.contains(&new)
            && warned.contains("CVE-2024-50614")
            && warned.contains("CVE-2024-50615"),
        "{created}"
    );
    assert!(!warned.contains("upgrade"), "{created}");

    // OLD -> NEW brings both CVEs, unanswered, in a critical input: denied.
    let update = deployment_update(&old, &new);
    let denied = webhook.review("/validate", &update);
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 403, "{denied}");
    let why = message(&denied);
    for needle in [
        new.as_str(),
        "policy demo-vulns: the upgrade from",
        "vulns/old",
        "brings CVE-2024-50614 (medium) in critical input tinyxml2 10.0.0",
        "CVE-2024-50615",
        "unanswered",
    ] {
        assert!(why.contains(needle), "{needle:?} in {why}");
    }

    // Controls: the same image before and after (its own findings warn);
    // and NEW -> OLD, which brings nothing unanswered.
    let same = webhook.review("/validate", &deployment_update(&new, &new));
    assert_eq!(same["allowed"], true, "{same}");
    assert!(warnings(&same).contains("CVE-2024-50614"), "{same}");
    assert!(!warnings(&same).contains("upgrade"), "{same}");
    let back = webhook.review("/validate", &deployment_update(&new, &old));
    assert_eq!(back["allowed"], true, "{back}");
    assert!(back.get("warnings").is_none(), "{back}");

    // upgrade: warn admits the same UPDATE, saying why.
    std::fs::write(&policy_file, vulns_policy(dir, "warn")).unwrap();
    eventually("upgrade: warn admits the update", || {
        webhook.review("/validate", &update)["allowed"] == true
    });
    let warned = webhook.review("/validate", &update);
    assert!(
        warnings(&warned).contains("the upgrade from")
            && warnings(&warned).contains("brings CVE-2024-50614"),
        "{warned}"
    );

    // upgrade: ignore admits it with NEW's own warnings only.
    std::fs::write(&policy_file, vulns_policy(dir, "ignore")).unwrap();
    eventually("upgrade: ignore drops the upgrade warning", || {
        !warnings(&webhook.review("/validate", &update)).contains("the upgrade from")
    });
    let allowed = webhook.review("/validate", &update);
    assert_eq!(allowed["allowed"], true, "{allowed}");
    assert!(warnings(&allowed).contains("CVE-2024-50614"), "{allowed}");
}

/// A Deployment UPDATE whose old and new pod specs run `before` and
/// `after`: each entry a list (`containers`, `initContainers`), a
/// container name and an image.
fn deployment_change(before: &[(&str, &str, &str)], after: &[(&str, &str, &str)]) -> Value {
    let mut review = deployment_update("unused", "unused");
    for (object, entries) in [("oldObject", before), ("object", after)] {
        let spec = review["request"][object]["spec"]["template"]["spec"]
            .as_object_mut()
            .unwrap();
        for list in ["containers", "initContainers"] {
            let items: Vec<Value> = entries
                .iter()
                .filter(|(l, _, _)| *l == list)
                .map(|(_, name, image)| json!({"name": name, "image": image}))
                .collect();
            spec.remove(list);
            if !items.is_empty() {
                spec.insert(list.into(), Value::Array(items));
            }
        }
    }
    review
}

#[test]
fn regression_issue_8_the_upgrade_rule_compares_containers_by_name() {
    let world = world();
    let (old, new, old_digest) = upgrade_images(&world, "deny");
    let webhook = Webhook::start(world.dir(), &[]);
    let denied = |review: &Value, what: &str| {
        let answer = webhook.review("/validate", review);
        assert_eq!(answer["allowed"], false, "{what}: {answer}");
        let why = message(&answer);
        assert!(
            why.contains(&format!("{new}: policy demo-vulns: the upgrade from"))
                && why.contains("brings CVE-2024-50614"),
            "{what}: {why}"
        );
        why
    };

    // A container added next to the old one brings NEW: judged as new.
    let added = deployment_change(
        &[("containers", "app", &old)],
        &[("containers", "app", &old), ("containers", "sidecar", &new)],
    );
    let why = denied(&added, "added container");
    // The old image is named once, with its digest once.
    assert!(
        why.contains(&format!("the upgrade from {}@{old_digest} brings", {
            old.rsplit_once(':').unwrap().0
        })),
        "{why}"
    );
    assert!(
        !why.contains(&format!("{old_digest}@{old_digest}")),
        "{why}"
    );

    // NEW as an init container of the same pod.
    let init = deployment_change(
        &[("containers", "app", &old)],
        &[
            ("containers", "app", &old),
            ("initContainers", "migrate", &new),
        ],
    );
    denied(&init, "init container");

    // NEW under a name that ran OLD.
    let replaced = deployment_change(
        &[("containers", "app", &old), ("containers", "b", &old)],
        &[("containers", "app", &old), ("containers", "b", &new)],
    );
    denied(&replaced, "second container replaced");

    // Only the order changes: nothing new runs, so nothing is judged;
    // NEW's own findings warn as on any review.
    let swapped = deployment_change(
        &[("containers", "a", &old), ("containers", "b", &new)],
        &[("containers", "b", &new), ("containers", "a", &old)],
    );
    let answer = webhook.review("/validate", &swapped);
    assert_eq!(answer["allowed"], true, "{answer}");
    assert!(warnings(&answer).contains("CVE-2024-50614"), "{answer}");
    assert!(!warnings(&answer).contains("upgrade"), "{answer}");

    // Two names trade images: each is new under its name, but the old
    // object already ran NEW with the same findings unanswered.
    let traded = deployment_change(
        &[("containers", "a", &old), ("containers", "b", &new)],
        &[("containers", "a", &new), ("containers", "b", &old)],
    );
    let answer = webhook.review("/validate", &traded);
    assert_eq!(answer["allowed"], true, "{answer}");
}

/// PUTs `manifest` (an OCI index) under `tag` of `repo` in the plain
/// registry with curl: a tag writer's forgery.
fn put_index(registry: &Registry, repo: &str, tag: &str, manifest: &Value) {
    let out = Command::new("curl")
        .args(["-sS", "-f", "-X", "PUT", "-H"])
        .arg(format!("Content-Type: {}", common::registry::OCI_INDEX))
        .args(["--data-binary", &manifest.to_string()])
        .arg(format!("{}/v2/{repo}/manifests/{tag}", registry.url()))
        .output()
        .unwrap();
    assert_ok(&out);
}

#[test]
fn regression_issue_8_fail_open_admits_only_an_unavailable_registry_of_a_matched_image() {
    let world = world();
    let webhook = Webhook::start(world.dir(), &["--fail-open"]);
    let hang = FaultServer::start(Fault::Hang);

    // No policy matches: --no-match deny, with no registry request, not
    // even the tag's (fail-open waited for it, then admitted).
    let unmatched = format!("{}/elsewhere/app:v1", hang.host);
    let denied = webhook.review("/validate?timeout=3s", &pod("shop", &[&unmatched]));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 403, "{denied}");
    assert!(
        message(&denied).contains(&format!("{unmatched}: no policy matches this image")),
        "{denied}"
    );
    // /mutate leaves it unpinned, unread.
    let mutated = webhook.review("/mutate?timeout=3s", &pod("shop", &[&unmatched]));
    assert_eq!(mutated["allowed"], true, "{mutated}");
    assert!(
        mutated.get("patch").is_none() && mutated.get("warnings").is_none(),
        "{mutated}"
    );
    assert!(hang.requests().is_empty(), "{:?}", hang.requests());

    // Evidence a tag writer made malformed: the legacy signature tag of
    // the image points at an empty index.
    let digest = world.registry().push_image("enforced/forged", "v1");
    let forged = world.registry().reference("enforced/forged", "v1");
    let empty =
        json!({"schemaVersion": 2, "mediaType": common::registry::OCI_INDEX, "manifests": []});
    let sig_tag = format!("{}.sig", digest.replace(':', "-"));
    put_index(world.registry(), "enforced/forged", &sig_tag, &empty);
    let denied = webhook.review("/validate", &pod("shop", &[&forged]));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 403, "{denied}");
    assert!(message(&denied).contains(&forged), "{denied}");
    assert!(!warnings(&denied).contains("--fail-open"), "{denied}");

    // Evidence over the byte budget (a 100 MiB bundle declared): refused
    // unread, not admitted.
    let huge = FaultServer::start(Fault::HugeBlob {
        layer_size: 100 * 1024 * 1024,
    });
    let image = format!("{}/enforced/app:v1", huge.host);
    let denied = webhook.review("/validate", &pod("shop", &[&image]));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 403, "{denied}");
    let requests = huge.requests();
    assert!(
        requests.iter().any(|r| r.contains("/manifests/"))
            && !requests.iter().any(|r| r.contains("/blobs/")),
        "{requests:?}"
    );

    // A tag that does not exist cannot be pinned: not an outage.
    let missing = world.registry().reference("enforced/missing", "v1");
    let denied = webhook.review("/mutate", &pod("shop", &[&missing]));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert!(message(&denied).contains("not found"), "{denied}");

    // Controls: an unavailable registry of a matched image still fails
    // open, at /validate and /mutate: silence, 429, 503.
    let limited = FaultServer::start(Fault::Status(429));
    let failing = FaultServer::start(Fault::Status(503));
    for host in [&hang.host, &limited.host, &failing.host] {
        let image = format!("{host}/enforced/app:v1");
        for path in ["/validate?timeout=3s", "/mutate?timeout=3s"] {
            let admitted = webhook.review(path, &pod("shop", &[&image]));
            assert_eq!(admitted["allowed"], true, "{path} {admitted}");
            assert!(
                warnings(&admitted).contains("--fail-open")
                    && warnings(&admitted).contains(host.as_str()),
                "{path} {admitted}"
            );
        }
    }
}

/// A TLS client of the webhook that sends the head of a review and the
/// first bytes of its body, then stalls: what a slow client holds. `None`
/// when the server did not take the connection within a second.
fn slow_client(
    port: u16,
    config: &Arc<tokio_rustls::rustls::ClientConfig>,
) -> Option<
    tokio_rustls::rustls::StreamOwned<tokio_rustls::rustls::ClientConnection, std::net::TcpStream>,
> {
    use tokio_rustls::rustls::pki_types::ServerName;
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    tcp.set_write_timeout(Some(Duration::from_secs(1))).ok()?;
    let name = ServerName::try_from(host()).unwrap();
    let connection = tokio_rustls::rustls::ClientConnection::new(config.clone(), name).unwrap();
    let mut tls = tokio_rustls::rustls::StreamOwned::new(connection, tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).ok()?;
    }
    let head = format!(
        "POST /validate?timeout=10s HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 4096\r\n\r\n{{\"apiVersion\"",
        host()
    );
    tls.write_all(head.as_bytes()).ok()?;
    tls.flush().ok()?;
    Some(tls)
}

#[test]
fn regression_issue_8_slow_clients_do_not_keep_a_review_out() {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::{crypto, ClientConfig, RootCertStore};
    let world = world();
    // 128 open files: fewer than the slow clients.
    let webhook = Webhook::start_with_nofile(world.dir(), 128, &[]);
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&webhook.ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = Arc::new(
        ClientConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    // 150 clients each send part of a review, then a byte more: slower
    // than any deadline of theirs.
    let mut slow: Vec<_> = (0..150)
        .filter_map(|_| slow_client(webhook.port, &config))
        .collect();
    for client in &mut slow {
        let _ = client.write_all(b":").and_then(|()| client.flush());
    }
    assert!(!slow.is_empty());

    // A real review meanwhile, answered within the apiserver's timeout
    // (curl gives up after the 10 s of timeoutSeconds).
    let url = format!("https://{}:{}/validate?timeout=10s", host(), webhook.port);
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(&webhook.ca)
        .args([
            "--resolve",
            &format!("{}:{}:127.0.0.1", host(), webhook.port),
        ])
        .args(["-H", "Content-Type: application/json", "--data-binary"])
        .arg(pod("shop", &[&world.image]).to_string())
        .arg(&url)
        .output()
        .unwrap();
    assert_ok(&out);
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["response"]["allowed"], true, "{answer}");
    let metrics = webhook.metrics();
    let shed: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("vouch_webhook_connections_shed_total "))
        .unwrap_or_else(|| panic!("{metrics}"))
        .parse()
        .unwrap();
    assert!(shed > 0, "{metrics}");

    // The newest slow client is still open; its request never arrives
    // whole, and it is answered 408 at its deadline.
    let last = slow.last_mut().unwrap();
    last.sock
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut answer = Vec::new();
    let _ = std::io::Read::read_to_end(last, &mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
}

#[test]
fn regression_issue_8_a_key_file_replaced_in_place_takes_effect_without_a_policy_change() {
    let world = world();
    let webhook = Webhook::start(world.dir(), &[]);
    let review = pod("shop", &[&world.image]);
    assert_eq!(webhook.review("/validate", &review)["allowed"], true);

    // The key the enforce policy names is replaced (a rotated key, or a
    // revoked one): ci's attestations no longer verify, though no policy
    // file changed.
    let dir = world.dir();
    let ci = std::fs::read(dir.join("ci.pub")).unwrap();
    assert_ok(&vouch_in(dir, &["keygen", "--out", "rotated"]));
    std::fs::copy(dir.join("rotated.pub"), dir.join("ci.pub")).unwrap();
    eventually("the replaced key is in force", || {
        webhook.review("/validate", &review)["allowed"] == false
    });
    assert!(webhook
        .metrics()
        .contains("vouch_webhook_policy_reloads_total 1\n"));
    let denied = webhook.review("/validate", &review);
    assert!(message(&denied).contains("no verified"), "{denied}");

    // The old key back: admitted again, from a fresh verification.
    std::fs::write(dir.join("ci.pub"), ci).unwrap();
    eventually("the restored key is in force", || {
        webhook.review("/validate", &review)["allowed"] == true
    });
    assert!(webhook
        .metrics()
        .contains("vouch_webhook_policy_reloads_total 2\n"));
}

/// A pod author names a registry of their own: it gets none of the
/// operator's credentials, cannot make the webhook fetch a token service
/// elsewhere (an internal address), and its answers, or anything it
/// relays, never reach the denial the author reads; the operator's log
/// keeps them. Credentials named by no registry are refused at start.
#[test]
fn regression_issue_9_the_webhook_gives_a_pod_authors_registry_nothing() {
    let world = world();
    let dir = world.dir();
    std::fs::write(dir.join("pull.token"), "operator-pull-token\n").unwrap();
    let bound = format!("{}=operator:@pull.token", world.registry().host);
    let webhook = Webhook::start(world.dir(), &["--registry-credentials", &bound]);
    // The operator's registry is read as before.
    let allowed = webhook.review("/validate", &pod("shop", &[&world.image]));
    assert_eq!(allowed["allowed"], true, "{allowed}");

    // An internal service, and a registry naming it as its token service.
    let internal = FaultServer::start(Fault::StatusEverywhere(403));
    let realm = format!(
        "Bearer realm=\"http://{}/admin\",service=\"x\"",
        internal.host
    );
    let attacker = FaultServer::start_challenging(Fault::Status(401), &realm);
    let image = format!("{}/enforced/app:v1", attacker.host);
    for endpoint in ["/validate", "/mutate"] {
        let denied = webhook.review(endpoint, &pod("shop", &[&image]));
        assert_eq!(denied["allowed"], false, "{denied}");
        let why = message(&denied);
        assert!(
            why.contains(&format!("registry {}", attacker.host)),
            "{why}"
        );
        assert!(
            why.contains(&format!("token service {}", internal.host)),
            "{why}"
        );
    }
    assert_eq!(internal.requests(), Vec::<String>::new());
    assert_eq!(attacker.authorizations(), Vec::<String>::new());

    // A registry's own error body (here, one it relays) is logged, never
    // shown: the denial says which registry failed and how.
    let relaying = FaultServer::start(Fault::Status(403));
    // By digest: read with GETs, whose answers have bodies.
    let image = format!("{}/enforced/app@sha256:{}", relaying.host, "ab".repeat(32));
    let denied = webhook.review("/validate", &pod("shop", &[&image]));
    let why = message(&denied);
    assert!(
        why.contains(&format!("registry {}", relaying.host)),
        "{why}"
    );
    assert!(why.contains("403 Forbidden"), "{why}");
    assert!(!why.contains("hunter2"), "{why}");
    eventually("the body is logged", || webhook.log().contains("hunter2"));
    assert_eq!(relaying.authorizations(), Vec::<String>::new());
    drop(webhook);

    // --registry-username names no registry: refused at start.
    let out = vouch()
        .current_dir(dir)
        .args(common::WEBHOOK_ARGS)
        .args([
            "--registry-username",
            "operator",
            "--registry-password",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--registry-credentials HOST=USER:@FILE"),
        "{stderr}"
    );
}
