//! The evidence of one `vouch attest` run, assembled from what discovery
//! found: the SLSA provenance and the SBOM statements about the image, and
//! the classic in-toto links of its vendored inputs, ready to sign and
//! attach (or to write).
//!
//! The caller gathers what only it can: the discovered inputs, the image's
//! digest (from its registry), the clock, and the CI environment
//! ([`Identity::from_ci`]) and git checkout ([`git_source`]) it runs in.
//! Nothing here touches a registry or writes a file, so that evidence that
//! cannot be built leaves the registry untouched.

use std::path::Path;
use std::process::Command;

use vouch_evidence::cyclonedx::CYCLONEDX_PREDICATE_TYPE;
use vouch_evidence::digest::{sha256, DigestSet, Sha256};
use vouch_evidence::keys::Signer;
use vouch_evidence::provenance::SLSA_PROVENANCE_V1;
use vouch_evidence::spdx::SPDX_PREDICATE_TYPE;
use vouch_evidence::statement::{ResourceDescriptor, Statement};

use crate::provenance::{self, BuildContext, Source};
use crate::sbom::{self, Subject};
use crate::{Input, Root};

/// The `builder.id` of a run outside any CI vouch knows, without
/// `--builder-id`.
pub const LOCAL_BUILDER: &str = "https://vouch.dev/builders/local";

/// An SBOM format attested besides the provenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    CycloneDx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// The image the evidence is about.
#[derive(Debug, Clone)]
pub struct Image {
    /// The reference as given on the command line
    /// (`externalParameters.image`).
    pub reference: String,
    /// Its name, without tag or digest: every statement's subject name and
    /// the SBOM's subject.
    pub name: String,
    /// Its tag, if it was named by one: the SBOM subject's version.
    pub tag: Option<String>,
    /// Its purl (`pkg:oci/…`), which makes the SBOM's subject a container.
    pub purl: String,
    /// The manifest digest, resolved once: every statement is about it.
    pub digest: Sha256,
}

/// Who ran the build, as the CI environment says: the workflow identity
/// and the run, each when known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The CI's workflow (GitHub Actions) or pipeline definition (GitLab
    /// CI), as `builder.id`.
    pub builder_id: Option<String>,
    /// The CI's run or job URL, as `invocationId`.
    pub invocation_id: Option<String>,
}

impl Identity {
    /// The identity GitHub Actions or GitLab CI give through their
    /// environment, read with `env` (`std::env::var(name).ok()`); none
    /// elsewhere.
    pub fn from_ci(env: impl Fn(&str) -> Option<String>) -> Identity {
        if env("GITHUB_ACTIONS").as_deref() == Some("true") {
            let server = env("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
            let builder_id = env("GITHUB_WORKFLOW_REF").map(|w| format!("{server}/{w}"));
            let invocation_id = match (env("GITHUB_REPOSITORY"), env("GITHUB_RUN_ID")) {
                (Some(repo), Some(run)) => Some(format!(
                    "{server}/{repo}/actions/runs/{run}/attempts/{}",
                    env("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into())
                )),
                _ => None,
            };
            return Identity {
                builder_id,
                invocation_id,
            };
        }
        if env("GITLAB_CI").as_deref() == Some("true") {
            let builder_id = match (env("CI_SERVER_URL"), env("CI_PROJECT_PATH")) {
                (Some(server), Some(project)) => Some(format!(
                    "{server}/{project}/-/blob/{}/{}",
                    env("CI_COMMIT_SHA").unwrap_or_default(),
                    env("CI_CONFIG_PATH").unwrap_or_else(|| ".gitlab-ci.yml".into())
                )),
                _ => None,
            };
            return Identity {
                builder_id,
                invocation_id: env("CI_JOB_URL"),
            };
        }
        Identity::default()
    }
}

/// The project's git source, when `dir` is in a checkout and git is
/// installed: the `origin` remote (else the work tree's top directory, the
/// repository the commit is of, which a project staged in a subdirectory
/// such as `target/` is not; else `dir`), the commit and the branch.
pub fn git_source(dir: &Path) -> Option<Source> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !text.is_empty()).then_some(text)
    };
    let commit = git(&["rev-parse", "--verify", "HEAD"]);
    let remote = git(&["remote", "get-url", "origin"]);
    if commit.is_none() && remote.is_none() {
        return None;
    }
    Some(Source {
        uri: format!(
            "git+{}",
            remote
                .or_else(|| git(&["rev-parse", "--show-toplevel"]))
                .unwrap_or_else(|| dir.display().to_string())
        ),
        commit,
        reference: git(&["symbolic-ref", "-q", "HEAD"]),
    })
}

/// The in-toto links to make: the project tree their products are hashed
/// from, and who signs them.
pub struct Links<'a> {
    /// The project, as discovered.
    pub root: &'a Root,
    /// The functionary's key.
    pub signer: &'a dyn Signer,
}

/// Everything one run's evidence is made of.
pub struct Request<'a> {
    /// The project directory as given (`externalParameters.project`).
    pub project: &'a Path,
    /// Its inputs, discovered and classified.
    pub inputs: &'a [Input],
    /// The criticality rule sources in force.
    pub rules: Vec<String>,
    /// The image.
    pub image: Image,
    /// When the run started (RFC 3339).
    pub started_on: String,
    /// When the evidence was complete (RFC 3339): the provenance's
    /// `finishedOn` and the SBOMs' timestamp.
    pub finished_on: String,
    /// `--builder-id`, which comes before the CI's.
    pub builder_id: Option<String>,
    /// The CI's identity.
    pub ci: Identity,
    /// The git source, if any.
    pub source: Option<Source>,
    /// The SBOM formats to attest, in order; a repeat is made once.
    pub sboms: &'a [SbomFormat],
    /// The links to make, if any.
    pub links: Option<Links<'a>>,
}

/// One in-toto statement, not yet signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsigned {
    /// Its predicate type (the legacy `.att` layer's annotation).
    pub predicate_type: &'static str,
    /// The statement's JSON: the exact bytes to sign.
    pub statement: Vec<u8>,
}

/// Why the evidence could not be built: the statements (a provenance or
/// SBOM field), or the links.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provenance or an SBOM.
    #[error(transparent)]
    Statement(#[from] crate::Error),
    /// The in-toto links (an input that cannot be hashed or named as a
    /// step).
    #[error("cannot build the in-toto links")]
    Links(#[source] crate::Error),
}

/// The evidence of one run.
#[derive(Debug)]
pub struct Evidence {
    /// The provenance first, then one SBOM per format.
    pub statements: Vec<Unsigned>,
    /// The signed links, as `(file name, DSSE envelope JSON)`; empty unless
    /// asked for.
    pub links: Vec<(String, Vec<u8>)>,
}

/// Builds the provenance and SBOM statements about `request.image` and,
/// if asked, the links. The invocation id is the CI's, else one unique
/// per run (from the start time, the process, the image and its digest).
pub fn assemble(request: &Request<'_>) -> Result<Evidence, Error> {
    let image = &request.image;
    let builder_id = request
        .builder_id
        .clone()
        .or_else(|| request.ci.builder_id.clone())
        .unwrap_or_else(|| LOCAL_BUILDER.into());
    let invocation_id = request.ci.invocation_id.clone().unwrap_or_else(|| {
        // Unique per run and reproducible from what the run saw.
        let seed = format!(
            "{} {} {} {}",
            request.started_on,
            std::process::id(),
            image.reference,
            image.digest
        );
        format!(
            "urn:vouch:invocation:{}",
            &sha256(seed.as_bytes()).hex()[..32]
        )
    });
    let context = BuildContext {
        builder_id,
        invocation_id,
        started_on: request.started_on.clone(),
        finished_on: request.finished_on.clone(),
        project: request.project.display().to_string(),
        image: image.reference.clone(),
        source: request.source.clone(),
        rules: request.rules.clone(),
    };
    // Every statement is about the image manifest, by digest.
    let subject =
        ResourceDescriptor::named(image.name.clone(), DigestSet::from_sha256(image.digest));
    let statement = |predicate_type: &'static str, predicate: serde_json::Value| {
        Ok::<_, crate::Error>(Unsigned {
            predicate_type,
            statement: Statement::new(vec![subject.clone()], predicate_type, predicate)?.to_json(),
        })
    };
    let predicate = provenance::provenance(&context, request.inputs)?;
    let mut statements = vec![statement(SLSA_PROVENANCE_V1, predicate.to_value())?];
    let sbom_subject = Subject {
        name: image.name.clone(),
        version: image.tag.clone(),
        purl: Some(image.purl.clone()),
        digest: Some(("sha256".into(), image.digest.hex())),
    };
    let mut formats = request.sboms.to_vec();
    formats.dedup();
    for format in formats {
        let (predicate_type, document) = match format {
            SbomFormat::CycloneDx => (
                CYCLONEDX_PREDICATE_TYPE,
                sbom::cyclonedx(&sbom_subject, request.inputs, &request.finished_on)?,
            ),
            SbomFormat::Spdx => (
                SPDX_PREDICATE_TYPE,
                sbom::spdx(&sbom_subject, request.inputs, &request.finished_on)?,
            ),
        };
        statements.push(statement(predicate_type, document)?);
    }
    let links = match &request.links {
        Some(links) => {
            crate::links::links(links.root, request.inputs, links.signer).map_err(Error::Links)?
        }
        None => Vec::new(),
    };
    Ok(Evidence { statements, links })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_evidence::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
    use vouch_evidence::keys::{Algorithm, PrivateKey};

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn github_actions_gives_the_workflow_identity_and_run() {
        let id = Identity::from_ci(env_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            (
                "GITHUB_WORKFLOW_REF",
                "org/repo/.github/workflows/ci.yml@refs/heads/main",
            ),
            ("GITHUB_REPOSITORY", "org/repo"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "2"),
        ]));
        assert_eq!(
            id.builder_id.as_deref(),
            Some("https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main")
        );
        assert_eq!(
            id.invocation_id.as_deref(),
            Some("https://github.com/org/repo/actions/runs/42/attempts/2")
        );
    }

    #[test]
    fn gitlab_ci_gives_the_pipeline_definition_and_job() {
        let id = Identity::from_ci(env_of(&[
            ("GITLAB_CI", "true"),
            ("CI_SERVER_URL", "https://gitlab.com"),
            ("CI_PROJECT_PATH", "org/repo"),
            ("CI_COMMIT_SHA", "abc"),
            ("CI_JOB_URL", "https://gitlab.com/org/repo/-/jobs/7"),
        ]));
        assert_eq!(
            id.builder_id.as_deref(),
            Some("https://gitlab.com/org/repo/-/blob/abc/.gitlab-ci.yml")
        );
        assert_eq!(
            id.invocation_id.as_deref(),
            Some("https://gitlab.com/org/repo/-/jobs/7")
        );
        assert_eq!(Identity::from_ci(env_of(&[])), Identity::default());
    }

    /// A project vendoring one file, declared by hand, and its inputs.
    fn project() -> (tempfile::TempDir, Vec<Input>) {
        let dir = tempfile::tempdir().unwrap();
        let bytes = b"int inflate(void);\n";
        std::fs::create_dir_all(dir.path().join("third_party")).unwrap();
        std::fs::write(dir.path().join("third_party/zlib.h"), bytes).unwrap();
        std::fs::write(
            dir.path().join(crate::generic::INPUTS_FILE),
            format!(
                "inputs:\n  - name: zlib\n    version: 1.3.1\n    uri: https://zlib.net/zlib-1.3.1.tar.gz\n    path: third_party/zlib.h\n    sha256: {}\n",
                sha256(bytes).hex()
            ),
        )
        .unwrap();
        let inputs = crate::discover(&Root::new(dir.path()).unwrap()).unwrap();
        assert_eq!(inputs.len(), 1);
        (dir, inputs)
    }

    fn request<'a>(dir: &'a Path, inputs: &'a [Input], sboms: &'a [SbomFormat]) -> Request<'a> {
        Request {
            project: dir,
            inputs,
            rules: vec!["policies/critical.yaml (shipped)".into()],
            image: Image {
                reference: "oci:build/layout:app".into(),
                name: "oci:build/layout".into(),
                tag: Some("app".into()),
                purl: "pkg:oci/layout@sha256%3Aab".into(),
                digest: sha256(b"manifest"),
            },
            started_on: "2026-01-01T00:00:00Z".into(),
            finished_on: "2026-01-01T00:00:05Z".into(),
            builder_id: None,
            ci: Identity::default(),
            source: None,
            sboms,
            links: None,
        }
    }

    fn parsed(unsigned: &Unsigned) -> serde_json::Value {
        serde_json::from_slice(&unsigned.statement).unwrap()
    }

    #[test]
    fn every_statement_is_about_the_image_digest_provenance_first() {
        let (dir, inputs) = project();
        let sboms = [
            SbomFormat::CycloneDx,
            SbomFormat::CycloneDx,
            SbomFormat::Spdx,
        ];
        let evidence = assemble(&request(dir.path(), &inputs, &sboms)).unwrap();
        let types: Vec<&str> = evidence
            .statements
            .iter()
            .map(|s| s.predicate_type)
            .collect();
        // A repeated format is attested once.
        assert_eq!(
            types,
            [
                SLSA_PROVENANCE_V1,
                CYCLONEDX_PREDICATE_TYPE,
                SPDX_PREDICATE_TYPE
            ]
        );
        let digest = sha256(b"manifest").hex();
        for unsigned in &evidence.statements {
            let statement = parsed(unsigned);
            assert_eq!(statement["predicateType"], unsigned.predicate_type);
            assert_eq!(statement["subject"][0]["name"], "oci:build/layout");
            assert_eq!(statement["subject"][0]["digest"]["sha256"], digest);
        }
        let provenance = &parsed(&evidence.statements[0])["predicate"];
        let build = &provenance["buildDefinition"];
        assert_eq!(build["externalParameters"]["image"], "oci:build/layout:app");
        assert_eq!(
            build["externalParameters"]["project"],
            dir.path().display().to_string()
        );
        assert_eq!(
            build["internalParameters"]["criticalityRules"][0],
            "policies/critical.yaml (shipped)"
        );
        assert_eq!(build["resolvedDependencies"][0]["name"], "zlib");
        let run = &provenance["runDetails"];
        assert_eq!(run["builder"]["id"], LOCAL_BUILDER);
        assert_eq!(run["metadata"]["startedOn"], "2026-01-01T00:00:00Z");
        assert_eq!(run["metadata"]["finishedOn"], "2026-01-01T00:00:05Z");
        let invocation = run["metadata"]["invocationId"].as_str().unwrap();
        let unique = invocation.strip_prefix("urn:vouch:invocation:").unwrap();
        assert!(unique.len() == 32 && unique.bytes().all(|b| b.is_ascii_hexdigit()));
        // The CycloneDX SBOM describes the image: a container, its
        // version the tag, with its digest.
        let bom = &parsed(&evidence.statements[1])["predicate"];
        let component = &bom["metadata"]["component"];
        assert_eq!(component["type"], "container");
        assert_eq!(component["name"], "oci:build/layout");
        assert_eq!(component["version"], "app");
        assert_eq!(component["hashes"][0]["content"], digest);
        assert_eq!(bom["metadata"]["timestamp"], "2026-01-01T00:00:05Z");
        assert!(evidence.links.is_empty());
    }

    #[test]
    fn the_builder_is_the_flag_else_the_ci_and_the_run_the_ci_s() {
        let (dir, inputs) = project();
        let mut req = request(dir.path(), &inputs, &[]);
        req.ci = Identity {
            builder_id: Some("https://ci.example/workflow".into()),
            invocation_id: Some("https://ci.example/runs/7".into()),
        };
        let run = |req: &Request<'_>| {
            let evidence = assemble(req).unwrap();
            assert_eq!(evidence.statements.len(), 1, "no SBOM asked for");
            parsed(&evidence.statements[0])["predicate"]["runDetails"].clone()
        };
        let details = run(&req);
        assert_eq!(details["builder"]["id"], "https://ci.example/workflow");
        assert_eq!(
            details["metadata"]["invocationId"],
            "https://ci.example/runs/7"
        );
        req.builder_id = Some("https://builders.example/release".into());
        assert_eq!(
            run(&req)["builder"]["id"],
            "https://builders.example/release"
        );
    }

    #[test]
    fn links_are_signed_by_the_functionary_over_the_vendored_files() {
        let (dir, inputs) = project();
        let root = Root::new(dir.path()).unwrap();
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let mut req = request(dir.path(), &inputs, &[]);
        req.links = Some(Links {
            root: &root,
            signer: &key,
        });
        let evidence = assemble(&req).unwrap();
        assert_eq!(evidence.links.len(), 1);
        let (name, bytes) = &evidence.links[0];
        assert!(name.starts_with("vendor-zlib."), "{name}");
        let verified = Envelope::from_json(bytes)
            .unwrap()
            .verify(
                IN_TOTO_PAYLOAD_TYPE,
                std::slice::from_ref(key.public_key()),
                1,
            )
            .unwrap();
        let link: serde_json::Value = serde_json::from_slice(&verified.payload).unwrap();
        assert_eq!(
            link["products"]["third_party/zlib.h"]["sha256"],
            sha256(b"int inflate(void);\n").hex()
        );
    }

    #[test]
    fn links_that_cannot_be_made_say_so_and_nothing_is_returned() {
        let (dir, _) = project();
        let root = Root::new(dir.path()).unwrap();
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        // An input recorded as a vendored directory that is a file now.
        let mut moved = Input::declared("generic", "zlib", "1.3.1", "pkg:generic/zlib@1.3.1", "u");
        moved.path = Some("third_party/zlib.h".into());
        moved.observed = Some(format!("dirHash:{}", sha256(b"").hex()));
        let inputs = [moved];
        let mut req = request(dir.path(), &inputs, &[]);
        req.links = Some(Links {
            root: &root,
            signer: &key,
        });
        let err = assemble(&req).unwrap_err();
        assert!(matches!(err, Error::Links(_)), "{err:?}");
        assert_eq!(err.to_string(), "cannot build the in-toto links");
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert!(cause.starts_with("cannot make in-toto links"), "{cause}");
    }

    /// `git` in `dir`, which must succeed.
    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.test"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn a_project_inside_a_checkout_names_the_repository_and_its_head() {
        let repo = tempfile::tempdir().unwrap();
        git(repo.path(), &["init", "-q", "-b", "main"]);
        git(repo.path(), &["commit", "-q", "--allow-empty", "-m", "x"]);
        let head = Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap();
        let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
        let top = std::fs::canonicalize(repo.path()).unwrap();

        // A staged project under target/ (scripts/release.sh): the commit
        // is the repository's, and so is the URI (no origin: its top
        // directory, never the staged one).
        let staged = repo.path().join("target/stage");
        std::fs::create_dir_all(&staged).unwrap();
        let source = git_source(&staged).unwrap();
        assert_eq!(source.commit.as_deref(), Some(head.as_str()));
        assert_eq!(source.uri, format!("git+{}", top.display()));
        assert_eq!(source.reference.as_deref(), Some("refs/heads/main"));

        // With an origin, the origin.
        git(
            repo.path(),
            &["remote", "add", "origin", "https://example.test/vouch.git"],
        );
        let source = git_source(&staged).unwrap();
        assert_eq!(source.uri, "git+https://example.test/vouch.git");

        // Outside any checkout: none.
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(git_source(elsewhere.path()).is_none());
    }
}
