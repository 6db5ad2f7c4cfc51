//! AdmissionReview `admission.k8s.io/v1` responses, and the JSONPatch that
//! pins tags to digests.
//!
//! The apiserver reads `response.uid` (it must echo the request's),
//! `allowed`, `status.code` and `status.message` (shown to the user on a
//! deny), `warnings` (shown by kubectl on an allow or a deny), and
//! `patchType: JSONPatch` with `patch`, the base64 of a JSON array of RFC
//! 6902 operations applied to the object.

use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Value};
use vouch_evidence::digest::Sha256;
use vouch_evidence::text::escape;

use crate::images::ImageSite;
use crate::review::{API_VERSION, KIND};

/// A whole AdmissionReview carrying a response: what the server sends back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseReview {
    api_version: &'static str,
    kind: &'static str,
    /// The answer.
    pub response: Response,
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The request's uid.
    pub uid: String,
    /// Whether the object is admitted.
    pub allowed: bool,
    /// Why not, on a deny.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// `JSONPatch` when `patch` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
    /// The base64 of the JSONPatch document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    /// Messages for the user (warn-mode policy failures, a fail-open allow).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The status of a deny: the HTTP-like code and the message kubectl prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// 403 for a policy deny, 400 for a bad object, 500/504 for a failure
    /// to verify (registry down, deadline).
    pub code: u16,
    /// Why, for the user.
    pub message: String,
}

/// One JSONPatch `replace` operation: the string at `path` becomes `value`.
///
/// Only `replace` exists here because pinning is the only mutation the
/// webhook makes; it never adds or removes fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchOp {
    /// An RFC 6901 pointer into the object (an [`ImageSite::pointer`]).
    pub path: String,
    /// The new value.
    pub value: String,
}

impl ResponseReview {
    fn new(response: Response) -> Self {
        ResponseReview {
            api_version: API_VERSION,
            kind: KIND,
            response,
        }
    }

    /// The same answer with `warnings` added, for a patch that also has
    /// warn-mode findings (escaped, as [`allow`] says).
    pub fn with_warnings(mut self, warnings: impl IntoIterator<Item = String>) -> Self {
        self.response
            .warnings
            .extend(warnings.into_iter().map(shown));
        self
    }
}

fn response(uid: &str, allowed: bool) -> Response {
    Response {
        uid: uid.to_string(),
        allowed,
        status: None,
        patch_type: None,
        patch: None,
        warnings: Vec::new(),
    }
}

/// A message or warning as the user's terminal will show it: `kubectl`
/// prints both as they are, and they carry image references, registry
/// errors and evidence, so control characters and bidi overrides in them
/// are escaped here ([`escape`]), where every answer is made.
fn shown(text: impl AsRef<str>) -> String {
    escape(text.as_ref()).into_owned()
}

/// Admits the request, with `warnings` (possibly none) for the user, each
/// escaped.
pub fn allow(uid: &str, warnings: Vec<String>) -> ResponseReview {
    ResponseReview::new(Response {
        warnings: warnings.into_iter().map(shown).collect(),
        ..response(uid, true)
    })
}

/// Refuses the request with `code` and `message` (escaped).
pub fn deny(uid: &str, code: u16, message: &str) -> ResponseReview {
    ResponseReview::new(Response {
        status: Some(Status {
            code,
            message: shown(message),
        }),
        ..response(uid, false)
    })
}

/// Admits the request with `ops` applied to its object.
///
/// With no operations this is a plain allow: the apiserver need not apply
/// an empty patch, and the answer says plainly that nothing changed.
pub fn patch(uid: &str, ops: &[PatchOp]) -> ResponseReview {
    if ops.is_empty() {
        return allow(uid, Vec::new());
    }
    let document = Value::Array(
        ops.iter()
            .map(|op| json!({"op": "replace", "path": op.path, "value": op.value}))
            .collect(),
    )
    .to_string();
    ResponseReview::new(Response {
        patch_type: Some("JSONPatch"),
        patch: Some(base64::engine::general_purpose::STANDARD.encode(document)),
        ..response(uid, true)
    })
}

/// The operation that pins `site` to `digest` (`nginx:1.27` becomes
/// `nginx:1.27@sha256:…`, keeping the tag for people reading the pod), or
/// `None` if the reference already names a digest: it is left as written,
/// and the digest it names is the one verified.
pub fn pin(site: &ImageSite, digest: &Sha256) -> Option<PatchOp> {
    if site.reference.digest.is_some() {
        return None;
    }
    Some(PatchOp {
        path: site.pointer.clone(),
        value: format!("{}@{digest}", site.image),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_warnings_reach_kubectl_escaped() {
        let denied = deny("u", 403, "app\u{1b}[2J: \u{202e}YNED\nALLOW");
        let message = &denied.response.status.as_ref().map(|s| s.message.clone());
        assert_eq!(
            message.as_deref(),
            Some("app\\u{1b}[2J: \\u{202e}YNED\\nALLOW")
        );
        let allowed = allow("u", vec!["w\u{9b}2J".into()]).with_warnings(["x\ry".to_string()]);
        assert_eq!(allowed.response.warnings, ["w\\u{9b}2J", "x\\ry"]);
    }
}
