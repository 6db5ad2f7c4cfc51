//! The SLSA Provenance v1 predicate `vouch attest` signs for an image:
//! every vendored input as a resolved dependency.
//!
//! The build type is [`BUILD_TYPE`], documented in docs/provenance.md:
//!
//! - `externalParameters.project`: the project directory as given;
//!   `externalParameters.image`: the image reference attested;
//!   `externalParameters.source` (when the project is a git checkout):
//!   `{uri: "git+<remote>", digest: {gitCommit}, ref}`.
//! - `internalParameters.vouchVersion`, and `criticalityRules`: the rule
//!   sources in force, so a verifier knows what "critical" meant.
//! - `resolvedDependencies`: one ResourceDescriptor per input, see
//!   [`resolved_dependency`].
//!
//! Pure: the caller gathers the context (clock, environment, git) and
//! passes it in.

use serde_json::{json, Map, Value};
use vouch_evidence::provenance::{BuildMetadata, Provenance};
use vouch_evidence::statement::ResourceDescriptor;

use crate::{Input, Result};

/// The `buildType` of vouch's provenance: "vendored inputs of a project,
/// as observed on disk at build time".
pub const BUILD_TYPE: &str = "https://vouch.dev/attest/vendored-inputs/v1";

/// Where the project's source comes from, when it is a git checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The remote URL, as `git+<url>`.
    pub uri: String,
    /// The checked-out commit (hex).
    pub commit: Option<String>,
    /// The checked-out ref (`refs/heads/main`), if on a branch.
    pub reference: Option<String>,
}

/// What the provenance says about the run, gathered by the caller.
#[derive(Debug, Clone)]
pub struct BuildContext {
    /// `runDetails.builder.id`: `--builder-id` or the CI's identity.
    pub builder_id: String,
    /// `runDetails.metadata.invocationId`.
    pub invocation_id: String,
    /// When discovery started (RFC 3339).
    pub started_on: String,
    /// When the evidence was complete (RFC 3339).
    pub finished_on: String,
    /// The project directory as given on the command line.
    pub project: String,
    /// The image reference as given.
    pub image: String,
    /// The git source, if any.
    pub source: Option<Source>,
    /// The criticality rule sources in force.
    pub rules: Vec<String>,
}

/// One input as a ResourceDescriptor, through its
/// [`InputRecord`](vouch_evidence::input::InputRecord): `name`, `uri` (its
/// origin; the purl when the origin is unknown), `digest` (observed, when
/// one), and the annotations of docs/provenance.md
/// ([`vouch_evidence::input::annotation`]).
pub fn resolved_dependency(input: &Input) -> Result<ResourceDescriptor> {
    Ok(input.record()?.to_resource_descriptor())
}

/// The provenance predicate for `inputs` (already classified).
pub fn provenance(context: &BuildContext, inputs: &[Input]) -> Result<Provenance> {
    let mut external = Map::new();
    external.insert("project".into(), json!(context.project));
    external.insert("image".into(), json!(context.image));
    if let Some(source) = &context.source {
        let mut s = Map::new();
        s.insert("uri".into(), json!(source.uri));
        if let Some(commit) = &source.commit {
            s.insert("digest".into(), json!({ "gitCommit": commit }));
        }
        if let Some(reference) = &source.reference {
            s.insert("ref".into(), json!(reference));
        }
        external.insert("source".into(), Value::Object(s));
    }
    let mut internal = Map::new();
    internal.insert("vouchVersion".into(), json!(env!("CARGO_PKG_VERSION")));
    internal.insert("criticalityRules".into(), json!(context.rules));
    Ok(Provenance::new(
        BUILD_TYPE,
        external,
        Some(internal),
        inputs
            .iter()
            .map(resolved_dependency)
            .collect::<Result<_>>()?,
        &context.builder_id,
        Some(BuildMetadata {
            invocation_id: Some(context.invocation_id.clone()),
            started_on: Some(context.started_on.clone()),
            finished_on: Some(context.finished_on.clone()),
        }),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Match;

    fn context() -> BuildContext {
        BuildContext {
            builder_id: "https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main"
                .into(),
            invocation_id: "https://github.com/org/repo/actions/runs/1/attempts/1".into(),
            started_on: "2026-11-26T10:00:00Z".into(),
            finished_on: "2026-11-26T10:00:05Z".into(),
            project: ".".into(),
            image: "oci:build/layout:app".into(),
            source: Some(Source {
                uri: "git+https://github.com/org/repo".into(),
                commit: Some("a9cd7bf0bbfd5732800b8196ce893ae9915b1e87".into()),
                reference: Some("refs/heads/main".into()),
            }),
            rules: vec!["policies/critical.yaml (shipped)".into()],
        }
    }

    #[test]
    fn every_input_is_a_resolved_dependency_with_its_annotations() {
        let hex = "ab".repeat(32);
        let mut zlib = Input::declared(
            "generic",
            "zlib",
            "1.3.1",
            "pkg:generic/zlib@1.3.1",
            "https://zlib.net/zlib-1.3.1.tar.gz",
        );
        zlib.declared = Some(format!("dirHash:{hex}"));
        zlib.observed = Some(format!("dirHash:{hex}"));
        zlib.status = Match::Match;
        zlib.critical = vec!["compression: ...".into()];
        zlib.patches = vec!["patches/zlib.patch".into()];
        let mut bad = Input::declared("npm", "left-pad", "1.0.0", "pkg:npm/left-pad@1.0.0", "");
        bad.observed = Some(format!("dirHash:{hex}"));
        bad.status = Match::Mismatch {
            reason: "node_modules/left-pad/package.json has version 1.0.1".into(),
        };
        let p = provenance(&context(), &[zlib, bad]).unwrap();
        assert_eq!(p.build_type(), BUILD_TYPE);
        assert_eq!(
            p.external_parameters()["source"]["digest"]["gitCommit"],
            "a9cd7bf0bbfd5732800b8196ce893ae9915b1e87"
        );
        let deps = p.resolved_dependencies();
        assert_eq!(deps.len(), 2);
        assert_eq!(deps[0].digest.as_ref().unwrap().get("dirHash"), Some(&*hex));
        assert_eq!(deps[0].annotations["critical"], true);
        assert_eq!(deps[0].annotations["patches"][0], "patches/zlib.patch");
        assert_eq!(deps[0].annotations["match"], "match");
        assert_eq!(deps[1].uri.as_deref(), Some("pkg:npm/left-pad@1.0.0"));
        assert_eq!(deps[1].annotations["match"], "mismatch");
        assert_eq!(deps[1].annotations["critical"], false);
        assert!(deps[1].annotations["mismatchReason"]
            .as_str()
            .unwrap()
            .contains("package.json"));
        // The predicate reads back through the validated type.
        let back = Provenance::from_predicate(&p.to_value()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn several_observed_files_keep_no_single_digest_but_all_annotations() {
        let mut wheel = Input::declared("pip", "idna", "3.7", "pkg:pypi/idna@3.7", "u");
        wheel.observed = Some(format!(
            "sha256:{},sha256:{}",
            "1".repeat(64),
            "2".repeat(64)
        ));
        let d = resolved_dependency(&wheel).unwrap();
        assert!(d.digest.is_none());
        assert!(d.annotations["observed"].as_str().unwrap().contains(','));
    }

    #[test]
    fn an_empty_builder_id_is_refused() {
        let mut c = context();
        c.builder_id.clear();
        let err = provenance(&c, &[]).unwrap_err().to_string();
        assert!(err.contains("builder.id"), "{err}");
    }
}
