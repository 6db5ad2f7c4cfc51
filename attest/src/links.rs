//! Classic in-toto links, one per vendored input, and the layout that
//! checks them with the in-toto reference implementation's `in-toto-verify`.
//!
//! ## Links
//!
//! [`links`] writes one DSSE-wrapped link (`_type: link`, payloadType
//! `application/vnd.in-toto+json`) per input that has a `path`:
//! - its step name is `vendor-<name>`. The name keeps ASCII letters,
//!   digits, `.`, `_` and `-`; every other run of characters becomes one `-`,
//!   trimmed at the ends (`@types/node` is `vendor-types-node`). When two
//!   vendored inputs would share a step name (two versions of one crate),
//!   each of them is `vendor-<name>-<version>`; when that still clashes (the
//!   same name and version from two ecosystems), `vendor-<ecosystem>-<name>-<version>`.
//!   Two inputs of one ecosystem, name and version cannot be told apart, and
//!   are refused.
//! - its products are the input's files with their SHA-256, by path
//!   relative to the project root: every file under a vendored directory
//!   (an input observed as a `dirHash`), as [`crate::tree::files`] lists
//!   them; or the vendored file itself (observed as `sha256`; pip's several
//!   files of one requirement are its `path` split on `,`). Its materials,
//!   command, byproducts and environment are empty: vendoring is a state of
//!   the tree, not a command vouch ran.
//! - it is signed by the functionary's key, with the signature's `keyid`
//!   the key's securesystemslib id (see [`vouch_evidence::layout`]), and
//!   named `<step>.<keyid[:8]>.link`, where in-toto-verify looks for it.
//!
//! ## The layout
//!
//! [`layout`] writes a layout, signed by the owner's key and DSSE-wrapped
//! too (in-toto 3.1 reads DSSE layouts), with:
//! - one step per link, authorising only the functionary's key, threshold 1:
//!   materials `DISALLOW *`; products `ALLOW <path>/*` (or `ALLOW <file>`
//!   per vendored file) then `DISALLOW *`, so a link may only speak for
//!   files under its own input's path;
//! - one inspection, `check-vendored`, running `true`. in-toto-verify runs
//!   an inspection in its working directory and records every file there
//!   (less its default exclusions `*.link*`, `.git`, `*.pyc`, `*~`) as the
//!   inspection's materials and products, so in-toto-verify must run from
//!   the project root. Its material rules, in order:
//!   1. per input, `MATCH * IN <path> WITH PRODUCTS IN <path> FROM
//!      vendor-<input>` (for a file, `MATCH <file> WITH PRODUCTS FROM
//!      vendor-<input>`): consumes each file whose path and SHA-256 are in
//!      the input's link;
//!   2. per input, `DISALLOW <path>/*` (or `DISALLOW <file>`): whatever is
//!      left under a vendored path was changed or added since the links
//!      were made, and fails verification, naming the file;
//!   3. `ALLOW *`: every other file is the project's own (its sources,
//!      lockfiles, the layout itself when it lies there). The project's own
//!      files are not inputs; this layout does not vouch for them (the
//!      provenance records the source revision), so they are let through,
//!      and they are recognised by lying outside every vendored path
//!      rather than by a list of names that would go stale;
//!   4. `DISALLOW *`, the conventional end of a rule list (nothing is left
//!      for it once step 3 ran).
//!
//!   Its product rules are `MATCH * WITH MATERIALS FROM check-vendored` and
//!   `DISALLOW *`: running `true` changed nothing.
//!
//! Literal paths in patterns go through
//! [`glob_escape`](vouch_evidence::layout::glob_escape); `IN` prefixes are
//! literal already.
//!
//! ## What the layout does not catch
//!
//! - A vendored file *deleted* after the links were made. in-toto can only
//!   require files one by one (`REQUIRE <file>`), and in-toto-verify copies
//!   its whole artifact queue after every rule, so a rule per vendored file
//!   is quadratic in the size of the tree. `vouch inputs` catches a deletion:
//!   the input's directory hash changes.
//! - Files in-toto excludes by default (`*.pyc`, `*~`, `.git`, `*.link*`)
//!   under a vendored path: they are in the links, but in-toto-verify does
//!   not record them, so it cannot see them change.
//!
//! The inspection leaves `check-vendored.link` in the working directory,
//! as every in-toto-verify inspection does.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path};

use vouch_evidence::keys::{PublicKey, Signer};
use vouch_evidence::layout::{
    glob_escape, sign_envelope, Artifacts, Inspection, InspectionType, KeyDict, Layout, LayoutType,
    Rule, Step, StepType,
};
use vouch_evidence::link::Link;

use crate::tree::{join_inside, Root};
use crate::{Error, Input, Result};

/// The prefix of every step name.
pub const STEP_PREFIX: &str = "vendor-";

/// The name of the layout's inspection.
pub const INSPECTION: &str = "check-vendored";

/// What an input has on disk, by normalised path relative to the root.
enum Vendored {
    /// A directory: every file under it.
    Dir(String),
    /// One or more files.
    Files(Vec<String>),
}

/// One vendored input with its step name.
struct Planned {
    step: String,
    vendored: Vendored,
}

/// `path` as `/`-separated normal components, refusing `..`, absolute
/// paths and the root itself.
fn normalise(path: &str) -> Result<String> {
    join_inside(Path::new(""), path)?;
    let normal: Vec<String> = Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if normal.is_empty() {
        return Err(Error::OutsideTree {
            path: path.into(),
            reason: "is the project root, not a vendored path inside it".into(),
        });
    }
    Ok(normal.join("/"))
}

/// `text` with every run of characters other than ASCII letters, digits,
/// `.`, `_` and `-` replaced by one `-`, trimmed of `-` at both ends.
fn sanitise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "input".into()
    } else {
        trimmed.into()
    }
}

/// The step name of `input` at disambiguation `level` (0, 1 or 2).
fn step_name(input: &Input, level: u8) -> String {
    let name = sanitise(&input.name);
    match level {
        0 => format!("{STEP_PREFIX}{name}"),
        1 => format!("{STEP_PREFIX}{name}-{}", sanitise(&input.version)),
        _ => format!(
            "{STEP_PREFIX}{}-{name}-{}",
            input.ecosystem,
            sanitise(&input.version)
        ),
    }
}

/// Unique step names for `inputs`: each starts at `vendor-<name>`, and
/// every input whose name clashes moves one level up, until none clash.
fn step_names(inputs: &[&Input]) -> Result<Vec<String>> {
    let mut levels = vec![0u8; inputs.len()];
    loop {
        let names: Vec<String> = inputs
            .iter()
            .zip(&levels)
            .map(|(input, level)| step_name(input, *level))
            .collect();
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut clashing = vec![false; names.len()];
        for (i, name) in names.iter().enumerate() {
            if let Some(&j) = first.get(name.as_str()) {
                clashing[i] = true;
                clashing[j] = true;
            } else {
                first.insert(name, i);
            }
        }
        if !clashing.contains(&true) {
            return Ok(names);
        }
        let mut moved = false;
        for (i, clash) in clashing.iter().enumerate() {
            if *clash && levels[i] < 2 {
                levels[i] += 1;
                moved = true;
            }
        }
        if !moved {
            let i = clashing.iter().position(|c| *c).unwrap_or_default();
            let input = inputs[i];
            return Err(Error::InToto {
                what: "links",
                reason: format!(
                    "{} {} ({}) is vendored twice, so its links would share the step name {}",
                    input.name, input.version, input.ecosystem, names[i]
                ),
            });
        }
    }
}

/// Every input that has a path, with its step name and what it has on disk.
fn plan(inputs: &[Input]) -> Result<Vec<Planned>> {
    let vendored: Vec<&Input> = inputs.iter().filter(|i| i.path.is_some()).collect();
    let names = step_names(&vendored)?;
    vendored
        .into_iter()
        .zip(names)
        .map(|(input, step)| {
            let path = input.path.as_deref().unwrap_or_default();
            let vendored = match input.observed.as_deref() {
                Some(observed) if observed.starts_with("dirHash:") => {
                    Vendored::Dir(normalise(path)?)
                }
                Some(_) => Vendored::Files(path.split(',').map(normalise).collect::<Result<_>>()?),
                None => {
                    return Err(Error::InToto {
                        what: "links",
                        reason: format!(
                            "{} {} ({}) is declared at {path}, but nothing was observed there",
                            input.name, input.version, input.ecosystem
                        ),
                    })
                }
            };
            Ok(Planned { step, vendored })
        })
        .collect()
}

/// One classic in-toto link per vendored input of `inputs` (see the module
/// documentation), each hashed from the tree at `root` and signed by
/// `signer`, as `(file name, DSSE envelope JSON)`: the caller writes each
/// into the links directory under its name. Inputs without a `path` are
/// not vendored and get no link. The files of every input are hashed in
/// one parallel pass.
pub fn links(root: &Root, inputs: &[Input], signer: &dyn Signer) -> Result<Vec<(String, Vec<u8>)>> {
    let planned = plan(inputs)?;
    let keyid = KeyDict::from_public_key(signer.public_key())?.keyid;
    let mut jobs = Vec::with_capacity(planned.len());
    for p in &planned {
        match &p.vendored {
            Vendored::Dir(dir) => {
                let full = join_inside(root.path(), dir)?;
                if !full.is_dir() {
                    return Err(Error::InToto {
                        what: "links",
                        reason: format!(
                            "{dir} was observed as a directory (dirHash), but is no directory now"
                        ),
                    });
                }
                let listed = root.files(&full)?;
                jobs.push((full, listed));
            }
            Vendored::Files(paths) => {
                // Each file resolved inside the project before it is hashed.
                for path in paths {
                    root.resolve(&join_inside(root.path(), path)?)?;
                }
                jobs.push((root.path().to_path_buf(), paths.clone()));
            }
        }
    }
    let hashed = root.hash_dirs(&jobs)?;
    planned
        .iter()
        .zip(hashed)
        .map(|(p, digests)| {
            let products: BTreeMap<String, String> = match &p.vendored {
                Vendored::Dir(dir) => digests
                    .into_iter()
                    .map(|(file, digest)| (format!("{dir}/{file}"), digest))
                    .collect(),
                Vendored::Files(_) => digests,
            };
            let link = Link::of_products(&p.step, products);
            let envelope = sign_envelope(&link.to_json(), signer)?;
            Ok((Link::file_name(&p.step, &keyid), envelope.to_json()))
        })
        .collect()
}

/// The patterns covering what `vendored` has on disk: `<dir>/*`, or each
/// file.
fn patterns(vendored: &Vendored) -> Vec<String> {
    match vendored {
        Vendored::Dir(dir) => vec![format!("{}/*", glob_escape(dir))],
        Vendored::Files(paths) => paths.iter().map(|p| glob_escape(p)).collect(),
    }
}

/// The layout for the vendored inputs of `inputs` (see the module
/// documentation), authorising `functionary` to sign their links, valid
/// until `expires` (`YYYY-MM-DDTHH:MM:SSZ`), signed by `owner` into a DSSE
/// envelope (JSON). It reads nothing: what is a directory and what a file
/// comes from each input's observed digest. A project with nothing vendored
/// is refused, since its layout would check nothing.
pub fn layout(
    inputs: &[Input],
    owner: &dyn Signer,
    functionary: &PublicKey,
    expires: &str,
) -> Result<Vec<u8>> {
    let planned = plan(inputs)?;
    if planned.is_empty() {
        return Err(Error::InToto {
            what: "layout",
            reason: "no input is vendored, so there is nothing for a layout to check".into(),
        });
    }
    let key = KeyDict::from_public_key(functionary)?;
    let steps = planned
        .iter()
        .map(|p| {
            let mut products: Vec<Rule> =
                patterns(&p.vendored).into_iter().map(Rule::allow).collect();
            products.push(Rule::disallow("*"));
            Step {
                type_: StepType::Step,
                name: p.step.clone(),
                expected_materials: vec![Rule::disallow("*")],
                expected_products: products,
                pubkeys: vec![key.keyid.clone()],
                expected_command: Vec::new(),
                threshold: 1,
            }
        })
        .collect();
    let mut materials: Vec<Rule> = Vec::new();
    for p in &planned {
        match &p.vendored {
            Vendored::Dir(dir) => {
                materials.push(Rule::matching("*", Some(dir), Artifacts::Products, &p.step))
            }
            Vendored::Files(paths) => materials.extend(
                paths
                    .iter()
                    .map(|f| Rule::matching(&glob_escape(f), None, Artifacts::Products, &p.step)),
            ),
        }
    }
    for p in &planned {
        materials.extend(patterns(&p.vendored).into_iter().map(Rule::disallow));
    }
    materials.extend([Rule::allow("*"), Rule::disallow("*")]);
    let layout = Layout {
        type_: LayoutType::Layout,
        expires: expires.into(),
        readme: format!(
            "Vendored inputs, recorded by vouch: one step {STEP_PREFIX}<input> per vendored \
             input, whose link lists the input's files; the inspection {INSPECTION} hashes the \
             project again (run in-toto-verify from the project root) and requires every file \
             under a vendored path to match its link."
        ),
        keys: BTreeMap::from([(key.keyid.clone(), key)]),
        steps,
        inspect: vec![Inspection {
            type_: InspectionType::Inspection,
            name: INSPECTION.into(),
            expected_materials: materials,
            expected_products: vec![
                Rule::matching("*", None, Artifacts::Materials, INSPECTION),
                Rule::disallow("*"),
            ],
            run: vec!["true".into()],
        }],
    };
    Ok(layout.sign(owner)?.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Match;
    use vouch_evidence::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
    use vouch_evidence::keys::{Algorithm, PrivateKey};

    fn input(
        ecosystem: &'static str,
        name: &str,
        version: &str,
        path: &str,
        observed: &str,
    ) -> Input {
        let mut input = Input::declared(ecosystem, name, version, "pkg:generic/x", "u");
        input.path = Some(path.into());
        input.observed = Some(observed.into());
        input.status = Match::Match;
        input
    }

    fn names(inputs: &[Input]) -> Vec<String> {
        plan(inputs).unwrap().into_iter().map(|p| p.step).collect()
    }

    #[test]
    fn step_names_are_vendor_name_and_disambiguated_only_when_needed() {
        let d = "dirHash:00";
        assert_eq!(
            names(&[
                input("npm", "@types/node", "1", "node_modules/@types/node", d),
                input("cargo", "zlib", "1.3", "v/zlib", d),
            ]),
            ["vendor-types-node", "vendor-zlib"]
        );
        // Two versions of one name, then the same name and version from two
        // ecosystems, then a plain name equal to a disambiguated one.
        assert_eq!(
            names(&[
                input("cargo", "syn", "1.0.109", "v/syn-1", d),
                input("cargo", "syn", "2.0.1", "v/syn", d),
                input("cargo", "zlib", "1.3", "v/zlib", d),
                input("generic", "zlib", "1.3", "third_party/zlib", d),
                input("generic", "syn-2.0.1", "0", "third_party/s", d),
            ]),
            [
                "vendor-syn-1.0.109",
                "vendor-cargo-syn-2.0.1",
                "vendor-cargo-zlib-1.3",
                "vendor-generic-zlib-1.3",
                "vendor-syn-2.0.1-0",
            ]
        );
        let twice = [
            input("pip", "six", "1", "w/a.whl", "sha256:00"),
            input("pip", "six", "1", "w/b.whl", "sha256:00"),
        ];
        let err = plan(&twice).err().unwrap().to_string();
        assert!(err.contains("six 1 (pip) is vendored twice"), "{err}");
    }

    #[test]
    fn only_inputs_with_something_on_disk_are_planned() {
        let mut not_vendored = input("cargo", "a", "1", "x", "dirHash:00");
        not_vendored.path = None;
        assert!(plan(&[not_vendored]).unwrap().is_empty());
        let mut missing = input("generic", "zlib", "1", "third_party/zlib", "");
        missing.observed = None;
        let err = plan(&[missing]).err().unwrap().to_string();
        assert!(
            err.contains(
                "zlib 1 (generic) is declared at third_party/zlib, but nothing was observed"
            ),
            "{err}"
        );
        let err = plan(&[input("generic", "x", "1", "../x", "sha256:00")])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("contains `..`"), "{err}");
    }

    /// A tree with a vendored directory (two files, one in a subdirectory)
    /// and two vendored files of one pip requirement.
    fn project() -> (tempfile::TempDir, Vec<Input>) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("third_party/lib/src")).unwrap();
        std::fs::write(d.join("third_party/lib/src/a.c"), b"int a;").unwrap();
        std::fs::write(d.join("third_party/lib/README"), b"lib").unwrap();
        std::fs::create_dir_all(d.join("wheels")).unwrap();
        std::fs::write(d.join("wheels/six-1.whl"), b"wheel").unwrap();
        std::fs::write(d.join("wheels/six-1.tar.gz"), b"sdist").unwrap();
        let inputs = vec![
            input("generic", "lib", "1.0", "./third_party/lib/", "dirHash:00"),
            input(
                "pip",
                "six",
                "1",
                "wheels/six-1.tar.gz,wheels/six-1.whl",
                "sha256:00,sha256:11",
            ),
        ];
        (dir, inputs)
    }

    fn payload(bytes: &[u8], key: &PublicKey) -> serde_json::Value {
        let env = Envelope::from_json(bytes).unwrap();
        let verified = env
            .verify(IN_TOTO_PAYLOAD_TYPE, std::slice::from_ref(key), 1)
            .unwrap();
        serde_json::from_slice(&verified.payload).unwrap()
    }

    #[test]
    fn links_list_every_file_of_each_input_and_are_signed_and_named_for_in_toto() {
        let (dir, inputs) = project();
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let keyid = KeyDict::from_public_key(key.public_key()).unwrap().keyid;
        let written = links(&Root::new(dir.path()).unwrap(), &inputs, &key).unwrap();
        let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                format!("vendor-lib.{}.link", &keyid[..8]),
                format!("vendor-six.{}.link", &keyid[..8]),
            ]
        );
        let sha = |b: &[u8]| vouch_evidence::digest::sha256(b).hex();
        let lib = payload(&written[0].1, key.public_key());
        assert_eq!(lib["_type"], "link");
        assert_eq!(lib["name"], "vendor-lib");
        assert_eq!(
            lib["products"],
            serde_json::json!({
                "third_party/lib/README": {"sha256": sha(b"lib")},
                "third_party/lib/src/a.c": {"sha256": sha(b"int a;")},
            })
        );
        assert_eq!(lib["materials"], serde_json::json!({}));
        let six = payload(&written[1].1, key.public_key());
        assert_eq!(
            six["products"],
            serde_json::json!({
                "wheels/six-1.tar.gz": {"sha256": sha(b"sdist")},
                "wheels/six-1.whl": {"sha256": sha(b"wheel")},
            })
        );
        let env = Envelope::from_json(&written[0].1).unwrap();
        assert_eq!(env.signatures()[0].keyid, keyid);

        // Negative control: a tree that changed since discovery.
        std::fs::remove_dir_all(dir.path().join("third_party/lib")).unwrap();
        std::fs::write(dir.path().join("third_party/lib"), b"now a file").unwrap();
        let err = links(&Root::new(dir.path()).unwrap(), &inputs, &key)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("is no directory now"), "{err}");
    }

    #[test]
    fn layout_rules_pin_each_vendored_path_and_end_in_disallow() {
        let (_dir, mut inputs) = project();
        inputs.push(input(
            "generic",
            "w",
            "1",
            "third_party/we[ir]d*",
            "dirHash:00",
        ));
        let owner = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let functionary = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let bytes = layout(
            &inputs,
            &owner,
            functionary.public_key(),
            "2030-01-01T00:00:00Z",
        )
        .unwrap();
        let doc = payload(&bytes, owner.public_key());
        let keyid = KeyDict::from_public_key(functionary.public_key())
            .unwrap()
            .keyid;
        assert_eq!(doc["_type"], "layout");
        assert_eq!(doc["expires"], "2030-01-01T00:00:00Z");
        assert_eq!(doc["keys"][&keyid]["keytype"], "ed25519");
        let steps = doc["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[0]["name"], "vendor-lib");
        assert_eq!(steps[0]["pubkeys"], serde_json::json!([keyid]));
        assert_eq!(steps[0]["threshold"], 1);
        assert_eq!(
            steps[0]["expected_materials"],
            serde_json::json!([["DISALLOW", "*"]])
        );
        assert_eq!(
            steps[0]["expected_products"],
            serde_json::json!([["ALLOW", "third_party/lib/*"], ["DISALLOW", "*"]])
        );
        assert_eq!(
            steps[1]["expected_products"],
            serde_json::json!([
                ["ALLOW", "wheels/six-1.tar.gz"],
                ["ALLOW", "wheels/six-1.whl"],
                ["DISALLOW", "*"]
            ])
        );
        assert_eq!(
            steps[2]["expected_products"][0],
            serde_json::json!(["ALLOW", "third_party/we[[]ir]d[*]/*"])
        );
        let inspection = &doc["inspect"][0];
        assert_eq!(inspection["name"], INSPECTION);
        assert_eq!(inspection["run"], serde_json::json!(["true"]));
        assert_eq!(
            inspection["expected_materials"],
            serde_json::json!([
                [
                    "MATCH",
                    "*",
                    "IN",
                    "third_party/lib",
                    "WITH",
                    "PRODUCTS",
                    "IN",
                    "third_party/lib",
                    "FROM",
                    "vendor-lib"
                ],
                [
                    "MATCH",
                    "wheels/six-1.tar.gz",
                    "WITH",
                    "PRODUCTS",
                    "FROM",
                    "vendor-six"
                ],
                [
                    "MATCH",
                    "wheels/six-1.whl",
                    "WITH",
                    "PRODUCTS",
                    "FROM",
                    "vendor-six"
                ],
                [
                    "MATCH",
                    "*",
                    "IN",
                    "third_party/we[ir]d*",
                    "WITH",
                    "PRODUCTS",
                    "IN",
                    "third_party/we[ir]d*",
                    "FROM",
                    "vendor-w"
                ],
                ["DISALLOW", "third_party/lib/*"],
                ["DISALLOW", "wheels/six-1.tar.gz"],
                ["DISALLOW", "wheels/six-1.whl"],
                ["DISALLOW", "third_party/we[[]ir]d[*]/*"],
                ["ALLOW", "*"],
                ["DISALLOW", "*"],
            ])
        );
        assert_eq!(
            inspection["expected_products"],
            serde_json::json!([
                ["MATCH", "*", "WITH", "MATERIALS", "FROM", INSPECTION],
                ["DISALLOW", "*"]
            ])
        );
    }

    #[test]
    fn layouts_refuse_nothing_vendored_and_bad_expiry() {
        let owner = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let err = layout(&[], &owner, owner.public_key(), "2030-01-01T00:00:00Z")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("no input is vendored"), "{err}");
        let (_dir, inputs) = project();
        let err = layout(&inputs, &owner, owner.public_key(), "2030-01-01")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("must be YYYY-MM-DDTHH:MM:SSZ"), "{err}");
    }
}
