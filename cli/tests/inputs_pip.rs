//! `vouch inputs` on a real pip wheelhouse: wheels downloaded from PyPI by
//! pip, a requirements.txt with their hashes as pip-compile writes it, and
//! pip itself (`install --require-hashes --dry-run`) as the oracle for
//! what matches.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{assert_fails_with, assert_ok, pip_download, run_vouch, tempdir, venv_bin};

/// Downloads the wheels of `packages` (no dependencies) into `dest` with
/// the oracle venv's pip, from PyPI alone.
fn download(dest: &Path, packages: &[&str]) {
    pip_download(dest, "--only-binary=:all:", packages);
}

/// The SHA-256 hex of a file.
fn sha256(path: &Path) -> String {
    vouch_evidence::digest::sha256(&fs::read(path).unwrap()).hex()
}

/// Whether pip, in hash-checking mode with only the wheelhouse as index,
/// accepts the requirements of `dir`.
fn pip_accepts(dir: &Path) -> bool {
    let out = venv_bin("pip")
        .current_dir(dir)
        .env_remove("PIP_FIND_LINKS")
        .args([
            "install",
            "--dry-run",
            "--ignore-installed",
            "--no-deps",
            "--no-index",
            "--find-links",
            "wheelhouse",
            "--require-hashes",
            "-r",
            "requirements.txt",
        ])
        .output()
        .unwrap();
    out.status.success()
}

fn inputs_json(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    common::inputs_json(dir)
        .into_iter()
        .map(|i| (i["name"].as_str().unwrap().to_string(), i))
        .collect()
}

const SIX: &str = "six-1.16.0-py2.py3-none-any.whl";

#[test]
fn real_wheels_match_their_hashes_until_one_is_swapped() {
    let dir = tempdir();
    let d = dir.path();
    let wheelhouse = d.join("wheelhouse");
    download(
        &wheelhouse,
        &[
            "six==1.16.0",
            "idna==3.7",
            "packaging==24.1",
            "typing_extensions==4.12.2",
        ],
    );
    let wheels: BTreeMap<&str, &str> = [
        ("six", SIX),
        ("idna", "idna-3.7-py3-none-any.whl"),
        ("packaging", "packaging-24.1-py3-none-any.whl"),
        (
            "typing-extensions",
            "typing_extensions-4.12.2-py3-none-any.whl",
        ),
    ]
    .into();
    let hash: BTreeMap<&str, String> = wheels
        .iter()
        .map(|(name, file)| (*name, sha256(&wheelhouse.join(file))))
        .collect();
    // As pip-compile --generate-hashes writes it, with a second hash (for
    // some other platform's file), a comment, extras, a marker, and names
    // spelled as people spell them.
    let other = "0".repeat(64);
    let requirements = format!(
        "#\n# pip-compile --generate-hashes requirements.in\n#\n\
         idna==3.7 \\\n    --hash=sha256:{other} \\\n    --hash=sha256:{idna}\n    # via requests\n\
         packaging[extra]==24.1 ; python_version >= \"3.8\" \\\n    --hash=sha256:{packaging}\n\
         SIX==1.16.0 --hash=sha256:{six}  # pinned by hand\n\
         Typing.Extensions==4.12.2 \\\n    --hash=sha256:{typing}\n",
        idna = hash["idna"],
        packaging = hash["packaging"],
        six = hash["six"],
        typing = hash["typing-extensions"],
    );
    fs::write(d.join("requirements.txt"), &requirements).unwrap();
    assert!(
        pip_accepts(d),
        "pip refuses the requirements:\n{requirements}"
    );

    let inputs = inputs_json(d);
    assert_eq!(
        inputs.keys().collect::<Vec<_>>(),
        wheels.keys().collect::<Vec<_>>()
    );
    for (name, input) in &inputs {
        let version = input["version"].as_str().unwrap();
        assert_eq!(input["match"]["status"], "match", "{input}");
        assert_eq!(input["ecosystem"], "pip");
        assert_eq!(input["purl"], format!("pkg:pypi/{name}@{version}").as_str());
        assert_eq!(
            input["uri"],
            format!("https://pypi.org/project/{name}/{version}/").as_str()
        );
        let observed = format!("sha256:{}", hash[name.as_str()]);
        assert_eq!(input["observed"], observed.as_str(), "{input}");
        assert!(
            input["declared"]
                .as_str()
                .unwrap()
                .split(',')
                .any(|h| h == observed),
            "{input}"
        );
        assert_eq!(
            input["path"],
            format!("wheelhouse/{}", wheels[name.as_str()]).as_str()
        );
    }
    assert_eq!(
        inputs["idna"]["declared"],
        format!("sha256:{other},sha256:{}", hash["idna"]).as_str()
    );
    // Licences from each wheel's METADATA: six and typing_extensions have
    // one license classifier that names the licence; idna's only says
    // "BSD License" (which BSD?) and packaging has two (AND or OR?), so
    // they have none rather than a guess.
    assert_eq!(inputs["six"]["license"], "MIT");
    assert_eq!(inputs["typing-extensions"]["license"], "PSF-2.0");
    assert!(inputs["idna"]["license"].is_null(), "{}", inputs["idna"]);
    assert!(
        inputs["packaging"]["license"].is_null(),
        "{}",
        inputs["packaging"]
    );
    assert!(inputs.values().all(|i| i["dependencies"].is_null()));
    assert_ok(&run_vouch(d, "inputs ."));

    // Another version's real wheel under six 1.16.0's file name: pip
    // refuses it, and so does vouch, naming the package and the file.
    let old = tempdir();
    download(old.path(), &["six==1.15.0"]);
    fs::copy(wheelhouse.join(SIX), old.path().join(SIX)).unwrap();
    let swapped = old.path().join("six-1.15.0-py2.py3-none-any.whl");
    fs::copy(&swapped, wheelhouse.join(SIX)).unwrap();
    assert!(!pip_accepts(d), "pip accepts a swapped wheel");
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        &format!(
            "six 1.16.0 (pip): wheelhouse/{SIX} has sha256 {}",
            sha256(&swapped)
        ),
    );
    let after = inputs_json(d);
    let flagged: Vec<&String> = after
        .iter()
        .filter(|(_, i)| i["match"]["status"] == "mismatch")
        .map(|(name, _)| name)
        .collect();
    assert_eq!(flagged, ["six"]);
    assert_eq!(
        after["six"]["observed"],
        format!("sha256:{}", sha256(&swapped)).as_str()
    );

    // Restored, with an unhashed pin, an unpinned requirement and a hashed
    // pin that is not in the wheelhouse: the first two are findings, the
    // third is fetched (and checked by pip) at build time.
    // Files no requirement names are not inputs.
    fs::copy(&swapped, wheelhouse.join("six-1.15.0-py2.py3-none-any.whl")).unwrap();
    fs::copy(old.path().join(SIX), wheelhouse.join(SIX)).unwrap();
    fs::write(
        d.join("requirements.txt"),
        format!(
            "{requirements}certifi==2024.7.4\nrequests>=2.31 ; python_version >= \"3.8\"\n\
             attrs==24.2.0 --hash=sha256:{other}\n"
        ),
    )
    .unwrap();
    let out = run_vouch(d, "inputs .");
    assert_fails_with(
        &out,
        "certifi 2024.7.4 (pip): not hashed: requirements.txt:13",
    );
    assert_fails_with(&out, "requests >=2.31 (pip): not pinned");
    let last = inputs_json(d);
    assert_eq!(last["six"]["match"]["status"], "match", "{}", last["six"]);
    assert_eq!(last["attrs"]["match"]["status"], "not-vendored");
    assert_eq!(last["certifi"]["match"]["status"], "mismatch");
    assert_eq!(last["requests"]["purl"], "pkg:pypi/requests");
}

#[test]
fn licences_come_from_a_license_expression_and_a_real_sdist() {
    let dir = tempdir();
    let d = dir.path();
    let wheelhouse = d.join("wheelhouse");
    // typing_extensions 4.13.2 declares `License-Expression: PSF-2.0`
    // (PEP 639) and no license classifier; six's sdist has a PKG-INFO.
    download(&wheelhouse, &["typing_extensions==4.13.2"]);
    pip_download(&wheelhouse, "--no-binary=:all:", &["six==1.16.0"]);
    let wheel = wheelhouse.join("typing_extensions-4.13.2-py3-none-any.whl");
    let sdist = wheelhouse.join("six-1.16.0.tar.gz");
    let requirements = |six: &str| {
        format!(
            "typing-extensions==4.13.2 --hash=sha256:{}\nsix==1.16.0 --hash=sha256:{six}\n",
            sha256(&wheel)
        )
    };
    fs::write(d.join("requirements.txt"), requirements(&sha256(&sdist))).unwrap();
    let inputs = inputs_json(d);
    for input in inputs.values() {
        assert_eq!(input["match"]["status"], "match", "{input}");
    }
    assert_eq!(inputs["typing-extensions"]["license"], "PSF-2.0");
    assert_eq!(inputs["six"]["license"], "MIT");
    assert_eq!(inputs["six"]["path"], "wheelhouse/six-1.16.0.tar.gz");

    // The licence is read from the file itself: an sdist that is not a
    // tar.gz (here, the wheel's bytes) has none, even with its hash declared.
    fs::copy(&wheel, &sdist).unwrap();
    fs::write(d.join("requirements.txt"), requirements(&sha256(&sdist))).unwrap();
    let inputs = inputs_json(d);
    assert_eq!(inputs["six"]["match"]["status"], "match");
    assert!(inputs["six"]["license"].is_null(), "{}", inputs["six"]);
    assert_eq!(inputs["typing-extensions"]["license"], "PSF-2.0");
}

#[test]
fn find_links_names_the_wheelhouse_and_may_not_leave_the_tree() {
    let dir = tempdir();
    let d = dir.path();
    fs::create_dir_all(d.join("vendor/wheels")).unwrap();
    fs::write(
        d.join("vendor/wheels/demo-1.0-py3-none-any.whl"),
        b"a wheel",
    )
    .unwrap();
    let hash = vouch_evidence::digest::sha256(b"a wheel").hex();
    fs::write(
        d.join("requirements.txt"),
        format!("--find-links vendor/wheels\ndemo==1.0 --hash=sha256:{hash}\n"),
    )
    .unwrap();
    let inputs = inputs_json(d);
    assert_eq!(inputs["demo"]["match"]["status"], "match");
    assert_eq!(
        inputs["demo"]["path"],
        "vendor/wheels/demo-1.0-py3-none-any.whl"
    );

    fs::write(d.join("requirements.txt"), "-f ../elsewhere\ndemo==1.0\n").unwrap();
    assert_fails_with(&run_vouch(d, "inputs ."), "contains `..`");
    fs::write(d.join("requirements.txt"), "demo==1.0 --hash=md5:0123\n").unwrap();
    assert_fails_with(&run_vouch(d, "inputs ."), "invalid requirements file");
}
