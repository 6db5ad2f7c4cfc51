//! `vouch inputs` on real Poetry, uv and Pipenv projects: small projects
//! locked and installed at test time by the real tools (pinned in
//! tests/oracles/requirements.txt) into an in-project `.venv`, with a
//! wheelhouse of the locked wheels from PyPI; then a changed byte in an
//! installed module and a wheel swapped for another version's, each
//! caught and named.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_fails_with, assert_ok, oracles, pip_download, run_vouch, tempdir, venv_bin};

/// The locked set: a package with a dependency (python-dateutil on six)
/// and two without, each pure Python with one universal wheel.
const PACKAGES: [(&str, &str, &str); 3] = [
    ("idna", "3.7", "idna-3.7-py3-none-any.whl"),
    (
        "python-dateutil",
        "2.9.0.post0",
        "python_dateutil-2.9.0.post0-py2.py3-none-any.whl",
    ),
    ("six", "1.16.0", "six-1.16.0-py2.py3-none-any.whl"),
];

/// The interpreter every tool builds its `.venv` from: the oracle venv's
/// (CPython 3.11, the machine's own).
fn python() -> PathBuf {
    oracles().join("venv/bin/python")
}

/// A command running the oracle venv's `tool` in `dir`, with every cache,
/// config and data directory under `state` (so nothing of the machine's
/// own is read or written), PyPI as the only index, and no prompt.
fn tool(name: &str, dir: &Path, state: &Path) -> Command {
    let mut cmd = venv_bin(name);
    cmd.current_dir(dir)
        .env("HOME", state.join("home"))
        .env("XDG_CACHE_HOME", state.join("cache"))
        .env("XDG_CONFIG_HOME", state.join("config"))
        .env("XDG_DATA_HOME", state.join("data"))
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_CACHE_DIR", state.join("pip"))
        .env("PIP_NO_INPUT", "1")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("VIRTUALENV_OVERRIDE_APP_DATA", state.join("virtualenv"))
        .env("VIRTUALENV_NO_PERIODIC_UPDATE", "1")
        .env("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
        // uv
        .env("UV_CACHE_DIR", state.join("uv"))
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_NO_CONFIG", "1")
        .env("UV_NO_PROGRESS", "1")
        // Poetry
        .env("POETRY_CACHE_DIR", state.join("poetry-cache"))
        .env("POETRY_CONFIG_DIR", state.join("poetry-config"))
        .env("POETRY_DATA_DIR", state.join("poetry-data"))
        .env("POETRY_VIRTUALENVS_IN_PROJECT", "true")
        .env("POETRY_NO_INTERACTION", "1")
        // Pipenv
        .env("PIPENV_VENV_IN_PROJECT", "1")
        .env("PIPENV_CACHE_DIR", state.join("pipenv"))
        .env("WORKON_HOME", state.join("workon"))
        .env("PIPENV_NOSPIN", "1")
        .env("PIPENV_YES", "1")
        .env("PIPENV_IGNORE_VIRTUALENVS", "1")
        .env("PIPENV_VERBOSITY", "-1")
        .env_remove("VIRTUAL_ENV")
        .env_remove("PIPENV_ACTIVE")
        .env_remove("PIP_FIND_LINKS")
        .env_remove("PIP_INDEX_URL");
    cmd
}

/// Runs `cmd`, which must succeed.
fn run(cmd: &mut Command) {
    assert_ok(&cmd.output().unwrap());
}

/// `[project]` of a pyproject.toml asking for [`PACKAGES`].
fn pyproject(extra: &str) -> String {
    format!(
        "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11\"\n\
         dependencies = [\"six==1.16.0\", \"idna==3.7\", \"python-dateutil==2.9.0.post0\"]\n{extra}"
    )
}

/// The `site-packages` of the project's `.venv` (root-relative).
fn site_packages(dir: &Path) -> String {
    let lib = dir.join(".venv/lib");
    let python = fs::read_dir(&lib)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("python3"))
        .unwrap_or_else(|| panic!("no python3.* in {}", lib.display()));
    format!(".venv/lib/{python}/site-packages")
}

/// Downloads the locked wheels into `dir/wheelhouse` with the oracle pip.
fn wheelhouse(dir: &Path) {
    let pins: Vec<String> = PACKAGES
        .iter()
        .map(|(name, version, _)| format!("{name}=={version}"))
        .collect();
    let pins: Vec<&str> = pins.iter().map(String::as_str).collect();
    pip_download(&dir.join("wheelhouse"), "--only-binary=:all:", &pins);
}

fn sha256(path: &Path) -> String {
    vouch_evidence::digest::sha256(&fs::read(path).unwrap()).hex()
}

fn inputs_json(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    common::inputs_json(dir)
        .into_iter()
        .map(|i| (i["name"].as_str().unwrap().to_string(), i))
        .collect()
}

/// Checks the listing of a project installed by `lockfile`'s tool: every
/// locked package (and nothing else: not the project, not pip or
/// setuptools in the venv), each matched against its installed RECORD and
/// its wheel, declared with the lock's hashes; then the two tamperings.
fn listed_matched_then_tampered(dir: &Path, lockfile: &str, graph: bool) {
    let site = site_packages(dir);
    let inputs = inputs_json(dir);
    let names: Vec<&str> = PACKAGES.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(inputs.keys().collect::<Vec<_>>(), names, "{inputs:#?}");
    let lock = fs::read_to_string(dir.join(lockfile)).unwrap();
    for (name, version, wheel) in PACKAGES {
        let input = &inputs[name];
        assert_eq!(input["match"]["status"], "match", "{input:#}");
        assert_eq!(input["ecosystem"], "pip");
        assert_eq!(input["purl"], format!("pkg:pypi/{name}@{version}").as_str());
        assert_eq!(
            input["uri"],
            format!("https://pypi.org/project/{name}/{version}/").as_str()
        );
        // Declared: the lock's hashes, which hold the wheel's.
        let declared = input["declared"].as_str().unwrap();
        let wheel_hash = sha256(&dir.join("wheelhouse").join(wheel));
        assert!(
            declared
                .split(',')
                .any(|h| h == format!("sha256:{wheel_hash}")),
            "{input:#}"
        );
        for hash in declared.split(',') {
            let hex = hash.strip_prefix("sha256:").unwrap();
            assert!(lock.contains(hex), "{hex} is not in {lockfile}");
        }
        // Observed: the installed RECORD and the wheel.
        let dist = format!("{}-{version}.dist-info", name.replace('-', "_"));
        let record = format!("{site}/{dist}/RECORD");
        assert_eq!(
            input["path"],
            format!("{record},wheelhouse/{wheel}").as_str(),
            "{input:#}"
        );
        let mut observed = [
            format!("sha256:{}", sha256(&dir.join(&record))),
            format!("sha256:{wheel_hash}"),
        ];
        observed.sort();
        assert_eq!(input["observed"], observed.join(",").as_str(), "{input:#}");
    }
    if graph {
        assert_eq!(
            inputs["python-dateutil"]["dependencies"],
            serde_json::json!(["pkg:pypi/six@1.16.0"])
        );
    }
    assert_eq!(inputs["six"]["license"], "MIT");
    assert_ok(&run_vouch(dir, "inputs ."));

    // A changed byte in an installed module: caught, the file named.
    let module = dir.join(&site).join("six.py");
    let original = fs::read(&module).unwrap();
    let mut changed = original.clone();
    let at = changed.len() / 2;
    changed[at] ^= 0x20;
    fs::write(&module, &changed).unwrap();
    let out = run_vouch(dir, "inputs .");
    assert_fails_with(
        &out,
        &format!(
            "six 1.16.0 (pip): {site}/six.py has sha256 {}, not the",
            vouch_evidence::digest::sha256(&changed).hex()
        ),
    );
    let after = inputs_json(dir);
    let flagged: Vec<&String> = after
        .iter()
        .filter(|(_, i)| i["match"]["status"] == "mismatch")
        .map(|(n, _)| n)
        .collect();
    assert_eq!(flagged, ["six"]);
    fs::write(&module, &original).unwrap();
    assert_ok(&run_vouch(dir, "inputs ."));

    // Another version's real wheel under six 1.16.0's name in the
    // wheelhouse: caught, the file named.
    let old = tempdir();
    pip_download(old.path(), "--only-binary=:all:", &["six==1.15.0"]);
    let wheel = dir.join("wheelhouse/six-1.16.0-py2.py3-none-any.whl");
    let kept = fs::read(&wheel).unwrap();
    let swapped = old.path().join("six-1.15.0-py2.py3-none-any.whl");
    fs::copy(&swapped, &wheel).unwrap();
    assert_fails_with(
        &run_vouch(dir, "inputs ."),
        &format!(
            "six 1.16.0 (pip): wheelhouse/six-1.16.0-py2.py3-none-any.whl has sha256 {}, not one of the",
            sha256(&swapped)
        ),
    );
    fs::write(&wheel, kept).unwrap();
    assert_ok(&run_vouch(dir, "inputs ."));

    // A .pth file dropped into the environment (Python runs it at every
    // start): no RECORD lists it, and every input says so.
    let pth = dir.join(&site).join("zz-evil.pth");
    fs::write(&pth, "import os\n").unwrap();
    assert_fails_with(
        &run_vouch(dir, "inputs ."),
        &format!("six 1.16.0 (pip): {site} holds files no installed distribution's RECORD lists: zz-evil.pth"),
    );
    fs::remove_file(&pth).unwrap();
    assert_ok(&run_vouch(dir, "inputs ."));
}

/// A uv project locked (`uv lock`), synced into `.venv` (`uv sync`) and
/// given a wheelhouse, in `dir`.
pub fn uv_project(dir: &Path, state: &Path) {
    fs::write(dir.join("pyproject.toml"), pyproject("")).unwrap();
    run(tool("uv", dir, state).args(["lock", "--quiet"]));
    run(tool("uv", dir, state)
        .args(["sync", "--quiet", "--python"])
        .arg(python()));
    wheelhouse(dir);
}

#[test]
fn a_real_uv_project_is_listed_matched_and_tampering_is_caught() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    fs::create_dir_all(&dir).unwrap();
    uv_project(&dir, &tmp.path().join("state"));
    let lock = fs::read_to_string(dir.join("uv.lock")).unwrap();
    assert!(lock.contains("source = { virtual = \".\" }"), "{lock}");
    listed_matched_then_tampered(&dir, "uv.lock", true);
}

#[test]
fn a_real_poetry_project_is_listed_matched_and_tampering_is_caught() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    let state = tmp.path().join("state");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("pyproject.toml"),
        pyproject("\n[tool.poetry]\npackage-mode = false\n"),
    )
    .unwrap();
    run(tool("poetry", &dir, &state)
        .args(["env", "use"])
        .arg(python()));
    run(tool("poetry", &dir, &state).args(["lock"]));
    run(tool("poetry", &dir, &state).args(["install"]));
    wheelhouse(&dir);
    let lock = fs::read_to_string(dir.join("poetry.lock")).unwrap();
    assert!(lock.contains("lock-version = \"2."), "{lock}");
    // Poetry's venv has pip too: installed, not locked, so not an input.
    assert!(fs::read_dir(dir.join(site_packages(&dir)))
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().starts_with("pip-")));
    listed_matched_then_tampered(&dir, "poetry.lock", true);
}

#[test]
fn a_real_pipenv_project_is_listed_matched_and_a_changed_pipfile_is_caught() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    let state = tmp.path().join("state");
    fs::create_dir_all(&dir).unwrap();
    let pipfile =
        "[[source]]\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\nname = \"pypi\"\n\n\
                   [packages]\nsix = \"==1.16.0\"\npython-dateutil = \"==2.9.0.post0\"\n\n\
                   [dev-packages]\nidna = \"==3.7\"\n";
    fs::write(dir.join("Pipfile"), pipfile).unwrap();
    run(tool("pipenv", &dir, &state)
        .args(["install", "--dev", "--python"])
        .arg(python()));
    wheelhouse(&dir);
    let lock: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("Pipfile.lock")).unwrap()).unwrap();
    assert!(lock["develop"]["idna"]["hashes"].is_array(), "{lock:#}");
    let inputs = inputs_json(&dir);
    assert_eq!(inputs["idna"]["categories"], serde_json::json!(["develop"]));
    assert_eq!(inputs["six"]["categories"], serde_json::json!(["default"]));
    listed_matched_then_tampered(&dir, "Pipfile.lock", false);

    // The Pipfile edited after locking: every input says so.
    fs::write(
        dir.join("Pipfile"),
        pipfile.replace("idna = \"==3.7\"", "idna = \"==3.8\""),
    )
    .unwrap();
    assert_fails_with(
        &run_vouch(&dir, "inputs ."),
        "six 1.16.0 (pip): Pipfile.lock is out of date: its _meta.hash.sha256",
    );
}

#[test]
fn regression_issue_18_a_second_lockfile_does_not_hide_a_tampered_tree() {
    // A uv project with a requirements.txt exported beside its uv.lock
    // (as `uv export` writes it, hashes and all): each lockfile is checked
    // on its own, so the tampered file is a finding of both.
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    let state = tmp.path().join("state");
    fs::create_dir_all(&dir).unwrap();
    uv_project(&dir, &state);
    let out = tool("uv", &dir, &state)
        .args(["export", "--quiet", "--no-emit-project", "--frozen"])
        .output()
        .unwrap();
    assert_ok(&out);
    fs::write(dir.join("requirements.txt"), &out.stdout).unwrap();
    let inputs = common::inputs_json(&dir);
    // Each package twice: once from uv.lock (wheel and venv), once from
    // requirements.txt (its wheel).
    assert_eq!(inputs.len(), 2 * PACKAGES.len(), "{inputs:#?}");
    assert!(inputs.iter().all(|i| i["match"]["status"] == "match"));
    let wheel = dir.join("wheelhouse/idna-3.7-py3-none-any.whl");
    let mut bytes = fs::read(&wheel).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&wheel, &bytes).unwrap();
    let site = site_packages(&dir);
    let module = dir.join(&site).join("six.py");
    let mut text = fs::read(&module).unwrap();
    text.push(b'\n');
    fs::write(&module, &text).unwrap();
    let inputs = common::inputs_json(&dir);
    let flagged: Vec<(&str, &str)> = inputs
        .iter()
        .filter(|i| i["match"]["status"] == "mismatch")
        .map(|i| {
            (
                i["name"].as_str().unwrap(),
                i["match"]["reason"].as_str().unwrap(),
            )
        })
        .collect();
    // idna's wheel is a finding of both lockfiles; six's module of uv.lock
    // (requirements.txt does not know the venv).
    assert_eq!(flagged.len(), 3, "{flagged:#?}");
    assert_eq!(
        flagged.iter().filter(|(n, _)| *n == "idna").count(),
        2,
        "{flagged:#?}"
    );
    assert!(flagged
        .iter()
        .any(|(n, r)| *n == "six" && r.contains(&format!("{site}/six.py has sha256"))));
}

#[test]
fn a_uv_projects_sbom_validates_in_both_formats_with_its_graph() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    fs::create_dir_all(&dir).unwrap();
    uv_project(&dir, &tmp.path().join("state"));
    let (_d, cdx, spdx) = common::sboms(dir.to_str().unwrap());
    let bom = common::read_json(&cdx);
    let purls: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:pypi/idna@3.7",
            "pkg:pypi/python-dateutil@2.9.0.post0",
            "pkg:pypi/six@1.16.0"
        ]
    );
    let dateutil = bom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == "pkg:pypi/python-dateutil@2.9.0.post0")
        .unwrap();
    assert_eq!(
        dateutil["dependsOn"],
        serde_json::json!(["pkg:pypi/six@1.16.0"])
    );
    let spdx = common::read_json(&spdx);
    assert!(spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "six" && p["versionInfo"] == "1.16.0"));
}

#[test]
fn unbundle_names_debians_package_for_a_uv_project_and_write_leaves_it_untouched() {
    // python3-six (Debian 12's 1.16.0) is installed by
    // scripts/install-oracles.sh; the plan is read from this machine's apt
    // lists, verified against Debian's keyring.
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    fs::create_dir_all(&dir).unwrap();
    uv_project(&dir, &tmp.path().join("state"));
    let unbundle = |extra: &[&str]| {
        common::vouch()
            .arg("unbundle")
            .arg(&dir)
            .args(["--distro", "debian", "--all", "--ecosystem", "pip"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = unbundle(&["--output", "json"]);
    assert_ok(&out);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), PACKAGES.len(), "{plan:#}");
    let six = steps.iter().find(|s| s["name"] == "six").unwrap();
    assert_eq!(six["package"], "python3-six", "{six:#}");
    assert_eq!(six["action"], "keep", "{six:#}");
    assert!(
        six["reason"]
            .as_str()
            .unwrap()
            .ends_with("so no swap is written"),
        "{six:#}"
    );
    assert!(steps.iter().all(|s| s["action"] == "keep"), "{plan:#}");
    // --write swaps nothing, and writes nothing: the lock, the project and
    // the environment keep their bytes.
    let snapshot = || {
        let site = site_packages(&dir);
        [
            "uv.lock",
            "pyproject.toml",
            &format!("{site}/six-1.16.0.dist-info/RECORD"),
        ]
        .map(|f| fs::read(dir.join(f)).unwrap())
    };
    let before = snapshot();
    let out = unbundle(&["--write"]);
    assert_ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("0 input(s) swapped"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(before, snapshot());
    assert_ok(&run_vouch(&dir, "inputs ."));
}

#[test]
fn a_uv_projects_in_toto_links_carry_each_packages_record_and_wheel() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    fs::create_dir_all(&dir).unwrap();
    uv_project(&dir, &tmp.path().join("state"));
    let (key, _) = common::keygen(tmp.path(), "functionary");
    let key = vouch_evidence::keys::PrivateKey::from_pkcs8_pem(&fs::read_to_string(key).unwrap())
        .unwrap();
    let root = vouch_attest::Root::new(&dir).unwrap();
    let inputs = vouch_attest::discover(&root).unwrap();
    let links = vouch_attest::links::links(&root, &inputs, &key).unwrap();
    assert_eq!(links.len(), PACKAGES.len());
    let site = site_packages(&dir);
    let (_, six) = links
        .iter()
        .find(|(name, _)| name.starts_with("vendor-six."))
        .unwrap();
    let envelope: serde_json::Value = serde_json::from_slice(six).unwrap();
    // The payload is the link itself (`_type: link`).
    let link = common::statement_of(&serde_json::json!({ "dsseEnvelope": envelope }));
    let products: Vec<&String> = link["products"].as_object().unwrap().keys().collect();
    assert_eq!(
        products,
        [
            &format!("{site}/six-1.16.0.dist-info/RECORD"),
            &"wheelhouse/six-1.16.0-py2.py3-none-any.whl".to_string()
        ]
    );
}
