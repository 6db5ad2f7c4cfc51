//! Which images an admission request would run, and where they are written.
//!
//! Pod specs are found by the object's kind:
//!
//! | kind | pod spec |
//! |---|---|
//! | Pod (core) | `/spec` |
//! | Deployment, ReplicaSet, StatefulSet, DaemonSet (apps); Job (batch); ReplicationController (core) | `/spec/template/spec` |
//! | CronJob (batch) | `/spec/jobTemplate/spec/template/spec` |
//! | EphemeralContainers (core, before Kubernetes 1.23) | the object itself |
//!
//! Any other kind names no images and is allowed: custom resources that
//! wrap pod specs (Argo Rollouts, Knative) are out of scope, and a kind the
//! webhook configuration does not route here never arrives. A subresource
//! of a pod (`pods/ephemeralcontainers`) carries the whole Pod, so it is
//! read the same way; before Kubernetes 1.23 the same subresource carried
//! an `EphemeralContainers` object, whose `ephemeralContainers` list is at
//! its top level. `deployments/scale` carries a `Scale`, which has none.
//!
//! In each pod spec: `containers`, `initContainers`, `ephemeralContainers`
//! (`[].image`) and `volumes[].image.reference` (image volumes). A missing
//! image is skipped (the apiserver's own validation refuses it); a
//! present one that is not a string, or not a registry reference, is an
//! error.
//!
//! DELETE and CONNECT name nothing to check. An UPDATE is checked whatever
//! the object's state: an object with `metadata.deletionTimestamp` is
//! still checked, since an update can change its images.

use serde_json::{Map, Value};
use vouch_registry::reference::{ImageRef, Location};

use crate::review::{Operation, Request};
use crate::{Error, Result};

/// The most containers (all three lists together) one pod spec may have.
/// Kubernetes sets no limit of its own; a real pod has a handful, and each
/// one costs a verification.
pub const MAX_CONTAINERS: usize = 1000;

/// The most volumes one pod spec may have.
pub const MAX_VOLUMES: usize = 1000;

/// One image reference in the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSite {
    /// Where it is: an RFC 6901 JSON pointer into `request.object`
    /// (`/spec/template/spec/containers/0/image`), the path a JSONPatch
    /// pin replaces.
    pub pointer: String,
    /// Whose image it is: the list (`containers`, `initContainers`,
    /// `ephemeralContainers`, `volumes`) and the `name` of the entry in it
    /// (none if it has no string name). An UPDATE's old and new objects
    /// are compared by this, never by position, which a reordering changes.
    pub owner: (&'static str, Option<String>),
    /// The reference exactly as written (`nginx:1.27`), kept for patches
    /// and messages.
    pub image: String,
    /// The reference parsed and normalised (`docker.io/library/nginx:1.27`).
    pub reference: ImageRef,
}

/// Every image reference in the request's object, in the order containers,
/// init containers, ephemeral containers, volumes.
pub fn images(request: &Request) -> Result<Vec<ImageSite>> {
    if matches!(request.operation, Operation::Delete | Operation::Connect) {
        return Ok(Vec::new());
    }
    let Some(path) = pod_spec_path(&request.kind.group, &request.kind.kind) else {
        return Ok(Vec::new());
    };
    let Some(object) = &request.object else {
        return Err(Error::malformed(
            "request.object",
            "missing on a CREATE or UPDATE",
        ));
    };
    object_images(object, path)
}

/// The images the old object of an UPDATE ran (none for other operations,
/// or when the review carries no `oldObject`), found as [`images`] finds
/// those of the new one.
pub fn old_images(request: &Request) -> Result<Vec<ImageSite>> {
    if request.operation != Operation::Update {
        return Ok(Vec::new());
    }
    let (Some(path), Some(old)) = (
        pod_spec_path(&request.kind.group, &request.kind.kind),
        &request.old_object,
    ) else {
        return Ok(Vec::new());
    };
    object_images(old, path)
}

fn object_images(object: &Value, path: &[&str]) -> Result<Vec<ImageSite>> {
    let mut pointer = String::new();
    let mut spec = object;
    for token in path {
        pointer.push('/');
        pointer.push_str(&escape(token));
        match as_object(spec, &pointer)?.get(*token) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(next) => spec = next,
        }
    }
    pod_spec_images(as_object(spec, &pointer)?, &pointer)
}

/// Where the pod spec of an object of this kind is, or `None` if it has none.
fn pod_spec_path(group: &str, kind: &str) -> Option<&'static [&'static str]> {
    match (group, kind) {
        ("", "Pod") => Some(&["spec"]),
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
        | ("batch", "Job")
        | ("", "ReplicationController") => Some(&["spec", "template", "spec"]),
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        ("", "EphemeralContainers") => Some(&[]),
        _ => None,
    }
}

fn pod_spec_images(spec: &Map<String, Value>, base: &str) -> Result<Vec<ImageSite>> {
    let mut sites = Vec::new();
    let mut containers = 0usize;
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let pointer = format!("{base}/{list}");
        let items = array(spec.get(list), &pointer)?;
        containers += items.len();
        if containers > MAX_CONTAINERS {
            return Err(Error::malformed(
                format!("request.object{base}"),
                format!("more than {MAX_CONTAINERS} containers in one pod spec"),
            ));
        }
        for (index, item) in items.iter().enumerate() {
            let item_pointer = format!("{pointer}/{index}");
            let item = as_object(item, &item_pointer)?;
            let owner = (list, name(item));
            if let Some(site) = site(item.get("image"), format!("{item_pointer}/image"), owner)? {
                sites.push(site);
            }
        }
    }
    let pointer = format!("{base}/volumes");
    let volumes = array(spec.get("volumes"), &pointer)?;
    if volumes.len() > MAX_VOLUMES {
        return Err(Error::malformed(
            format!("request.object{pointer}"),
            format!("more than {MAX_VOLUMES} volumes in one pod spec"),
        ));
    }
    for (index, volume) in volumes.iter().enumerate() {
        let volume_pointer = format!("{pointer}/{index}");
        let volume = as_object(volume, &volume_pointer)?;
        let source = match volume.get("image") {
            None | Some(Value::Null) => continue,
            Some(source) => source,
        };
        let source_pointer = format!("{volume_pointer}/image");
        let reference = as_object(source, &source_pointer)?.get("reference");
        let owner = ("volumes", name(volume));
        if let Some(site) = site(reference, format!("{source_pointer}/reference"), owner)? {
            sites.push(site);
        }
    }
    Ok(sites)
}

/// The `name` of a container or volume, if it is a string.
fn name(item: &Map<String, Value>) -> Option<String> {
    item.get("name").and_then(Value::as_str).map(str::to_string)
}

/// The image at `pointer`, if one is written there.
fn site(
    value: Option<&Value>,
    pointer: String,
    owner: (&'static str, Option<String>),
) -> Result<Option<ImageSite>> {
    let image = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(image)) => image,
        Some(_) => {
            return Err(Error::malformed(
                format!("request.object{pointer}"),
                "not a string",
            ))
        }
    };
    let invalid = |reason: String| Error::Image {
        pointer: pointer.clone(),
        image: image.clone(),
        reason,
    };
    let reference: ImageRef = image.parse().map_err(|e| invalid(format!("{e}")))?;
    if let Location::Layout(_) = reference.location {
        return Err(invalid(
            "an OCI layout directory is not an image a node can pull".to_string(),
        ));
    }
    Ok(Some(ImageSite {
        pointer,
        owner,
        image: image.clone(),
        reference,
    }))
}

fn as_object<'a>(value: &'a Value, pointer: &str) -> Result<&'a Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| Error::malformed(format!("request.object{pointer}"), "not an object"))
}

/// The list at `pointer`; absent and null are empty.
fn array<'a>(value: Option<&'a Value>, pointer: &str) -> Result<&'a [Value]> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(Error::malformed(
            format!("request.object{pointer}"),
            "not an array",
        )),
    }
}

/// One JSON pointer reference token, escaped as RFC 6901 says: `~` as
/// `~0`, then `/` as `~1`.
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
