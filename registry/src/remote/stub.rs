//! stub: hostile registries on loopback for the tests of the remote
//! backend (what no installable registry does: 401 challenges naming other
//! hosts, redirects to plain HTTP, scripted error statuses and bodies).

use std::sync::{Arc, Mutex};

use vouch_evidence::digest::Sha256;

use super::{Credentials, RemoteOptions};

/// One answer of a [`stub`]: a status, headers, a body.
#[derive(Clone)]
pub(super) struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

pub(super) fn answer(status: u16, body: &str) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body: body.to_string(),
    }
}

impl Answer {
    pub(super) fn with(mut self, name: &'static str, value: impl Into<String>) -> Answer {
        self.headers.push((name, value.into()));
        self
    }
}

/// One request a [`stub`] received: over TLS or not, `METHOD /target`,
/// and its `Authorization` header.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) tls: bool,
    pub(super) request: String,
    pub(super) authorization: Option<String>,
}

/// What a [`stub`] received, in order.
pub(super) type Log = Arc<Mutex<Vec<Seen>>>;

/// The `Authorization` headers in `log`.
pub(super) fn authorizations(log: &Log) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .filter_map(|s| s.authorization.clone())
        .collect()
}

/// stub: a registry (or token service, or upload host) on loopback that
/// gives `answers` in turn, one a connection, and logs each request.
/// With `tls` (a certificate and its key, PEM) it speaks HTTPS and plain
/// HTTP on the one port; without, it closes TLS handshakes, as a plain
/// server would fail them.
pub(super) fn stub(answers: Vec<Answer>, tls: Option<(String, String)>) -> (String, Log) {
    let (listener, host) = listen();
    (host, serve(listener, answers, tls))
}

/// A loopback listener and its `host:port`, for a [`stub`] whose
/// answers name its own host.
pub(super) fn listen() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    (listener, host)
}

/// [`stub`] on `listener`.
pub(super) fn serve(
    listener: std::net::TcpListener,
    answers: Vec<Answer>,
    tls: Option<(String, String)>,
) -> Log {
    use tokio_rustls::rustls;
    let log: Log = Arc::default();
    let seen = log.clone();
    let config = tls.map(|(cert, key)| {
        use rustls::pki_types::pem::PemObject;
        let certs =
            vec![rustls::pki_types::CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()];
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        Arc::new(config)
    });
    std::thread::spawn(move || {
        let mut answers = answers.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut first = [0u8; 1];
            if stream.peek(&mut first).map_or(true, |n| n == 0) {
                continue;
            }
            let handshake = first[0] == 0x16;
            let served = match (&config, handshake) {
                (None, true) => continue,
                (Some(config), true) => {
                    let connection = rustls::ServerConnection::new(config.clone()).unwrap();
                    let mut tls = rustls::StreamOwned::new(connection, stream);
                    serve_one(&mut tls, true, &mut answers, &seen)
                }
                (_, false) => serve_one(&mut stream, false, &mut answers, &seen),
            };
            if !served {
                break;
            }
        }
    });
    log
}

/// Reads one request from `stream` and writes the next answer; false
/// once there is none left.
fn serve_one(
    stream: &mut (impl std::io::Read + std::io::Write),
    tls: bool,
    answers: &mut impl Iterator<Item = Answer>,
    log: &Log,
) -> bool {
    use std::io::{BufRead, BufReader, Read};
    let mut reader = BufReader::new(&mut *stream);
    let (mut line, mut length, mut authorization) = (String::new(), 0, None);
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return true; // a failed handshake, or a probe that hung up
    }
    let request = line.split(' ').take(2).collect::<Vec<_>>().join(" ");
    line.clear();
    while reader.read_line(&mut line).unwrap_or(0) > 2 {
        let lower = line.to_ascii_lowercase();
        if let Some(n) = lower.strip_prefix("content-length:") {
            length = n.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("authorization:") {
            authorization = Some(line["authorization:".len()..].trim().to_string());
        }
        line.clear();
    }
    // The request body is read, so closing does not reset the
    // connection under the answer.
    let _ = reader.by_ref().take(length).read_to_end(&mut Vec::new());
    drop(reader);
    log.lock().unwrap().push(Seen {
        tls,
        request,
        authorization,
    });
    let Some(answer) = answers.next() else {
        return false;
    };
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let _ = write!(stream, "{head}\r\n{}", answer.body);
    let _ = stream.flush();
    true
}

/// A plain-HTTP [`stub`] that gives `answers` (a status and a body).
pub(super) fn scripted(answers: Vec<(u16, &'static str)>) -> String {
    stub(
        answers.into_iter().map(|(s, b)| answer(s, b)).collect(),
        None,
    )
    .0
}

/// [`scripted`] answering `n` requests with `status`.
pub(super) fn answering(status: u16, n: usize) -> String {
    scripted(vec![(status, "{}"); n])
}

/// `op:s3cret`, the credentials bound to the registry under test.
pub(super) const BASIC: &str = "Basic b3A6czNjcmV0";

/// Options with `op:s3cret` bound to `host` only.
pub(super) fn bound_to(host: &str) -> RemoteOptions {
    let credentials = Credentials {
        username: "op".into(),
        password: "s3cret".into(),
    };
    RemoteOptions {
        credentials: [(host.to_string(), credentials)].into(),
        ..RemoteOptions::default()
    }
}

pub(super) fn blob_digest() -> Sha256 {
    crate::oci::Descriptor::of("x", b"x").digest
}

/// A certificate for 127.0.0.1 and its key (PEM): the stub's and,
/// as the extra CA, the client's trust anchor.
pub(super) fn loopback_certificate() -> (String, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}
