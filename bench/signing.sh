#!/usr/bin/env bash
# Benchmark: signing one blob into a Sigstore bundle (issue 17), every signer
# vouch has, beside the peer that signs keylessly against the same services,
# in one run.
#
#   bash bench/signing.sh            # ~2 min once built
#
# The services: the local Sigstore stack the tests use
# (tests/sigstore-stack/stack.mjs: Fulcio, Rekor v1, an RFC 3161 TSA and an
# OIDC issuer on 127.0.0.1), one token minted for the whole run.
# Rows (hyperfine --warmup 2 --runs N, median):
#   vouch sign-blob --keyless     ephemeral key, Fulcio certificate, Rekor v1
#       hashedrekord entry, TSA timestamp, the bundle verified against the
#       stack's trusted root before it is written
#   sigstore-python sign          the same services, the same bundle (the peer)
#   vouch sign-blob --in-toto --keyless, and sigstore-python attest: a DSSE
#       statement, logged as a Rekor v1 dsse entry
#   vouch sign-blob --key FILE    a PKCS#8 key file, offline (no log)
#   vouch sign-blob --key pkcs11: a P-256 key on a SoftHSM2 token
# Prints a Markdown table and writes it to target/bench/signing.md; nothing
# asserts a timing. Tunables: BENCH_RUNS (10), BENCH_VOUCH (a prebuilt vouch).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start
runs="${BENCH_RUNS:-10}"

bench_apt hyperfine=hyperfine
bash scripts/install-oracles.sh
vouch="$(bench_vouch)"
venv="$root/target/oracles/venv/bin"
out="$root/target/bench"
mkdir -p "$out"
work="$(mktemp -d)"
stack_pid=""
cleanup() {
    [[ -n "$stack_pid" ]] && kill "$stack_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# --- the stack, a token, the fixtures -------------------------------------------
coproc STACK { exec node "$root/tests/sigstore-stack/stack.mjs" --out "$work/stack"; }
stack_pid="$STACK_PID"
read -r line <&"${STACK[0]}"
[[ "$line" == ready* ]] || { echo "bench: the stack did not start: $line" >&2; exit 1; }
control="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control"])' "$work/stack/ready.json")"
curl -sf "$control/token?email=bench@example.com&ttl=3600" >"$work/token"
token="$(cat "$work/token")"
cd "$work"
head -c 1048576 /dev/urandom >blob
digest="$(sha256sum blob | cut -d' ' -f1)"
predicate='{"buildDefinition":{"buildType":"https://example.com/build","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}'
printf '%s' "$predicate" >predicate.json
printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"blob","digest":{"sha256":"%s"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":%s}' \
    "$digest" "$predicate" >statement.json
"$vouch" keygen --out file >/dev/null 2>&1

# SoftHSM2: a token of its own, a P-256 key made on it by vouch.
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$work" >softhsm2.conf
export SOFTHSM2_CONF="$work/softhsm2.conf"
softhsm2-util --init-token --free --label bench --so-pin 1234 --pin 5678 >/dev/null
printf '5678' >pin
uri='pkcs11:token=bench;object=signer?module-path=/usr/lib/softhsm/libsofthsm2.so'
"$vouch" keygen --kms "$uri" --pin-file pin --out hsm >/dev/null 2>&1

keyless=(--keyless --identity-token @token --signing-config stack/signing_config.json
         --trusted-root stack/trusted_root.json)
py=("$venv/sigstore" --trust-config stack/client_trust_config.json)
# Each once, checked, before timing: a row that fails is no figure.
issuer="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["oidcIssuer"])' stack/ready.json)"
"$vouch" sign-blob "${keyless[@]}" --bundle v.json blob 2>/dev/null
"$vouch" sign-blob --in-toto "${keyless[@]}" --bundle vi.json statement.json 2>/dev/null
"${py[@]}" sign --identity-token "$token" --overwrite --bundle p.json blob 2>/dev/null
"${py[@]}" attest --identity-token "$token" --overwrite --predicate predicate.json \
    --predicate-type https://slsa.dev/provenance/v1 --bundle pi.json blob 2>/dev/null
for b in v.json p.json; do
    "$vouch" verify-bundle --bundle "$b" --trusted-root stack/trusted_root.json \
        --certificate-identity bench@example.com --certificate-oidc-issuer "$issuer" blob >/dev/null
done
for b in vi.json pi.json; do
    "$vouch" verify-bundle --bundle "$b" --trusted-root stack/trusted_root.json \
        --certificate-identity bench@example.com --certificate-oidc-issuer "$issuer" "sha256:$digest" >/dev/null
done
"$vouch" sign-blob --key "$uri" --pin-file pin --bundle h.json blob 2>/dev/null
"$vouch" verify-bundle --bundle h.json --key hsm.pub blob >/dev/null 2>&1

# --- timings --------------------------------------------------------------------
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --warmup 2 --runs "$runs" --style basic --export-json "$out/signing.json" \
    -n "vouch sign-blob --keyless" "$vouch sign-blob ${keyless[*]} --bundle v.json blob" \
    -n "sigstore-python sign" "${py[*]} sign --identity-token $token --overwrite --bundle p.json blob" \
    -n "vouch sign-blob --in-toto --keyless" "$vouch sign-blob --in-toto ${keyless[*]} --bundle vi.json statement.json" \
    -n "sigstore-python attest" "${py[*]} attest --identity-token $token --overwrite --predicate-type https://slsa.dev/provenance/v1 --predicate predicate.json --bundle pi.json blob" \
    -n "vouch sign-blob --key FILE" "$vouch sign-blob --key file.key --bundle f.json blob" \
    -n "vouch sign-blob --key pkcs11:" "$vouch sign-blob --key '$uri' --pin-file pin --bundle h.json blob"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out/signing.json" "$load_before" "$load_after" <<'PY' | tee "$out/signing.md"
import json, statistics, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
med = {name: statistics.median(r["times"]) for name, r in results.items()}
peer = {"vouch sign-blob --keyless": "sigstore-python sign",
        "vouch sign-blob --in-toto --keyless": "sigstore-python attest"}
print("| command | median wall (s) | min | max | vs. sigstore-python |")
print("|---|---:|---:|---:|---:|")
for name, r in results.items():
    ratio = f"{med[name] / med[peer[name]]:.2f}x" if name in peer else ""
    print(f"| {name} | {med[name]:.3f} | {min(r['times']):.3f} | {max(r['times']):.3f} | {ratio} |")
print(f"\nload average before {sys.argv[2]}, after {sys.argv[3]}")
PY
echo "bench: done in $((SECONDS - started)) s"
