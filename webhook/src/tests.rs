//! Unit tests on the recorded AdmissionReviews in testdata/admission.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use base64::Engine as _;
use serde_json::{json, Value};
use vouch_evidence::digest::Sha256;

use crate::images::{escape, images, ImageSite, MAX_CONTAINERS, MAX_VOLUMES};
use crate::namespaces::Exemptions;
use crate::response::{allow, deny, patch, pin, PatchOp};
use crate::review::{parse, Operation, Request};
use crate::Error;

fn recorded(name: &str) -> Value {
    let path = format!(
        "{}/../testdata/admission/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn request(review: &Value) -> Request {
    parse(&serde_json::to_vec(review).unwrap()).unwrap()
}

fn sites(review: &Value) -> Vec<(String, String)> {
    images(&request(review))
        .unwrap()
        .into_iter()
        .map(|site| (site.pointer, site.image))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(p, i)| (p.to_string(), i.to_string()))
        .collect()
}

fn malformed_field(result: crate::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::Malformed { field, .. }) => field,
        other => panic!("expected a malformed-request error, got {other:?}"),
    }
}

/// A Pod CREATE with `n` containers in `list`.
fn pod_with(list: &str, n: usize) -> Value {
    let mut review = recorded("pod-create");
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"name": format!("c{i}"), "image": format!("127.0.0.1:5000/x/c{i}:1")}))
        .collect();
    review["request"]["object"]["spec"][list] = Value::Array(items);
    review
}

const DIGEST: &str = "sha256:abababababababababababababababababababababababababababababababab";

#[test]
fn pod_create_lists_containers_init_containers_and_image_volumes() {
    let review = recorded("pod-create");
    assert_eq!(
        sites(&review),
        pairs(&[
            ("/spec/containers/0/image", "127.0.0.1:5000/shop/web:1.4.2"),
            (
                "/spec/containers/1/image",
                "docker.io/fluent/fluent-bit:3.1"
            ),
            (
                "/spec/initContainers/0/image",
                "127.0.0.1:5000/shop/migrate:1.4.2"
            ),
            (
                "/spec/volumes/0/image/reference",
                "127.0.0.1:5000/shop/models:2025-11"
            ),
        ])
    );
    let parsed = request(&review);
    assert_eq!(parsed.uid, "3a0f8b52-5c1e-4e8a-9d7b-1f2e3d4c5b6a");
    assert_eq!(parsed.operation, Operation::Create);
    assert_eq!(parsed.namespace.as_deref(), Some("shop"));
    assert_eq!(parsed.user_info.username, "kubernetes-admin");
    assert!(!parsed.dry_run);
    // The reference is normalised; the written form is kept for the patch.
    let first = &images(&parsed).unwrap()[1];
    assert_eq!(
        first.reference.to_string(),
        "docker.io/fluent/fluent-bit:3.1"
    );
}

#[test]
fn volume_without_image_source_is_not_an_image() {
    // The token volume is volumes/1: projected, so no site for it; an image
    // volume added after it is found at its own index.
    let mut review = recorded("pod-create");
    let volumes = review["request"]["object"]["spec"]["volumes"]
        .as_array_mut()
        .unwrap();
    volumes.push(json!({"name": "more", "image": {"reference": "127.0.0.1:5000/shop/more:1"}}));
    let found = sites(&review);
    assert!(!found.iter().any(|(p, _)| p.starts_with("/spec/volumes/1")));
    assert!(found.contains(&(
        "/spec/volumes/2/image/reference".to_string(),
        "127.0.0.1:5000/shop/more:1".to_string()
    )));
}

#[test]
fn deployment_images_are_under_the_template() {
    assert_eq!(
        sites(&recorded("deployment-create")),
        pairs(&[
            (
                "/spec/template/spec/containers/0/image",
                &format!("127.0.0.1:5000/shop/api@{DIGEST}"),
            ),
            (
                "/spec/template/spec/containers/1/image",
                "ghcr.io/example/proxy:v2"
            ),
        ])
    );
}

#[test]
fn every_template_kind_is_read_at_the_same_place() {
    for (group, kind) in [
        ("apps", "ReplicaSet"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("batch", "Job"),
        ("", "ReplicationController"),
    ] {
        let mut review = recorded("deployment-create");
        review["request"]["kind"] = json!({"group": group, "version": "v1", "kind": kind});
        assert_eq!(sites(&review).len(), 2, "{kind}");
    }
    // Negative control: a kind in the wrong group is not a workload.
    let mut review = recorded("deployment-create");
    review["request"]["kind"] =
        json!({"group": "example.com", "version": "v1", "kind": "Deployment"});
    assert!(sites(&review).is_empty());
}

#[test]
fn cronjob_images_are_under_the_job_template() {
    assert_eq!(
        sites(&recorded("cronjob-create")),
        pairs(&[(
            "/spec/jobTemplate/spec/template/spec/containers/0/image",
            "127.0.0.1:5000/jobs/report:1.0"
        )])
    );
}

#[test]
fn ephemeral_container_update_is_checked() {
    let review = recorded("pod-ephemeralcontainers-update");
    let parsed = request(&review);
    assert_eq!(parsed.operation, Operation::Update);
    assert_eq!(parsed.sub_resource.as_deref(), Some("ephemeralcontainers"));
    let found = sites(&review);
    assert!(found.contains(&(
        "/spec/ephemeralContainers/0/image".to_string(),
        "docker.io/library/busybox:1.36".to_string()
    )));
    assert_eq!(found.len(), 5);
    // Negative control: the old object, without the debugger, has four.
    let mut old = review.clone();
    old["request"]["object"] = review["request"]["oldObject"].clone();
    assert_eq!(sites(&old).len(), 4);
}

#[test]
fn regression_issue_8_ephemeral_containers_of_kubernetes_1_22_are_checked() {
    // Before 1.23 the subresource carried an EphemeralContainers object.
    let review = recorded("ephemeralcontainers-update-1.22");
    let parsed = request(&review);
    assert_eq!(parsed.kind.kind, "EphemeralContainers");
    assert_eq!(
        sites(&review),
        pairs(&[(
            "/ephemeralContainers/0/image",
            "docker.io/library/busybox:1.36"
        )])
    );
    let found = images(&parsed).unwrap();
    assert_eq!(
        found[0].owner,
        ("ephemeralContainers", Some("debugger-7xq2d".to_string()))
    );
    // Negative control: the old object, without the debugger, has none.
    let mut old = review.clone();
    old["request"]["object"] = review["request"]["oldObject"].clone();
    assert!(sites(&old).is_empty());
}

#[test]
fn delete_has_nothing_to_check() {
    let review = recorded("pod-delete");
    let parsed = request(&review);
    assert_eq!(parsed.operation, Operation::Delete);
    assert!(parsed.object.is_none());
    assert!(parsed.old_object.is_some());
    assert!(images(&parsed).unwrap().is_empty());
    // Negative control: the same pod as an UPDATE is checked.
    let mut update = review.clone();
    update["request"]["operation"] = json!("UPDATE");
    update["request"]["object"] = review["request"]["oldObject"].clone();
    assert_eq!(sites(&update).len(), 4);
}

#[test]
fn terminating_object_is_still_checked_on_update() {
    let mut review = recorded("pod-ephemeralcontainers-update");
    review["request"]
        .as_object_mut()
        .unwrap()
        .remove("subResource");
    review["request"]["object"]["metadata"]["deletionTimestamp"] = json!("2025-11-26T10:05:00Z");
    review["request"]["object"]["metadata"]["deletionGracePeriodSeconds"] = json!(30);
    let found = sites(&review);
    assert_eq!(found.len(), 5);
    assert_eq!(found[0].0, "/spec/containers/0/image");
}

#[test]
fn dry_run_is_read_and_changes_nothing_else() {
    let review = recorded("pod-create-dryrun");
    let parsed = request(&review);
    assert!(parsed.dry_run);
    assert_eq!(
        sites(&review),
        pairs(&[("/spec/containers/0/image", "docker.io/library/nginx:1.27")])
    );
    let mut not_dry = review.clone();
    not_dry["request"]["dryRun"] = json!(false);
    assert!(!request(&not_dry).dry_run);
    assert_eq!(sites(&not_dry), sites(&review));
}

#[test]
fn unknown_kinds_name_no_images() {
    let mut review = recorded("pod-create");
    review["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "ConfigMap"});
    assert!(sites(&review).is_empty());
    // A Scale (deployments/scale) has no pod spec either.
    review["request"]["kind"] = json!({"group": "autoscaling", "version": "v1", "kind": "Scale"});
    assert!(sites(&review).is_empty());
}

#[test]
fn container_counts_are_capped() {
    // The recorded pod has one init container: with 999 more containers it
    // is exactly at the cap (and has an image volume besides).
    let at_cap = pod_with("containers", MAX_CONTAINERS - 1);
    assert_eq!(sites(&at_cap).len(), MAX_CONTAINERS + 1);
    let field = malformed_field(images(&request(&pod_with(
        "containers",
        MAX_CONTAINERS + 1,
    ))));
    assert_eq!(field, "request.object/spec");
    // The cap is for the three lists together.
    let mut review = pod_with("containers", 600);
    let init: Vec<Value> = (0..401)
        .map(|i| json!({"name": format!("i{i}"), "image": "busybox:1"}))
        .collect();
    review["request"]["object"]["spec"]["initContainers"] = Value::Array(init);
    assert!(matches!(
        images(&request(&review)),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn volume_counts_are_capped() {
    let volumes = |n: usize| -> Value {
        let mut review = recorded("pod-create");
        review["request"]["object"]["spec"]["volumes"] = Value::Array(
            (0..n)
                .map(|i| json!({"name": format!("v{i}"), "emptyDir": {}}))
                .collect(),
        );
        review
    };
    assert!(images(&request(&volumes(MAX_VOLUMES))).is_ok());
    let field = malformed_field(images(&request(&volumes(MAX_VOLUMES + 1))));
    assert_eq!(field, "request.object/spec/volumes");
}

#[test]
fn malformed_requests_name_the_field() {
    assert_eq!(malformed_field(parse(b"not json")), "body");
    assert_eq!(malformed_field(parse(b"")), "body");
    let good = serde_json::to_vec(&recorded("pod-create")).unwrap();
    assert!(parse(&good).is_ok());
    let mut trailing = good.clone();
    trailing.extend_from_slice(b" {}");
    assert_eq!(malformed_field(parse(&trailing)), "body");

    let with = |edit: &dyn Fn(&mut Value)| {
        let mut review = recorded("pod-create");
        edit(&mut review);
        parse(&serde_json::to_vec(&review).unwrap())
    };
    assert_eq!(
        malformed_field(with(&|r| r["request"]["operation"] = json!("PATCH"))),
        "request.operation"
    );
    assert_eq!(
        malformed_field(with(
            &|r| r["apiVersion"] = json!("admission.k8s.io/v1beta1")
        )),
        "apiVersion"
    );
    assert_eq!(malformed_field(with(&|r| r["kind"] = json!("Pod"))), "kind");
    assert_eq!(
        malformed_field(with(&|r| {
            r.as_object_mut().unwrap().remove("request");
        })),
        "request"
    );
    assert_eq!(
        malformed_field(with(&|r| r["request"]["uid"] = json!(""))),
        "request.uid"
    );
    assert_eq!(
        malformed_field(with(&|r| r["request"]["uid"] = json!(7))),
        "request.uid"
    );
    assert_eq!(
        malformed_field(with(&|r| r["request"]["kind"]["kind"] = json!(null))),
        "request.kind.kind"
    );
    assert_eq!(
        malformed_field(with(&|r| r["request"]["object"] = json!(null))),
        "request.object"
    );
    assert_eq!(
        malformed_field(with(&|r| r["request"]["object"] = json!([1]))),
        "request.object"
    );
    let missing_uid = with(&|r| {
        r["request"].as_object_mut().unwrap().remove("uid");
    });
    let message = missing_uid.unwrap_err().to_string();
    assert!(message.contains("uid"), "{message}");
}

#[test]
fn malformed_pod_specs_name_the_field() {
    let images_of = |edit: &dyn Fn(&mut Value)| {
        let mut review = recorded("pod-create");
        edit(&mut review);
        images(&request(&review))
    };
    assert_eq!(
        malformed_field(images_of(
            &|r| r["request"]["object"]["spec"]["containers"][0]["image"] = json!(42)
        )),
        "request.object/spec/containers/0/image"
    );
    assert_eq!(
        malformed_field(images_of(
            &|r| r["request"]["object"]["spec"]["containers"] = json!({})
        )),
        "request.object/spec/containers"
    );
    assert_eq!(
        malformed_field(images_of(
            &|r| r["request"]["object"]["spec"]["initContainers"][0] = json!("x")
        )),
        "request.object/spec/initContainers/0"
    );
    assert_eq!(
        malformed_field(images_of(
            &|r| r["request"]["object"]["spec"]["volumes"][0]["image"] = json!("x")
        )),
        "request.object/spec/volumes/0/image"
    );
    assert_eq!(
        malformed_field(images_of(&|r| r["request"]["object"]["spec"] = json!(3))),
        "request.object/spec"
    );
    // A container without an image is left to the apiserver's validation.
    let no_image = images_of(&|r| {
        r["request"]["object"]["spec"]["containers"][1]
            .as_object_mut()
            .unwrap()
            .remove("image");
    });
    assert_eq!(no_image.unwrap().len(), 3);
}

#[test]
fn bad_image_references_are_image_errors() {
    for bad in ["Shop/Web:1", "nginx:", "oci:/var/lib/images:web", " nginx"] {
        let mut review = recorded("pod-create");
        review["request"]["object"]["spec"]["containers"][1]["image"] = json!(bad);
        match images(&request(&review)) {
            Err(Error::Image { pointer, image, .. }) => {
                assert_eq!(pointer, "/spec/containers/1/image");
                assert_eq!(image, bad);
            }
            other => panic!("{bad}: expected an image error, got {other:?}"),
        }
    }
}

fn decoded_patch(review: &crate::response::ResponseReview) -> Value {
    let encoded = review.response.patch.as_ref().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn pins_replace_tags_and_leave_digests_alone() {
    let digest: Sha256 = "sha256:0101010101010101010101010101010101010101010101010101010101010101"
        .parse()
        .unwrap();
    let found: Vec<ImageSite> = images(&request(&recorded("deployment-create"))).unwrap();
    let ops: Vec<PatchOp> = found.iter().filter_map(|s| pin(s, &digest)).collect();
    assert_eq!(
        ops,
        vec![PatchOp {
            path: "/spec/template/spec/containers/1/image".to_string(),
            value: format!("ghcr.io/example/proxy:v2@{digest}"),
        }]
    );
    let uid = "8d2c6a14-0b7e-4f3a-a5c9-6e1d2b3a4f50";
    let review = patch(uid, &ops);
    let wire = serde_json::to_value(&review).unwrap();
    assert_eq!(wire["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(wire["kind"], "AdmissionReview");
    assert_eq!(wire["response"]["uid"], uid);
    assert_eq!(wire["response"]["allowed"], true);
    assert_eq!(wire["response"]["patchType"], "JSONPatch");
    assert!(wire["response"].get("status").is_none());
    assert_eq!(
        decoded_patch(&review),
        json!([{
            "op": "replace",
            "path": "/spec/template/spec/containers/1/image",
            "value": format!("ghcr.io/example/proxy:v2@{digest}"),
        }])
    );
    // No ops: a plain allow, without patchType.
    let none = serde_json::to_value(patch(uid, &[])).unwrap();
    assert!(none["response"].get("patchType").is_none());
    assert!(none["response"].get("patch").is_none());
    assert_eq!(none["response"]["allowed"], true);
}

#[test]
fn patch_can_carry_warnings() {
    let op = PatchOp {
        path: "/spec/containers/0/image".to_string(),
        value: format!("nginx:1.27@{DIGEST}"),
    };
    let wire =
        serde_json::to_value(patch("u1", &[op]).with_warnings(["warn: unsigned sbom".to_string()]))
            .unwrap();
    assert_eq!(wire["response"]["warnings"], json!(["warn: unsigned sbom"]));
    assert_eq!(wire["response"]["patchType"], "JSONPatch");
}

#[test]
fn allow_and_deny_shapes() {
    let wire =
        serde_json::to_value(allow("abc", vec!["policy x in warn mode".to_string()])).unwrap();
    assert_eq!(
        wire,
        json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": {"uid": "abc", "allowed": true, "warnings": ["policy x in warn mode"]},
        })
    );
    let quiet = serde_json::to_value(allow("abc", Vec::new())).unwrap();
    assert!(quiet["response"].get("warnings").is_none());

    let wire = serde_json::to_value(deny("def", 403, "image x: no signature")).unwrap();
    assert_eq!(
        wire,
        json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": {
                "uid": "def",
                "allowed": false,
                "status": {"code": 403, "message": "image x: no signature"},
            },
        })
    );
}

#[test]
fn pointer_tokens_are_escaped() {
    assert_eq!(escape("a/b~c"), "a~1b~0c");
    assert_eq!(escape("~1"), "~01");
    assert_eq!(escape("containers"), "containers");
}

#[test]
fn exempt_namespaces() {
    let in_namespace = |ns: Option<&str>| {
        let mut review = recorded("pod-create");
        match ns {
            Some(ns) => review["request"]["namespace"] = json!(ns),
            None => {
                review["request"]
                    .as_object_mut()
                    .unwrap()
                    .remove("namespace");
            }
        }
        request(&review)
    };
    let default = Exemptions::default();
    assert!(default.is_exempt(&in_namespace(Some("kube-system"))));
    assert!(!default.is_exempt(&in_namespace(Some("shop"))));
    assert!(!default.is_exempt(&in_namespace(None)));
    assert_eq!(
        default.namespaces().collect::<Vec<_>>(),
        vec!["kube-system"]
    );

    let custom = Exemptions::new(["shop", "monitoring"]);
    assert!(custom.is_exempt(&in_namespace(Some("shop"))));
    assert!(!custom.is_exempt(&in_namespace(Some("kube-system"))));
    assert!(!Exemptions::new(Vec::<String>::new()).is_exempt(&in_namespace(Some("kube-system"))));
}
