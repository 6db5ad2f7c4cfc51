#!/usr/bin/env bash
# Fuzzing: every cargo-fuzz target of fuzz/ (libFuzzer), one at a time.
#
#   bash bench/fuzz.sh                 # each target to 10 million executions
#   bash bench/fuzz.sh 600             # each target for 600 s instead
#   bash bench/fuzz.sh 0 starlark ...  # only these targets (0: to 10 million)
#   bash bench/fuzz.sh --seeds         # CI: each target over its seeds only
#
# A run starts from the target's seeds and the corpus it grew before
# (fuzz/target/corpus/<target>/, not committed), and writes what it finds to
# the latter: the seeds stay seeds. A target's seeds are its committed ones
# (fuzz/seeds/<target>/) and the repository files fuzz/seeds/testdata.txt
# names for it (read where they are, not committed twice), gathered afresh in
# fuzz/target/seeds/<target>/ on each run.
# Crashes, timeouts and out-of-memory inputs land in fuzz/artifacts/<target>/
# (not committed; a fixed one becomes a seed and a regression test).
# Per target it prints executions, exec/s, libFuzzer's coverage (`cov:`
# edges and `ft:` features) and crashes, as a Markdown table, also written
# to fuzz/target/fuzz.md; each target's log is fuzz/target/logs/<target>.log.
# Exits non-zero if any target crashed.
#
# --seeds runs every target over its seeds alone (-runs=0) and fails on the
# first crash: the check scripts/test.sh (CI) makes.
#
# Toolchain: cargo-fuzz needs nightly rustc flags (-Z). Nightly is used when
# rustup has it; else the default (stable) toolchain with RUSTC_BOOTSTRAP=1,
# which lets stable rustc take them (docs/decisions.md).
# FUZZ_TOOLCHAIN=stable forces the stable path (with FUZZ_TARGET_DIR, a
# target dir of its own: default fuzz/target). The build is niced
# (FUZZ_NICE, default 10; CARGO_BUILD_JOBS caps its jobs), the fuzzing more
# (nice 19).
# Tunables: FUZZ_RUNS (10000000), FUZZ_RSS_MB (2048), FUZZ_TIMEOUT (10 s
# per input), FUZZ_MAX_LEN (bytes; default: libFuzzer's, the largest seed
# or 4096).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"

seeds_only=false
if [[ "${1:-}" == "--seeds" ]]; then
    seeds_only=true
    shift
fi
seconds="${1:-0}"
shift || true
runs="${FUZZ_RUNS:-10000000}"

# --- toolchain -------------------------------------------------------------------
toolchain="${FUZZ_TOOLCHAIN:-}"
if [[ -z "$toolchain" ]]; then
    if command -v rustup >/dev/null && rustup toolchain list | grep -q '^nightly'; then
        toolchain=nightly
    else
        toolchain=stable
    fi
fi
if [[ "$toolchain" == nightly ]]; then
    cargo=(cargo +nightly)
else
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo)
    command -v rustup >/dev/null && cargo=(cargo "+$toolchain")
fi
echo "fuzz: ${cargo[*]} ($("${cargo[@]}" --version)) fuzz $(cargo fuzz --version 2>/dev/null | cut -d' ' -f2)${RUSTC_BOOTSTRAP:+, RUSTC_BOOTSTRAP=1}" >&2

# No sanitizer: the code is safe Rust (docs/decisions.md). Fuzzing runs a
# release build with debug assertions and overflow checks, 16 codegen units
# to keep the build short on two cores; the seed check a dev build, which is
# quicker to build still, and runs only a few hundred inputs.
target_dir="${FUZZ_TARGET_DIR:-target}"
if $seeds_only; then
    profile=(-D) bin="$target_dir/x86_64-unknown-linux-gnu/debug"
else
    profile=(-O --codegen-units 16) bin="$target_dir/x86_64-unknown-linux-gnu/release"
fi
# --locked first: a fuzz run never rewrites fuzz/Cargo.lock.
"${cargo[@]}" fetch --locked --quiet
nice -n "${FUZZ_NICE:-10}" "${cargo[@]}" fuzz build "${profile[@]}" -s none \
    --target-dir "$target_dir" >&2

mapfile -t all < <("${cargo[@]}" fuzz list)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")

# Gathers target $1's seeds in target/seeds/$1/: fuzz/seeds/$1/ and the files
# of the repository that seeds/testdata.txt (`<target> <path>` lines) names.
gather_seeds() {
    local dir="target/seeds/$1" target path
    rm -rf "$dir"
    mkdir -p "$dir"
    cp seeds/"$1"/* "$dir"/
    while read -r target path; do
        if [[ "$target" == "$1" ]]; then
            cp "../$path" "$dir"/
        fi
    done < <(grep -v '^#' seeds/testdata.txt)
}

if $seeds_only; then
    for t in "${targets[@]}"; do
        started=$SECONDS
        gather_seeds "$t"
        # -runs=0: run every seed once, then stop. A crash fails the script.
        "$bin/$t" -runs=0 -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
            -timeout="${FUZZ_TIMEOUT:-10}" "target/seeds/$t" 2>target/seeds-"$t".log \
            || { cat target/seeds-"$t".log >&2; echo "fuzz: $t crashed on its seeds" >&2; exit 1; }
        echo "fuzz: $t: $(ls "target/seeds/$t" | wc -l) seeds ok ($((SECONDS - started)) s)" >&2
    done
    exit 0
fi

mkdir -p target/logs target/corpus
table=target/fuzz.md
{
    echo "| target | seeds | executions | exec/s | cov | ft | corpus | crashes | time (s) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$table"
failed=0
for t in "${targets[@]}"; do
    mkdir -p "target/corpus/$t" "artifacts/$t"
    gather_seeds "$t"
    log="target/logs/$t.log"
    limit=(-runs="$runs")
    ((seconds > 0)) && limit=(-max_total_time="$seconds")
    [[ -n "${FUZZ_MAX_LEN:-}" ]] && limit+=(-max_len="$FUZZ_MAX_LEN")
    started=$SECONDS
    touch target/started
    set +e
    nice -n 19 "$bin/$t" "${limit[@]}" \
        -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -timeout="${FUZZ_TIMEOUT:-10}" \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" \
        "target/corpus/$t" "target/seeds/$t" >"$log" 2>&1 </dev/null
    status=$?
    set -e
    elapsed=$((SECONDS - started))
    # libFuzzer's last status line and final stats.
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | cut -d' ' -f2 || true)
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | cut -d' ' -f2 || true)
    corpus=$(grep -oE 'corp: [0-9]+' <<<"$last" | cut -d' ' -f2 || true)
    crashes=$(find "artifacts/$t" -type f -newer target/started | wc -l)
    if ((status != 0)); then
        failed=1
        ((crashes)) || crashes="exit $status"
    fi
    row="| $t | $(ls "target/seeds/$t" | wc -l) | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corpus:-?} | $crashes | $elapsed |"
    echo "$row" >>"$table"
    echo "$row" >&2
done
cat "$table"
exit "$failed"
