#!/usr/bin/env bash
# Benchmark: offline OSV matching. How fast does `vouch vulns DIR --osv DB`
# load an OSV database and match a real project's inputs against it, and how
# much memory does the database cost?
#
#   bash bench/vulns.sh             # from anywhere; a few minutes once built
#
# Project: a `cargo vendor` of this workspace (as bench/hash.sh makes it), so
# discovery and hashing are the real ones. Databases: SYNTHETIC OSV records
# (ids SYNTH-...), generated below in the exact osv.dev schema shape (modelled
# on testdata/osv/*.json), BENCH_SIZES records each (10,000 and 100,000), once
# as a directory of <id>.json files and once as a deflated zip like osv.dev's
# export. The mix follows the real export: ~60% of records are in ecosystems
# vouch does not order (Debian:12, Ubuntu:22.04:LTS, Maven), which it validates
# and drops; ~40% are in crates.io, npm, PyPI and Go (about 1% of those
# withdrawn), which it keeps and indexes. A tenth of the crates.io records name
# crates locked in the vendored tree, with ranges chosen to cover some locked
# versions and miss others; the generator counts the (record, locked crate)
# pairs that are affected, and the bench fails unless vouch reports exactly
# that many findings, the same from the directory and from the zip.
#
# Rows (hyperfine --warmup 1 --runs BENCH_RUNS, -N, median):
#   vouch inputs DIR --output json                 baseline: discovery + hashing
#   vouch vulns DIR --osv <N records, dir> --output json
#   vouch vulns DIR --osv <N records, zip> --output json
# OSV cost = vulns median - inputs median; records/s = N / OSV cost.
# Memory: peak RSS (GNU time %M, median of 3) of each row; the increment over
# the baseline per 10,000 kept records, and (with two sizes or more) the
# marginal increment between the smallest and largest database, in which the
# fixed cost of loading any database cancels out.
#
# No peer: nothing here matches OSV records offline to compare with.
# osv-scanner, grype and trivy are not Debian packages, nor on npm or PyPI
# (PyPI's trivy-py wraps trivy, which matches against its own trivy-db pulled
# from an OCI registry, not OSV records); PyPI's `osv` is osv.dev's server
# library (Google Cloud dependencies), not a matcher; npm's
# @renovatebot/osv-offline downloads its own prebuilt database (a GitHub
# release made from osv.dev's exports) at run time, and its -db part only
# looks records up by package name in that database's NDJSON files, leaving
# version matching to Renovate. So no ratio.
#
# Prints a Markdown table and writes it to target/bench/vulns.md. Local files
# only (the vendor step is `cargo vendor --offline`); every loop is bounded;
# nothing asserts a timing. Tunables: BENCH_RUNS (5), BENCH_SIZES ("10000
# 100000"), BENCH_REV (HEAD: the commit whose Cargo.lock is vendored),
# BENCH_VOUCH (a prebuilt vouch binary; skips the release build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
root="$PWD"
started=$SECONDS
runs="${BENCH_RUNS:-5}" rev="${BENCH_REV:-HEAD}"
read -r -a sizes <<<"${BENCH_SIZES:-10000 100000}"
((${#sizes[@]})) || { echo "bench: BENCH_SIZES is empty" >&2; exit 1; }
for n in "${sizes[@]}"; do
    [[ "$n" =~ ^[1-9][0-9]{2,6}$ ]] \
        || { echo "bench: BENCH_SIZES: $n is not a record count from 100 to 9999999" >&2; exit 1; }
done
[[ "$runs" =~ ^[1-9][0-9]?$ ]] || { echo "bench: BENCH_RUNS: $runs is not 1..99" >&2; exit 1; }

# --- tools ---------------------------------------------------------------------
# GNU time for peak RSS; python3 for the generator (stdlib only).
bench_apt hyperfine=hyperfine /usr/bin/time=time python3=python3
vouch="$(bench_vouch)"
cores="$(nproc)"
out="$root/target/bench"
mkdir -p "$out"
rm -f "$out"/vulns-*.json "$out/vulns-rss.tsv" "$out/vulns-commands.txt"

# --- fixture: a vendored project in a temp dir (removed on exit) --------------
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# hyperfine -N splits its commands on whitespace.
[[ "$work$vouch" != *[[:space:]]* ]] \
    || { echo "bench: whitespace in a path: $work, $vouch" >&2; exit 1; }
proj="$work/proj"
mkdir -p "$work/osv"
bench_vendored_workspace "$rev" "$work" "$proj"
crates="$(find "$proj/vendor" -mindepth 1 -maxdepth 1 -type d | wc -l)"
echo "bench: $crates crates vendored in $proj/vendor"

# --- synthetic OSV databases ---------------------------------------------------
# Writes, per size N: osv-N/<id>.json, osv-N.zip (deflated, members <id>.json
# at the root like osv.dev's export) and osv-N.meta.json (the mix, the kept
# count and the expected finding count). Deterministic: seeded per N.
python3 - "$proj/Cargo.lock" "$work/osv" "${sizes[@]}" <<'PY'
import collections, json, os, random, re, sys, zipfile

lock_path, out_dir, sizes = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]

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
    words = [rng.choice(WORDS) for _ in range(rng.randint(40, 320))]
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


def distro(rng, i, year, flavour):
    """A Debian- or Ubuntu-shaped record (osv.dev's converted distro feeds)."""
    name = f"synth-src-{i % 5000}"
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


# The mix, as shares of N: dropped 60% (Debian 25, Ubuntu 15, Maven 20),
# kept 40% (npm 16, PyPI 12, crates.io 6, Go 6).
MIX = [("debian", 25), ("ubuntu", 15), ("maven", 20), ("npm", 16), ("pypi", 12), ("crates", 6), ("go", 6)]
for n in sizes:
    rng = random.Random(f"vouch bench/vulns.sh {n}")
    counts = {k: n * share // 100 for k, share in MIX}
    counts["npm"] += n - sum(counts.values())
    kinds = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(kinds)
    real_total = max(10, counts["crates"] // 10)
    d = os.path.join(out_dir, f"osv-{n}")
    os.mkdir(d)
    stats = collections.Counter()
    expected = dir_bytes = 0
    crates_seen = 0
    with zipfile.ZipFile(d + ".zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for i, kind in enumerate(kinds):
            year = 2018 + i % 8
            withdrawn = False
            if kind in ("debian", "ubuntu"):
                rec = distro(rng, i, year, kind)
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
            # About 1% of the kept kinds are withdrawn (never a locked crate's).
            if kind in ("npm", "pypi", "crates", "go") and i % 97 == 0:
                rec["withdrawn"] = rec["modified"]
                withdrawn = True
            data = (json.dumps(rec, indent=2) + "\n").encode()
            name = rec["id"] + ".json"
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            zf.writestr(name, data)
            dir_bytes += len(data)
            stats["withdrawn" if withdrawn else kind] += 1
    dropped = counts["debian"] + counts["ubuntu"] + counts["maven"]
    meta = {
        "records": n,
        "dropped": dropped,
        "withdrawn": stats["withdrawn"],
        "kept": n - dropped - stats["withdrawn"],
        "locked_crate_records": crates_seen,
        "expected_findings": expected,
        "mix": dict(sorted(stats.items())),
        "dir_bytes": dir_bytes,
        "zip_bytes": os.path.getsize(d + ".zip"),
    }
    with open(os.path.join(out_dir, f"osv-{n}.meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f)
    print(f"bench: osv-{n}: {json.dumps(meta)}")
PY

# Warm the page cache (vendor tree and databases), and check every database:
# vouch must report exactly the generator's expected findings, > 0, from the
# directory and from the zip alike.
find "$proj/vendor" "$work/osv" -type f -print0 | xargs -0 cat >/dev/null
# findings PATH: vouch's finding count against PATH.
findings() {
    "$vouch" vulns "$proj" --osv "$1" --output json \
        | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["findings"]))'
}
inputs="$("$vouch" inputs "$proj" --output json \
    | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
for n in "${sizes[@]}"; do
    want="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["expected_findings"])' \
        "$work/osv/osv-$n.meta.json")"
    from_dir="$(findings "$work/osv/osv-$n")"
    from_zip="$(findings "$work/osv/osv-$n.zip")"
    echo "bench: osv-$n: $from_dir findings from the directory, $from_zip from the zip, $want expected"
    if ((want == 0)) || [[ "$from_dir" != "$want" || "$from_zip" != "$want" ]]; then
        echo "bench: osv-$n: vouch's findings (dir $from_dir, zip $from_zip) are not the $want expected (> 0)" >&2
        exit 1
    fi
done

# --- timings -------------------------------------------------------------------
names=(-n inputs "$vouch inputs $proj --output json")
for n in "${sizes[@]}"; do
    names+=(-n "dir $n" "$vouch vulns $proj --osv $work/osv/osv-$n --output json"
            -n "zip $n" "$vouch vulns $proj --osv $work/osv/osv-$n.zip --output json")
done
argv=(hyperfine -N --warmup 1 --runs "$runs" --style basic --export-json "$out/vulns-exec.json" "${names[@]}")
line=""
for a in "${argv[@]}"; do [[ "$a" == *" "* ]] && line+="'$a' " || line+="$a "; done
echo "${line% }" >"$out/vulns-commands.txt"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
"${argv[@]}"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- memory --------------------------------------------------------------------
# rss NAME ARGS...: NAME, tab, the median of three peak RSS (KiB) of vouch
# ARGS; a failed run fails the bench, with vouch's message.
rss() {
    local name="$1" kibs=(); shift
    for _ in 1 2 3; do
        /usr/bin/time -f %M -o "$work/rss" "$vouch" "$@" >/dev/null 2>"$work/err" \
            || { cat "$work/err" >&2; return 1; }
        kibs+=("$(<"$work/rss")")
    done
    printf '%s\t%s\n' "$name" "$(printf '%s\n' "${kibs[@]}" | sort -n | sed -n 2p)"
}
{
    rss inputs inputs "$proj" --output json
    for n in "${sizes[@]}"; do
        rss "dir $n" vulns "$proj" --osv "$work/osv/osv-$n" --output json
        rss "zip $n" vulns "$proj" --osv "$work/osv/osv-$n.zip" --output json
    done
} >"$out/vulns-rss.tsv"

# --- report ----------------------------------------------------------------------
{
    python3 - "$out" "$work/osv" "${sizes[@]}" <<'PY'
import json, os, sys
out, osv, sizes = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
with open(os.path.join(out, "vulns-exec.json"), encoding="utf-8") as f:
    med = {r["command"]: r["median"] for r in json.load(f)["results"]}
with open(os.path.join(out, "vulns-rss.tsv"), encoding="utf-8") as f:
    rss = {k: int(v) / 1024 for k, v in (l.rstrip("\n").split("\t") for l in f)}
base_t, base_m = med["inputs"], rss["inputs"]
print("| case | OSV records (kept) | database MB | median s | OSV cost s | records/s | "
      "peak RSS MiB | RSS over inputs per 10k kept | findings |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
print(f"| `vouch inputs` (baseline: discovery + hashing) | - | - | {base_t:.3f} | - | - | "
      f"{base_m:.1f} | - | - |")
worst = 0.0
for n in sizes:
    with open(os.path.join(osv, f"osv-{n}.meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    for store, size in (("dir", meta["dir_bytes"]), ("zip", meta["zip_bytes"])):
        key = f"{store} {n}"
        cost = med[key] - base_t
        rate = f"{n / cost:,.0f}" if cost > 0 else "n/a (noise)"
        per10k = (rss[key] - base_m) / meta["kept"] * 10000
        worst = max(worst, per10k)
        print(f"| `vouch vulns --osv` {store} | {n:,} ({meta['kept']:,}) | {size / 1e6:.0f} | "
              f"{med[key]:.3f} | {cost:.3f} | {rate} | {rss[key]:.1f} | "
              f"{per10k:.1f} MiB | {meta['expected_findings']} |")
print()
for n in sizes:
    with open(os.path.join(osv, f"osv-{n}.meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    mix = ", ".join(f"{k} {v:,}" for k, v in meta["mix"].items())
    print(f"- {n:,} records: {mix}; kept {meta['kept']:,} (dropped as unmatchable "
          f"{meta['dropped']:,}, withdrawn {meta['withdrawn']:,}); "
          f"{meta['locked_crate_records']} name locked crates.")
# The per-row figure above carries the fixed cost of loading any database;
# between two sizes it cancels out, leaving the cost of the records alone.
if len(sizes) > 1:
    lo, hi = min(sizes), max(sizes)
    kept = {}
    for n in (lo, hi):
        with open(os.path.join(osv, f"osv-{n}.meta.json"), encoding="utf-8") as f:
            kept[n] = json.load(f)["kept"]
    slopes = {s: (rss[f"{s} {hi}"] - rss[f"{s} {lo}"]) / (kept[hi] - kept[lo]) * 10000
              for s in ("dir", "zip")}
    worst = max(slopes.values())
    print(f"- Marginal peak RSS per 10k kept records, between the {lo:,} and {hi:,} databases: "
          f"dir {slopes['dir']:.1f} MiB, zip {slopes['zip']:.1f} MiB.")
if worst > 50:
    print(f"- **RSS per 10k kept records is large: {worst:.1f} MiB (> 50).**")
PY
    echo
    echo "Project: \`cargo vendor\` of this workspace at $(git rev-parse --short "$rev"): $crates crates vendored, $inputs inputs."
    echo "Databases: synthetic OSV records (ids SYNTH-...) in osv.dev's schema, generated by this script; findings equal the generator's expected count, from the directory and the zip."
    echo "No peer: no offline OSV matcher is installable here (see the script's header), so no ratio."
    echo "OSV cost = median of the vulns row - median of the inputs row; records/s = records / OSV cost. RSS: GNU time %M, median of 3; MB = 10^6 bytes."
    echo "Machine: $cores cores, $(uname -sr); load average (1/5/15 min) before $load_before, after $load_after."
    echo "$("$vouch" --version 2>/dev/null || echo "vouch ?"); $(hyperfine --version); page cache warm; $runs runs per row after 1 warm-up."
    echo "Wall time of this run: $((SECONDS - started)) s."
    echo
    echo 'hyperfine command line:'
    echo
    echo '```'
    cat "$out/vulns-commands.txt"
    echo '```'
} >"$out/vulns.md"
echo
cat "$out/vulns.md"
echo "bench: written to target/bench/vulns.md"
