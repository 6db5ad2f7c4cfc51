"""Generate bench/vulns.sh's synthetic OSV databases.

    python3 bench/vulns_osv.py CARGO_LOCK OUT_DIR [--zip-only] [--image-packages TSV] N [N ...]

Writes, per size N: OUT_DIR/osv-N/<id>.json (not with --zip-only),
OUT_DIR/osv-N.zip (deflated, members <id>.json at the root like osv.dev's
export), OUT_DIR/osv-N.meta.json (the mix, the kept count and the expected
finding count, counted over the registry crates locked in CARGO_LOCK) and
OUT_DIR/osv-N.queries.tsv (ecosystem, name, version: 2,000 lookups of
packages the records name, every kind of the mix, for the per-lookup cost).

With --image-packages, TSV lists a Debian 12 image's installed packages,
one a line: binary name, source name, source version (dpkg-query's
${Package}, ${source:Package} and ${source:Version}). Then IMAGE_RECORDS
Debian:12 records per source package name it (as the real feed has dozens
for glibc or zlib) instead of a synthetic name, in shapes whose outcome
needs no dpkg order: unfixed (`introduced: 0` alone: every version), fixed
in the next epoch (`E+1:0`, above any version of epoch E), or fixed in the
installed source version with `~` appended (which sorts before it). The
meta then also holds image_expected_findings: the (record, binary package)
pairs vouch must report on the image, which matches Debian's records by
source name and source version. The meta's inputs_sha256 (of CARGO_LOCK's
bytes, then TSV's) says which inputs an export was made from.
Deterministic: seeded per N. Standard library only.
"""

import collections, hashlib, json, os, random, re, sys, zipfile

args = sys.argv[1:]
lock_path, out_dir = args.pop(0), args.pop(0)
zip_only = "--zip-only" in args
packages_path = None
if "--image-packages" in args:
    at = args.index("--image-packages")
    packages_path = args[at + 1]
    del args[at:at + 2]
sizes = [int(s) for s in args if s != "--zip-only"]
inputs_sha256 = hashlib.sha256()
with open(lock_path, "rb") as f:
    inputs_sha256.update(f.read())

# The image's source packages: name -> (source version, binary names).
IMAGE_RECORDS = 20
image_sources = {}
if packages_path:
    with open(packages_path, "rb") as f:
        raw = f.read()
    inputs_sha256.update(raw)
    for line in raw.decode("utf-8").splitlines():
        binary, source, version = line.split("\t")
        known = image_sources.setdefault(source, (version, []))
        if known[0] != version:
            sys.exit(f"bench: source package {source} has two installed versions, {known[0]} and {version}")
        known[1].append(binary)
    if not image_sources:
        sys.exit(f"bench: {packages_path} lists no package")
image_source_names = sorted(image_sources)

# Registry crates locked in the vendored tree: vouch's cargo inputs.
locked = collections.defaultdict(list)
with open(lock_path, encoding="utf-8") as f:
    for block in f.read().split("[[package]]")[1:]:
        field = lambda k: (re.search(rf'^{k} = "([^"]*)"', block, re.M) or [None, None])[1]
        if (field("source") or "").startswith("registry+"):
            locked[field("name")].append(field("version"))
PLAIN = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
# Targets: crates whose every locked version is plain MAJOR.MINOR.PATCH, so
# that tuple order here is SemVer order there.
targets = sorted(n for n, vs in locked.items() if all(PLAIN.match(v) for v in vs))
if not targets:
    sys.exit("bench: no plain-versioned registry crate in Cargo.lock")
vt = lambda v: tuple(int(x) for x in v.split("."))
vs = lambda t: ".".join(map(str, t))

WORDS = ("attacker buffer crafted denial service input length parser overflow "
         "request header memory unbounded allocation remote panic integer "
         "validation untrusted stream decoder certificate timing leak path "
         "traversal sanitise escape injection limit recursion stack heap").split()
CWES = ["CWE-20", "CWE-22", "CWE-79", "CWE-119", "CWE-125", "CWE-190", "CWE-400",
        "CWE-502", "CWE-674", "CWE-787", "CWE-1333"]
GHSA_ALPHABET = "23456789cfghjmpqrvwx"


def stamp(rng, year):
    return (f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z")


def ghsa_id(i):
    # Unique per index (an affine bijection mod 20^12, so that neighbours
    # do not share prefixes), in GHSA's alphabet, three groups of four.
    i = (i * 3_141_592_653_589 + 12_345) % 20**12
    s = ""
    for _ in range(12):
        i, r = divmod(i, 20)
        s += GHSA_ALPHABET[r]
    return f"SYNTH-GHSA-{s[0:4]}-{s[4:8]}-{s[8:12]}"


def cvss(rng):
    pick = lambda *v: rng.choice(v)
    impact = [pick("N", "L", "H") for _ in range(3)]
    if impact == ["N", "N", "N"]:  # a score of 0.0: no advisory has one
        impact[2] = "H"
    return ("CVSS:3.1/AV:%s/AC:%s/PR:%s/UI:%s/S:%s/C:%s/I:%s/A:%s"
            % (pick("N", "A", "L", "P"), pick("L", "H"), pick("N", "L", "H"), pick("N", "R"),
               pick("U", "C"), *impact))


def details(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(30, 220))]
    return ("Synthetic record generated by bench/vulns.sh; not a real advisory.\n\n"
            + " ".join(words) + ".")


def semver(rng):
    return (rng.randint(0, 6), rng.randint(0, 30), rng.randint(0, 40))


def npm_ranges(rng):
    """1-3 affected entries' ranges, disjoint by major (like GHSA's npm records)."""
    out = []
    first = rng.randint(0, 3)
    for major in range(first, first + rng.randint(1, 3)):
        lo = "0" if major == first and rng.random() < 0.5 else f"{major}.0.0"
        out.append([{"introduced": lo}, {"fixed": f"{major}.{rng.randint(0, 20)}.{rng.randint(1, 30)}"}])
    return out


def pep440_pair(rng):
    a, b, c = rng.randint(0, 5), rng.randint(0, 30), rng.randint(0, 12)
    lo = rng.choice(["0", f"{a}.{b}", f"{a}.{b}.{c}", f"{a}.{b}.dev{c}"])
    hi = rng.choice([f"{a}.{b + 1}rc1", f"{a}.{b}.{c}.post1", f"{a}.{b + 1}", f"{a + 1}.0.0"])
    return lo, hi


def ghsa(rng, i, year, ecosystem, entries, severity=True):
    """A GitHub-advisory-shaped record: entries = [(name, ranges, type)]."""
    rec = {
        "schema_version": "1.4.0",
        "id": ghsa_id(i),
        "modified": stamp(rng, 2025),
        "published": stamp(rng, year),
        "aliases": [f"SYNTH-CVE-{year}-{i:06d}"],
        "summary": f"Synthetic {rng.choice(WORDS)} {rng.choice(WORDS)} issue {i}",
        "details": details(rng),
    }
    if severity:
        rec["severity"] = [{"type": "CVSS_V3", "score": cvss(rng)}]
    rec["affected"] = []
    for name, ranges, kind in entries:
        for events in ranges:
            entry = {"package": {"ecosystem": ecosystem, "name": name},
                     "ranges": [{"type": kind, "events": events}]}
            if "fixed" in events[-1] and rng.random() < 0.3:
                entry["database_specific"] = {
                    "last_known_affected_version_range": f"< {events[-1]['fixed']}"}
            rec["affected"].append(entry)
    rec["references"] = [
        {"type": "ADVISORY", "url": f"https://example.invalid/advisories/{rec['id']}"},
        {"type": "WEB", "url": f"https://example.invalid/synth/{i}/commit/{rng.getrandbits(64):016x}"},
        {"type": "PACKAGE", "url": f"https://example.invalid/pkg/{i}"},
    ]
    rec["database_specific"] = {
        "cwe_ids": [rng.choice(CWES)],
        "severity": rng.choice(["LOW", "MODERATE", "HIGH", "CRITICAL"]),
        "github_reviewed": True,
        "github_reviewed_at": stamp(rng, year),
        "nvd_published_at": None if rng.random() < 0.3 else stamp(rng, year),
    }
    return rec


def rustsec(rng, i, year, name, events):
    """A RustSec-shaped record: SEMVER range, purl, ecosystem_specific."""
    score = cvss(rng)
    rec = {
        "id": f"SYNTH-RUSTSEC-{year}-{i:06d}",
        "modified": stamp(rng, 2025),
        "published": stamp(rng, year),
        "aliases": [f"SYNTH-CVE-{year}-{i:06d}"],
        "related": [],
        "summary": f"Synthetic {rng.choice(WORDS)} in {name}",
        "details": details(rng),
        "severity": [{"type": "CVSS_V3", "score": score}],
        "affected": [{
            "package": {"ecosystem": "crates.io", "name": name, "purl": f"pkg:cargo/{name}"},
            "ecosystem_specific": {"affects": {"arch": [], "os": [], "functions": [f"{name.replace('-', '_')}::synth_{i}"]},
                                   "affected_functions": None},
            "database_specific": {"categories": [rng.choice(["memory-corruption", "denial-of-service", "crypto-failure"])],
                                  "cvss": score, "informational": None},
            "ranges": [{"type": "SEMVER", "events": events}],
            "versions": [],
        }],
        "references": [
            {"type": "PACKAGE", "url": f"https://crates.io/crates/{name}"},
            {"type": "ADVISORY", "url": f"https://example.invalid/rustsec/{i}"},
        ],
        "database_specific": {"license": "CC0-1.0"},
    }
    return rec


def go(rng, i, year):
    path = f"example.invalid/synth/mod{i}"
    a, b = semver(rng), semver(rng)
    lo, hi = sorted((a, b)) if a != b else (a, (a[0] + 1, 0, 0))
    return {
        "schema_version": "1.3.1",
        "id": f"SYNTH-GO-{year}-{i:06d}",
        "modified": stamp(rng, 2025),
        "published": stamp(rng, year),
        "aliases": [f"SYNTH-CVE-{year}-{i:06d}"],
        "summary": f"Synthetic {rng.choice(WORDS)} in {path}",
        "details": details(rng),
        "affected": [{
            "package": {"name": path, "ecosystem": "Go"},
            "ranges": [{"type": "SEMVER", "events": [
                {"introduced": "0" if rng.random() < 0.5 else vs(lo)}, {"fixed": vs(hi)}]}],
            "ecosystem_specific": {"imports": [{"path": f"{path}/pkg", "symbols": ["Parse", "Decode"]}]},
        }],
        "references": [{"type": "FIX", "url": f"https://example.invalid/cl/{i}"}],
        "database_specific": {"url": f"https://example.invalid/vuln/{i}", "review_status": "REVIEWED"},
    }


def distro(rng, i, year, flavour, name=None):
    """A Debian- or Ubuntu-shaped record (osv.dev's converted distro feeds),
    of a synthetic source package unless NAME is given."""
    name = name or f"synth-src-{i % 5000}"
    a, b, c, d = rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 20), rng.randint(1, 9)
    if flavour == "debian":
        eco, rid = "Debian:12", f"SYNTH-DEBIAN-CVE-{year}-{i:06d}"
        purl = f"pkg:deb/debian/{name}?arch=source"
        versions = [f"{a}.{b}.{c}-{k}" for k in range(1, d + 1)] + [f"{a}.{b}.{c}-{d}+deb12u{k}" for k in range(1, 4)]
        fixed = f"{a}.{b}.{c}-{d}+deb12u4"
    else:
        eco, rid = "Ubuntu:22.04:LTS", f"SYNTH-UBUNTU-CVE-{year}-{i:06d}"
        purl = f"pkg:deb/ubuntu/{name}?arch=source&distro=jammy"
        versions = [f"{a}.{b}.{c}-{d}ubuntu{k}" for k in range(1, rng.randint(2, 12))]
        fixed = f"{a}.{b}.{c}-{d}ubuntu{len(versions) + 1}"
    rec = {
        "schema_version": "1.6.0",
        "id": rid,
        "modified": stamp(rng, 2025),
        "published": stamp(rng, year),
        "upstream": [f"SYNTH-CVE-{year}-{i:06d}"],
        "details": details(rng),
        "affected": [{
            "package": {"name": name, "ecosystem": eco, "purl": purl},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            "versions": versions,
        }],
        "references": [{"type": "ADVISORY", "url": f"https://example.invalid/{flavour}/{rid}"}],
    }
    if flavour == "ubuntu":
        rec["severity"] = [{"type": "Ubuntu", "score": rng.choice(["low", "medium", "high"])},
                           {"type": "CVSS_V3", "score": cvss(rng)}]
    return rec


def image_source(rng, j, i, year):
    """The j-th Debian:12 record naming one of the image's source packages
    (round robin); returns it and how many of the image's binary packages
    it affects."""
    name = image_source_names[j % len(image_source_names)]
    version, binaries = image_sources[name]
    rec = distro(rng, i, year, "debian", name)
    epoch = int(version.split(":", 1)[0]) if ":" in version else 0
    # Unfixed (twice as often: the feed's many open CVEs), fixed in a later
    # epoch, or fixed before the installed version.
    shape = (j // len(image_source_names)) % 4
    if shape < 2:
        events, hits = [{"introduced": "0"}], len(binaries)
    elif shape == 2:
        events, hits = [{"introduced": "0"}, {"fixed": f"{epoch + 1}:0"}], len(binaries)
    else:
        events, hits = [{"introduced": "0"}, {"fixed": version + "~"}], 0
    affected = rec["affected"][0]
    affected["ranges"][0]["events"] = events
    del affected["versions"]
    return rec, hits


def distro_advisory(rng, i, year, flavour):
    """An Alpine-, Red Hat- or SUSE-shaped record (osv.dev's conversions):
    ECOSYSTEM ranges with the distribution's own version strings, one
    affected entry per binary package for the advisories that fix several."""
    a, b, c, r = rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 20), rng.randint(1, 9)
    src = f"synth-src-{i % 5000}"
    if flavour == "alpine":
        rid, eco = f"SYNTH-ALPINE-CVE-{year}-{i:06d}", f"Alpine:v3.{rng.randint(15, 20)}"
        names, fixed = [src], f"{a}.{b}.{c}-r{r}"
    elif flavour == "redhat":
        rid, eco = f"SYNTH-RHSA-{year}:{i:06d}", "Red Hat:enterprise_linux:9::appstream"
        names = [src] + [f"{src}-{s}" for s in ("devel", "libs", "tools", "debuginfo")[: rng.randint(0, 4)]]
        fixed = f"{rng.randint(0, 2)}:{a}.{b}.{c}-{r}.el9_{rng.randint(0, 5)}"
    else:
        rid, eco = f"SYNTH-SUSE-SU-{year}:{i:06d}-1", f"SUSE:Linux Enterprise Server 15 SP{rng.randint(3, 6)}"
        names = [src] + [f"lib{src}{k}" for k in range(rng.randint(0, 6))]
        fixed = f"{a}.{b}.{c}-150500.{r}.{rng.randint(1, 40)}.1"
    return {
        "schema_version": "1.6.0",
        "id": rid,
        "modified": stamp(rng, 2025),
        "published": stamp(rng, year),
        "upstream": [f"SYNTH-CVE-{year}-{i:06d}"],
        "summary": f"Synthetic security update for {src}",
        "details": details(rng),
        "affected": [{
            "package": {"name": n, "ecosystem": eco},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
        } for n in names],
        "references": [{"type": "ADVISORY", "url": f"https://example.invalid/{flavour}/{rid}"}],
        "severity": [{"type": "CVSS_V3", "score": cvss(rng)}],
    }


def malicious(rng, i, year, ecosystem):
    """An OpenSSF malicious-packages record (MAL-...), as osv.dev serves
    tens of thousands for npm: every version affected."""
    name = f"synth-mal-{i}"
    origin = {"source": "ossf-package-analysis", "sha256": f"{rng.getrandbits(256):064x}",
              "import_time": stamp(rng, 2025), "modified_time": stamp(rng, year),
              "versions": [f"{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"]}
    return {
        "id": f"SYNTH-MAL-{year}-{i:06d}",
        "modified": stamp(rng, 2025),
        "published": stamp(rng, year),
        "summary": f"Malicious code in {name} ({ecosystem})",
        "details": "\n---\n_-= Per source details. Do not edit below this line.=-_\n\n"
                   "## Source: ossf-package-analysis\n" + details(rng),
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
            "database_specific": {"cwes": [{"cweId": "CWE-506", "name": "Embedded Malicious Code"}]},
        }],
        "database_specific": {"malicious-packages-origins": [origin]},
    }


def real_crate(rng, j, i, year):
    """A record naming a locked crate; returns it and how many locked
    versions of that crate it affects (the findings vouch must report)."""
    name = rng.choice(targets)
    versions = sorted(vt(v) for v in locked[name])
    v = rng.choice(versions)
    patch1, minor1, major1 = (v[0], v[1], v[2] + 1), (v[0], v[1] + 1, 0), (v[0] + 1, 0, 0)
    # (events, intervals as (low, high or None, high inclusive)), cycling
    # through shapes that hit v, miss v, or hit all but v.
    kind = j % 5
    if kind == 0:    # up to and including v
        events, spans = [{"introduced": "0"}, {"fixed": vs(patch1)}], [((0, 0, 0), patch1, False)]
    elif kind == 1:  # exactly v
        events, spans = [{"introduced": vs(v)}, {"last_affected": vs(v)}], [(v, v, True)]
    elif kind == 2:  # fixed in v: v itself is clean
        events, spans = [{"introduced": "0"}, {"fixed": vs(v)}], [((0, 0, 0), v, False)]
    elif kind == 3:  # introduced after v
        events, spans = [{"introduced": vs(minor1)}, {"fixed": vs(major1)}], [(minor1, major1, False)]
    else:            # everything but v (two ranges in one, like RUSTSEC-2021-0003)
        events = [{"introduced": "0"}, {"fixed": vs(v)}, {"introduced": vs(patch1)}]
        spans = [((0, 0, 0), v, False), (patch1, None, False)]
    hit = lambda t: any(lo <= t and (hi is None or t < hi or (inc and t == hi)) for lo, hi, inc in spans)
    expected = sum(hit(t) for t in versions)
    if j % 2:
        rec = rustsec(rng, i, year, name, events)
    else:
        kind_name = "ECOSYSTEM" if j % 4 == 0 else "SEMVER"
        rec = ghsa(rng, i, year, "crates.io", [(name, [events], kind_name)])
    return rec, expected


# The mix, as shares of N, shaped like osv.dev's export: the distributions
# (Debian 12, Ubuntu 10, Alpine 4, Red Hat 6, SUSE 14), whose orders vouch
# implements, and Maven 5, which the in-memory database drops as
# unmatchable (no order yet) and the index keeps; npm 4 plus malicious-package records 32, PyPI 4 plus
# malicious 4, crates.io 2, Go 3.
MIX = [("debian", 12), ("ubuntu", 10), ("alpine", 4), ("redhat", 6), ("suse", 14), ("maven", 5),
       ("npm", 4), ("npm-mal", 32), ("pypi", 4), ("pypi-mal", 4), ("crates", 2), ("go", 3)]
DROPPED = ("maven",)
KEPT = ("debian", "ubuntu", "alpine", "redhat", "suse",
        "npm", "npm-mal", "pypi", "pypi-mal", "crates", "go")
for n in sizes:
    rng = random.Random(f"vouch bench/vulns.sh {n}")
    counts = {k: n * share // 100 for k, share in MIX}
    counts["npm"] += n - sum(counts.values())
    kinds = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(kinds)
    real_total = max(10, counts["crates"] // 10)
    d = os.path.join(out_dir, f"osv-{n}")
    if not zip_only:
        os.mkdir(d)
    queries = []
    stats = collections.Counter()
    expected = image_expected = dir_bytes = 0
    crates_seen = debian_seen = 0
    with zipfile.ZipFile(d + ".zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for i, kind in enumerate(kinds):
            year = 2018 + i % 8
            withdrawn = False
            if kind == "debian" and debian_seen < IMAGE_RECORDS * len(image_source_names):
                rec, hits = image_source(rng, debian_seen, i, year)
                image_expected += hits
                kind = "debian (image source)"
                debian_seen += 1
            elif kind in ("debian", "ubuntu"):
                rec = distro(rng, i, year, kind)
            elif kind in ("alpine", "redhat", "suse"):
                rec = distro_advisory(rng, i, year, kind)
            elif kind == "npm-mal":
                rec = malicious(rng, i, year, "npm")
            elif kind == "pypi-mal":
                rec = malicious(rng, i, year, "PyPI")
            elif kind == "maven":
                lo, hi = sorted((semver(rng), semver(rng)))
                rec = ghsa(rng, i, year, "Maven", [(f"org.example.synth{i % 997}:artifact-{i}",
                                                    [[{"introduced": vs(lo)}, {"fixed": vs((hi[0] + 1, 0, 0))}]], "ECOSYSTEM")])
            elif kind == "npm":
                name = f"@synth/pkg-{i}" if i % 3 == 0 else f"synth-pkg-{i}"
                rec = ghsa(rng, i, year, "npm", [(name, npm_ranges(rng), "ECOSYSTEM")], severity=i % 10 != 0)
            elif kind == "pypi":
                lo, hi = pep440_pair(rng)
                rec = ghsa(rng, i, year, "PyPI", [(f"Synth_Py.Dist-{i}", [[{"introduced": lo}, {"fixed": hi}]], "ECOSYSTEM")])
            elif kind == "go":
                rec = go(rng, i, year)
            elif crates_seen < real_total:
                rec, hits = real_crate(rng, crates_seen, i, year)
                expected += hits
                kind = "crates (locked crate)"
                crates_seen += 1
            else:
                a = semver(rng)
                events = [{"introduced": "0"}, {"fixed": vs((a[0], a[1], a[2] + 1))}]
                name = f"synth-crate-{i}"
                rec = rustsec(rng, i, year, name, events) if i % 2 else ghsa(rng, i, year, "crates.io", [(name, [events], "ECOSYSTEM")])
            # About 1% of the kept kinds are withdrawn (never a locked crate's
            # nor an image source's).
            if kind in KEPT and i % 97 == 0:
                rec["withdrawn"] = rec["modified"]
                withdrawn = True
            data = (json.dumps(rec, indent=2) + "\n").encode()
            name = rec["id"] + ".json"
            if not zip_only:
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            zf.writestr(name, data)
            if i % max(1, n // 2000) == 0 and len(queries) < 2000:
                package = rec["affected"][0]["package"]
                events = rec["affected"][0]["ranges"][0]["events"]
                version = next((e[k] for e in events for k in ("fixed", "last_affected") if k in e), "1.0.0")
                queries.append(f"{package['ecosystem']}\t{package['name']}\t{version}\n")
            dir_bytes += len(data)
            stats["withdrawn" if withdrawn else kind] += 1
    with open(os.path.join(out_dir, f"osv-{n}.queries.tsv"), "w", encoding="utf-8") as f:
        f.writelines(queries)
    dropped = sum(counts[k] for k in DROPPED)
    meta = {
        "records": n,
        "dropped": dropped,
        "withdrawn": stats["withdrawn"],
        "kept": n - dropped - stats["withdrawn"],
        "locked_crate_records": crates_seen,
        "expected_findings": expected,
        "image_source_records": debian_seen,
        "image_expected_findings": image_expected,
        "inputs_sha256": inputs_sha256.hexdigest(),
        "mix": dict(sorted(stats.items())),
        "dir_bytes": dir_bytes,
        "zip_bytes": os.path.getsize(d + ".zip"),
    }
    with open(os.path.join(out_dir, f"osv-{n}.meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f)
    print(f"bench: osv-{n}: {json.dumps(meta)}")
