# Helpers the benchmark scripts share; sourced, not run.

# Makes the repository's root the current directory, with `root` its path
# and `started` the benchmark's start (in $SECONDS): each script's first step.
bench_start() {
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    root="$PWD"
    started=$SECONDS
}

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

# Makes the temp dir `work` the current directory; on exit, every pid in
# `pids` is killed and waited for, and `work` is removed.
bench_workdir() {
    work="$(mktemp -d)"
    pids=()
    trap bench_cleanup EXIT
    cd "$work"
}
bench_cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}

# Starts Distribution 2.8 (`docker-registry`) with the configuration the
# tests generate (cli/tests/common/registry.rs): plain HTTP on a free port of
# 127.0.0.1, storage in ./storage. Sets `host` (127.0.0.1:PORT) and adds the
# registry's pid to `pids`; PY is a Python to find the free port with.
bench_registry() {
    local py="$1" port
    port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    host="127.0.0.1:$port"
    mkdir storage
    cat >registry.yml <<YML
version: 0.1
log:
  level: warn
  formatter: text
storage:
  filesystem:
    rootdirectory: $PWD/storage
  delete:
    enabled: true
http:
  addr: $host
  secret: vouch-bench-only
YML
    # Distribution reads REGISTRY_* variables as configuration overrides.
    env $(env | awk -F= '/^REGISTRY_/ {printf "-u %s ", $1}') \
        docker-registry serve registry.yml >registry.log 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "http://$host/v2/" 2>/dev/null && break
        sleep 0.1
    done
    curl -fsS -o /dev/null "http://$host/v2/" || { cat registry.log; exit 1; }
}
