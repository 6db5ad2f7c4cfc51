#!/usr/bin/env bash
# Benchmark: discovering the inputs of large lockfiles (issue 18), beside the
# peers that read the same files here, in one run.
#
#   bash bench/discovery.sh          # ~5 min once built (the pnpm install)
#
# Fixtures:
#   pnpm    a real `pnpm install` (pnpm 10 from target/oracles/npm) of jest,
#           webpack, webpack-dev-server, @babel/preset-env, eslint and
#           typescript: ~650 packages in node_modules/.pnpm, made in a temp
#           dir from the npm registry
#   bzlmod  the largest committed Bazel-module project (testdata/projects/,
#           MODULE.bazel, MODULE.bazel.lock and its registry files)
# Rows (hyperfine --warmup 2 --runs N, median):
#   vouch inputs --output json         reads the lockfile, checks every
#       installed package.json version and hashes every installed file
#   pnpm list --depth Infinity --json  the package manager's own reading of
#       the same lockfile and node_modules (no hashing)
#   cdxgen -t pnpm                     CycloneDX's generator (@cyclonedx/cdxgen,
#       installed into target/bench/cdxgen), lockfile only, no hashing
#   vouch inputs on the bzlmod project: every module of the resolved graph,
#       each registry file checked against registryFileHashes; no peer reads
#       MODULE.bazel.lock here (bazel itself and cdxgen's Bazel support, which
#       runs bazel, need a Bazel that cannot be installed from the registries
#       this machine reaches), so the row stands alone
# Prints a Markdown table and writes it to target/bench/discovery.md; nothing
# asserts a timing. Tunables: BENCH_RUNS (10), BENCH_VOUCH (a prebuilt vouch).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start
runs="${BENCH_RUNS:-10}"

bench_apt hyperfine=hyperfine
bash scripts/install-oracles.sh
vouch="$(bench_vouch)"
out="$root/target/bench"
mkdir -p "$out"
pnpm="$root/target/oracles/npm/node_modules/.bin/pnpm"
cdxgen_dir="$root/target/bench/cdxgen"
if [[ ! -x "$cdxgen_dir/node_modules/.bin/cdxgen" ]]; then
    npm install --no-audit --no-fund --prefix "$cdxgen_dir" @cyclonedx/cdxgen@12.8.4 >/dev/null
fi
cdxgen="$cdxgen_dir/node_modules/.bin/cdxgen"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- fixtures -------------------------------------------------------------------
mkdir -p "$work/pnpm"
cat >"$work/pnpm/package.json" <<'JSON'
{"name": "bench-pnpm", "version": "1.0.0", "private": true,
 "dependencies": {"jest": "29.7.0", "webpack": "5.94.0", "webpack-dev-server": "5.1.0",
                  "@babel/preset-env": "7.25.4", "eslint": "8.57.0", "typescript": "5.6.2"}}
JSON
(cd "$work/pnpm" && "$pnpm" install --store-dir "$work/store" --reporter silent)
bzl="$root/testdata/projects/bzlmod-engflow"

# Each once, checked, before timing: a row that fails is no figure.
"$vouch" inputs "$work/pnpm" --output json >"$work/pnpm.json"
"$vouch" inputs "$bzl" --output json >"$work/bzl.json"
count() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$1"; }
packages="$(count "$work/pnpm.json")" modules="$(count "$work/bzl.json")"
files="$(find "$work/pnpm/node_modules/.pnpm" -type f | wc -l)"
bytes="$(find "$work/pnpm/node_modules/.pnpm" -type f -printf '%s\n' | awk '{s += $1} END {print s}')"
echo "bench: pnpm tree: $packages inputs, $files files, $bytes bytes; bzlmod: $modules inputs"
export FETCH_LICENSE=false
"$cdxgen" -t pnpm --no-install-deps --no-recurse -o "$work/bom.json" "$work/pnpm" >/dev/null 2>&1
(cd "$work/pnpm" && "$pnpm" list --depth Infinity --json >/dev/null)

# --- timings --------------------------------------------------------------------
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --warmup 2 --runs "$runs" --style basic --export-json "$out/discovery.json" \
    -n "vouch inputs (pnpm)" "$vouch inputs $work/pnpm --output json" \
    -n "pnpm list --depth Infinity" "cd $work/pnpm && $pnpm list --depth Infinity --json" \
    -n "cdxgen -t pnpm" "$cdxgen -t pnpm --no-install-deps --no-recurse -o $work/bom.json $work/pnpm" \
    -n "vouch inputs (bzlmod)" "$vouch inputs $bzl --output json"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out/discovery.json" "$load_before" "$load_after" "$packages inputs, $files files, $bytes bytes" "$modules inputs" <<'PY' | tee "$out/discovery.md"
import json, statistics, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
med = {name: statistics.median(r["times"]) for name, r in results.items()}
base = {"pnpm list --depth Infinity": "vouch inputs (pnpm)", "cdxgen -t pnpm": "vouch inputs (pnpm)"}
print("| command | median wall (s) | min | max | vs. vouch |")
print("|---|---:|---:|---:|---:|")
for name, r in results.items():
    ratio = f"{med[name] / med[base[name]]:.1f}x" if name in base else ""
    print(f"| {name} | {med[name]:.3f} | {min(r['times']):.3f} | {max(r['times']):.3f} | {ratio} |")
print(f"\nload average before {sys.argv[2]}, after {sys.argv[3]}")
print(f"pnpm tree: {sys.argv[4]}; bzlmod project: {sys.argv[5]}")
PY
echo "bench: done in $((SECONDS - started)) s"
