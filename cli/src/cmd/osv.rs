//! `vouch osv`: build the on-disk index of an OSV export (`osv index`),
//! and carry it through a registry as a signed OCI artifact (`osv push`,
//! `osv pull`), so that every webhook replica loads the same verified
//! index by digest.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use vouch_evidence::digest::Sha256;
use vouch_load::index::{self, Index};
use vouch_registry::attach::{self, Kind};
use vouch_registry::oci::{
    self, Descriptor, ImageManifest, Manifest, ANNOTATION_CREATED, EMPTY_JSON, EMPTY_JSON_CONTENT,
    OCI_MANIFEST,
};
use vouch_registry::reference::ImageRef;
use vouch_verify::evaluate::{evaluate, Context as EvalContext};
use vouch_verify::image::verify_signature;
use vouch_verify::policy::NoMatch;

use crate::args::{RegistryArgs, SigningArgs, TrustedRootArgs};
use crate::attach::sign_image;
use crate::clock::now_rfc3339;
use crate::files::{load_public_key, set_mode};
use crate::image::parse_image;
use crate::term::note;
use crate::Misconfigured;

/// The artifact type of an index in a registry (the manifest's
/// `artifactType`).
pub const ARTIFACT_TYPE: &str = "application/vnd.vouch.osv-index.v1";
/// The media type of the one layer, the index file itself.
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.vouch.osv-index.layer.v1";
/// The annotation carrying the digest over the export's records.
pub const ANNOTATION_RECORDS_DIGEST: &str = "dev.vouch.osv.records-digest";
/// The annotation carrying the number of live records.
pub const ANNOTATION_RECORDS: &str = "dev.vouch.osv.records";
/// The annotation carrying the export zip's SHA-256, when built from one.
pub const ANNOTATION_EXPORT_SHA256: &str = "dev.vouch.osv.export-sha256";

/// Arguments of `vouch osv`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Build the on-disk index of an OSV export (a zip or a directory of
    /// records), which `--osv` and `vulnerabilities.osv` accept.
    Index(IndexArgs),
    /// Store an index in a registry as a signed OCI artifact.
    Push(PushArgs),
    /// Fetch an index from a registry, verified, and write it.
    Pull(PullArgs),
}

/// Arguments of `vouch osv index`.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  vouch osv index all.zip -o osv.idx")]
pub struct IndexArgs {
    /// The OSV export: a zip as osv.dev publishes it (`all.zip`,
    /// `<ecosystem>/all.zip`), or a directory of records.
    #[arg(value_name = "ZIP|DIR")]
    export: PathBuf,
    /// The index file to write (replaced atomically, never half-written).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// Arguments of `vouch osv push`.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  vouch osv push osv.idx registry.example.com/security/osv:2026-12-04 --key ci.key"
)]
pub struct PushArgs {
    /// The index file (`vouch osv index`).
    #[arg(value_name = "INDEX")]
    index: PathBuf,
    /// Where to store it: a registry reference with a tag, or
    /// `oci:PATH[:TAG]`.
    #[arg(value_name = "REF")]
    reference: String,
    #[command(flatten)]
    key: SigningArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Arguments of `vouch osv pull`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch osv pull registry.example.com/security/osv:2026-12-04 --key ci.pub -o osv.idx\n  \
    vouch osv pull registry.example.com/security/osv@sha256:<hex> --policy policies/ -o osv.idx")]
pub struct PullArgs {
    /// The artifact: a registry reference or `oci:PATH[:TAG]`; pin it by
    /// digest (`REF@sha256:<hex>`, as `osv pull` prints it) so that every
    /// replica loads the same index.
    #[arg(value_name = "REF")]
    reference: String,
    /// A public key (PEM) whose signature over the artifact's manifest
    /// digest is required.
    #[arg(long, value_name = "PUB", required_unless_present = "policy")]
    key: Option<PathBuf>,
    /// Instead of a key: policies (file or directory) that must admit the
    /// artifact as they would an image, by its signatures.
    #[arg(long, value_name = "FILE|DIR", conflicts_with = "key")]
    policy: Option<PathBuf>,
    /// The index file to write (replaced atomically, never half-written).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// The largest index accepted, checked against the layer's declared
    /// size before anything is read.
    #[arg(long, value_name = "BYTES", default_value_t = 2 * 1024 * 1024 * 1024)]
    max_index_bytes: u64,
    #[command(flatten)]
    trusted_root: TrustedRootArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Runs `vouch osv index`, `push` or `pull`.
pub async fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Index(args) => build(&args),
        Command::Push(args) => push(args).await,
        Command::Pull(args) => pull(args).await,
    }
}

fn build(args: &IndexArgs) -> Result<()> {
    let header = index::build(&args.export, &args.output, jiff::Timestamp::now())?;
    note!(
        "Indexed {} OSV records of {} into {} ({} withdrawn and {} that no lookup can return, dropped; {} keys, {} bytes); records digest {}",
        header.records,
        args.export.display(),
        args.output.display(),
        header.withdrawn,
        header.unmatchable,
        header.keys,
        header.file_length,
        header.records_digest
    );
    Ok(())
}

async fn push(args: PushArgs) -> Result<()> {
    let signer = args.key.signer().await?;
    let opened = Index::open(&args.index)?;
    let header = opened.header().clone();
    drop(opened);
    let image = parse_image(&args.reference)?;
    if image.digest.is_some() {
        return Err(Misconfigured::Usage(format!(
            "osv push stores under a tag; {} names a digest",
            args.reference
        ))
        .into());
    }
    let tag = image.tag.clone().unwrap_or_else(|| "latest".into());
    let bytes = std::fs::read(&args.index)
        .with_context(|| format!("cannot read {}", args.index.display()))?;
    if bytes.len() as u64 != header.file_length {
        bail!("{} changed while it was read", args.index.display());
    }
    let repo = args.registry.open(&image, true)?;
    // The manifest is built and signed before anything is pushed (its
    // digest is that of its bytes): a signer that fails leaves the
    // repository as it was.
    let config = Descriptor::of(EMPTY_JSON, EMPTY_JSON_CONTENT);
    let layer = Descriptor::of(LAYER_MEDIA_TYPE, &bytes);
    let created = now_rfc3339();
    let mut annotations = BTreeMap::from([
        (ANNOTATION_CREATED.to_owned(), created.clone()),
        (
            ANNOTATION_RECORDS_DIGEST.to_owned(),
            header.records_digest.to_string(),
        ),
        (ANNOTATION_RECORDS.to_owned(), header.records.to_string()),
    ]);
    if let Some(export) = header.export_sha256 {
        annotations.insert(ANNOTATION_EXPORT_SHA256.to_owned(), export.to_string());
    }
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.to_owned()),
        artifact_type: Some(ARTIFACT_TYPE.to_owned()),
        config,
        layers: vec![layer],
        subject: None,
        annotations,
    };
    let manifest_bytes = oci::to_json(&manifest);
    let bundle = sign_image(
        &*signer,
        &Descriptor::of(OCI_MANIFEST, &manifest_bytes).digest,
        &BTreeMap::new(),
    )
    .await?;
    repo.put_blob(EMPTY_JSON, EMPTY_JSON_CONTENT).await?;
    repo.put_blob(LAYER_MEDIA_TYPE, &bytes).await?;
    let target = repo
        .put_manifest_bytes(&manifest_bytes, OCI_MANIFEST, Some(&tag))
        .await?;
    attach::attach_bundle(&repo, &target, &bundle, &created, &BTreeMap::new()).await?;
    note!(
        "Pushed and signed the OSV index {} ({} records) as {}@{} ({})",
        args.index.display(),
        header.records,
        image.location,
        target.digest,
        signer.label()
    );
    writeln!(
        crate::term::text_stdout(),
        "{}@{}",
        image.location,
        target.digest
    )?;
    Ok(())
}

async fn pull(args: PullArgs) -> Result<()> {
    let root = args.trusted_root.load()?;
    let image = parse_image(&args.reference)?;
    let repo = args.registry.open(&image, false)?;
    // The tag is resolved once: everything below is by this digest.
    let target = repo.resolve(&image).await?;
    let digest = target.digest;
    verify(&args, &image, &repo, &digest, &root).await?;
    let fetched = repo.manifest(&digest).await?;
    let Manifest::Image(manifest) = fetched.manifest else {
        bail!(
            "{}@{digest} is an index of manifests, not an OSV index artifact",
            image.location
        );
    };
    if manifest.artifact_type.as_deref() != Some(ARTIFACT_TYPE) {
        bail!(
            "{}@{digest} is not an OSV index artifact: its artifactType is {:?}, not {ARTIFACT_TYPE}",
            image.location,
            manifest.artifact_type.as_deref().unwrap_or("none")
        );
    }
    let [layer] = manifest.layers.as_slice() else {
        bail!(
            "{}@{digest} has {} layers; an OSV index artifact has one",
            image.location,
            manifest.layers.len()
        );
    };
    if layer.media_type != LAYER_MEDIA_TYPE {
        bail!(
            "{}@{digest}: its layer is of media type {:?}, not {LAYER_MEDIA_TYPE}",
            image.location,
            layer.media_type
        );
    }
    if layer.size > args.max_index_bytes {
        bail!(
            "{}@{digest}: its index is {} bytes, more than --max-index-bytes {}",
            image.location,
            layer.size,
            args.max_index_bytes
        );
    }
    let announced = manifest
        .annotations
        .get(ANNOTATION_RECORDS_DIGEST)
        .map(|d| d.parse::<Sha256>())
        .transpose()
        .ok()
        .flatten();
    let limits = vouch_registry::Limits {
        max_blob_bytes: args.max_index_bytes,
        ..args.registry.limits()
    };
    let bytes = args
        .registry
        .open_with(&image, false, limits)?
        .blob(layer)
        .await?;
    let header = write_verified(&args.output, &bytes, announced.as_ref())?;
    note!(
        "Pulled the OSV index {}@{digest} ({} records, records digest {}) into {}",
        image.location,
        header.records,
        header.records_digest,
        args.output.display()
    );
    writeln!(crate::term::text_stdout(), "{}@{digest}", image.location)?;
    Ok(())
}

/// Requires a signature over `digest` by `--key`, or the `--policy`
/// policies' admission of the artifact by its signatures.
async fn verify(
    args: &PullArgs,
    image: &ImageRef,
    repo: &vouch_registry::Repository,
    digest: &Sha256,
    root: &vouch_verify::bundle::TrustedRoot,
) -> Result<()> {
    let listing = attach::list(repo, digest, None)
        .await
        .with_context(|| format!("cannot read the signatures of {}@{digest}", image.location))?;
    if let Some(path) = &args.policy {
        let policies = vouch_load::policy::load(path).map_err(Misconfigured::invalid)?;
        let shown = ImageRef {
            digest: None,
            ..image.clone()
        };
        let context = EvalContext {
            now: jiff::Timestamp::now(),
            default_root: root,
            no_match: NoMatch::Deny,
            osv: None,
            scanned: &[],
        };
        let verdict = evaluate(&policies, &shown, digest, &listing.attachments, &context);
        if !verdict.allowed() {
            bail!(
                "{}@{digest} is not admitted by {}: {}",
                image.location,
                path.display(),
                verdict.denials.join("; ")
            );
        }
        return Ok(());
    }
    let Some(path) = &args.key else {
        return Err(Misconfigured::Usage(
            "say whose signature to require: --key or --policy".into(),
        )
        .into());
    };
    let key = load_public_key(path).map_err(Misconfigured::invalid)?;
    let mut failures = Vec::new();
    for a in listing
        .attachments
        .iter()
        .filter(|a| a.kind == Kind::Signature)
    {
        match verify_signature(a, digest, &key, root) {
            Ok(()) => return Ok(()),
            Err(e) => failures.push(format!("{} signature {}: {e}", a.format.name(), a.digest)),
        }
    }
    bail!(
        "no signature on {}@{digest} verifies with key {}{}",
        image.location,
        key.key_id(),
        if failures.is_empty() {
            " (none is attached)".to_owned()
        } else {
            format!(": {}", failures.join("; "))
        }
    )
}

/// Writes `bytes` (a verified layer) to a temporary file beside `output`,
/// opens it as an index (refusing a damaged or foreign one), compares its
/// records digest with the manifest's annotation, and renames it into
/// place.
fn write_verified(
    output: &Path,
    bytes: &[u8],
    announced: Option<&Sha256>,
) -> Result<index::Header> {
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".vouch-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    set_mode(tmp.as_file(), 0o644).with_context(|| format!("cannot write {}", output.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", output.display()))?;
    let header = Index::open(tmp.path())?.header().clone();
    if announced != Some(&header.records_digest) {
        bail!(
            "the index's records digest {} is not the {} its manifest announces",
            header.records_digest,
            announced.map_or("none".to_owned(), ToString::to_string)
        );
    }
    tmp.persist(output)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok(header)
}
