#!/usr/bin/env bash
# Benchmark: vouch verification against peer implementations, in one run.
#
#   bash bench/verify.sh            # from anywhere; ~2-4 min once built
#
# Process level (what a CLI user waits for), hyperfine --warmup 3 --runs 30:
#   (a) message-signature bundle over a 1 MiB artifact:
#       vouch verify-bundle  vs  node tests/oracles/sigstore_verify.mjs
#   (b) DSSE (in-toto) bundle: the same two, the oracle given "-" (no artifact)
# In process: ms per keyed DSSE bundle verification (ECDSA P-256, ~1 KiB
# statement) for vouch (cargo bench -p vouch-verify --bench verify_bundle),
# securesystemslib and @sigstore/verify (bench/peer_loop.*).
#
# Prints a Markdown table of medians and peer/vouch ratios and writes it to
# target/bench/verify.md. Everything is local files; every loop is bounded;
# nothing asserts a timing. Tunables: BENCH_RUNS (30), BENCH_N (2000),
# BENCH_REPS (11).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start
runs="${BENCH_RUNS:-30}" n="${BENCH_N:-2000}" reps="${BENCH_REPS:-11}"

# --- tools ---------------------------------------------------------------------
bench_apt hyperfine=hyperfine
bash scripts/install-oracles.sh
cargo build --release --bin vouch
cargo bench --no-run -p vouch-verify --bench verify_bundle

vouch="$root/target/release/vouch"
py="$root/target/oracles/venv/bin/python"
node="$(command -v node)"
out="$root/target/bench"
mkdir -p "$out"
rm -f "$out"/{msg,dsse,inproc-vouch,inproc-sslib,inproc-sigstore-js}.json "$out/commands.txt"  # ours only
# hyperfine -N splits commands on whitespace: keep paths free of it.
[[ "$root" != *[[:space:]]* ]] || { echo "bench: repo path has whitespace: $root" >&2; exit 1; }

# --- fixtures (temp dir, removed on exit) ------------------------------------
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$vouch" keygen --out k
head -c $((1024 * 1024)) /dev/urandom >artifact
digest="$(sha256sum artifact | cut -d' ' -f1)"
# An in-toto statement naming the artifact, padded to ~1 KiB.
"$py" - "$digest" >statement.json <<'PY'
import json, sys
st = {"_type": "https://in-toto.io/Statement/v1",
      "subject": [{"name": "artifact", "digest": {"sha256": sys.argv[1]}}],
      "predicateType": "https://slsa.dev/provenance/v1",
      "predicate": {"buildDefinition": {"buildType": "https://example.com/bench",
                                        "externalParameters": {"note": ""}},
                    "runDetails": {"builder": {"id": "https://example.com/bench-builder"}}}}
st["predicate"]["buildDefinition"]["externalParameters"]["note"] = "x" * (1024 - len(json.dumps(st, separators=(",", ":"))))
print(json.dumps(st, separators=(",", ":")), end="")
PY
"$vouch" sign-blob --key k.key --bundle msg.json artifact
"$vouch" sign-blob --in-toto --key k.key --bundle dsse.json statement.json
echo "bench: fixtures in $work (statement $(wc -c <statement.json) bytes, artifact sha256:$digest)"

# --- process level -----------------------------------------------------------
# bench NAME CMD_VOUCH CMD_PEER: one hyperfine run, vouch first; logs the argv.
bench() {
    local name="$1" vcmd="$2" pcmd="$3"
    local argv=(hyperfine --warmup 3 --runs "$runs" -N --style basic
                --export-json "$out/$name.json"
                -n vouch "$vcmd" -n sigstore-js "$pcmd")
    local a line=""   # log the argv, single-quoting the multi-word commands
    for a in "${argv[@]}"; do [[ "$a" == *" "* ]] && line+="'$a' " || line+="$a "; done
    echo "${line% }" >>"$out/commands.txt"
    "${argv[@]}"
}
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
bench msg  "$vouch verify-bundle --bundle msg.json --key k.pub artifact" \
           "$node $root/tests/oracles/sigstore_verify.mjs msg.json artifact k.pub"
# vouch needs an artifact for a DSSE bundle: give it the subject's digest, so
# neither side reads the 1 MiB file (the oracle gets "-": no subject check).
bench dsse "$vouch verify-bundle --bundle dsse.json --key k.pub sha256:$digest" \
           "$node $root/tests/oracles/sigstore_verify.mjs dsse.json - k.pub"

# --- in process ----------------------------------------------------------------
echo "bench: in-process loops ($reps x $n verifications each)"
(cd "$root" && cargo bench --quiet -p vouch-verify --bench verify_bundle -- \
    "$work/dsse.json" "$work/k.pub" "sha256:$digest" "$n" "$reps") | tee "$out/inproc-vouch.json"
"$py" "$root/bench/peer_loop.py" dsse.json k.pub "$n" "$reps" | tee "$out/inproc-sslib.json"
"$node" "$root/bench/peer_loop.mjs" dsse.json k.pub "$n" "$reps" | tee "$out/inproc-sigstore-js.json"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- report ------------------------------------------------------------------
{
    "$py" "$root/bench/report.py" "$out"
    echo
    echo "Machine: $(nproc) cores, $(uname -sr); load average (1/5/15 min) before $load_before, after $load_after."
    echo "$("$vouch" --version 2>/dev/null || echo "vouch ?"), node $("$node" --version), $("$py" --version)."
    echo "Statement $(wc -c <statement.json) bytes; artifact 1 MiB random; key ECDSA P-256."
    echo "In-process: $reps repetitions x $n verifications, median of per-verification means."
    echo "Wall time of this run: $((SECONDS - started)) s."
    echo
    echo 'hyperfine command lines (run in the temp fixture dir):'
    echo
    echo '```'
    cat "$out/commands.txt"
    echo '```'
} >"$out/verify.md"
echo
cat "$out/verify.md"
echo "bench: written to target/bench/verify.md"
