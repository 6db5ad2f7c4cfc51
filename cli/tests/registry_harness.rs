//! The registry test harness itself (tests/common/registry.rs): a real
//! Distribution registry, plain and secure, takes the images and indexes
//! pushed by skopeo with the digests computed here, serves them back, and
//! the secure one refuses anonymous clients.

use crate::common;

use common::registry::Registry;

/// `skopeo inspect --raw` of `HOST/REPO<suffix>` succeeds and returns
/// bytes whose sha256 is `digest`.
fn assert_served(registry: &Registry, repo: &str, suffix: &str, digest: &str) {
    let out = registry.inspect_raw(repo, suffix, true);
    assert!(
        out.status.success(),
        "skopeo inspect {repo}{suffix}: {}\nregistry log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        registry.log()
    );
    let got = vouch_evidence::digest::sha256(&out.stdout).to_string();
    assert_eq!(got, digest, "{repo}{suffix}");
}

/// Pushes an image and an index and reads them back, by tag and by digest.
fn round_trip(registry: &Registry) {
    let digest = registry.push_image("vouch/image", "v1");
    assert!(digest.starts_with("sha256:") && digest.len() == 71);
    assert_served(registry, "vouch/image", ":v1", &digest);
    assert_served(registry, "vouch/image", &format!("@{digest}"), &digest);

    let (index, platforms) = registry.push_index("vouch/multi", "v1");
    assert_eq!(platforms.len(), 2);
    assert_served(registry, "vouch/multi", ":v1", &index);
    let raw = registry.inspect_raw("vouch/multi", ":v1", true).stdout;
    let parsed: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(parsed["mediaType"], common::registry::OCI_INDEX);
    for platform in &platforms {
        assert_served(registry, "vouch/multi", &format!("@{platform}"), platform);
    }
    assert_eq!(
        registry.reference("vouch/multi", "v1"),
        format!("{}/vouch/multi:v1", registry.host)
    );
}

#[test]
fn plain_registry_round_trip() {
    let registry = Registry::plain();
    assert!(!registry.tls && registry.ca_pem.is_none());
    round_trip(&registry);
}

#[test]
fn secure_registry_round_trip() {
    let registry = Registry::secure();
    assert!(registry.tls && registry.ca_pem.as_ref().unwrap().is_file());
    round_trip(&registry);
}

#[test]
fn secure_registry_refuses_anonymous_clients() {
    let registry = Registry::secure();
    let digest = registry.push_image("vouch/private", "v1");
    let out = registry.inspect_raw("vouch/private", &format!("@{digest}"), false);
    let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(!out.status.success(), "anonymous inspect succeeded");
    assert!(
        stderr.contains("unauthorized") || stderr.contains("401"),
        "expected a 401, got: {stderr}"
    );
}

#[test]
fn plain_registry_is_dropped_cleanly() {
    let registry = Registry::plain();
    let host = registry.host.clone();
    drop(registry);
    assert!(
        std::net::TcpStream::connect(&host).is_err(),
        "{host} still up"
    );
}
