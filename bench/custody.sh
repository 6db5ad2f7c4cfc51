#!/usr/bin/env bash
# Benchmark: the chain of custody of an unbundled project (issue 16), on this
# machine's real Debian 12 archive, in one run, page cache warm.
#
#   bash bench/custody.sh            # ~1 min once built
#
# The fixture: a project depending on flate2 1.0.25, vendored from crates.io,
# then patched onto Debian's librust-flate2-dev and the four librust packages
# it needs (installed by scripts/install-oracles.sh, their .debs in
# target/oracles/debs): five provided crates.
# Rows (hyperfine --warmup 2 --runs N, median):
#   vouch inputs PROJ        every link, for the five crates: the InRelease
#       files of apt's lists verified against Debian's keyring, every Packages
#       index (bookworm main: 45 MiB, ~64,000 stanzas) decompressed, checked
#       and parsed, each .deb against its entry, each installed file against
#       the .deb's data and dpkg's md5sums
#   the distribution's own tools, the same links: gpgv on each InRelease,
#       apt-helper cat-file | sha256sum on each index, sha256sum of the .debs,
#       debsums of the five packages (MD5 of the installed files); a lower
#       bound, since nothing compares the digests with the signed lists
#   vouch unbundle PROJ --distro debian --all   the plan (every input)
# Prints a Markdown table and writes it to target/bench/custody.md; nothing
# asserts a timing. Tunables: BENCH_RUNS (10), BENCH_VOUCH (a prebuilt vouch).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start
runs="${BENCH_RUNS:-10}"

bench_apt hyperfine=hyperfine debsums=debsums gpgv=gpgv
bash scripts/install-oracles.sh
vouch="$(bench_vouch)"
debs="$root/target/oracles/debs"
out="$root/target/bench"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
crates=(adler-1.0.2 cfg-if-1.0.0 crc32fast-1.3.2 flate2-1.0.25 miniz_oxide-0.6.2)
packages=(librust-adler-dev librust-cfg-if-dev librust-crc32fast-dev librust-flate2-dev
          librust-miniz-oxide-dev)

# --- fixture --------------------------------------------------------------------
proj="$work/app"
mkdir -p "$proj/src" "$proj/.cargo"
printf '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nflate2 = "=1.0.25"\n\n[workspace]\n' \
    >"$proj/Cargo.toml"
printf 'fn main() {\n    let _ = flate2::Compression::default();\n}\n' >"$proj/src/main.rs"
(cd "$proj" && cargo generate-lockfile --quiet && cargo vendor --locked --quiet vendor >/dev/null)
{
    printf '[source.crates-io]\nreplace-with = "vendored-sources"\n\n[source.vendored-sources]\ndirectory = "vendor"\n\n[patch.crates-io]\n'
    for c in "${crates[@]}"; do
        printf '%s = { path = "/usr/share/cargo/registry/%s" }\n' "${c%-*}" "$c"
    done
} >"$proj/.cargo/config.toml"
(cd "$proj" && cargo update --offline --quiet)
provided="$("$vouch" inputs "$proj" --debs "$debs" --output json \
    | python3 -c 'import json,sys; print(sum(i["match"]["status"] == "match" and "distribution" in i for i in json.load(sys.stdin)))')"
echo "bench: $provided of ${#crates[@]} crates provided by Debian with the chain verified"
[[ "$provided" == "${#crates[@]}" ]] || { echo "bench: the fixture does not verify" >&2; exit 1; }

# The peer: Debian's own tools on the same links, in one shell script.
cat >"$work/peer.sh" <<PEER
set -e
for r in /var/lib/apt/lists/*_InRelease; do
    gpgv --quiet --keyring /usr/share/keyrings/debian-archive-keyring.gpg "\$r" 2>/dev/null
done
for p in /var/lib/apt/lists/*_Packages.lz4; do
    /usr/lib/apt/apt-helper cat-file "\$p" | sha256sum >/dev/null
done
for p in ${packages[*]}; do sha256sum $debs/\${p}_*.deb >/dev/null; done
debsums -s ${packages[*]}
PEER
bash "$work/peer.sh"

# --- timings --------------------------------------------------------------------
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --warmup 2 --runs "$runs" --style basic --export-json "$out/custody.json" \
    -n "vouch inputs" "$vouch inputs $proj --debs $debs --output json" \
    -n "gpgv + sha256sum + debsums" "bash $work/peer.sh" \
    -n "vouch unbundle --all" "$vouch unbundle $proj --distro debian --all --debs $debs --output json"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out/custody.json" "$load_before" "$load_after" <<'PY' | tee "$out/custody.md"
import json, statistics, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
med = {name: statistics.median(r["times"]) for name, r in results.items()}
print("| command | median wall (s) | min | max | vs. Debian's tools |")
print("|---|---:|---:|---:|---:|")
peer = med["gpgv + sha256sum + debsums"]
for name, r in results.items():
    print(f"| {name} | {med[name]:.3f} | {min(r['times']):.3f} | {max(r['times']):.3f} | {med[name] / peer:.2f}x |")
print(f"\nload average before {sys.argv[2]}, after {sys.argv[3]}")
PY
echo "bench: done in $((SECONDS - started)) s"
