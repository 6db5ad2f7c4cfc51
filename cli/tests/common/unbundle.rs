//! Helpers the unbundling tests share (cli/tests/unbundle.rs,
//! unbundle_e2e.rs, custody.rs, custody_copies.rs): Cargo, a crate
//! vendored as `cargo vendor` does, the real Debian flate2 project and its
//! .debs, and the oracles for a file's digest.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{assert_ok, root, tempdir};

/// The crates Debian provides for the flate2 project: crate, upstream
/// version, Debian package, its version.
pub const CRATES: [(&str, &str, &str, &str); 5] = [
    ("adler", "1.0.2", "librust-adler-dev", "1.0.2-2"),
    ("cfg-if", "1.0.0", "librust-cfg-if-dev", "1.0.0-1"),
    ("crc32fast", "1.3.2", "librust-crc32fast-dev", "1.3.2-2"),
    ("flate2", "1.0.25", "librust-flate2-dev", "1.0.25-1"),
    ("miniz_oxide", "0.6.2", "librust-miniz-oxide-dev", "0.6.2-1"),
];

/// Where Debian's Rust team installs each crate's source.
pub const REGISTRY: &str = "/usr/share/cargo/registry";

/// The .debs scripts/install-oracles.sh downloaded, Debian's
/// librust-flate2-dev's among them.
pub fn flate2_debs() -> PathBuf {
    let dir = root().join("target/oracles/debs");
    assert!(
        dir.join("librust-flate2-dev_1.0.25-1_amd64.deb").is_file(),
        "Debian's Rust crates are not installed with their .debs in {}: run \
         scripts/install-oracles.sh (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// Cargo, as the tests run it (`$CARGO`, else `cargo` on PATH).
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// The flate2 project of cli/tests/custody.rs, built once for every test
/// (read only): a small application depending on flate2 1.0.25, vendored
/// from crates.io by `cargo vendor`, then patched (`[patch.crates-io]`)
/// onto Debian's [`CRATES`] and built offline.
pub fn flate2_project() -> &'static Path {
    static PROJECT: OnceLock<tempfile::TempDir> = OnceLock::new();
    PROJECT
        .get_or_init(|| {
            flate2_debs();
            let dir = tempdir();
            let d = dir.path();
            fs::create_dir_all(d.join("src")).unwrap();
            fs::write(
                d.join("Cargo.toml"),
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nflate2 = \"=1.0.25\"\n\n[workspace]\n",
            )
            .unwrap();
            fs::write(
                d.join("src/main.rs"),
                "use std::io::Write;\n\nfn main() {\n    let mut gz = flate2::write::GzEncoder::new(\
                 Vec::new(), flate2::Compression::default());\n    gz.write_all(b\"vouch\").unwrap();\n    \
                 println!(\"{}\", gz.finish().unwrap().len());\n}\n",
            )
            .unwrap();
            let run = |cmd: &mut Command| {
                let out = cmd.current_dir(d).output().unwrap();
                assert_ok(&out);
                out
            };
            run(cargo().args(["generate-lockfile", "--quiet"]));
            run(cargo().args(["vendor", "--locked", "--quiet", "vendor"]));
            let mut config = String::from(
                "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n\
                 [source.vendored-sources]\ndirectory = \"vendor\"\n\n[patch.crates-io]\n",
            );
            for (name, version, _, _) in CRATES {
                config.push_str(&format!(
                    "{name} = {{ path = \"{REGISTRY}/{name}-{version}\" }}\n"
                ));
            }
            fs::create_dir_all(d.join(".cargo")).unwrap();
            fs::write(d.join(".cargo/config.toml"), config).unwrap();
            run(cargo().args(["update", "--offline", "--quiet"]));
            let lock = fs::read_to_string(d.join("Cargo.lock")).unwrap();
            for (name, version, _, _) in CRATES {
                let entry = lock
                    .split("\n\n")
                    .find(|e| e.starts_with(&format!("[[package]]\nname = \"{name}\"\n")))
                    .unwrap_or_else(|| panic!("{name} is not locked: {lock}"));
                assert!(
                    entry.contains(&format!("\nversion = \"{version}\"")) && !entry.contains("source"),
                    "{name} {version} is not locked onto Debian's crate: {entry}"
                );
            }
            // The patched project builds offline, and runs.
            run(cargo().args(["build", "--offline", "--quiet"]));
            let out = run(&mut Command::new(d.join("target/debug/app")));
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "25");
            dir
        })
        .path()
}

/// `sha256sum FILE`: the oracle of a file's SHA-256, in lowercase hex.
pub fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert_ok(&out);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Changes one byte of `path`.
pub fn flip_byte(path: &Path) {
    let mut bytes = fs::read(path).unwrap();
    bytes[0] ^= 0x20;
    fs::write(path, bytes).unwrap();
}

/// Lowercase hex SHA-256 of `bytes`.
fn sha256(bytes: &[u8]) -> String {
    vouch_evidence::digest::sha256(bytes).hex()
}

/// Vendors crate `name` `version` under `dir/vendor` as `cargo vendor`
/// does: its files and a `.cargo-checksum.json` listing each with its
/// SHA-256, and the package checksum the lock will carry.
pub fn vendor_crate(dir: &Path, name: &str, version: &str, extra: &str) {
    let krate = dir.join("vendor").join(name);
    fs::create_dir_all(krate.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n{extra}"
    );
    let lib = "pub fn answer() -> u32 {\n    1\n}\n";
    fs::write(krate.join("Cargo.toml"), &manifest).unwrap();
    fs::write(krate.join("src/lib.rs"), lib).unwrap();
    let checksum = serde_json::json!({
        "files": {"Cargo.toml": sha256(manifest.as_bytes()), "src/lib.rs": sha256(lib.as_bytes())},
        "package": sha256(format!("{name}-{version}.crate").as_bytes()),
    });
    fs::write(krate.join(".cargo-checksum.json"), checksum.to_string()).unwrap();
}
