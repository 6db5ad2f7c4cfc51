//! deploy/: the admission webhook's kustomize base and the CI examples.
//!
//! No kube-apiserver is installable here, so the manifests are checked by:
//! real `kubectl kustomize` (kustomize as kubectl embeds it) rendering the
//! base; real `kubectl apply --dry-run=client` (kind mapping, parsing,
//! object names) against [`stub::KubeDiscovery`], the discovery documents
//! of an apiserver; `kubernetes-validate --strict`, the Kubernetes OpenAPI
//! schemas (types, required and unknown fields); and the structural rules
//! of issue 6 asserted here on the rendered documents. Each check has a
//! negative control: a broken copy that it rejects. The example overlay is
//! checked in `kustomize.rs`, with the helpers here.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{assert_ok, edit, root, stub, tempdir, venv_bin, vouch_in};
use serde_json::{json, Value};

/// The manifests of deploy/ (not ci/, nor the kustomization itself):
/// `*.yaml`, sorted.
fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "kustomization.yaml"))
        .collect();
    files.sort();
    files
}

/// The YAML document of `text` (one per file), as JSON.
fn document(text: &str) -> Result<Value, String> {
    serde_norway::from_str(text).map_err(|e| e.to_string())
}

/// Every YAML document of `text` (`---`-separated, as `kubectl kustomize`
/// prints them), as JSON.
pub(crate) fn documents(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|d| document(d).unwrap())
        .collect()
}

/// `kubectl kustomize DIR`: the objects a `kubectl apply -k DIR` would
/// send, rendered by the kustomize kubectl embeds.
pub(crate) fn kustomize(dir: &Path) -> Output {
    let scratch = tempdir();
    Command::new("kubectl")
        .env("KUBECONFIG", scratch.path().join("none"))
        .env("HOME", scratch.path())
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl is not installed: run scripts/install-oracles.sh")
}

/// The rendering of `dir`, which must succeed. The kustomizations need
/// kustomize v4 or later (kubectl 1.21): an older kubectl is named in the
/// failure.
pub(crate) fn render(dir: &Path) -> String {
    let out = kustomize(dir);
    if !out.status.success() {
        let version = Command::new("kubectl")
            .args(["version", "--client"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        panic!(
            "kubectl kustomize {} failed ({version}):\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).unwrap()
}

/// Every object of the base as `kubectl apply -k deploy/` sends it.
fn manifests() -> Vec<Value> {
    documents(&render(&root().join("deploy")))
}

pub(crate) fn find<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} expected");
    found[0]
}

/// Copies the directory `from` into `to`, recursively.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// A copy of deploy/ (the base, its policies, not ci/) in a fresh directory.
fn deploy_copy() -> tempfile::TempDir {
    let tmp = tempdir();
    for file in manifest_files(&root().join("deploy")) {
        std::fs::copy(&file, tmp.path().join(file.file_name().unwrap())).unwrap();
    }
    std::fs::copy(
        root().join("deploy/kustomization.yaml"),
        tmp.path().join("kustomization.yaml"),
    )
    .unwrap();
    copy_tree(
        &root().join("deploy/policies"),
        &tmp.path().join("policies"),
    );
    tmp
}

/// `kubectl apply --dry-run=client ARGS -o name` against `api`, with no
/// kubeconfig and a private discovery cache (ARGS: `-k DIR`, `-f FILE`).
/// `--validate=false`: client validation downloads the OpenAPI schema from
/// the server, which the stub does not have (kubernetes-validate checks the
/// schemas instead).
pub(crate) fn kubectl_apply(api: &stub::KubeDiscovery, source: &[&std::ffi::OsStr]) -> Output {
    let scratch = tempdir();
    Command::new("kubectl")
        .env("KUBECONFIG", scratch.path().join("none"))
        .env("HOME", scratch.path())
        .args(["--server", &api.server, "--cache-dir"])
        .arg(scratch.path().join("cache"))
        .args([
            "apply",
            "--dry-run=client",
            "--validate=false",
            "-o",
            "name",
        ])
        .args(source)
        .output()
        .expect("kubectl is not installed: run scripts/install-oracles.sh")
}

/// `kubectl apply --dry-run=client -k DIR` against `api`.
fn kubectl_apply_k(api: &stub::KubeDiscovery, dir: &Path) -> Output {
    kubectl_apply(api, &["-k".as_ref(), dir.as_os_str()])
}

/// The names `kubectl apply -o name` printed, sorted.
pub(crate) fn applied_names(out: &Output) -> Vec<String> {
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

#[test]
fn kubectl_dry_run_accepts_every_manifest() {
    let api = stub::KubeDiscovery::start();
    let out = kubectl_apply_k(&api, &root().join("deploy"));
    assert_ok(&out);
    let mut names = applied_names(&out);
    // The policies ConfigMap is generated, its name suffixed with the hash
    // of its contents (the Deployment mounts that name: see below).
    let policies = names
        .iter()
        .position(|n| n.starts_with("configmap/vouch-policies-"))
        .unwrap_or_else(|| panic!("no generated policies ConfigMap in {names:?}"));
    names[policies] = "configmap/vouch-policies-HASH".into();
    assert_eq!(
        names,
        [
            "configmap/vouch-policies-HASH",
            "deployment.apps/vouch-webhook",
            "mutatingwebhookconfiguration.admissionregistration.k8s.io/vouch-webhook",
            "namespace/vouch-system",
            "poddisruptionbudget.policy/vouch-webhook",
            "service/vouch-webhook",
            "serviceaccount/vouch-webhook",
            "validatingwebhookconfiguration.admissionregistration.k8s.io/vouch-webhook",
        ]
    );
    // kubectl really asked: discovery, then each object (404: new).
    let requests = api.requests();
    assert!(requests.iter().any(|r| r.starts_with("GET /apis")));
    assert!(requests
        .iter()
        .any(|r| r == "GET /apis/apps/v1/namespaces/vouch-system/deployments/vouch-webhook"));

    // Negative controls: a misspelt kind, and a manifest that is not YAML.
    let broken = deploy_copy();
    edit(
        &broken.path().join("30-deployment.yaml"),
        "kind: Deployment",
        "kind: Deploymnet",
    );
    let out = kubectl_apply_k(&api, broken.path());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Deploymnet") && stderr.contains("no matches for kind"),
        "{stderr}"
    );
    let broken = deploy_copy();
    edit(
        &broken.path().join("50-poddisruptionbudget.yaml"),
        "  minAvailable: 1",
        "  minAvailable: [1",
    );
    let out = kubectl_apply_k(&api, broken.path());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("50-poddisruptionbudget.yaml"), "{stderr}");
    // A kustomization naming a manifest that is not there.
    let broken = deploy_copy();
    std::fs::remove_file(broken.path().join("40-service.yaml")).unwrap();
    let out = kubectl_apply_k(&api, broken.path());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("40-service.yaml"), "{stderr}");
}

/// The kustomization lists every manifest of deploy/, so that none is
/// left out of `kubectl apply -k deploy/`.
#[test]
fn kustomization_lists_every_manifest() {
    let text = std::fs::read_to_string(root().join("deploy/kustomization.yaml")).unwrap();
    let kustomization = document(&text).unwrap();
    let listed: Vec<&str> = kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let files: Vec<String> = manifest_files(&root().join("deploy"))
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listed, files);
    // Every rendered object is labelled as part of vouch.
    for doc in manifests() {
        let labels = &doc["metadata"]["labels"];
        assert_eq!(labels["app.kubernetes.io/part-of"], "vouch", "{doc}");
    }
}

/// `kubernetes-validate --strict` of the kustomization `dir` as rendered.
pub(crate) fn kubernetes_validate(dir: &Path) -> Output {
    let scratch = tempdir();
    let rendered = scratch.path().join("rendered.yaml");
    std::fs::write(&rendered, render(dir)).unwrap();
    venv_bin("kubernetes-validate")
        .args(["--strict", "--quiet"])
        .arg(&rendered)
        .output()
        .unwrap()
}

#[test]
fn manifests_match_the_kubernetes_schemas() {
    assert_ok(&kubernetes_validate(&root().join("deploy")));

    // Negative controls: a wrong type, and an unknown (misspelt) field.
    let broken = deploy_copy();
    edit(
        &broken.path().join("30-deployment.yaml"),
        "replicas: 2",
        "replicas: two",
    );
    let out = kubernetes_validate(broken.path());
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("spec.replicas") && stdout.contains("'two' is not of type"),
        "{stdout}"
    );
    let broken = deploy_copy();
    edit(
        &broken.path().join("60-validating-webhook.yaml"),
        "sideEffects: None",
        "sideEffect: None",
    );
    let out = kubernetes_validate(broken.path());
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("sideEffect"), "{stdout}");
}

/// The issue-6 rules for one webhook configuration: what is wrong, if
/// anything.
fn webhook_violations(config: &Value, path: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut check = |ok: bool, what: &str| {
        if !ok {
            wrong.push(what.to_string());
        }
    };
    let hooks = config["webhooks"].as_array().cloned().unwrap_or_default();
    check(hooks.len() == 1, "one webhook");
    for hook in &hooks {
        check(hook["failurePolicy"] == "Fail", "failurePolicy");
        check(hook["sideEffects"] == "None", "sideEffects");
        check(hook["timeoutSeconds"] == 10, "timeoutSeconds");
        check(
            hook["admissionReviewVersions"] == json!(["v1"]),
            "admissionReviewVersions",
        );
        let service = &hook["clientConfig"]["service"];
        check(
            service["name"] == "vouch-webhook"
                && service["namespace"] == "vouch-system"
                && service["path"] == path
                && service["port"] == 443,
            "clientConfig.service",
        );
        check(hook["clientConfig"]["caBundle"].is_string(), "caBundle");
        let selector = hook["namespaceSelector"]["matchExpressions"].clone();
        for expr in [
            json!({"key": "vouch.dev/verify", "operator": "In", "values": ["enabled"]}),
            json!({"key": "vouch.dev/exempt", "operator": "NotIn", "values": ["true"]}),
            json!({"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                   "values": ["kube-system", "vouch-system"]}),
        ] {
            check(
                selector.as_array().is_some_and(|s| s.contains(&expr)),
                &format!("namespaceSelector {expr}"),
            );
        }
        // (group, version, resource) -> operations, over every rule.
        let rules = hook["rules"].as_array().cloned().unwrap_or_default();
        let ops = |group: &str, version: &str, resource: &str| -> Vec<String> {
            let mut ops: Vec<String> = rules
                .iter()
                .filter(|r| {
                    r["apiGroups"]
                        .as_array()
                        .is_some_and(|g| g.contains(&json!(group)))
                        && r["apiVersions"]
                            .as_array()
                            .is_some_and(|v| v.contains(&json!(version)))
                        && r["resources"]
                            .as_array()
                            .is_some_and(|v| v.contains(&json!(resource)))
                })
                .flat_map(|r| r["operations"].as_array().cloned().unwrap_or_default())
                .map(|o| o.as_str().unwrap_or_default().to_string())
                .collect();
            ops.sort();
            ops
        };
        for (group, resource) in [
            ("", "pods"),
            ("", "replicationcontrollers"),
            ("apps", "deployments"),
            ("apps", "replicasets"),
            ("apps", "statefulsets"),
            ("apps", "daemonsets"),
            ("batch", "jobs"),
            ("batch", "cronjobs"),
        ] {
            check(
                ops(group, "v1", resource) == ["CREATE", "UPDATE"],
                &format!("rule for {group}/v1 {resource}"),
            );
        }
        check(
            ops("", "v1", "pods/ephemeralcontainers") == ["UPDATE"],
            "rule for pods/ephemeralcontainers",
        );
    }
    wrong
}

#[test]
fn webhook_configurations_fail_closed_over_every_pod_spec_kind() {
    let docs = manifests();
    let validating = find(&docs, "ValidatingWebhookConfiguration");
    let mutating = find(&docs, "MutatingWebhookConfiguration");
    assert_eq!(
        webhook_violations(validating, "/validate"),
        Vec::<String>::new()
    );
    assert_eq!(
        webhook_violations(mutating, "/mutate"),
        Vec::<String>::new()
    );
    assert_eq!(mutating["webhooks"][0]["reinvocationPolicy"], "IfNeeded");

    // Negative control: each rule, broken on its own, is reported.
    let mut broken = validating.clone();
    let hook = &mut broken["webhooks"][0];
    hook["failurePolicy"] = json!("Ignore");
    hook["timeoutSeconds"] = json!(30);
    hook["rules"][1]["operations"] = json!(["CREATE"]);
    hook["rules"][3]["resources"] = json!(["jobs"]);
    hook["namespaceSelector"]["matchExpressions"][1]["operator"] = json!("In");
    assert_eq!(
        webhook_violations(&broken, "/validate"),
        [
            "failurePolicy",
            "timeoutSeconds",
            r#"namespaceSelector {"key":"vouch.dev/exempt","operator":"NotIn","values":["true"]}"#,
            "rule for batch/v1 cronjobs",
            "rule for pods/ephemeralcontainers",
        ]
    );
    assert_eq!(
        webhook_violations(mutating, "/validate"),
        ["clientConfig.service"]
    );
}

/// The hardening rules for the webhook's Deployment: what is wrong.
fn deployment_violations(deployment: &Value) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut check = |ok: bool, what: &str| {
        if !ok {
            wrong.push(what.to_string());
        }
    };
    let spec = &deployment["spec"]["template"]["spec"];
    let c = &spec["containers"][0];
    check(deployment["spec"]["replicas"] == 2, "replicas");
    check(
        spec["containers"].as_array().map(Vec::len) == Some(1),
        "one container",
    );
    check(
        c["args"]
            == json!([
                "webhook",
                "--policy",
                "/etc/vouch/policies",
                "--tls-cert",
                "/etc/vouch/tls/tls.crt",
                "--tls-key",
                "/etc/vouch/tls/tls.key",
                "--listen",
                "0.0.0.0:8443"
            ]),
        "args",
    );
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let get = &c[probe]["httpGet"];
        check(
            get["path"] == path && get["scheme"] == "HTTPS" && get["port"] == "https",
            probe,
        );
    }
    check(
        c["ports"] == json!([{"name": "https", "containerPort": 8443, "protocol": "TCP"}]),
        "ports",
    );
    for kind in ["requests", "limits"] {
        let r = &c["resources"][kind];
        check(r["cpu"].is_string() && r["memory"].is_string(), kind);
    }
    let sc = &c["securityContext"];
    check(
        spec["securityContext"]["runAsNonRoot"] == true,
        "pod runAsNonRoot",
    );
    check(sc["runAsNonRoot"] == true, "runAsNonRoot");
    check(
        sc["readOnlyRootFilesystem"] == true,
        "readOnlyRootFilesystem",
    );
    check(
        sc["allowPrivilegeEscalation"] == false,
        "allowPrivilegeEscalation",
    );
    check(sc["capabilities"]["drop"] == json!(["ALL"]), "capabilities");
    check(
        sc["seccompProfile"]["type"] == "RuntimeDefault"
            && spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault",
        "seccompProfile",
    );
    let mounts: Vec<(String, String)> = c["volumeMounts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|m| m["readOnly"] == true)
        .map(|m| {
            (
                m["name"].as_str().unwrap_or_default().into(),
                m["mountPath"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    let volume = |name: &str| {
        spec["volumes"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["name"] == name).cloned())
            .unwrap_or(Value::Null)
    };
    for (name, path) in [
        ("tls", "/etc/vouch/tls"),
        ("policies", "/etc/vouch/policies"),
        ("registry-credentials", "/etc/vouch/docker"),
    ] {
        check(
            mounts.contains(&(name.into(), path.into())),
            &format!("mount {name}"),
        );
    }
    check(
        volume("tls")["secret"]["secretName"] == "vouch-webhook-tls",
        "tls volume",
    );
    check(
        volume("policies")["configMap"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("vouch-policies-")),
        "policies volume",
    );
    check(
        volume("registry-credentials")["secret"]["items"]
            == json!([{"key": ".dockerconfigjson", "path": "config.json"}])
            && c["env"][0] == json!({"name": "DOCKER_CONFIG", "value": "/etc/vouch/docker"}),
        "registry credentials",
    );
    wrong
}

#[test]
fn deployment_is_replicated_probed_and_hardened() {
    let docs = manifests();
    let deployment = find(&docs, "Deployment");
    assert_eq!(deployment_violations(deployment), Vec::<String>::new());
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/name"], "vouch-webhook");
    // The Service, the PodDisruptionBudget and the ServiceAccount.
    let service = find(&docs, "Service");
    assert_eq!(
        service["spec"]["selector"]["app.kubernetes.io/name"],
        "vouch-webhook"
    );
    assert_eq!(service["spec"]["ports"][0]["port"], 443);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "https");
    // The generated (hashed) policies ConfigMap is the one mounted.
    let volumes = deployment["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    let policies = volumes.iter().find(|v| v["name"] == "policies").unwrap();
    assert_eq!(
        policies["configMap"]["name"],
        find(&docs, "ConfigMap")["metadata"]["name"]
    );
    let pdb = find(&docs, "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    let selector = &pdb["spec"]["selector"]["matchLabels"];
    assert_eq!(selector, &deployment["spec"]["selector"]["matchLabels"]);
    assert_eq!(
        selector["app.kubernetes.io/name"],
        labels["app.kubernetes.io/name"]
    );
    assert_eq!(
        find(&docs, "ServiceAccount")["metadata"]["name"],
        deployment["spec"]["template"]["spec"]["serviceAccountName"]
    );
    let namespace = find(&docs, "Namespace");
    assert_eq!(namespace["metadata"]["name"], "vouch-system");
    assert_eq!(namespace["metadata"]["labels"]["vouch.dev/exempt"], "true");
    for doc in &docs {
        let cluster_scoped =
            doc["kind"].as_str().unwrap().ends_with("Configuration") || doc["kind"] == "Namespace";
        assert!(
            cluster_scoped || doc["metadata"]["namespace"] == "vouch-system",
            "{doc}"
        );
    }

    // Negative control: each weakened setting is reported.
    let mut broken = deployment.clone();
    broken["spec"]["replicas"] = json!(1);
    let c = &mut broken["spec"]["template"]["spec"]["containers"][0];
    c["securityContext"]["readOnlyRootFilesystem"] = json!(false);
    c["securityContext"]["capabilities"]["drop"] = json!(["NET_RAW"]);
    c["readinessProbe"]["httpGet"]["scheme"] = json!("HTTP");
    c["args"][8] = json!("0.0.0.0:8080");
    c["volumeMounts"][1]["readOnly"] = json!(false);
    assert_eq!(
        deployment_violations(&broken),
        [
            "replicas",
            "args",
            "readinessProbe",
            "readOnlyRootFilesystem",
            "capabilities",
            "mount policies",
        ]
    );
}

#[test]
fn policies_configmap_holds_valid_policies() {
    let docs = manifests();
    let data = find(&docs, "ConfigMap")["data"]
        .as_object()
        .unwrap()
        .clone();
    assert!(!data.is_empty());
    let tmp = tempdir();
    let dir = tmp.path().join("policies");
    std::fs::create_dir(&dir).unwrap();
    for (name, text) in &data {
        assert!(
            name.ends_with(".yaml"),
            "{name}: the webhook loads *.yaml only"
        );
        std::fs::write(dir.join(name), text.as_str().unwrap()).unwrap();
    }
    let out = vouch_in(tmp.path(), &["policy", "check", "policies"]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("production (enforce"), "{stdout}");
    assert!(
        stdout.contains("https://slsa.dev/provenance/v1"),
        "{stdout}"
    );

    // Negative control: the same policy with a misspelt field is refused.
    let text = data["production.yaml"].as_str().unwrap();
    assert_eq!(text.matches("  maxAge:").count(), 1);
    std::fs::write(
        dir.join("production.yaml"),
        text.replace("  maxAge:", "  maxAgee:"),
    )
    .unwrap();
    let out = vouch_in(tmp.path(), &["policy", "check", "policies"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("maxAgee"));
}

/// One CI example: its YAML, and every `script`/`run` line in it.
fn ci_example(name: &str) -> (Value, String) {
    let text = std::fs::read_to_string(root().join("deploy/ci").join(name)).unwrap();
    (document(&text).unwrap(), text)
}

/// The steps every CI example takes: attest keylessly with both SBOM
/// formats, verify; and no long-lived key anywhere.
fn assert_signs_and_verifies(text: &str) {
    for step in [
        r#"vouch attest . --image "$IMAGE" --keyless --sbom cyclonedx,spdx"#,
        r#"vouch verify "$IMAGE" --policy policies/"#,
    ] {
        assert!(text.contains(step), "missing {step:?}");
    }
    assert!(
        !text.contains("--key ci.key"),
        "a key file in a keyless example"
    );
}

#[test]
fn ci_examples_parse_and_attest_keylessly() {
    let (github, text) = ci_example("github-actions.yml");
    assert_signs_and_verifies(&text);
    let job = &github["jobs"]["build-attest"];
    assert_eq!(job["runs-on"], "ubuntu-latest");
    assert!(job["steps"].as_array().unwrap().len() >= 4);
    // GitHub gives a job an OIDC token only with this permission.
    assert_eq!(github["permissions"]["id-token"], "write");

    let (gitlab, text) = ci_example("gitlab-ci.yml");
    assert_signs_and_verifies(&text);
    assert_eq!(gitlab["stages"], json!(["build", "attest"]));
    assert_eq!(gitlab["attest"]["stage"], "attest");
    assert!(gitlab["attest"]["script"].as_array().unwrap().len() >= 2);
    // GitLab puts the token where `--keyless` looks for it, for Fulcio.
    assert_eq!(
        gitlab["attest"]["id_tokens"]["SIGSTORE_ID_TOKEN"]["aud"],
        "sigstore"
    );

    // Negative controls: broken YAML does not parse, and a workflow that
    // skips the verify step is caught.
    assert!(document("jobs:\n  build: [unclosed\n").is_err());
    let skipped = text.replace(r#"vouch verify "$IMAGE""#, "true");
    let caught = std::panic::catch_unwind(|| assert_signs_and_verifies(&skipped));
    assert!(caught.is_err());
}
