//! A local AWS KMS: moto's server (tests/oracles/moto_kms.py, from the
//! oracle venv) on a free loopback port, killed on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running KMS emulator.
pub struct Kms {
    child: Child,
    /// Its `http://127.0.0.1:PORT` endpoint.
    pub endpoint: String,
}

impl Kms {
    /// moto with the launcher's `MessageType=DIGEST` fix (as AWS signs).
    pub fn start() -> Kms {
        Kms::start_with(&[])
    }

    /// moto as released: it hashes a DIGEST message again.
    pub fn start_unpatched() -> Kms {
        Kms::start_with(&["--no-digest-fix"])
    }

    fn start_with(args: &[&str]) -> Kms {
        let python = super::oracles().join("venv/bin/python");
        let mut child = Command::new(python)
            .arg(super::root().join("tests/oracles/moto_kms.py"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .strip_prefix("listening ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("moto did not start: {line:?}"));
        Kms {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// `cmd` talking to this KMS: test credentials and region, the
    /// endpoint, and nothing of the machine's AWS setup ([`no_aws`]).
    pub fn apply<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        no_aws(cmd)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL_KMS", &self.endpoint)
    }

    /// Creates a key of `spec` and `usage` with `alias` through boto3
    /// (the emulator's own client), as another tool would.
    pub fn create_key(&self, spec: &str, usage: &str, alias: &str) {
        let script = format!(
            "import boto3\n\
             kms = boto3.client('kms', region_name='us-east-1', endpoint_url='{}')\n\
             k = kms.create_key(KeySpec='{spec}', KeyUsage='{usage}')['KeyMetadata']['KeyId']\n\
             kms.create_alias(AliasName='{alias}', TargetKeyId=k)\n",
            self.endpoint
        );
        let mut cmd = Command::new(super::oracles().join("venv/bin/python"));
        let out = self.apply(cmd.args(["-c", &script])).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `cmd` with no AWS setup at all: no credentials, profile or endpoint
/// from the environment, the shared files pointed at nothing, instance
/// metadata off (a test never reaches for it), region us-east-1.
pub fn no_aws(cmd: &mut Command) -> &mut Command {
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_KMS",
        "AWS_DEFAULT_REGION",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
}

impl Drop for Kms {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
