//! A real OCI registry for the integration tests: Distribution 2.8
//! (`docker-registry`, Debian package) serving on 127.0.0.1, with test
//! images pushed by `skopeo` from OCI image layouts built here by hand.
//!
//! Two flavours:
//! - [`Registry::plain`]: plain HTTP, no auth;
//! - [`Registry::secure`]: HTTPS with a leaf certificate issued by a fresh
//!   test CA (`ca_pem`; rustls refuses a self-signed end-entity certificate,
//!   hence the CA), and htpasswd (bcrypt) basic auth for
//!   [`USERNAME`]/[`PASSWORD`].
//!
//! The binaries come from scripts/install-oracles.sh; a missing one is a
//! failure, never a skip. Each registry keeps its storage, certificates and
//! log in its own tempdir; the child is killed when the value is dropped.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tempfile::TempDir;

/// The user the secure registry accepts.
pub const USERNAME: &str = "vouch";
/// The password of [`USERNAME`] (test only).
pub const PASSWORD: &str = "s3cret-test-only";

/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image config media type.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// OCI uncompressed tar layer media type.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";

/// How long a registry may take to answer after it is started.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `docker-registry` child process.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Whether the registry speaks HTTPS (the secure flavour).
    pub tls: bool,
    /// The test CA certificate (PEM) that issued the server certificate.
    pub ca_pem: Option<PathBuf>,
    /// A directory holding only the CA, as `ca.crt`: skopeo's `--cert-dir`.
    pub cert_dir: Option<PathBuf>,
    /// The basic-auth user (secure flavour).
    pub username: Option<String>,
    /// The basic-auth password (secure flavour).
    pub password: Option<String>,
    child: Child,
    log_path: PathBuf,
    // Removed after Drop has killed the child.
    dir: TempDir,
}

impl Registry {
    /// A plain-HTTP registry without authentication.
    pub fn plain() -> Registry {
        Registry::start(false, false)
    }

    /// A plain-HTTP registry with htpasswd basic auth for
    /// [`USERNAME`]/[`PASSWORD`] (Distribution allows it): for clients that
    /// insist on authentication but speak only HTTP to loopback, such as
    /// `@sigstore/cli`.
    pub fn plain_with_auth() -> Registry {
        Registry::start(false, true)
    }

    /// An HTTPS registry (certificate from a test CA) with htpasswd basic
    /// auth for [`USERNAME`]/[`PASSWORD`].
    pub fn secure() -> Registry {
        Registry::start(true, true)
    }

    fn start(tls: bool, auth: bool) -> Registry {
        require_binaries();
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        fs::create_dir(&storage).unwrap();

        let (mut ca_pem, mut cert_dir) = (None, None);
        let mut extra_yaml = String::new();
        if tls {
            let certs = make_certs(dir.path());
            extra_yaml.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                certs.server_crt.display(),
                certs.server_key.display(),
            ));
            ca_pem = Some(certs.ca_crt);
            cert_dir = Some(certs.cert_dir);
        }
        if auth {
            let htpasswd = make_htpasswd(dir.path());
            extra_yaml.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: vouch-test\n    path: {}\n",
                htpasswd.display()
            ));
        }

        // The port comes from a listener closed before the registry binds
        // it, so another process may take it in between: retry then.
        let config = dir.path().join("config.yml");
        let log_path = dir.path().join("registry.log");
        let mut failures = String::new();
        for _attempt in 0..5 {
            let host = format!("127.0.0.1:{}", free_port());
            fs::write(
                &config,
                format!(
                    "version: 0.1\n\
                     log:\n  level: warn\n  formatter: text\n\
                     storage:\n  filesystem:\n    rootdirectory: {storage}\n  \
                     delete:\n    enabled: true\n\
                     http:\n  addr: {host}\n  secret: vouch-test-only\n{extra_yaml}",
                    storage = storage.display(),
                ),
            )
            .unwrap();
            let log = fs::File::create(&log_path).unwrap();
            let mut command = Command::new("docker-registry");
            // Distribution reads REGISTRY_* variables as configuration
            // overrides (REGISTRY_AUTH_FILE would replace `auth`): drop them.
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("REGISTRY_") {
                    command.env_remove(&name);
                }
            }
            let mut child = command
                .arg("serve")
                .arg(&config)
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("cannot start docker-registry (run scripts/install-oracles.sh)");
            match wait_ready(&mut child, &host, tls, auth) {
                Ok(()) => {
                    return Registry {
                        host,
                        tls,
                        ca_pem,
                        cert_dir,
                        username: auth.then(|| USERNAME.to_string()),
                        password: auth.then(|| PASSWORD.to_string()),
                        child,
                        log_path,
                        dir,
                    }
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = fs::read_to_string(&log_path).unwrap_or_default();
                    failures.push_str(&format!("--- {host}: {why}\n{log}\n"));
                }
            }
        }
        panic!("docker-registry did not start:\n{failures}");
    }

    /// What the registry has written to stdout and stderr so far (warnings,
    /// errors, access log): print it when a test fails.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// `HOST/REPO:TAG`.
    pub fn reference(&self, repo: &str, tag: &str) -> String {
        format!("{}/{repo}:{tag}", self.host)
    }

    /// The base URL, `http://HOST` or `https://HOST`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.host)
    }

    /// A `skopeo` command that needs no /etc/containers/policy.json and never
    /// reads credentials from the environment (auth file in the tempdir).
    pub fn skopeo(&self) -> Command {
        let mut cmd = Command::new("skopeo");
        cmd.env("REGISTRY_AUTH_FILE", self.dir.path().join("auth.json"))
            .stdin(Stdio::null())
            .arg("--insecure-policy");
        cmd
    }

    /// skopeo flags that make a source (`prefix` "--src-"), destination
    /// ("--dest-") or plain command ("--") trust this registry and, if
    /// `creds`, log in to it.
    pub fn skopeo_args(&self, prefix: &str, creds: bool) -> Vec<String> {
        let mut args = Vec::new();
        match &self.cert_dir {
            Some(dir) => {
                args.push(format!("{prefix}cert-dir"));
                args.push(dir.display().to_string());
            }
            None => args.push(format!("{prefix}tls-verify=false")),
        }
        if creds {
            if let (Some(user), Some(pass)) = (&self.username, &self.password) {
                args.push(format!("{prefix}creds"));
                args.push(format!("{user}:{pass}"));
            }
        }
        args
    }

    /// `skopeo inspect --raw docker://HOST/REPO<suffix>`, where `suffix` is
    /// `:TAG` or `@sha256:…`, logged in when `creds`.
    pub fn inspect_raw(&self, repo: &str, suffix: &str, creds: bool) -> Output {
        let mut cmd = self.skopeo();
        cmd.args(["inspect", "--raw"])
            .args(self.skopeo_args("--", creds))
            .arg(format!("docker://{}/{repo}{suffix}", self.host));
        if !creds {
            cmd.arg("--no-creds");
        }
        cmd.output().unwrap()
    }

    /// Pushes a fresh single-platform (linux/amd64) OCI image to
    /// `HOST/REPO:TAG` and returns its manifest digest, `sha256:…`.
    pub fn push_image(&self, repo: &str, tag: &str) -> String {
        let layout = OciLayout::new();
        let manifest = layout.image("amd64");
        layout.set_ref(&manifest, tag);
        let pushed = self.copy(&layout, repo, tag, false);
        assert_eq!(
            pushed, manifest.digest,
            "skopeo changed the manifest digest"
        );
        manifest.digest
    }

    /// Pushes a fresh OCI image index with two platform images (linux/amd64,
    /// linux/arm64) to `HOST/REPO:TAG`; returns the index digest and the
    /// platform manifest digests, in that order.
    pub fn push_index(&self, repo: &str, tag: &str) -> (String, Vec<String>) {
        let layout = OciLayout::new();
        let platforms = [("amd64", None), ("arm64", Some("v8"))];
        let manifests: Vec<Descriptor> = platforms
            .iter()
            .map(|(arch, _)| layout.image(arch))
            .collect();
        let entries: Vec<Value> = manifests
            .iter()
            .zip(platforms)
            .map(|(m, (arch, variant))| {
                let mut platform = json!({"architecture": arch, "os": "linux"});
                if let Some(variant) = variant {
                    platform["variant"] = json!(variant);
                }
                json!({
                    "mediaType": OCI_MANIFEST,
                    "digest": m.digest,
                    "size": m.size,
                    "platform": platform,
                })
            })
            .collect();
        let index = json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": entries,
        });
        let index = layout.blob(OCI_INDEX, &serde_json::to_vec(&index).unwrap());
        layout.set_ref(&index, tag);
        let pushed = self.copy(&layout, repo, tag, true);
        assert_eq!(pushed, index.digest, "skopeo changed the index digest");
        (
            index.digest,
            manifests.into_iter().map(|m| m.digest).collect(),
        )
    }

    /// `skopeo copy [--all] --preserve-digests oci:LAYOUT:TAG
    /// docker://HOST/REPO:TAG`; returns the digest skopeo reports.
    fn copy(&self, layout: &OciLayout, repo: &str, tag: &str, all: bool) -> String {
        let digestfile = layout.dir.path().join("pushed.digest");
        let mut cmd = self.skopeo();
        cmd.args(["copy", "--quiet", "--preserve-digests"]);
        if all {
            cmd.arg("--all");
        }
        cmd.args(self.skopeo_args("--dest-", true))
            .arg("--digestfile")
            .arg(&digestfile)
            .arg(format!("oci:{}:{tag}", layout.dir.path().display()))
            .arg(format!("docker://{}", self.reference(repo, tag)));
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "skopeo copy to {} failed: {}\n{}\nregistry log:\n{}",
            self.reference(repo, tag),
            out.status,
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        fs::read_to_string(&digestfile).unwrap().trim().to_string()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fails clearly when a binary from scripts/install-oracles.sh is missing.
fn require_binaries() {
    for bin in ["docker-registry", "skopeo", "openssl", "htpasswd"] {
        let found = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).any(|dir| dir.join(bin).is_file()))
            .unwrap_or(false);
        assert!(
            found,
            "{bin} is not installed: run scripts/install-oracles.sh (scripts/test.sh does)"
        );
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until the registry answers: `GET /v2/` returns 200 over plain HTTP,
/// or the port accepts connections for TLS.
fn wait_ready(child: &mut Child, host: &str, tls: bool, auth: bool) -> Result<(), String> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Err(format!("docker-registry exited: {status}"));
        }
        let ready = if tls {
            TcpStream::connect(host).is_ok()
        } else {
            http_status(host, "/v2/") == Some(if auth { 401 } else { 200 })
        };
        if ready {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("no answer within {READY_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The status code of a plain-HTTP `GET path`, if the server answers.
fn http_status(host: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response);
    response.split(' ').nth(1)?.parse().ok()
}

/// Runs `cmd` in `dir` and panics with its stderr if it fails.
fn run(dir: &Path, cmd: &mut Command) -> Vec<u8> {
    let out = cmd.current_dir(dir).stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

struct Certs {
    ca_crt: PathBuf,
    cert_dir: PathBuf,
    server_crt: PathBuf,
    server_key: PathBuf,
}

/// With the openssl CLI, in `dir`: a self-signed ECDSA P-256 test CA, and a
/// server certificate it issues for 127.0.0.1 and localhost.
fn make_certs(dir: &Path) -> Certs {
    let dir = dir.join("certs");
    fs::create_dir(&dir).unwrap();
    fs::write(
        dir.join("openssl.cnf"),
        "[req]\n\
         distinguished_name = dn\n\
         prompt = no\n\
         [dn]\n\
         CN = vouch test CA\n\
         [ca]\n\
         basicConstraints = critical,CA:TRUE\n\
         keyUsage = critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier = hash\n\
         [server]\n\
         basicConstraints = critical,CA:FALSE\n\
         keyUsage = critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = IP:127.0.0.1,DNS:localhost\n\
         subjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid:always\n",
    )
    .unwrap();
    let openssl = || {
        let mut cmd = Command::new("openssl");
        cmd.env("OPENSSL_CONF", dir.join("openssl.cnf"));
        cmd
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    run(
        &dir,
        openssl()
            .args([
                "req",
                "-x509",
                "-config",
                "openssl.cnf",
                "-extensions",
                "ca",
            ])
            .args(ec)
            .args(["-keyout", "ca.key", "-out", "ca.pem", "-days", "7"]),
    );
    run(
        &dir,
        openssl()
            .args(["req", "-new", "-config", "openssl.cnf"])
            .args(["-subj", "/CN=localhost"])
            .args(ec)
            .args(["-keyout", "server.key", "-out", "server.csr"]),
    );
    run(
        &dir,
        openssl()
            .args(["x509", "-req", "-in", "server.csr", "-days", "7"])
            .args(["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"])
            .args(["-extfile", "openssl.cnf", "-extensions", "server"])
            .args(["-out", "server.crt"]),
    );
    run(
        &dir,
        openssl().args([
            "verify",
            "-CAfile",
            "ca.pem",
            "-purpose",
            "sslserver",
            "server.crt",
        ]),
    );
    // skopeo --cert-dir treats every *.crt in the directory as a CA, so the
    // CA goes alone into a directory of its own.
    let cert_dir = dir.join("skopeo");
    fs::create_dir(&cert_dir).unwrap();
    fs::copy(dir.join("ca.pem"), cert_dir.join("ca.crt")).unwrap();
    Certs {
        ca_crt: dir.join("ca.pem"),
        cert_dir,
        server_crt: dir.join("server.crt"),
        server_key: dir.join("server.key"),
    }
}

/// A bcrypt htpasswd file for USERNAME/PASSWORD.
fn make_htpasswd(dir: &Path) -> PathBuf {
    let line = run(
        dir,
        Command::new("htpasswd").args(["-Bbn", USERNAME, PASSWORD]),
    );
    let path = dir.join("htpasswd");
    fs::write(&path, line).unwrap();
    path
}

/// A content descriptor: media type, `sha256:…` digest, size.
struct Descriptor {
    media_type: &'static str,
    digest: String,
    size: usize,
}

/// Writes an OCI image layout at `dir` holding one fresh linux/amd64
/// image tagged `tag`; returns its manifest digest, `sha256:…`.
pub fn layout_image(dir: &Path, tag: &str) -> String {
    let layout = OciLayout::new();
    let manifest = layout.image("amd64");
    layout.set_ref(&manifest, tag);
    super::copy_tree(layout.dir.path(), dir);
    manifest.digest
}

/// OCI gzip-compressed tar layer media type.
pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// Writes an OCI image layout at `dir` holding one linux/amd64 image
/// tagged `tag` whose layers, bottom first, are `tars` (uncompressed tar
/// archives), each stored gzip-compressed as image builders store them;
/// returns its manifest digest, `sha256:…`.
pub fn layout_image_with_layers(dir: &Path, tag: &str, tars: &[Vec<u8>]) -> String {
    let layout = OciLayout::new();
    let (layers, diff_ids): (Vec<Descriptor>, Vec<String>) = tars
        .iter()
        .map(|tar| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(tar).unwrap();
            (
                layout.blob(OCI_LAYER_TAR_GZIP, &gz.finish().unwrap()),
                vouch_evidence::digest::sha256(tar).to_string(),
            )
        })
        .unzip();
    let manifest = layout.image_of("amd64", &layers, &diff_ids);
    layout.set_ref(&manifest, tag);
    super::copy_tree(layout.dir.path(), dir);
    manifest.digest
}

/// Floods the image `subject` (`sha256:…`) of the layout at `dir` with
/// `count` made-up Sigstore-bundle referrers: they are added to its
/// referrers fallback index (see [`add_fallback_entries`]) and never
/// stored, so that only a reader that caps the count before fetching
/// anything fails cleanly.
pub fn flood_referrers(dir: &Path, subject: &str, count: usize) {
    add_fallback_entries(
        dir,
        subject,
        (0..count).map(|i| {
            json!({
                "mediaType": OCI_MANIFEST,
                "digest": vouch_evidence::digest::sha256(format!("fake {i}").as_bytes()).to_string(),
                "size": 1000,
                "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            })
        }),
    );
}

/// Adds `entries` (descriptors) to the referrers fallback index of the
/// image `subject` (`sha256:…`) of the layout at `dir`: tag `sha256-<hex>`,
/// created if absent, its real entries kept; as a tag writer can.
pub fn add_fallback_entries(dir: &Path, subject: &str, entries: impl IntoIterator<Item = Value>) {
    let fallback_tag = subject.replace(':', "-");
    let index_path = dir.join("index.json");
    let mut tags: Value = serde_json::from_slice(&fs::read(&index_path).unwrap()).unwrap();
    let named = |d: &Value| d["annotations"]["org.opencontainers.image.ref.name"] == fallback_tag;
    let mut manifests: Vec<Value> = match tags["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| named(d))
    {
        Some(d) => {
            let hex = d["digest"]
                .as_str()
                .unwrap()
                .strip_prefix("sha256:")
                .unwrap();
            let old: Value =
                serde_json::from_slice(&fs::read(dir.join("blobs/sha256").join(hex)).unwrap())
                    .unwrap();
            old["manifests"].as_array().unwrap().clone()
        }
        None => Vec::new(),
    };
    manifests.extend(entries);
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    let bytes = serde_json::to_vec(&index).unwrap();
    let digest = vouch_evidence::digest::sha256(&bytes);
    fs::write(dir.join("blobs/sha256").join(digest.hex()), &bytes).unwrap();
    let entries = tags["manifests"].as_array_mut().unwrap();
    entries.retain(|d| !named(d));
    entries.push(json!({
        "mediaType": OCI_INDEX,
        "digest": digest.to_string(),
        "size": bytes.len(),
        "annotations": {"org.opencontainers.image.ref.name": fallback_tag},
    }));
    fs::write(&index_path, serde_json::to_vec(&tags).unwrap()).unwrap();
}

/// An OCI image layout in a tempdir, filled blob by blob.
struct OciLayout {
    dir: TempDir,
}

impl OciLayout {
    fn new() -> OciLayout {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
        OciLayout { dir }
    }

    /// Stores `bytes` as a blob.
    fn blob(&self, media_type: &'static str, bytes: &[u8]) -> Descriptor {
        let digest = vouch_evidence::digest::sha256(bytes);
        fs::write(
            self.dir.path().join("blobs/sha256").join(digest.hex()),
            bytes,
        )
        .unwrap();
        Descriptor {
            media_type,
            digest: digest.to_string(),
            size: bytes.len(),
        }
    }

    /// Stores a fresh linux/`arch` image (random one-file layer, config,
    /// manifest) and returns the manifest's descriptor.
    fn image(&self, arch: &str) -> Descriptor {
        let mut content = format!("vouch test layer for linux/{arch}\n").into_bytes();
        content.extend_from_slice(hex(&random_bytes(16)).as_bytes());
        content.push(b'\n');
        let layer = self.blob(OCI_LAYER_TAR, &tar_one_file("hello.txt", &content));
        let diff_id = layer.digest.clone();
        self.image_of(arch, &[layer], &[diff_id])
    }

    /// Stores a linux/`arch` image of the stored `layers` (whose
    /// uncompressed digests are `diff_ids`), bottom first: its config and
    /// manifest; returns the manifest's descriptor.
    fn image_of(&self, arch: &str, layers: &[Descriptor], diff_ids: &[String]) -> Descriptor {
        let config = json!({
            "architecture": arch,
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": diff_ids
                .iter()
                .map(|_| json!({"created_by": "vouch test harness"}))
                .collect::<Vec<_>>(),
        });
        let config = self.blob(OCI_CONFIG, &serde_json::to_vec(&config).unwrap());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor_json(&config),
            "layers": layers.iter().map(descriptor_json).collect::<Vec<_>>(),
        });
        self.blob(OCI_MANIFEST, &serde_json::to_vec(&manifest).unwrap())
    }

    /// Writes index.json naming `target` as `tag`.
    fn set_ref(&self, target: &Descriptor, tag: &str) {
        let mut entry = descriptor_json(target);
        entry["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
        let index = json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [entry],
        });
        fs::write(
            self.dir.path().join("index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
    }
}

fn descriptor_json(d: &Descriptor) -> Value {
    json!({"mediaType": d.media_type, "digest": d.digest, "size": d.size})
}

/// An uncompressed POSIX ustar archive holding one regular file.
fn tar_one_file(name: &str, content: &[u8]) -> Vec<u8> {
    assert!(name.len() < 100);
    let mut header = [0u8; 512];
    let mut field = |offset: usize, value: &[u8]| {
        header[offset..offset + value.len()].copy_from_slice(value);
    };
    field(0, name.as_bytes()); // name
    field(100, b"0000644\0"); // mode
    field(108, b"0000000\0"); // uid
    field(116, b"0000000\0"); // gid
    field(124, format!("{:011o}\0", content.len()).as_bytes()); // size
    field(136, b"00000000000\0"); // mtime
    field(148, b"        "); // checksum, as spaces while summing
    field(156, b"0"); // typeflag: regular file
    field(257, b"ustar\0"); // magic
    field(263, b"00"); // version
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());

    let mut tar = header.to_vec();
    tar.extend_from_slice(content);
    tar.resize(tar.len().div_ceil(512) * 512, 0);
    tar.extend_from_slice(&[0u8; 1024]); // end-of-archive: two zero blocks
    tar
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut bytes)
        .unwrap();
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
