//! AdmissionReview `admission.k8s.io/v1` requests, as the apiserver sends them.
//!
//! Our own serde types rather than `kube-core`'s (see docs/decisions.md):
//! wire types that mirror the JSON, then a validated [`Request`] that the
//! rest of the crate trusts. Fields the webhook has no use for
//! (`requestKind`, `requestResource`, `requestSubResource`, `options`,
//! `userInfo.extra`) are accepted and ignored, as are fields a newer
//! apiserver may add: refusing them would fail every admission closed
//! after a cluster upgrade.
//!
//! Sizes: the server caps the body's bytes before calling [`parse`];
//! serde_json caps nesting at 128 levels; the lists that are walked are
//! capped by count in [`crate::images`].

use serde::Deserialize;
use serde_json::Value;

use crate::{Error, Result};

/// The only `apiVersion` accepted (and echoed in responses).
pub const API_VERSION: &str = "admission.k8s.io/v1";

/// The `kind` of a review, request and response alike.
pub const KIND: &str = "AdmissionReview";

/// A group, version and kind, as in `request.kind`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GroupVersionKind {
    /// The API group; empty for the core group (Pod, ReplicationController).
    pub group: String,
    /// The API version (`v1`).
    pub version: String,
    /// The kind (`Deployment`).
    pub kind: String,
}

/// A group, version and resource, as in `request.resource`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GroupVersionResource {
    /// The API group; empty for the core group.
    pub group: String,
    /// The API version.
    pub version: String,
    /// The plural resource name (`pods`).
    pub resource: String,
}

/// What is being done to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Operation {
    /// A new object; `object` holds it.
    Create,
    /// A change; `object` is the new state, `oldObject` the old.
    Update,
    /// A deletion; `object` is null. Nothing runs, so nothing is checked.
    Delete,
    /// `exec`, `attach`, `portforward`, `proxy`; `object` holds options,
    /// not a pod spec, so nothing is checked.
    Connect,
}

/// Who asked, for the logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserInfo {
    /// The user name (`system:serviceaccount:kube-system:replicaset-controller`).
    #[serde(default)]
    pub username: String,
    /// The user's uid, when the authenticator gives one.
    #[serde(default)]
    pub uid: String,
    /// The user's groups.
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireReview {
    api_version: String,
    kind: String,
    #[serde(default)]
    request: Option<WireRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRequest {
    uid: String,
    kind: GroupVersionKind,
    resource: GroupVersionResource,
    #[serde(default)]
    sub_resource: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    operation: Operation,
    #[serde(default)]
    user_info: UserInfo,
    #[serde(default)]
    object: Option<Value>,
    #[serde(default)]
    old_object: Option<Value>,
    #[serde(default)]
    dry_run: Option<bool>,
}

/// A validated admission request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The request's uid, echoed in the response (the apiserver drops an
    /// answer whose uid differs). Never empty.
    pub uid: String,
    /// The kind of `object` (after conversion to the version the webhook
    /// registered for); decides where the pod spec is.
    pub kind: GroupVersionKind,
    /// The resource addressed (`pods`, `deployments`).
    pub resource: GroupVersionResource,
    /// The subresource, if any (`ephemeralcontainers`: the object is still
    /// the whole Pod).
    pub sub_resource: Option<String>,
    /// The object's name; absent on a create with `generateName`.
    pub name: Option<String>,
    /// The namespace; absent for cluster-scoped objects.
    pub namespace: Option<String>,
    /// The operation.
    pub operation: Operation,
    /// Who asked.
    pub user_info: UserInfo,
    /// The new object; present (and a JSON object) for CREATE and UPDATE.
    pub object: Option<Value>,
    /// The old object, on UPDATE and DELETE.
    pub old_object: Option<Value>,
    /// Whether the change will not be persisted (`kubectl --dry-run=server`).
    ///
    /// A validating webhook answers exactly as it would otherwise: it has
    /// no side effects to skip (its configuration says `sideEffects:
    /// None`), and a dry run must show the user the real verdict. The flag
    /// is kept only so that the server can say so in its logs.
    pub dry_run: bool,
}

/// Reads an AdmissionReview request body.
///
/// Errors name the field (`request.operation: unknown variant ...`,
/// `request.uid: missing`), so that a bad client or a version skew is
/// diagnosed from the webhook's answer alone.
pub fn parse(body: &[u8]) -> Result<Request> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let wire: WireReview = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        Error::malformed(field, e.into_inner().to_string())
    })?;
    de.end()
        .map_err(|e| Error::malformed("body", e.to_string()))?;
    if wire.api_version != API_VERSION {
        return Err(Error::malformed(
            "apiVersion",
            format!("{:?} is not {API_VERSION:?}", wire.api_version),
        ));
    }
    if wire.kind != KIND {
        return Err(Error::malformed(
            "kind",
            format!("{:?} is not {KIND:?}", wire.kind),
        ));
    }
    let request = wire
        .request
        .ok_or_else(|| Error::malformed("request", "missing"))?;
    if request.uid.is_empty() {
        return Err(Error::malformed("request.uid", "empty"));
    }
    if matches!(request.operation, Operation::Create | Operation::Update) {
        match &request.object {
            Some(Value::Object(_)) => {}
            Some(_) => return Err(Error::malformed("request.object", "not a JSON object")),
            None => {
                return Err(Error::malformed(
                    "request.object",
                    "missing on a CREATE or UPDATE",
                ))
            }
        }
    }
    Ok(Request {
        uid: request.uid,
        kind: request.kind,
        resource: request.resource,
        sub_resource: request.sub_resource.filter(|s| !s.is_empty()),
        name: request.name.filter(|s| !s.is_empty()),
        namespace: request.namespace.filter(|s| !s.is_empty()),
        operation: request.operation,
        user_info: request.user_info,
        object: request.object,
        old_object: request.old_object,
        dry_run: request.dry_run.unwrap_or(false),
    })
}
