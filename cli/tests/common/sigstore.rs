//! A local Sigstore stack for the keyless tests: a test OIDC issuer (with
//! GitHub Actions' ID token endpoint), Fulcio, Rekor v1, Rekor v2 and an
//! RFC 3161 TSA on ephemeral loopback ports, run by
//! tests/sigstore-stack/stack.mjs (Node, on @sigstore/mock; the fixes that
//! make real clients and verifiers accept it are in docs/decisions.md).
//!
//! [`Stack::start`] spawns it and waits until it has written its trust
//! files: `trusted_root.json`, the signing configs (Rekor v1 or v2), and
//! sigstore-python's `--trust-config` files. Tokens are minted on demand
//! ([`Stack::token`], [`Stack::mint`]); [`Options::fault`] starts a service
//! down, failing or hanging. The child is killed when the value is dropped.
//! Every key is generated at start: TEST ONLY, nothing is kept.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::{oracles, root};

/// How long the stack may take to write its files and say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A service of the stack, as named by `--fault` and in `ready.json`.
#[derive(Clone, Copy, Debug)]
pub enum Service {
    /// The test OIDC issuer (discovery document and keys).
    Oidc,
    /// Fulcio (`POST /api/v2/signingCert`).
    Fulcio,
    /// Rekor v1 (`POST /api/v1/log/entries`).
    Rekor,
    /// Rekor v2 (`POST /api/v2/log/entries`).
    Rekor2,
    /// The RFC 3161 timestamp authority (`POST /api/v1/timestamp`).
    Tsa,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Oidc => "oidc",
            Service::Fulcio => "fulcio",
            Service::Rekor => "rekor",
            Service::Rekor2 => "rekor2",
            Service::Tsa => "tsa",
        }
    }
}

/// How a faulty service misbehaves.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Nothing listens on its port: connections are refused.
    Down,
    /// Every request is answered with HTTP 500.
    Error500,
    /// Requests are read and never answered: the caller's timeout fires.
    Hang,
}

/// How to start the stack.
#[derive(Clone, Debug, Default)]
pub struct Options {
    faults: Vec<(Service, Fault)>,
}

impl Options {
    /// Starts `service` with `fault` (the others behave).
    pub fn fault(mut self, service: Service, fault: Fault) -> Options {
        self.faults.push((service, fault));
        self
    }
}

/// A running stack.
pub struct Stack {
    child: Child,
    // Held open: the stack exits when its stdin closes.
    _stdin: Option<ChildStdin>,
    ready: Value,
    log: PathBuf,
    // Removed after Drop has killed the child.
    dir: TempDir,
}

impl Stack {
    /// Spawns the stack with `options` and waits until it is ready.
    pub fn start(options: Options) -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("stack.log");
        let mut cmd = Command::new("node");
        cmd.arg(root().join("tests/sigstore-stack/stack.mjs"))
            .arg("--out")
            .arg(dir.path().join("out"))
            .env("VOUCH_ORACLES_NPM", oracles().join("npm"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).unwrap());
        for (service, fault) in &options.faults {
            let mode = match fault {
                Fault::Down => "down",
                Fault::Error500 => "500",
                Fault::Hang => "hang",
            };
            cmd.arg("--fault").arg(format!("{}={mode}", service.name()));
        }
        let mut child = cmd
            .spawn()
            .expect("node runs tests/sigstore-stack/stack.mjs");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(READY_TIMEOUT).unwrap_or_default();
        let Some(path) = line.trim().strip_prefix("ready ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the Sigstore stack did not start (said {line:?}): {}",
                fs::read_to_string(&log).unwrap_or_default()
            );
        };
        let ready = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        Stack {
            child,
            _stdin: stdin,
            ready,
            log,
            dir,
        }
    }

    /// A value of `ready.json` (see the head of stack.mjs), as a string.
    pub fn ready(&self, key: &str) -> String {
        self.ready[key].as_str().unwrap().to_string()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join("out").join(name)
    }

    /// `trusted_root.json`: the Fulcio CA, the CT log, both Rekor logs and
    /// the TSA chain.
    pub fn trusted_root(&self) -> PathBuf {
        self.file("trusted_root.json")
    }

    /// The v0.2 signing config naming Fulcio, the OIDC issuer, the TSA and
    /// Rekor v1 alone.
    pub fn signing_config(&self) -> PathBuf {
        self.file("signing_config.json")
    }

    /// The same signing config naming Rekor v2 alone.
    pub fn signing_config_v2(&self) -> PathBuf {
        self.file("signing_config_v2.json")
    }

    /// sigstore-python's `--trust-config` (ClientTrustConfig): the trusted
    /// root and [`Stack::signing_config`], or with `v2` the Rekor v2 one.
    pub fn client_trust_config(&self, v2: bool) -> PathBuf {
        self.file(if v2 {
            "client_trust_config_v2.json"
        } else {
            "client_trust_config.json"
        })
    }

    /// The base URL of `service`.
    pub fn url(&self, service: Service) -> String {
        self.ready(match service {
            Service::Oidc => "oidcIssuer",
            other => other.name(),
        })
    }

    /// The test OIDC issuer (`iss` of [`Stack::token`]'s tokens, and the
    /// issuer Fulcio writes into their certificates).
    pub fn oidc_issuer(&self) -> String {
        self.ready("oidcIssuer")
    }

    /// An identity token for `email` (also its `sub`), audience `sigstore`,
    /// valid five minutes: Fulcio issues a certificate naming the email.
    pub fn token(&self, email: &str) -> String {
        self.mint(&format!("email={email}"))
    }

    /// A token from the control server's `/token?QUERY`: `email=E` or
    /// `sub=URI`, and for negative tests `expired=1`, `issuer=untrusted`,
    /// `key=foreign`, `aud=A`, `ttl=N`, `email_verified=false`.
    pub fn mint(&self, query: &str) -> String {
        let (status, body) = http(
            "GET",
            &format!("{}/token?{query}", self.ready("control")),
            &[],
            b"",
        )
        .unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        String::from_utf8(body).unwrap()
    }

    /// The environment of a GitHub Actions job allowed an ID token
    /// (`permissions: id-token: write`): a client asks
    /// `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore` with
    /// `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub fn github_env(&self) -> [(String, String); 3] {
        let gh = &self.ready["github"];
        let var = |k: &str| (k.to_string(), gh[k].as_str().unwrap().to_string());
        [
            ("GITHUB_ACTIONS".to_string(), "true".to_string()),
            var("ACTIONS_ID_TOKEN_REQUEST_URL"),
            var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ]
    }

    /// The issuer of the GitHub Actions tokens.
    pub fn github_issuer(&self) -> String {
        self.ready("githubIssuer")
    }

    /// The identity (URI SAN) Fulcio gives a GitHub Actions token: the
    /// workflow `https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main`.
    pub fn github_identity(&self) -> String {
        self.ready["github"]["identity"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// What the stack wrote on stderr: one line per refused request.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 request to a loopback `url` (`http://127.0.0.1:PORT/...`)
/// with a 10 s read timeout: the status and body, or the I/O error
/// (connection refused, timed out).
pub fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    http_with_timeout(method, url, headers, body, Duration::from_secs(10))
}

/// [`http`] with another read timeout.
pub fn http_with_timeout(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<(u16, Vec<u8>)> {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(timeout))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP header"))?;
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
    Ok((status, response[split + 4..].to_vec()))
}
