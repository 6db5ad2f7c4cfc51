//! examples/kustomize/: the example overlay of the deploy/ base, as the
//! real `kubectl kustomize` renders it. It must pin the webhook's image by
//! digest, move every object and every reference to its namespace
//! (including the exemption of that namespace by name, which kustomize does
//! not rewrite), and carry its own policies in a hashed ConfigMap that the
//! Deployment mounts and `vouch policy check` loads. The rendering passes
//! the real `kubectl apply --dry-run=client` against the discovery stub and
//! `kubernetes-validate --strict`. Each check has a negative control: an
//! overlay broken on purpose, which the check catches.

use crate::common;
use crate::deploy::{
    applied_names, copy_tree, documents, find, kubectl_apply, kubernetes_validate, kustomize,
    render,
};

use std::path::{Path, PathBuf};

use common::{assert_ok, edit, root, stub, tempdir, vouch_in};
use serde_json::{json, Value};

/// The example overlay's directory.
fn overlay() -> PathBuf {
    root().join("examples/kustomize")
}

/// The overlay's kustomization.yaml, parsed.
fn kustomization(dir: &Path) -> Value {
    serde_norway::from_str(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap())
        .unwrap()
}

/// A copy of the base and the overlay, laid out as in the repository (the
/// overlay names its base `../../deploy`); returns the overlay's path in it.
fn overlay_copy(tmp: &tempfile::TempDir) -> PathBuf {
    copy_tree(&root().join("deploy"), &tmp.path().join("deploy"));
    let dir = tmp.path().join("examples/kustomize");
    copy_tree(&overlay(), &dir);
    dir
}

/// The image the overlay sets: `newName@digest` of its one `images` entry,
/// which must carry a digest and no tag.
fn overlay_image(kustomization: &Value) -> String {
    let images = kustomization["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{images:?}");
    let image = &images[0];
    assert!(image.get("newTag").is_none(), "{image}");
    format!(
        "{}@{}",
        image["newName"].as_str().unwrap(),
        image["digest"].as_str().unwrap()
    )
}

/// Every container of every pod spec in `docs`: (object, container, image).
fn container_images(docs: &[Value]) -> Vec<(String, String, String)> {
    let mut images = Vec::new();
    for doc in docs {
        let spec = match doc["kind"].as_str() {
            Some("Pod") => &doc["spec"],
            Some("CronJob") => &doc["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            _ => &doc["spec"]["template"]["spec"],
        };
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for c in spec[list].as_array().cloned().unwrap_or_default() {
                images.push((
                    object_name(doc),
                    c["name"].as_str().unwrap_or_default().to_string(),
                    c["image"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    images
}

/// `Kind/name` of an object.
fn object_name(doc: &Value) -> String {
    format!(
        "{}/{}",
        doc["kind"].as_str().unwrap_or_default(),
        doc["metadata"]["name"].as_str().unwrap_or_default()
    )
}

/// What is wrong with the images of `docs`: each must be `expected`, and
/// `expected` itself a reference pinned by a sha256 digest.
fn image_violations(docs: &[Value], expected: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    let pinned = expected.split_once("@sha256:").is_some_and(|(name, hex)| {
        !name.is_empty()
            && hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if !pinned {
        wrong.push(format!("{expected}: not pinned by digest"));
    }
    let images = container_images(docs);
    if images.is_empty() {
        wrong.push("no container".into());
    }
    for (object, container, image) in images {
        if image != expected {
            wrong.push(format!("{object} {container}: {image}"));
        }
    }
    wrong
}

/// The objects that are not namespaced.
fn cluster_scoped(doc: &Value) -> bool {
    doc["kind"] == "Namespace"
        || doc["kind"] == "ValidatingWebhookConfiguration"
        || doc["kind"] == "MutatingWebhookConfiguration"
}

/// Every string in `value`, with its path.
fn strings(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((path.to_string(), s.clone())),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                strings(v, &format!("{path}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                strings(v, &format!("{path}/{k}"), out);
            }
        }
        _ => {}
    }
}

/// What is wrong with the namespace of `docs`, all of which must be in
/// `namespace`: every namespaced object, the one Namespace object (exempt
/// by label), both webhook configurations' Service, and their exemption of
/// the webhook's own namespace by name. `other` is a namespace no string
/// may name any more (the base's, once an overlay has moved it).
fn namespace_violations(docs: &[Value], namespace: &str, other: Option<&str>) -> Vec<String> {
    let mut wrong = Vec::new();
    let namespaces: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Namespace").collect();
    if namespaces.len() != 1
        || namespaces[0]["metadata"]["name"] != namespace
        || namespaces[0]["metadata"]["labels"]["vouch.dev/exempt"] != "true"
    {
        wrong.push(format!("Namespace objects: {namespaces:?}"));
    }
    for doc in docs {
        let name = object_name(doc);
        if cluster_scoped(doc) {
            if doc["metadata"].get("namespace").is_some() {
                wrong.push(format!("{name}: a namespace on a cluster-scoped object"));
            }
        } else if doc["metadata"]["namespace"] != namespace {
            let actual = doc["metadata"]["namespace"].as_str().unwrap_or("none");
            wrong.push(format!("{name}: in {actual}"));
        }
        if doc["kind"]
            .as_str()
            .is_some_and(|k| k.ends_with("WebhookConfiguration"))
        {
            let hooks = doc["webhooks"].as_array().cloned().unwrap_or_default();
            if hooks.is_empty() {
                wrong.push(format!("{name}: no webhook"));
            }
            for hook in hooks {
                let service = &hook["clientConfig"]["service"];
                if service["namespace"] != namespace {
                    let actual = service["namespace"].as_str().unwrap_or("none");
                    wrong.push(format!("{name}: service in {actual}"));
                }
                let exempt = json!({"key": "kubernetes.io/metadata.name",
                    "operator": "NotIn", "values": ["kube-system", namespace]});
                let selector = &hook["namespaceSelector"]["matchExpressions"];
                if !selector.as_array().is_some_and(|s| s.contains(&exempt)) {
                    wrong.push(format!("{name}: exemption {selector}"));
                }
            }
        }
        if let Some(other) = other {
            let mut found = Vec::new();
            strings(doc, "", &mut found);
            for (path, s) in found {
                if s.contains(other) {
                    wrong.push(format!("{name}: {path} names {other}"));
                }
            }
        }
    }
    wrong
}

/// The overlay's policies ConfigMap and the name the Deployment mounts.
fn mounted_policies(docs: &[Value]) -> (Value, String) {
    let configmap = find(docs, "ConfigMap").clone();
    let volumes = find(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
        .clone();
    let volume = volumes.iter().find(|v| v["name"] == "policies").unwrap();
    (
        configmap,
        volume["configMap"]["name"].as_str().unwrap().to_string(),
    )
}

#[test]
fn example_overlay_passes_the_dry_run_and_the_schemas() {
    let api = stub::KubeDiscovery::start();
    let kustomization = kustomization(&overlay());
    let namespace = kustomization["namespace"].as_str().unwrap();
    assert_ne!(namespace, "vouch-system");

    // What a user pipes through, and `-k` itself: the same objects.
    let tmp = tempdir();
    let rendered = tmp.path().join("rendered.yaml");
    std::fs::write(&rendered, render(&overlay())).unwrap();
    let from_file = kubectl_apply(&api, &["-f".as_ref(), rendered.as_os_str()]);
    assert_ok(&from_file);
    let with_k = kubectl_apply(&api, &["-k".as_ref(), overlay().as_os_str()]);
    assert_ok(&with_k);
    let names = applied_names(&from_file);
    assert_eq!(names, applied_names(&with_k));
    assert_eq!(names.len(), 8, "{names:?}");
    assert!(
        names.contains(&format!("namespace/{namespace}")),
        "{names:?}"
    );
    assert!(
        !names.contains(&"namespace/vouch-system".to_string()),
        "{names:?}"
    );
    // kubectl asked for the Deployment where the overlay puts it.
    let requests = api.requests();
    let get = format!("GET /apis/apps/v1/namespaces/{namespace}/deployments/vouch-webhook");
    assert!(requests.contains(&get), "{requests:?}");
    assert_ok(&kubernetes_validate(&overlay()));

    // Negative controls, each refused by kubectl: a kustomization that is
    // not YAML, one naming a policy file that is not there, and a base
    // whose namespace exemption moved, which the overlay's patch tests for
    // rather than replace another expression.
    let tmp = tempdir();
    let broken = overlay_copy(&tmp);
    edit(
        &broken.join("kustomization.yaml"),
        "namespace: supply-chain",
        "namespace: [supply-chain",
    );
    let out = kustomize(&broken);
    assert!(!out.status.success());
    let tmp = tempdir();
    let broken = overlay_copy(&tmp);
    std::fs::remove_file(broken.join("policies/base-images.yaml")).unwrap();
    let out = kubectl_apply(&api, &["-k".as_ref(), broken.as_os_str()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("base-images.yaml"), "{stderr}");
    let tmp = tempdir();
    let broken = overlay_copy(&tmp);
    for file in ["60-validating-webhook.yaml", "61-mutating-webhook.yaml"] {
        edit(
            &tmp.path().join("deploy").join(file),
            "        - key: kubernetes.io/metadata.name\n          operator: NotIn",
            "        - key: kubernetes.io/metadata.name\n          operator: In",
        );
    }
    let out = kustomize(&broken);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("test"), "{stderr}");
}

#[test]
fn example_overlay_pins_every_image_by_digest_issue_19_tag_only() {
    let expected = overlay_image(&kustomization(&overlay()));
    let docs = documents(&render(&overlay()));
    assert_eq!(image_violations(&docs, &expected), Vec::<String>::new());
    // The README's step 1 shows the overlay's own `images:` entry.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let (name, digest) = expected.split_once('@').unwrap();
    assert!(
        readme.contains(&format!("newName: {name}\n")),
        "README image"
    );
    assert!(
        readme.contains(&format!("digest: {digest}\n")),
        "README digest"
    );
    // Exactly one container image, and it is the overlay's.
    let images = container_images(&docs);
    assert_eq!(images.len(), 1, "{images:?}");
    assert!(images[0].2.contains("@sha256:"), "{images:?}");

    // Negative controls. The base alone names a tag: caught.
    let base = documents(&render(&root().join("deploy")));
    let base_image = container_images(&base)[0].2.clone();
    assert_eq!(
        image_violations(&base, &base_image),
        [format!("{base_image}: not pinned by digest")]
    );
    // An overlay that sets the image by tag only: rendered with the tag,
    // and caught whichever reference it is compared with.
    let tmp = tempdir();
    let broken = overlay_copy(&tmp);
    let text = std::fs::read_to_string(broken.join("kustomization.yaml")).unwrap();
    let digest_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("digest: sha256:"))
        .unwrap()
        .to_string();
    edit(
        &broken.join("kustomization.yaml"),
        &digest_line,
        "    newTag: 0.1.0",
    );
    let tagged = documents(&render(&broken));
    let tagged_image = container_images(&tagged)[0].2.clone();
    assert_eq!(tagged_image, "registry.example.com/platform/vouch:0.1.0");
    assert_eq!(
        image_violations(&tagged, &tagged_image),
        [format!("{tagged_image}: not pinned by digest")]
    );
    assert_eq!(
        image_violations(&tagged, &expected),
        [format!("Deployment/vouch-webhook webhook: {tagged_image}")]
    );
    // A second container the overlay's image does not cover: caught.
    let mut extra = docs.clone();
    let deployment = extra
        .iter_mut()
        .find(|d| d["kind"] == "Deployment")
        .unwrap();
    deployment["spec"]["template"]["spec"]["initContainers"] =
        json!([{"name": "fetch", "image": "registry.example.com/tools/osv:latest"}]);
    assert_eq!(
        image_violations(&extra, &expected),
        ["Deployment/vouch-webhook fetch: registry.example.com/tools/osv:latest"]
    );
}

#[test]
fn example_overlay_moves_every_object_and_reference_to_its_namespace() {
    let kustomization = kustomization(&overlay());
    let namespace = kustomization["namespace"].as_str().unwrap();
    let docs = documents(&render(&overlay()));
    assert_eq!(
        namespace_violations(&docs, namespace, Some("vouch-system")),
        Vec::<String>::new()
    );
    // The base passes the same check in its own namespace, and the
    // overlay's rendering fails it in the base's.
    let base = documents(&render(&root().join("deploy")));
    assert_eq!(
        namespace_violations(&base, "vouch-system", None),
        Vec::<String>::new()
    );
    assert!(namespace_violations(&docs, "vouch-system", None).len() >= 8);
    // Selectors still select the pods (no label was rewritten).
    let deployment = find(&docs, "Deployment");
    let selector = &deployment["spec"]["selector"]["matchLabels"];
    assert_eq!(
        &find(&docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        selector
    );
    assert_eq!(&find(&docs, "Service")["spec"]["selector"], selector);
    for (k, v) in selector.as_object().unwrap() {
        assert_eq!(&deployment["spec"]["template"]["metadata"]["labels"][k], v);
    }

    // Negative controls. An overlay without the exemption patch: the
    // webhooks would verify the webhook's own pods (and exempt a namespace
    // that does not exist).
    let tmp = tempdir();
    let broken = overlay_copy(&tmp);
    edit(
        &broken.join("kustomization.yaml"),
        "  - path: exempt-namespace.yaml\n",
        "  - path: ca-bundle.yaml\n",
    );
    let missed = documents(&render(&broken));
    let wrong = namespace_violations(&missed, namespace, Some("vouch-system"));
    assert_eq!(wrong.len(), 4, "{wrong:?}");
    assert!(
        wrong
            .iter()
            .all(|w| w.contains("WebhookConfiguration") && w.contains("vouch-system")),
        "{wrong:?}"
    );
    // One object pinned to another namespace on purpose (kustomize moves
    // it anyway, so the mismatch is put into the rendering), and a webhook
    // calling a Service elsewhere.
    let mut moved = docs.clone();
    let service = moved.iter_mut().find(|d| d["kind"] == "Service").unwrap();
    service["metadata"]["namespace"] = json!("default");
    let hook = moved
        .iter_mut()
        .find(|d| d["kind"] == "MutatingWebhookConfiguration")
        .unwrap();
    hook["webhooks"][0]["clientConfig"]["service"]["namespace"] = json!("default");
    assert_eq!(
        namespace_violations(&moved, namespace, None),
        [
            "Service/vouch-webhook: in default",
            "MutatingWebhookConfiguration/vouch-webhook: service in default",
        ]
    );
    // An overlay whose exemption names another namespace than its own.
    let tmp = tempdir();
    let broken = overlay_copy(&tmp);
    edit(
        &broken.join("exempt-namespace.yaml"),
        r#"["kube-system", "supply-chain"]"#,
        r#"["kube-system", "supply-chain-old"]"#,
    );
    let wrong = namespace_violations(&documents(&render(&broken)), namespace, None);
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(wrong.iter().all(|w| w.contains("exemption")), "{wrong:?}");
}

#[test]
fn example_overlay_policies_are_mounted_hashed_and_load() {
    let docs = documents(&render(&overlay()));
    let (configmap, mounted) = mounted_policies(&docs);
    let name = configmap["metadata"]["name"].as_str().unwrap();
    assert_eq!(mounted, name);
    assert!(name.starts_with("vouch-policies-"), "{name}");
    // Exactly the overlay's policy files (`behavior: replace`: none of the
    // base's placeholder policy is left), byte for byte.
    let data = configmap["data"].as_object().unwrap();
    let mut keys: Vec<&String> = data.keys().collect();
    keys.sort();
    assert_eq!(keys, ["apps.yaml", "base-images.yaml"]);
    for (key, text) in data {
        let file = std::fs::read_to_string(overlay().join("policies").join(key)).unwrap();
        assert_eq!(text.as_str().unwrap(), file, "{key}");
    }
    // The base's ConfigMap has another hash.
    let (base, _) = mounted_policies(&documents(&render(&root().join("deploy"))));
    assert_ne!(base["metadata"]["name"], configmap["metadata"]["name"]);

    // `vouch policy check` loads them as the webhook's mount holds them.
    let tmp = tempdir();
    let dir = tmp.path().join("policies");
    std::fs::create_dir(&dir).unwrap();
    for (key, text) in data {
        std::fs::write(dir.join(key), text.as_str().unwrap()).unwrap();
    }
    let out = vouch_in(tmp.path(), &["policy", "check", "policies"]);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("apps (enforce"), "{stdout}");
    assert!(stdout.contains("base-images (warn"), "{stdout}");
    assert!(!stdout.contains("production"), "{stdout}");

    // A policy edit renames the ConfigMap, and the Deployment follows: the
    // pods roll onto the new policies.
    let tmp = tempdir();
    let changed = overlay_copy(&tmp);
    edit(
        &changed.join("policies/apps.yaml"),
        "  maxAge: 30d",
        "  maxAge: 7d",
    );
    let (edited, edited_mount) = mounted_policies(&documents(&render(&changed)));
    assert_ne!(edited["metadata"]["name"], configmap["metadata"]["name"]);
    assert_eq!(edited["metadata"]["name"], json!(edited_mount));

    // Negative control: an invalid policy in the overlay renders (kustomize
    // does not read it) but does not load.
    let tmp = tempdir();
    let broken = overlay_copy(&tmp);
    edit(
        &broken.join("policies/apps.yaml"),
        "  maxAge: 30d",
        "  maxAgee: 30d",
    );
    let (bad, _) = mounted_policies(&documents(&render(&broken)));
    let check = tempdir();
    let dir = check.path().join("policies");
    std::fs::create_dir(&dir).unwrap();
    for (key, text) in bad["data"].as_object().unwrap() {
        std::fs::write(dir.join(key), text.as_str().unwrap()).unwrap();
    }
    let out = vouch_in(check.path(), &["policy", "check", "policies"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("maxAgee"));
}

#[test]
fn example_overlay_sets_the_ca_bundle_of_both_webhooks() {
    let patch: Value =
        serde_norway::from_str(&std::fs::read_to_string(overlay().join("ca-bundle.yaml")).unwrap())
            .unwrap();
    assert_eq!(patch.as_array().map(Vec::len), Some(1));
    // The README's step 4, run as it is written: sed on the overlay's patch.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let sed = readme
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("sed -i") && l.contains("ca-bundle.yaml"))
        .expect("the README's caBundle step");
    let tmp = tempdir();
    let copy = overlay_copy(&tmp);
    let ca = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==";
    let out = std::process::Command::new("bash")
        .args(["-euc", sed])
        .env("OVERLAY", &copy)
        .env("CA_BUNDLE", ca)
        .output()
        .unwrap();
    assert_ok(&out);
    let text = std::fs::read_to_string(copy.join("ca-bundle.yaml")).unwrap();
    assert_eq!(text.matches(ca).count(), 1, "{text}");
    let docs = documents(&render(&copy));
    for kind in [
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ] {
        let hooks = find(&docs, kind)["webhooks"].as_array().unwrap().clone();
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0]["clientConfig"]["caBundle"], ca, "{kind}");
    }
    // Negative control: without the patch, the base's placeholder stays.
    edit(
        &copy.join("kustomization.yaml"),
        "  - path: ca-bundle.yaml\n",
        "  - path: exempt-namespace.yaml\n",
    );
    let docs = documents(&render(&copy));
    let hook = &find(&docs, "MutatingWebhookConfiguration")["webhooks"][0];
    assert_ne!(hook["clientConfig"]["caBundle"], ca);
}
