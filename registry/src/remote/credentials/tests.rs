use super::*;
use crate::remote::stub::*;
use crate::remote::RemoteStore;
use crate::Store;

#[test]
fn reads_docker_config_credentials() {
    let config = br#"{"auths":{"127.0.0.1:5000":{"auth":"dm91Y2g6czNjcmV0"},"https://index.docker.io/v1/":{"username":"u","password":"p"}}}"#;
    let c = credentials_from_config(config, "127.0.0.1:5000")
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.username.as_str(), c.password.as_str()),
        ("vouch", "s3cret")
    );
    let hub = credentials_from_config(config, "docker.io")
        .unwrap()
        .unwrap();
    assert_eq!(hub.username, "u");
    assert!(credentials_from_config(config, "ghcr.io")
        .unwrap()
        .is_none());
    let err = credentials_from_config(br#"{"auths":{"h":{"auth":"!!"}}}"#, "h").unwrap_err();
    assert!(err.contains("not base64"), "{err}");
}

#[tokio::test]
async fn regression_issue_9_a_registry_gets_only_its_own_credentials() {
    let (other, other_log) = stub(
        vec![
            answer(200, "{}"),
            answer(401, "{}").with("WWW-Authenticate", r#"Basic realm="other""#),
        ],
        None,
    );
    let (mine, _) = stub(vec![], None);
    let store = RemoteStore::new(&other, bound_to(&mine)).unwrap();
    let err = store
        .fetch_blob("app", &blob_digest(), 10)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no credentials given"), "{err}");
    assert!(authorizations(&other_log).is_empty());
    // The same host under another spelling is the same registry.
    let (port, _) = stub(vec![], None);
    let port = port.rsplit_once(':').unwrap().1;
    let options = bound_to(&format!("LOCALHOST:{port}"));
    let store = RemoteStore::new(&format!("localhost:{port}"), options).unwrap();
    assert_eq!(store.credentials.as_ref().unwrap().username, "op");
}
