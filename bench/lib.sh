# Helpers the benchmark scripts share; sourced, not run.

# Installs, from Debian, each of the packages given as COMMAND=PACKAGE whose
# command is not there (a path for COMMAND is checked as an executable).
bench_apt() {
    local missing=() want cmd
    for want in "$@"; do
        cmd="${want%%=*}"
        if [[ "$cmd" == /* ]]; then [[ -x "$cmd" ]] && continue
        else command -v "$cmd" >/dev/null && continue; fi
        missing+=("${want#*=}")
    done
    ((${#missing[@]})) || return 0
    local sudo=""; [[ "$(id -u)" == 0 ]] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y "${missing[@]}" </dev/null \
        || { $sudo apt-get update && $sudo apt-get install -y "${missing[@]}" </dev/null; }
}

# Makes PROJ a Cargo project with this workspace's dependencies vendored
# (`cargo vendor` of commit REV, offline), using WORK/src for the sources.
# The committed workspace, not the working tree, so that edits in progress
# (a Cargo.toml ahead of its Cargo.lock) cannot break the vendor step.
bench_vendored_workspace() {
    local rev="$1" work="$2" proj="$3"
    mkdir -p "$work/src" "$proj/.cargo"
    git archive "$rev" | tar -x -C "$work/src"
    cargo vendor --locked --offline --quiet --manifest-path "$work/src/Cargo.toml" \
        "$proj/vendor" >/dev/null
    cp "$work/src/Cargo.lock" "$proj/"
    printf '%s\n' '[source.crates-io]' 'replace-with = "vendored-sources"' '' \
        '[source.vendored-sources]' 'directory = "vendor"' >"$proj/.cargo/config.toml"
}

# Prints the vouch binary to measure: $BENCH_VOUCH, else a release build
# (--locked: a benchmark never rewrites Cargo.lock).
bench_vouch() {
    if [[ -n "${BENCH_VOUCH:-}" ]]; then
        echo "$BENCH_VOUCH"
    else
        cargo build --release --locked --bin vouch >&2
        echo "$PWD/target/release/vouch"
    fi
}
