#!/usr/bin/env bash
# Benchmark: the admission webhook (`vouch webhook`, release build) over TLS
# with keep-alive, against a local Distribution registry, in one run
# (issue 6 §6).
#
#   bash bench/webhook.sh           # from anywhere; ~3-4 min once built
#
# Setup: docker-registry (Distribution 2.8) on 127.0.0.1 with the config the
# tests generate (cli/tests/common/registry.rs, plain HTTP); 3 + BENCH_COLD
# fresh one-layer images pushed by skopeo from an OCI layout, each attested
# by `vouch attest` (testdata/projects/demo-service, one key: SLSA provenance
# and a CycloneDX SBOM as Sigstore bundle referrers); the demo policy
# (testdata/policies/demo.yaml) with its glob set to 127.0.0.1:PORT/**; certs
# from `vouch webhook certs`; `vouch webhook` with its default settings
# (cache of 10,000 verdicts, 300 s TTL), its stderr (one line per review)
# going to a file.
#
# Rows:
#   warm: POST /validate, a Pod review with 3 images (all attested, allowed,
#         pinned by digest, as the mutating webhook leaves them), cache warm;
#         wrk (Debian) with a Lua body, BENCH_SECS s per run, BENCH_ROUNDS
#         runs per wrk setting (BENCH_WRK, e.g. "1:8 2:16" = -t1 -c8,
#         -t2 -c16); the median of the runs of each setting is reported.
#         wrk shares the 2 cores with the server. The goal (>= 5,000/s and
#         p99 <= 5 ms) is checked on the fastest setting whose median p99 is
#         within 5 ms, else on the fastest.
#   cold: the first verification of each digest: BENCH_COLD distinct
#         attested images, one Pod review each, sent once, sequentially,
#         over one keep-alive TLS connection (Python http.client); per
#         review latency as the client sees it: registry round trips
#         (referrers, 2 bundle manifests and blobs), 2 DSSE verifications,
#         Rego, SBOM check.
#   RSS:  VmHWM (peak RSS) of the webhook from /proc/PID/status, at start,
#         after warm + cold, and after BENCH_FILL (10,000) more distinct
#         digests were verified: reviews of made-up digests in the registry
#         (no attachments), each answered "deny" by the evaluator, a real
#         verdict cached like any other (denials are cached, registry errors
#         are not); the metrics' cache-miss counter confirms they were
#         evaluated. A denied verdict carries its reasons instead of the
#         evidence notes of an allowed one: similar sizes, not the same.
#
# Prints a Markdown table and writes it to target/bench/webhook.md. Local
# processes only; every loop is bounded; nothing asserts a timing. Tunables:
# BENCH_SECS (10), BENCH_ROUNDS (2), BENCH_WRK ("1:8 2:16 1:32"),
# BENCH_COLD (60), BENCH_FILL (10000), BENCH_OSV (an OSV index the policy's
# vulnerability gate reads; none by default), BENCH_VOUCH (a prebuilt vouch
# binary; skips the release build).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start
secs="${BENCH_SECS:-10}" rounds="${BENCH_ROUNDS:-2}" settings="${BENCH_WRK:-1:8 2:16 1:32}"
cold_n="${BENCH_COLD:-60}" fill_n="${BENCH_FILL:-10000}"

# --- tools ---------------------------------------------------------------------
bench_apt wrk=wrk
bash scripts/install-oracles.sh             # docker-registry, skopeo, the venv
vouch="$(bench_vouch)"
py="$root/target/oracles/venv/bin/python"
out="$root/target/bench"
mkdir -p "$out"
rm -f "$out"/webhook-*.txt

# --- fixtures (temp dir, removed on exit with the child processes) --------------
bench_workdir
bench_registry "$py"

# 3 warm + cold_n cold images, each a fresh random one-file layer, tagged
# w0..w2 and c0..; pushed with skopeo (digests preserved), then attested.
"$py" - layout "$((3 + cold_n))" <<'PY'
import hashlib, io, json, os, sys, tarfile
layout, count = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{layout}/blobs/sha256")
def blob(media_type, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(f"{layout}/blobs/sha256/{digest}", "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}
refs = []
for i in range(count):
    content = os.urandom(16).hex().encode() + b"\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt"); info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    layer = blob("application/vnd.oci.image.layer.v1.tar", buf.getvalue())
    config = blob("application/vnd.oci.image.config.v1+json", json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode())
    manifest = blob("application/vnd.oci.image.manifest.v1+json", json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config, "layers": [layer]}).encode())
    tag = f"w{i}" if i < 3 else f"c{i - 3}"
    refs.append(dict(manifest, annotations={"org.opencontainers.image.ref.name": tag}))
with open(f"{layout}/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
with open(f"{layout}/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": refs}, f)
PY
tags=(w0 w1 w2)
for ((i = 0; i < cold_n; i++)); do tags+=("c$i"); done
echo "bench: pushing and attesting ${#tags[@]} images to $host (one skopeo copy and one vouch attest each)"
"$vouch" keygen --out ci >/dev/null 2>&1
: >images.txt
for t in "${tags[@]}"; do
    # Each image in a repository of its own: a new digest of a new image.
    ref="$host/bench/$t:v1"
    skopeo --insecure-policy copy --quiet --preserve-digests --dest-tls-verify=false \
        --digestfile digest "oci:$work/layout:$t" "docker://$ref" </dev/null
    echo "$t $host/bench/$t@$(cat digest)" >>images.txt
done
# Two attest processes at a time (2 cores); one key for all.
printf '%s\n' "${tags[@]}" | xargs -P2 -I{} sh -c \
    '"$1" attest "$2" --image "$3/bench/$4:v1" --key ci.key >/dev/null 2>>attest.log || { cat attest.log; exit 255; }' \
    sh "$vouch" "$root/testdata/projects/demo-service" "$host" {}
sed -e "s|{glob: \"oci:\*\*\"}|{glob: \"$host/**\"}|" -e "s|key: {path: ci.pub}|key: {path: $work/ci.pub}|" \
    "$root/testdata/policies/demo.yaml" >policy.yaml
grep -q "glob: \"$host/\*\*\"" policy.yaml || { echo "bench: the policy glob was not rewritten" >&2; exit 1; }
# BENCH_OSV: an OSV index (or directory, or zip) the policy's vulnerability
# gate reads, so that the RSS rows include it loaded and every cold verdict
# looks the image's inputs up in it (bench/vulns.sh builds a 600,000-record
# index).
if [[ -n "${BENCH_OSV:-}" ]]; then
    [[ -e "$BENCH_OSV" ]] || { echo "bench: BENCH_OSV: $BENCH_OSV does not exist" >&2; exit 1; }
    printf '  vulnerabilities:\n    osv: %s\n' "$(realpath "$BENCH_OSV")" >>policy.yaml
fi
"$vouch" webhook certs --service vouch-webhook --namespace vouch-system --out certs >/dev/null 2>&1

# --- the webhook -----------------------------------------------------------------
"$vouch" webhook --policy policy.yaml --tls-cert certs/tls.crt --tls-key certs/tls.key \
    --listen 127.0.0.1:0 2>webhook.log &
wpid=$!
pids+=($wpid)
for _ in $(seq 100); do grep -q 'listening on https://' webhook.log && break; sleep 0.1; done
wport="$(sed -n 's|.*listening on https://127.0.0.1:\([0-9]*\) .*|\1|p' webhook.log | head -1)"
[[ -n "$wport" ]] || { cat webhook.log; exit 1; }
url="https://127.0.0.1:$wport"
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$wpid/status"; }   # kB
rss_start="$(status VmHWM)"

# Python client: one keep-alive TLS connection per thread, the generated CA
# trusted (the certificate names the Service, so no host-name check).
cat >client.py <<'PY'
import concurrent.futures, copy, http.client, json, os, ssl, statistics, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile="certs/ca.crt")
ctx.check_hostname = False
with open(sys.argv[3], encoding="utf-8") as f:
    template = json.load(f)
def review(images, uid):
    r = copy.deepcopy(template)
    r["request"]["uid"] = uid
    spec = r["request"]["object"]["spec"]
    spec.pop("initContainers", None); spec.pop("volumes", None)
    spec["containers"] = [{"name": f"c{i}", "image": im} for i, im in enumerate(images)]
    return json.dumps(r).encode()
def post(conn, body):
    t = time.perf_counter()
    conn.request("POST", "/validate?timeout=10s", body, {"Content-Type": "application/json"})
    resp = conn.getresponse(); data = resp.read()
    took = time.perf_counter() - t
    assert resp.status == 200, (resp.status, data[:500])
    return took, json.loads(data)["response"]
if mode == "body":      # the warm review, printed for wrk
    sys.stdout.write(review(sys.argv[4:], "bench-warm").decode()); sys.exit()
if mode == "cold":      # each image once, in order: latency per new digest
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    lat = []
    for i, image in enumerate(sys.argv[4:]):
        took, resp = post(conn, review([image], f"cold-{i}"))
        assert resp["allowed"] is True, resp
        lat.append(took * 1000)
    lat.sort()
    q = statistics.quantiles(lat, n=100, method="inclusive")
    print(json.dumps({"n": len(lat), "p50": statistics.median(lat), "p99": q[98],
                      "max": lat[-1], "mean": statistics.mean(lat)}))
elif mode == "fill":    # N made-up digests: each verified once, denied, cached
    n, threads, host = int(sys.argv[4]), 4, sys.argv[5]
    def run(part):
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
        for i in range(part, n, threads):
            digest = "%064x" % (0xbe4c400000000000 * 2**192 + i)
            _, resp = post(conn, review([f"{host}/bench/fill@sha256:{digest}"], f"fill-{i}"))
            assert resp["allowed"] is False and resp["status"]["code"] == 403, resp
        return n
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, range(threads)))
PY
mapfile -t warm < <(awk '$1 ~ /^w/ {print $2}' images.txt)
mapfile -t cold < <(awk '$1 ~ /^c/ {print $2}' images.txt)
"$py" client.py "$wport" body "$root/testdata/admission/pod-create.json" "${warm[@]}" >warm.json
metric() { curl -sS --cacert certs/ca.crt --resolve "vouch-webhook.vouch-system.svc:$wport:127.0.0.1" \
    "https://vouch-webhook.vouch-system.svc:$wport/metrics" | awk -v m="$1" 'index($0, m) == 1 {print $NF}'; }
answer="$(curl -sS --cacert certs/ca.crt --resolve "vouch-webhook.vouch-system.svc:$wport:127.0.0.1" \
    -H 'Content-Type: application/json' --data-binary @warm.json \
    "https://vouch-webhook.vouch-system.svc:$wport/validate?timeout=10s")"
echo "$answer" | "$py" -c 'import json, sys; r = json.load(sys.stdin)["response"]; assert r["allowed"] is True, r' \
    || { echo "bench: the warm review is not allowed: $answer"; tail webhook.log; exit 1; }

# --- warm: wrk -------------------------------------------------------------------
cat >warm.lua <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open("warm.json", "rb")); wrk.body = f:read("*a"); f:close()
done = function(summary, latency, requests)
    local errors = summary.errors.connect + summary.errors.read + summary.errors.write
        + summary.errors.status + summary.errors.timeout
    io.write(string.format("RESULT %.1f %.3f %.3f %.3f %d %d\n",
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, summary.requests, errors))
end
LUA
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
denied_before="$(metric 'vouch_webhook_requests_total{endpoint="validate",verdict="deny"}')"
: >warm-runs.txt
for s in $settings; do
    t="${s%%:*}" c="${s##*:}"
    for ((r = 1; r <= rounds; r++)); do
        line="$(wrk -t"$t" -c"$c" -d"${secs}s" --latency -s warm.lua "$url/validate?timeout=10s" \
            | tee -a "$out/webhook-wrk.txt" | awk '$1 == "RESULT"')"
        echo "bench: warm -t$t -c$c run $r: $line"
        echo "$t $c $line" >>warm-runs.txt
    done
done
denied_after="$(metric 'vouch_webhook_requests_total{endpoint="validate",verdict="deny"}')"
[[ "${denied_before:-0}" == "${denied_after:-0}" ]] \
    || { echo "bench: the warm reviews were denied (${denied_before:-0} -> $denied_after)"; exit 1; }

rss_warm="$(status VmHWM)"

# --- cold ------------------------------------------------------------------------
misses_before="$(metric vouch_webhook_cache_misses_total)"
cold_json="$("$py" client.py "$wport" cold "$root/testdata/admission/pod-create.json" "${cold[@]}")"
misses_cold="$(metric vouch_webhook_cache_misses_total)"
echo "bench: cold: $cold_json (cache misses $misses_before -> $misses_cold)"
rss_cold="$(status VmHWM)"

# --- RSS after BENCH_FILL more verdicts ------------------------------------------
echo "bench: filling the cache with $fill_n verdicts"
fill_started=$SECONDS
"$py" client.py "$wport" fill "$root/testdata/admission/pod-create.json" "$fill_n" "$host"
fill_secs=$((SECONDS - fill_started))
misses_fill="$(metric vouch_webhook_cache_misses_total)"
rss_fill="$(status VmHWM)" rss_now="$(status VmRSS)"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
log_lines="$(wc -l <webhook.log)"

# --- report ----------------------------------------------------------------------
{
    "$py" - warm-runs.txt "$cold_json" "$rss_start" "$rss_warm" "$rss_cold" "$rss_fill" "$rss_now" \
        "$((misses_cold - misses_before))" "$((misses_fill - misses_cold))" "$fill_n" <<'PY'
import json, statistics, sys
runs_path, cold = sys.argv[1], json.loads(sys.argv[2])
rss_start, rss_warm, rss_cold, rss_fill, rss_now = (int(v) / 1024 for v in sys.argv[3:8])
misses_cold, misses_fill, fill_n = (int(v) for v in sys.argv[8:11])
settings = {}
for line in open(runs_path, encoding="utf-8"):
    t, c, _, rps, p50, p99, mx, n, err = line.split()
    settings.setdefault((int(t), int(c)), []).append(
        (float(rps), float(p50), float(p99), float(mx), int(n), int(err)))
def ok(met):
    return "met" if met else "**not met**"
print("| case | setting | reviews/s | p50 ms | p99 ms | goal | |")
print("|---|---|---:|---:|---:|---|---|")
medians = []
for (t, c), rs in settings.items():
    rps = statistics.median(r[0] for r in rs)
    p50 = statistics.median(r[1] for r in rs)
    p99 = statistics.median(r[2] for r in rs)
    errors = sum(r[5] for r in rs)
    medians.append((t, c, rps, p99))
    print(f"| warm, Pod of 3 images | wrk -t{t} -c{c}, {len(rs)} runs (errors {errors}) | "
          f"{rps:,.0f} | {p50:.2f} | {p99:.2f} | | |")
# The goal holds if one setting meets both halves: the fastest of those
# with p99 <= 5 ms, else the fastest overall.
meeting = [m for m in medians if m[3] <= 5] or medians
t, c, rps, p99 = max(meeting, key=lambda m: m[2])
print(f"| warm, best setting | wrk -t{t} -c{c} | {rps:,.0f} | | {p99:.2f} | >= 5,000/s and p99 <= 5 ms | "
      f"{ok(rps >= 5000 and p99 <= 5)} |")
print(f"| cold, 1 new digest per review | sequential, 1 connection, {cold['n']} digests "
      f"({misses_cold} cache misses) | {1000 / cold['mean']:,.0f} | {cold['p50']:.2f} | {cold['p99']:.2f} | "
      f"p99 <= 100 ms | {ok(cold['p99'] <= 100)} |")
print()
print("| webhook memory | MiB |")
print("|---|---:|")
print(f"| peak RSS (VmHWM) after start | {rss_start:.1f} |")
print(f"| peak RSS after the warm runs (3 allowed verdicts) | {rss_warm:.1f} |")
print(f"| peak RSS after warm + cold ({cold['n'] + 3} allowed verdicts) | {rss_cold:.1f} |")
print(f"| peak RSS after {fill_n:,} more verdicts ({misses_fill:,} cache misses; cache capacity 10,000) | "
      f"{rss_fill:.1f} (goal <= 64: {ok(rss_fill <= 64)}) |")
print(f"| RSS now (VmRSS) | {rss_now:.1f} |")
print()
print(f"- Warm rows: median of the runs of each setting (wrk `--latency`, a Lua body); "
      f"goal checked on the fastest setting with p99 <= 5 ms, else the fastest. Cold: max {cold['max']:.2f} ms, "
      f"mean {cold['mean']:.2f} ms; reviews/s there = 1 / mean latency, one at a time.")
print(f"- ({rss_fill:.1f} - {rss_cold:.1f}) MiB / {fill_n:,} = "
      f"{(rss_fill - rss_cold) * 1024 * 1024 / fill_n:,.0f} bytes of peak RSS per cached (denied) verdict.")
PY
    echo "- The fill took ${fill_secs} s (4 client threads); the webhook logged $log_lines lines (one per review) to a file."
    echo "- Machine: $(nproc) cores, $(uname -sr); load average (1/5/15 min) before $load_before, after $load_after."
    echo "- $("$vouch" --version 2>/dev/null || echo "vouch ?"); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}'); $("$py" --version)."
    echo "- Wall time of this run: $((SECONDS - started)) s."
} >"$out/webhook.md"
echo
cat "$out/webhook.md"
echo "bench: written to target/bench/webhook.md"
