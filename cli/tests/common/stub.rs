//! stub: only for what no installable registry does.
//!
//! Two tiny HTTP/1.1 servers on 127.0.0.1, std threads and sockets only:
//!
//! - [`ReferrersProxy`] puts the OCI 1.1 referrers API in front of a real
//!   Distribution 2.8 registry (which has none): every request is forwarded
//!   unchanged, except `GET /v2/<name>/referrers/<digest>`, answered from the
//!   manifests with a `subject` seen going through in `PUT` requests; and,
//!   on request, a tag that moves to another image once it has been read
//!   ([`ReferrersProxy::move_tag_after_first_read`]), and a tag whose
//!   writes are lost ([`ReferrersProxy::drop_tag_writes`]).
//! - [`FaultServer`] misbehaves in one fixed way: an error status, silence,
//!   a manifest that does not hash to its digest, a 10 GiB blob, a
//!   referrer that is not served; a 401 may name any challenge (a token
//!   service elsewhere), and every `Authorization` header it receives is
//!   kept, so that a test sees exactly which host got credentials.
//!
//! Both answer one request per connection (`Connection: close`), and close
//! a connection that opens with a TLS handshake, as a plain-HTTP server
//! would fail it, so that clients trying HTTPS first fall back to HTTP
//! (except [`Fault::Hang`], which answers nothing at all). Both stop when
//! dropped.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};
use vouch_evidence::digest::sha256;

/// The most bytes of request head (request line and headers) read.
const MAX_HEAD: usize = 64 * 1024;
/// The most bytes of request body read.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// How long a connection may stay silent before it is dropped.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// One parsed HTTP/1.1 request.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    /// The request target as sent (`/v2/...?query`).
    target: String,
    /// Header names and values, in order, names as sent.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// The target without its query.
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `METHOD /path`, for the request logs.
    fn summary(&self) -> String {
        format!("{} {}", self.method, self.path())
    }
}

fn bad_data(why: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.into())
}

/// Reads one request; `None` for a TLS handshake or a connection closed
/// before a request line.
fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let first = reader.fill_buf()?;
    if first.is_empty() || first[0] == 0x16 {
        return Ok(None); // EOF, or a TLS ClientHello
    }
    let mut head_bytes = 0;
    let mut line = String::new();
    let mut read_line = |reader: &mut BufReader<TcpStream>, line: &mut String| {
        line.clear();
        let n = reader.by_ref().take(8192).read_line(line)?;
        head_bytes += n;
        if head_bytes > MAX_HEAD {
            return Err(bad_data("request head too large"));
        }
        Ok::<_, io::Error>(line.trim_end_matches(['\r', '\n']).to_string())
    };
    let request_line = read_line(reader, &mut line)?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(bad_data(format!("bad request line {request_line:?}")));
    };
    let (method, target) = (method.to_string(), target.to_string());
    let mut headers = Vec::new();
    loop {
        let header = read_line(reader, &mut line)?;
        if header.is_empty() {
            break;
        }
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| bad_data(format!("bad header {header:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut request = Request {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    // reqwest sends whole bodies with a Content-Length: nothing else here.
    if request.header("transfer-encoding").is_some() {
        return Err(bad_data("Transfer-Encoding is not supported by this stub"));
    }
    if let Some(len) = request.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| bad_data(format!("bad Content-Length {len:?}")))?;
        if len > MAX_BODY {
            return Err(bad_data("request body too large"));
        }
        request.body.resize(len, 0);
        reader.read_exact(&mut request.body)?;
    }
    Ok(Some(request))
}

/// Writes a whole response and closes the connection.
fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
    head_only: bool,
) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    let has_length = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !has_length {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    if !head_only {
        bytes.extend_from_slice(body);
    }
    stream.write_all(&bytes)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

/// A listener on 127.0.0.1:0 whose accept loop runs `handle` on a thread
/// per connection until dropped.
struct Server {
    host: String,
    stop: Arc<AtomicBool>,
    accept_loop: Option<JoinHandle<()>>,
}

impl Server {
    fn start(handle: impl Fn(TcpStream, &AtomicBool) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let handle = Arc::new(handle);
        let stop_flag = stop.clone();
        let accept_loop = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
                let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                let (handle, stop) = (handle.clone(), stop_flag.clone());
                std::thread::spawn(move || handle(stream, &stop));
            }
        });
        Server {
            host,
            stop,
            accept_loop: Some(accept_loop),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so that the loop sees the flag.
        let _ = TcpStream::connect(&self.host);
        if let Some(accept_loop) = self.accept_loop.take() {
            let _ = accept_loop.join();
        }
    }
}

/// A manifest seen going through with a `subject`: where, and its
/// referrers-API descriptor.
struct Referrer {
    name: String,
    subject: String,
    descriptor: Value,
}

/// stub: only for what no installable registry does. A proxy that adds
/// the OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>`) to a
/// real registry; everything else is forwarded unchanged (Host included,
/// so the registry's upload `Location`s point back at the proxy), except
/// reads of a tag moved by [`ReferrersProxy::move_tag_after_first_read`] and
/// writes of a tag dropped by [`ReferrersProxy::drop_tag_writes`].
pub struct ReferrersProxy {
    /// `127.0.0.1:PORT`: use it in image references instead of the
    /// registry's host.
    pub host: String,
    requests: Arc<Mutex<Vec<String>>>,
    moving: Arc<Mutex<Option<MovingTag>>>,
    dropped: Arc<Mutex<Vec<String>>>,
    _server: Server,
}

/// stub: `<name>:<tag>`, which reads as `<name>:<other>` once it has been
/// read (`read`).
struct MovingTag {
    name: String,
    tag: String,
    other: String,
    read: bool,
}

impl ReferrersProxy {
    /// Starts a proxy in front of the plain-HTTP registry at `upstream`
    /// (`127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> ReferrersProxy {
        let upstream = upstream.to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let referrers: Arc<Mutex<Vec<Referrer>>> = Arc::new(Mutex::new(Vec::new()));
        let moving = Arc::new(Mutex::new(None));
        let dropped = Arc::new(Mutex::new(Vec::new()));
        let (log, moved, lost) = (requests.clone(), moving.clone(), dropped.clone());
        let server = Server::start(move |stream, _stop| {
            let _ = proxy_one(stream, &upstream, &log, &referrers, &moved, &lost);
        });
        ReferrersProxy {
            host: server.host.clone(),
            requests,
            moving,
            dropped,
            _server: server,
        }
    }

    /// stub: from now on, every `PUT /v2/<name>/manifests/<tag>` is
    /// answered 201 Created and not forwarded: the write is lost, as if
    /// another writer's always landed right after it.
    pub fn drop_tag_writes(&self, name: &str, tag: &str) {
        self.dropped
            .lock()
            .unwrap()
            .push(format!("/v2/{name}/manifests/{tag}"));
    }

    /// stub: from now on, the next `HEAD` or `GET
    /// /v2/<name>/manifests/<tag>` is forwarded as asked, and every later
    /// one as `/v2/<name>/manifests/<other>`: the tag points to another
    /// image on its second resolution, as if pushed over in between.
    pub fn move_tag_after_first_read(&self, name: &str, tag: &str, other: &str) {
        *self.moving.lock().unwrap() = Some(MovingTag {
            name: name.to_string(),
            tag: tag.to_string(),
            other: other.to_string(),
            read: false,
        });
    }

    /// Every request received so far, as `METHOD /path`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// `(name, digest)` of `/v2/<name>/referrers/<digest>`.
fn referrers_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/v2/")?;
    let (name, digest) = rest.rsplit_once("/referrers/")?;
    (!name.is_empty() && !digest.contains('/')).then_some((name, digest))
}

/// `name` of `/v2/<name>/manifests/<reference>`.
fn manifests_name(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v2/")?;
    let (name, reference) = rest.rsplit_once("/manifests/")?;
    (!name.is_empty() && !reference.contains('/')).then_some(name)
}

/// The target to forward `request` to: its own, or the moved tag's.
fn forwarded_target(request: &Request, moving: &Mutex<Option<MovingTag>>) -> String {
    let mut moving = moving.lock().unwrap();
    match moving.as_mut() {
        Some(m)
            if matches!(request.method.as_str(), "GET" | "HEAD")
                && request.path() == format!("/v2/{}/manifests/{}", m.name, m.tag) =>
        {
            if m.read {
                return format!("/v2/{}/manifests/{}", m.name, m.other);
            }
            m.read = true;
            request.target.clone()
        }
        _ => request.target.clone(),
    }
}

fn proxy_one(
    stream: TcpStream,
    upstream: &str,
    log: &Mutex<Vec<String>>,
    referrers: &Mutex<Vec<Referrer>>,
    moving: &Mutex<Option<MovingTag>>,
    dropped: &Mutex<Vec<String>>,
) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    let Some(request) = read_request(&mut reader)? else {
        return Ok(());
    };
    log.lock().unwrap().push(request.summary());

    if request.method == "PUT" && dropped.lock().unwrap().iter().any(|p| p == request.path()) {
        let digest = sha256(&request.body).to_string();
        return respond(
            &mut stream,
            201,
            &[("Docker-Content-Digest", digest)],
            b"",
            false,
        );
    }

    if request.method == "GET" {
        if let Some((name, subject)) = referrers_path(request.path()) {
            let manifests: Vec<Value> = referrers
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.name == name && r.subject == subject)
                .map(|r| r.descriptor.clone())
                .collect();
            let index = json!({
                "schemaVersion": 2,
                "mediaType": super::registry::OCI_INDEX,
                "manifests": manifests,
            });
            let body = serde_json::to_vec(&index).unwrap();
            let content_type = super::registry::OCI_INDEX.to_string();
            return respond(
                &mut stream,
                200,
                &[("Content-Type", content_type)],
                &body,
                false,
            );
        }
    }

    // Forward unchanged, but on a connection of its own that the registry
    // closes after answering: the answer is then everything until EOF.
    let target = forwarded_target(&request, moving);
    let mut out = format!("{} {target} HTTP/1.1\r\n", request.method);
    for (name, value) in &request.headers {
        if !name.eq_ignore_ascii_case("connection") {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut up = TcpStream::connect(upstream)?;
    up.set_read_timeout(Some(IO_TIMEOUT))?;
    up.write_all(out.as_bytes())?;
    up.write_all(&request.body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;

    let created = answer.starts_with(b"HTTP/1.1 201") || answer.starts_with(b"HTTP/1.0 201");
    if request.method == "PUT" && created {
        if let Some(name) = manifests_name(request.path()) {
            record_referrer(name, &request, referrers);
        }
    }
    stream.write_all(&answer)?;
    stream.flush()
}

/// Remembers a pushed manifest that names a subject.
fn record_referrer(name: &str, request: &Request, referrers: &Mutex<Vec<Referrer>>) {
    let Ok(manifest) = serde_json::from_slice::<Value>(&request.body) else {
        return;
    };
    let Some(subject) = manifest["subject"]["digest"].as_str() else {
        return;
    };
    let media_type = manifest["mediaType"]
        .as_str()
        .or(request.header("content-type"))
        .unwrap_or(super::registry::OCI_MANIFEST);
    let artifact_type = manifest["artifactType"]
        .as_str()
        .or(manifest["config"]["mediaType"].as_str());
    let digest = sha256(&request.body).to_string();
    let mut descriptor = json!({
        "mediaType": media_type,
        "digest": digest,
        "size": request.body.len(),
    });
    if let Some(artifact_type) = artifact_type {
        descriptor["artifactType"] = json!(artifact_type);
    }
    if let Some(annotations) = manifest.get("annotations").filter(|a| a.is_object()) {
        descriptor["annotations"] = annotations.clone();
    }
    let mut referrers = referrers.lock().unwrap();
    if !referrers
        .iter()
        .any(|r| r.name == name && r.descriptor["digest"] == descriptor["digest"])
    {
        referrers.push(Referrer {
            name: name.to_string(),
            subject: subject.to_string(),
            descriptor,
        });
    }
}

/// What a [`FaultServer`] does with every request. Except for
/// [`Fault::Hang`] and [`Fault::StatusEverywhere`], the API version check
/// (`GET /v2/`, which clients use to choose HTTPS or HTTP) is answered 200
/// like a healthy registry, so that the fault is met by the API requests
/// themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (401, 404, 429, 500, ...) and a distribution
    /// error body; 401 comes with a `Basic` challenge, 429 with
    /// `Retry-After`.
    Status(u16),
    /// [`Fault::Status`] for the version check `GET /v2/` too.
    StatusEverywhere(u16),
    /// Accept the connection and never answer (TLS handshakes included).
    Hang,
    /// Manifests (`HEAD`/`GET /v2/<name>/manifests/<ref>`) are served with
    /// `Docker-Content-Digest` of the digest asked for (for a tag: the
    /// digest of an honest manifest) but bytes that hash to another;
    /// everything else is 404.
    LyingManifest,
    /// A well-formed image (any tag) with one Sigstore-bundle referrer in
    /// its tag-schema fallback index; the referrer's bundle layer declares
    /// `layer_size` bytes, and every blob `GET` answers `Content-Length`
    /// [`HUGE`] (10 GiB). No referrers API, no legacy tags.
    HugeBlob {
        /// The size the referrer manifest declares for its layer.
        layer_size: u64,
    },
    /// As [`Fault::HugeBlob`] (with a layer of 1 KiB), but a `GET` of the
    /// referrer manifest is answered with this status (404: the entry
    /// points at nothing; 500: the registry fails to answer).
    ReferrerStatus(u16),
}

/// 10 GiB.
pub const HUGE: u64 = 10 * 1024 * 1024 * 1024;

/// The bundle media type (and artifact type) of Sigstore bundle v0.3.
const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// stub: only for what no installable registry does. A server that answers
/// every request with one fixed fault (see [`Fault`]).
pub struct FaultServer {
    /// `127.0.0.1:PORT`.
    pub host: String,
    requests: Arc<Mutex<Vec<String>>>,
    authorizations: Arc<Mutex<Vec<String>>>,
    _server: Server,
}

impl FaultServer {
    /// Starts a server with `fault`.
    pub fn start(fault: Fault) -> FaultServer {
        FaultServer::start_challenging(fault, "Basic realm=\"fault-stub\"")
    }

    /// Starts a server with `fault`, whose 401 answers carry `challenge`
    /// as their `WWW-Authenticate` (`Bearer realm="http://elsewhere/"`).
    pub fn start_challenging(fault: Fault, challenge: &str) -> FaultServer {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let (log, credentials) = (requests.clone(), authorizations.clone());
        let scenario = Arc::new(Scenario::new(fault, challenge));
        let server = Server::start(move |stream, stop| {
            let _ = fault_one(stream, &scenario, &log, &credentials, stop);
        });
        FaultServer {
            host: server.host.clone(),
            requests,
            authorizations,
            _server: server,
        }
    }

    /// Every request received so far, as `METHOD /path`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Every `Authorization` header received so far.
    pub fn authorizations(&self) -> Vec<String> {
        self.authorizations.lock().unwrap().clone()
    }
}

/// The documents a [`FaultServer`] serves, made once.
struct Scenario {
    fault: Fault,
    /// The `WWW-Authenticate` of a 401.
    challenge: String,
    /// The image manifest (honest bytes) and its digest.
    image: (Vec<u8>, String),
    /// [`Fault::LyingManifest`]: other bytes, served for the image digest.
    tampered: Vec<u8>,
    /// [`Fault::HugeBlob`]: the fallback index and the referrer manifest.
    index: (Vec<u8>, String),
    referrer: (Vec<u8>, String),
}

fn with_digest(bytes: Vec<u8>) -> (Vec<u8>, String) {
    let digest = sha256(&bytes).to_string();
    (bytes, digest)
}

impl Scenario {
    fn new(fault: Fault, challenge: &str) -> Scenario {
        let oci_manifest = super::registry::OCI_MANIFEST;
        let blob = |content: &[u8], media_type: &str| json!({"mediaType": media_type, "digest": sha256(content).to_string(), "size": content.len()});
        let image_doc = |layer: &[u8]| {
            json!({
                "schemaVersion": 2,
                "mediaType": oci_manifest,
                "config": blob(b"{\"os\":\"linux\"}", super::registry::OCI_CONFIG),
                "layers": [blob(layer, super::registry::OCI_LAYER_TAR)],
            })
        };
        let image = with_digest(serde_json::to_vec(&image_doc(b"honest layer")).unwrap());
        let tampered = serde_json::to_vec(&image_doc(b"tampered layer")).unwrap();
        let layer_size = match fault {
            Fault::HugeBlob { layer_size } => layer_size,
            Fault::ReferrerStatus(_) => 1024,
            _ => 0,
        };
        let referrer = with_digest(
            serde_json::to_vec(&json!({
                "schemaVersion": 2,
                "mediaType": oci_manifest,
                "artifactType": BUNDLE_V03,
                "config": blob(b"{}", "application/vnd.oci.empty.v1+json"),
                "layers": [{
                    "mediaType": BUNDLE_V03,
                    "digest": sha256(b"a bundle that is never served").to_string(),
                    "size": layer_size,
                }],
                "subject": {"mediaType": oci_manifest, "digest": image.1, "size": image.0.len()},
            }))
            .unwrap(),
        );
        let index = with_digest(
            serde_json::to_vec(&json!({
                "schemaVersion": 2,
                "mediaType": super::registry::OCI_INDEX,
                "manifests": [{
                    "mediaType": oci_manifest,
                    "digest": referrer.1,
                    "size": referrer.0.len(),
                    "artifactType": BUNDLE_V03,
                }],
            }))
            .unwrap(),
        );
        Scenario {
            fault,
            challenge: challenge.to_string(),
            image,
            tampered,
            index,
            referrer,
        }
    }

    /// The fallback tag of the image.
    fn fallback_tag(&self) -> String {
        self.image.1.replace(':', "-")
    }
}

fn error_body(code: &str, message: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"errors": [{"code": code, "message": message}]})).unwrap()
}

fn not_found(stream: &mut TcpStream, head: bool) -> io::Result<()> {
    let body = error_body("MANIFEST_UNKNOWN", "manifest unknown (stub)");
    let json = ("Content-Type", "application/json".to_string());
    respond(stream, 404, &[json], &body, head)
}

fn fault_one(
    stream: TcpStream,
    scenario: &Scenario,
    log: &Mutex<Vec<String>>,
    credentials: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) -> io::Result<()> {
    let mut stream = stream;
    if scenario.fault == Fault::Hang {
        // Read what comes (a TLS hello or a request), never answer.
        log.lock().unwrap().push("(connection)".into());
        stream.set_read_timeout(Some(Duration::from_millis(100)))?;
        let mut buf = [0u8; 4096];
        while !stop.load(Ordering::SeqCst) {
            match stream.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        return Ok(());
    }

    let mut reader = BufReader::new(stream.try_clone()?);
    let Some(request) = read_request(&mut reader)? else {
        return Ok(());
    };
    log.lock().unwrap().push(request.summary());
    if let Some(authorization) = request.header("authorization") {
        credentials.lock().unwrap().push(authorization.to_string());
    }
    let head = request.method == "HEAD";
    let json = ("Content-Type", "application/json".to_string());

    let ping = matches!(request.path(), "/v2/" | "/v2");
    if ping && !matches!(scenario.fault, Fault::StatusEverywhere(_)) {
        let headers = [
            ("Content-Type", "application/json".to_string()),
            (
                "Docker-Distribution-Api-Version",
                "registry/2.0".to_string(),
            ),
        ];
        return respond(&mut stream, 200, &headers, b"{}", head);
    }

    match scenario.fault {
        Fault::Hang => Ok(()),
        Fault::Status(status) | Fault::StatusEverywhere(status) => {
            let (code, message) = match status {
                401 => ("UNAUTHORIZED", "authentication required (stub)"),
                403 => ("DENIED", "internal admin page (stub), secret=hunter2"),
                404 => (
                    "NAME_UNKNOWN",
                    "repository name not known to registry (stub)",
                ),
                429 => ("TOOMANYREQUESTS", "too many requests, slow down (stub)"),
                500 => ("UNKNOWN", "the stub broke on purpose"),
                _ => ("UNKNOWN", "stub error"),
            };
            let mut headers = vec![json];
            if status == 401 {
                headers.push(("WWW-Authenticate", scenario.challenge.clone()));
            }
            if status == 429 {
                headers.push(("Retry-After", "3600".into()));
            }
            respond(
                &mut stream,
                status,
                &headers,
                &error_body(code, message),
                head,
            )
        }
        Fault::LyingManifest => {
            let Some(reference) = manifest_reference(request.path()) else {
                return not_found(&mut stream, head);
            };
            // A tag resolves to the honest digest; a digest is claimed as
            // asked. Either way the bytes are the tampered ones.
            let claimed = if reference.starts_with("sha256:") {
                reference.to_string()
            } else {
                scenario.image.1.clone()
            };
            let headers = [
                ("Content-Type", super::registry::OCI_MANIFEST.to_string()),
                ("Docker-Content-Digest", claimed),
            ];
            respond(&mut stream, 200, &headers, &scenario.tampered, head)
        }
        Fault::ReferrerStatus(status)
            if manifest_reference(request.path()) == Some(scenario.referrer.1.as_str()) =>
        {
            let body = error_body("UNKNOWN", "the referrer is not served (stub)");
            respond(&mut stream, status, &[json], &body, head)
        }
        Fault::HugeBlob { .. } | Fault::ReferrerStatus(_) => {
            let path = request.path();
            if path.contains("/blobs/") && request.method == "GET" {
                return huge_blob(&mut stream);
            }
            let Some(reference) = manifest_reference(path) else {
                return not_found(&mut stream, head); // referrers API, uploads, ...
            };
            let (bytes, digest, media_type) =
                if reference == scenario.fallback_tag() || reference == scenario.index.1 {
                    (
                        &scenario.index.0,
                        &scenario.index.1,
                        super::registry::OCI_INDEX,
                    )
                } else if reference == scenario.referrer.1 {
                    let (b, d) = &scenario.referrer;
                    (b, d, super::registry::OCI_MANIFEST)
                } else if reference == scenario.image.1 || !reference.starts_with("sha256") {
                    let (b, d) = &scenario.image;
                    (b, d, super::registry::OCI_MANIFEST)
                } else {
                    return not_found(&mut stream, head); // .sig, .att, unknown digests
                };
            let headers = [
                ("Content-Type", media_type.to_string()),
                ("Docker-Content-Digest", digest.clone()),
            ];
            respond(&mut stream, 200, &headers, bytes, head)
        }
    }
}

/// The reference of `/v2/<name>/manifests/<reference>`.
fn manifest_reference(path: &str) -> Option<&str> {
    manifests_name(path)?;
    path.rsplit_once("/manifests/").map(|(_, r)| r)
}

/// Declares 10 GiB, sends a little, then closes.
fn huge_blob(stream: &mut TcpStream) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {HUGE}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    let zeros = vec![0u8; 64 * 1024];
    for _ in 0..16 {
        stream.write_all(&zeros)?; // fails once the client hangs up: fine
    }
    Ok(())
}

/// stub: only for what no installable kube-apiserver does here. The API
/// discovery documents of a Kubernetes apiserver (`/api`, `/apis`, and one
/// resource list per group version), for the kinds of deploy/ only: real
/// `kubectl apply --dry-run=client` needs them to map each manifest's kind
/// to a resource, and refuses a kind it does not find. Every other path
/// (each object's `GET`, `/version`, `/openapi/...`) is a 404 `Status`, so
/// kubectl takes every object as new and prints it.
pub struct KubeDiscovery {
    /// `http://127.0.0.1:PORT`, for `kubectl --server`.
    pub server: String,
    requests: Arc<Mutex<Vec<String>>>,
    _server: Server,
}

impl KubeDiscovery {
    /// Starts the discovery server.
    pub fn start() -> KubeDiscovery {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let server = Server::start(move |stream, _stop| {
            let _ = discovery_one(stream, &log);
        });
        KubeDiscovery {
            server: format!("http://{}", server.host),
            requests,
            _server: server,
        }
    }

    /// Every request received so far, as `METHOD /path`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A resource served: `(plural, Kind, namespaced)`.
type KubeResource = (&'static str, &'static str, bool);

/// The group versions served, each with its resources.
const KUBE_RESOURCES: &[(&str, &[KubeResource])] = &[
    (
        "v1",
        &[
            ("namespaces", "Namespace", false),
            ("serviceaccounts", "ServiceAccount", true),
            ("configmaps", "ConfigMap", true),
            ("secrets", "Secret", true),
            ("services", "Service", true),
            ("pods", "Pod", true),
            ("replicationcontrollers", "ReplicationController", true),
        ],
    ),
    (
        "apps/v1",
        &[
            ("deployments", "Deployment", true),
            ("replicasets", "ReplicaSet", true),
            ("statefulsets", "StatefulSet", true),
            ("daemonsets", "DaemonSet", true),
        ],
    ),
    (
        "batch/v1",
        &[("jobs", "Job", true), ("cronjobs", "CronJob", true)],
    ),
    (
        "policy/v1",
        &[("poddisruptionbudgets", "PodDisruptionBudget", true)],
    ),
    (
        "admissionregistration.k8s.io/v1",
        &[
            (
                "validatingwebhookconfigurations",
                "ValidatingWebhookConfiguration",
                false,
            ),
            (
                "mutatingwebhookconfigurations",
                "MutatingWebhookConfiguration",
                false,
            ),
        ],
    ),
];

/// The discovery document at `path`, if it is one.
fn discovery_document(path: &str) -> Option<Value> {
    if path == "/api" {
        return Some(json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
        }));
    }
    if path == "/apis" {
        let groups: Vec<Value> = KUBE_RESOURCES
            .iter()
            .filter_map(|(gv, _)| gv.split_once('/'))
            .map(|(group, version)| {
                let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
                json!({"name": group, "versions": [gv], "preferredVersion": gv})
            })
            .collect();
        return Some(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}));
    }
    let gv = path
        .strip_prefix("/api/")
        .or_else(|| path.strip_prefix("/apis/"))?;
    let (_, resources) = KUBE_RESOURCES.iter().find(|(name, _)| *name == gv)?;
    let resources: Vec<Value> = resources
        .iter()
        .map(|(plural, kind, namespaced)| {
            json!({
                "name": plural,
                "singularName": kind.to_ascii_lowercase(),
                "namespaced": namespaced,
                "kind": kind,
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            })
        })
        .collect();
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

fn discovery_one(stream: TcpStream, log: &Mutex<Vec<String>>) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    let Some(request) = read_request(&mut reader)? else {
        return Ok(());
    };
    log.lock().unwrap().push(request.summary());
    let head = request.method == "HEAD";
    let json_type = [("Content-Type", "application/json".to_string())];
    match discovery_document(request.path()) {
        Some(doc) if matches!(request.method.as_str(), "GET" | "HEAD") => respond(
            &mut stream,
            200,
            &json_type,
            doc.to_string().as_bytes(),
            head,
        ),
        _ => {
            let status = json!({
                "kind": "Status", "apiVersion": "v1", "status": "Failure",
                "reason": "NotFound", "code": 404,
                "message": format!("{} not found", request.path()),
            });
            respond(
                &mut stream,
                404,
                &json_type,
                status.to_string().as_bytes(),
                head,
            )
        }
    }
}
