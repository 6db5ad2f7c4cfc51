#!/usr/bin/env bash
# Benchmark: hashing a real `cargo vendor` tree (this workspace's ~240 crates,
# ~14k files, ~300 MB), in one run, page cache warm.
#
#   bash bench/hash.sh              # from anywhere; ~1.5 min once built
#
# Rows (hyperfine --warmup 2 --runs 10, median):
#   vouch inputs DIR --output json                       (-N, no shell)
#   in-toto-run -m DIR/vendor --no-command (in-toto 3.x) (-N, no shell); it
#       writes the classic signed link (no --use-dsse) into a temp dir
#   find | xargs sha256sum, one process at a time        (shell: a pipe)
#   find | xargs -P$(nproc) -n 64 sha256sum, all cores   (shell: a pipe)
# In process (cargo bench -p vouch-attest --bench hash_tree): the hashing path
#   alone (tree::hash_dirs + dir_hash: open, fstat, read, SHA-256), no lockfile
#   parsing or output, on the whole tree and on its files of >= 256 KiB only.
# Ceiling: `openssl speed -evp sha256 -bytes 16384` = one core's SHA-256 rate;
# vouch's rate = tree bytes / its median, per core = that / nproc; and per CPU
# second (user + system), which other load on the machine does not dilute.
# Memory: vouch's peak RSS (/usr/bin/time %M) on three trees, see below.
#
# Prints a Markdown table and writes it to target/bench/hash.md. Local files
# only (the vendor step is `cargo vendor --offline`); every loop is bounded;
# nothing asserts a timing. Tunables: BENCH_RUNS (10), BENCH_REV (HEAD: the
# commit whose Cargo.lock is vendored), BENCH_VOUCH (a prebuilt vouch binary;
# skips the release build), BENCH_HASH_TREE (a prebuilt hash_tree bench
# binary; skips its build).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start
runs="${BENCH_RUNS:-10}" rev="${BENCH_REV:-HEAD}"

# --- tools ---------------------------------------------------------------------
bench_apt hyperfine=hyperfine /usr/bin/time=time   # GNU time, for peak RSS
bash scripts/install-oracles.sh
vouch="$(bench_vouch)"
if [[ -n "${BENCH_HASH_TREE:-}" ]]; then
    hash_tree=("$BENCH_HASH_TREE")
else
    cargo bench --locked --no-run -p vouch-attest --bench hash_tree
    hash_tree=(cargo bench --locked --quiet -p vouch-attest --bench hash_tree --)
fi
py="$root/target/oracles/venv/bin/python"
intoto="$root/target/oracles/venv/bin/in-toto-run"
cores="$(nproc)"
out="$root/target/bench"
mkdir -p "$out"
rm -f "$out"/hash-*.json "$out/hash-commands.txt"
[[ "$root" != *[[:space:]]* ]] || { echo "bench: repo path has whitespace: $root" >&2; exit 1; }

# --- fixture: a vendored project in a temp dir (removed on exit) --------------
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
proj="$work/full"
mkdir -p "$work/links"
bench_vendored_workspace "$rev" "$work" "$proj"
"$vouch" keygen --out "$work/k" >/dev/null     # ECDSA P-256, PKCS#8 PEM
crates="$(find "$proj/vendor" -mindepth 1 -maxdepth 1 -type d | wc -l)"
files="$(find "$proj/vendor" -type f | wc -l)"
bytes="$(find "$proj/vendor" -type f -printf '%s\n' | awk '{s += $1} END {print s}')"
echo "bench: $crates crates, $files files, $bytes bytes in $proj/vendor"

# Warm the page cache, and check both tools see the whole tree: every crate
# matches for vouch, every file is a material for in-toto-run.
find "$proj/vendor" -type f -print0 | xargs -0 cat >/dev/null
matched="$("$vouch" inputs "$proj" --output json 2>/dev/null \
    | "$py" -c 'import json,sys; print(sum(i["match"]["status"] == "match" for i in json.load(sys.stdin)))')"
"$intoto" -n bench -m "$proj/vendor" --no-command --signing-key "$work/k.key" -d "$work/links"
materials="$("$py" -c 'import glob, json, sys
print(len(json.load(open(glob.glob(sys.argv[1] + "/*.link")[0]))["signed"]["materials"]))' "$work/links")"
echo "bench: vouch: $matched crates match; in-toto-run: $materials materials"

# --- timings -------------------------------------------------------------------
# bench NAME HYPERFINE_ARGS...: one hyperfine run, exported as hash-NAME.json; logs argv.
bench() {
    local name="$1"; shift
    local argv=(hyperfine --warmup 2 --runs "$runs" --style basic
                --export-json "$out/hash-$name.json" "$@")
    local a line=""
    for a in "${argv[@]}"; do [[ "$a" == *" "* ]] && line+="'$a' " || line+="$a "; done
    echo "${line% }" >>"$out/hash-commands.txt"
    "${argv[@]}"
}
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
bench exec -N \
    -n vouch "$vouch inputs $proj --output json" \
    -n in-toto-run "$intoto -n bench -m $proj/vendor --no-command --signing-key $work/k.key -d $work/links"
# Pipes need a shell; hyperfine subtracts the shell's own start-up time.
bench shell \
    -n "sha256sum x1" "find $proj/vendor -type f -print0 | xargs -0 sha256sum >/dev/null" \
    -n "sha256sum x$cores" "find $proj/vendor -type f -print0 | xargs -0 -P$cores -n 64 sha256sum >/dev/null"
# One core's SHA-256 ceiling (16 KiB blocks; "k" = 1000 bytes/s).
openssl_mbs="$(openssl speed -evp sha256 -bytes 16384 -seconds 3 2>/dev/null \
    | awk 'tolower($1) == "sha256" {sub(/k$/, "", $NF); print $NF / 1000}' | tail -1)"
# The hashing path alone, in process: whole tree, then files >= 256 KiB only.
(cd "$root" && "${hash_tree[@]}" "$proj/vendor" "$runs") >"$out/hash-inproc-all.json"
(cd "$root" && "${hash_tree[@]}" "$proj/vendor" "$runs" 262144) >"$out/hash-inproc-large.json"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- memory --------------------------------------------------------------------
# Peak RSS of `vouch inputs` (median of 3) on three trees of the same project:
#   half:  every other crate directory (hard links); the rest are reported
#          "not vendored": about half the files and bytes;
#   full:  the tree timed above;
#   2x:    every crate, each file's content written twice (except Cargo.toml,
#          which must still parse, and .cargo-checksum.json): the same files,
#          about twice the bytes. Digests no longer match, hence
#          --allow-mismatch; every file is still read and hashed.
# Files are streamed in 256 KiB reads, so RSS should not follow bytes; it may
# grow a little with file count (one path and one digest string per file).
for t in half 2x; do
    mkdir -p "$work/$t"; cp -r "$proj/Cargo.lock" "$proj/.cargo" "$work/$t/"
done
mkdir "$work/half/vendor"
find "$proj/vendor" -mindepth 1 -maxdepth 1 -type d | sort | awk 'NR % 2' \
    | xargs -I{} cp -al {} "$work/half/vendor/"
"$py" - "$proj/vendor" "$work/2x/vendor" <<'PY'
import os, shutil, sys
src, dst = sys.argv[1:]
shutil.copytree(src, dst)
for d, _, names in os.walk(dst):
    for n in names:
        if n not in ("Cargo.toml", ".cargo-checksum.json"):
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                data = f.read()
            with open(p, "wb") as f:
                f.write(data + data)
PY
# tree_line NAME DIR: a table row; RSS is the median of three runs, and the
# crate count is vouch's own ("N vendored and checked" on stderr).
tree_line() {
    local f b kib checked
    f="$(find "$2/vendor" -type f | wc -l)"
    b="$(find "$2/vendor" -type f -printf '%s\n' | awk '{s += $1} END {print s}')"
    kib="$(for _ in 1 2 3; do
        /usr/bin/time -f %M -o "$work/rss" "$vouch" inputs "$2" --output json \
            --allow-mismatch >/dev/null 2>"$work/err"
        cat "$work/rss"
    done | sort -n | sed -n 2p)"
    checked="$(grep -o '[0-9]* vendored' "$work/err" | cut -d' ' -f1)"
    echo "| $1 | $checked | $f | $((b / 1000000)) | $((kib / 1024)) |"
}
mem_table="$(tree_line "half (every other crate)" "$work/half"
             tree_line "full" "$proj"
             tree_line "2x bytes (each file doubled)" "$work/2x")"

# --- report ----------------------------------------------------------------------
{
    "$py" - "$out" "$bytes" "$cores" "$openssl_mbs" <<'PY'
import json, os, sys
out, size, cores, ossl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
res, cpu = {}, {}
for name in ("exec", "shell"):
    with open(os.path.join(out, f"hash-{name}.json"), encoding="utf-8") as f:
        for r in json.load(f)["results"]:
            res[r["command"]] = r["median"]
            cpu[r["command"]] = r["user"] + r["system"]  # means
base = res["vouch"]
labels = {"vouch": "vouch inputs --output json (Rust, rayon + ring)",
          "in-toto-run": "in-toto-run --no-command -m vendor (Python in-toto)",
          f"sha256sum x1": "find | xargs sha256sum (coreutils, 1 process)",
          f"sha256sum x{cores}": f"find | xargs -P{cores} -n 64 sha256sum (coreutils)"}
print("| case | tool | median s | MB/s | ratio (peer / vouch) |")
print("|---|---|---:|---:|---:|")
for key, label in labels.items():
    med = res[key]
    ratio = "1.00 (baseline)" if key == "vouch" else f"{med / base:.2f}x"
    print(f"| hash cargo vendor tree | {label} | {med:.3f} | {size / med / 1e6:.0f} | {ratio} |")
total = size / base / 1e6
print()
print(f"- vouch hashing throughput: {size / 1e6:.0f} MB / {base:.3f} s = {total:.0f} MB/s "
      f"on {cores} cores = {total / cores:.0f} MB/s per core.")
print(f"- One core's ceiling, `openssl speed -evp sha256 -bytes 16384` (per CPU second): "
      f"{ossl:.0f} MB/s; vouch per core is {total / cores / ossl:.0%} of it.")
# openssl speed divides by CPU (user) time, so it ignores other load; so does
# this figure: bytes per CPU second vouch spent (user + system, hyperfine mean).
print(f"- vouch per CPU second (user + system {cpu['vouch']:.3f} s): "
      f"{size / cpu['vouch'] / 1e6:.0f} MB/s = {size / cpu['vouch'] / 1e6 / ossl:.0%} of openssl's; "
      f"CPU / wall = {cpu['vouch'] / base:.2f} of {cores} cores busy.")
print(f"- vs in-toto-run: {res['in-toto-run'] / base:.1f}x faster (target: 10x).")
print()
print("The hashing path alone, in process (`cargo bench -p vouch-attest --bench hash_tree`: "
      "tree::hash_dirs + dir_hash, median of the runs; openssl / vouch per core, target <= 1.3):")
print()
print("| files hashed | files | MB | median s | MB/s | per core (wall) | openssl / that | "
      "per CPU second | openssl / that |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, label in (("all", "whole tree"), ("large", ">= 256 KiB only")):
    with open(os.path.join(out, f"hash-inproc-{name}.json"), encoding="utf-8") as f:
        r = json.load(f)
    mbs = r["bytes"] / r["median_s"] / 1e6
    core = mbs / r["threads"]
    per_cpu = r["bytes"] / r["cpu_s_per_rep"] / 1e6
    print(f"| {label} | {r['files']} | {r['bytes'] / 1e6:.0f} | {r['median_s']:.3f} | {mbs:.0f} | "
          f"{core:.0f} | {ossl / core:.2f} | {per_cpu:.0f} | {ossl / per_cpu:.2f} |")
PY
    echo
    echo "Peak RSS of \`vouch inputs\` (GNU time %M, median of 3):"
    echo
    echo "| tree | crates hashed | files | MB | peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|"
    echo "$mem_table"
    echo
    echo "Tree: \`cargo vendor\` of this workspace at $(git rev-parse --short "$rev"): $crates crates, $files files, $bytes bytes; vouch: $matched crates match; in-toto-run: $materials materials."
    echo "MB = 10^6 bytes; MB/s = tree bytes / median (vouch does not hash .cargo-checksum.json, $(find "$proj/vendor" -name .cargo-checksum.json -printf '%s\n' | awk '{s += $1} END {printf "%.1f", s / 1e6}') MB of it; the others do)."
    echo "Machine: $cores cores, $(uname -sr); load average (1/5/15 min) before $load_before, after $load_after."
    echo "$("$vouch" --version 2>/dev/null || echo "vouch ?"); in-toto $("$py" -c 'import in_toto; print(in_toto.__version__)'); $(sha256sum --version | head -1); $(openssl version)."
    echo "Page cache warm (one untimed pass, then hyperfine --warmup 2); $runs runs per row."
    echo "Wall time of this run: $((SECONDS - started)) s."
    echo
    echo 'hyperfine command lines:'
    echo
    echo '```'
    cat "$out/hash-commands.txt"
    echo '```'
} >"$out/hash.md"
echo
cat "$out/hash.md"
echo "bench: written to target/bench/hash.md"
