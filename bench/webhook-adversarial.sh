#!/usr/bin/env bash
# Benchmark: the webhook's peak memory under adversarial evidence (issue 12,
# finding 9): `vouch webhook` (release build, default settings) against a
# local Distribution registry whose images carry oversized Sigstore bundles.
#
#   bash bench/webhook-adversarial.sh      # from anywhere; ~2 min once built
#
# Setup: docker-registry (Distribution 2.8) on 127.0.0.1, plain HTTP, as in
# bench/webhook.sh. One image attested by `vouch attest` gives a real bundle
# (a DSSE envelope of the demo project's provenance); copies of it whose
# DSSE payload is padded to a given size are pushed as blobs, and fresh
# images get 10 referrers each (referrer manifests naming the image as their
# subject, listed in its referrers fallback index `sha256-<hex>`, the only
# way Distribution 2.8 lists them), every one pointing at the padded bundle.
# The policy (testdata/policies/demo.yaml, glob set to HOST/**) matches them
# all, so their evidence is read. Nothing verifies, so every review is a deny.
#
# Rows (each a burst of reviews sent at once, each on its own TLS connection):
#   huge:  BENCH_REVIEWS (4) reviews at once, each of one image whose 10
#          referrers are 100 MiB bundles (the issue's case: one such review
#          peaked at 1.0 GB before the byte budget);
#   under: BENCH_REVIEWS reviews at once, each of BENCH_IMAGES (4) images whose
#          10 referrers are bundles just under the per-image byte budget
#          (BENCH_UNDER_MIB, 15 MiB): the most one verification may read,
#          with as many verifications waiting as the caps allow;
#   one:   the same with a single such referrer per image, which is read
#          whole and evaluated (its signature checked over the padded
#          payload) rather than refused at the second.
# For each: the webhook's peak RSS (VmHWM, from /proc/PID/status) after the
# burst, the answers (HTTP status and admission code), and the wall time of
# the burst. The goal: peak RSS within the deploy manifest's limit (256 MiB).
#
# Prints a Markdown table and writes it to target/bench/webhook-adversarial.md.
# Local processes only; every loop is bounded; nothing asserts a timing.
# The webhook runs with MALLOC_MMAP_THRESHOLD_=1048576, as
# deploy/30-deployment.yaml sets it; BENCH_MMAP_THRESHOLD= (empty) leaves
# glibc's dynamic threshold instead.
# Tunables: BENCH_REVIEWS (4), BENCH_IMAGES (4), BENCH_UNDER_MIB (15),
# BENCH_HUGE_MIB (100), BENCH_MMAP_THRESHOLD (1048576), BENCH_VOUCH (a
# prebuilt vouch binary; skips the release build), BENCH_WEBHOOK_ARGS (extra
# `vouch webhook` flags).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_start
reviews="${BENCH_REVIEWS:-4}" images_per="${BENCH_IMAGES:-4}"
under_mib="${BENCH_UNDER_MIB:-15}" huge_mib="${BENCH_HUGE_MIB:-100}"

# --- tools ---------------------------------------------------------------------
bash scripts/install-oracles.sh             # docker-registry, skopeo, the venv
vouch="$(bench_vouch)"
py="$root/target/oracles/venv/bin/python"
out="$root/target/bench"
mkdir -p "$out"

# --- fixtures (temp dir, removed on exit with the child processes) --------------
bench_workdir
bench_registry "$py"

# The registry client of the fixtures: the distribution API over plain HTTP.
cat >fixtures.py <<'PY'
import base64, hashlib, json, os, sys, urllib.request
host = sys.argv[1]
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
def call(method, path, body=None, content_type=None, accept=None):
    url = path if path.startswith("http") else f"http://{host}{path}"
    req = urllib.request.Request(url, data=body, method=method)
    if content_type: req.add_header("Content-Type", content_type)
    if accept: req.add_header("Accept", accept)
    with urllib.request.urlopen(req) as resp:
        return resp.headers, resp.read()
def push_blob(repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    headers, _ = call("POST", f"/v2/{repo}/blobs/uploads/")
    location = headers["Location"]
    location = location if location.startswith("http") else f"http://{host}{location}"
    sep = "&" if "?" in location else "?"
    call("PUT", f"{location}{sep}digest={digest}", data, "application/octet-stream")
    return {"digest": digest, "size": len(data)}
def push_manifest(repo, tag, doc, media_type):    # by digest when tag is None
    data = json.dumps(doc).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    call("PUT", f"/v2/{repo}/manifests/{tag or digest}", data, media_type)
    return {"mediaType": media_type, "digest": digest, "size": len(data)}
def get_manifest(repo, ref):
    return json.loads(call("GET", f"/v2/{repo}/manifests/{ref}", accept=f"{OCI_MANIFEST}, {OCI_INDEX}")[1])
def image(repo, tag):
    layer = os.urandom(32)
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
        "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
    c, l = push_blob(repo, config), push_blob(repo, layer)
    return push_manifest(repo, tag, {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": dict(c, mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": [dict(l, mediaType="application/vnd.oci.image.layer.v1.tar")]}, OCI_MANIFEST)
cmd = sys.argv[2]
if cmd == "image":           # image REPO TAG: a fresh image; prints its digest
    print(image(sys.argv[3], sys.argv[4])["digest"])
elif cmd == "bundle":        # bundle REPO DIGEST OUT: the first bundle attached to REPO@DIGEST
    repo, digest = sys.argv[3], sys.argv[4]
    index = get_manifest(repo, digest.replace(":", "-"))
    referrer = get_manifest(repo, index["manifests"][0]["digest"])
    layer = referrer["layers"][0]["digest"]
    open(sys.argv[5], "wb").write(call("GET", f"/v2/{repo}/blobs/{layer}")[1])
elif cmd == "flood":         # flood REPO BUNDLE MIB COUNT TAG...: images with COUNT padded referrers
    repo, bundle, mib, count = sys.argv[3], json.load(open(sys.argv[4])), float(sys.argv[5]), int(sys.argv[6])
    # Pad the DSSE payload (base64) so that the whole bundle is MIB MiB.
    payload = bundle["dsseEnvelope"]["payload"]
    base = len(json.dumps(bundle).encode())
    room = int(mib * 1024 * 1024) - base
    padded = base64.b64decode(payload) + b" " * (room * 3 // 4)
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(padded).decode()
    data = json.dumps(bundle).encode()
    empty = push_blob(repo, b"{}")
    layer = push_blob(repo, data)
    for tag in sys.argv[7:]:
        subject = image(repo, tag)
        refs = []
        for i in range(count):
            m = push_manifest(repo, None, {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "artifactType": BUNDLE,
                "config": dict(empty, mediaType="application/vnd.oci.empty.v1+json"),
                "layers": [dict(layer, mediaType=BUNDLE)],
                "subject": subject,
                "annotations": {"bench.vouch.dev/ref": str(i)}}, OCI_MANIFEST)
            refs.append(dict(m, artifactType=BUNDLE))
        push_manifest(repo, subject["digest"].replace(":", "-"),
                      {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": refs}, OCI_INDEX)
        print(f"{tag} {host}/{repo}@{subject['digest']}")
    print(f"bundle {len(data)}", file=sys.stderr)
PY

echo "bench: one attested image, for a real bundle"
"$vouch" keygen --out ci >/dev/null 2>&1
digest="$("$py" fixtures.py "$host" image adv/real v1)"
"$vouch" attest "$root/testdata/projects/demo-service" --image "$host/adv/real:v1" --key ci.key >/dev/null 2>attest.log \
    || { cat attest.log; exit 1; }
"$py" fixtures.py "$host" bundle adv/real "$digest" real.bundle.json
echo "bench: images with 10 referrers of $huge_mib MiB and of $under_mib MiB"
huge_tags=() under_tags=() one_tags=()
for ((i = 0; i < reviews; i++)); do huge_tags+=("h$i"); done
for ((i = 0; i < reviews * images_per; i++)); do under_tags+=("u$i"); one_tags+=("o$i"); done
"$py" fixtures.py "$host" flood adv/huge real.bundle.json "$huge_mib" 10 "${huge_tags[@]}" >huge.txt
"$py" fixtures.py "$host" flood adv/under real.bundle.json "$under_mib" 10 "${under_tags[@]}" >under.txt
"$py" fixtures.py "$host" flood adv/one real.bundle.json "$under_mib" 1 "${one_tags[@]}" >one.txt
sed -e "s|{glob: \"oci:\*\*\"}|{glob: \"$host/**\"}|" -e "s|key: {path: ci.pub}|key: {path: $work/ci.pub}|" \
    "$root/testdata/policies/demo.yaml" >policy.yaml
grep -q "glob: \"$host/\*\*\"" policy.yaml || { echo "bench: the policy glob was not rewritten" >&2; exit 1; }
"$vouch" webhook certs --service vouch-webhook --namespace vouch-system --out certs >/dev/null 2>&1

# --- the webhook -----------------------------------------------------------------
mmap_threshold="${BENCH_MMAP_THRESHOLD-1048576}"
malloc_env=()
[[ -n "$mmap_threshold" ]] && malloc_env=("MALLOC_MMAP_THRESHOLD_=$mmap_threshold")
# shellcheck disable=SC2086
env "${malloc_env[@]}" "$vouch" webhook --policy policy.yaml --tls-cert certs/tls.crt --tls-key certs/tls.key \
    --listen 127.0.0.1:0 ${BENCH_WEBHOOK_ARGS:-} 2>webhook.log &
wpid=$!
pids+=($wpid)
for _ in $(seq 100); do grep -q 'listening on https://' webhook.log && break; sleep 0.1; done
wport="$(sed -n 's|.*listening on https://127.0.0.1:\([0-9]*\) .*|\1|p' webhook.log | head -1)"
[[ -n "$wport" ]] || { cat webhook.log; exit 1; }
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$wpid/status"; }   # kB

# A burst: every review on its own thread and TLS connection, all at once.
cat >burst.py <<'PY'
import concurrent.futures, copy, http.client, json, ssl, sys, time
port, template_path, per = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
images = sys.argv[4:]
ctx = ssl.create_default_context(cafile="certs/ca.crt"); ctx.check_hostname = False
template = json.load(open(template_path, encoding="utf-8"))
def review(i, names):
    r = copy.deepcopy(template); r["request"]["uid"] = f"adversarial-{i}"
    spec = r["request"]["object"]["spec"]; spec.pop("initContainers", None); spec.pop("volumes", None)
    spec["containers"] = [{"name": f"c{k}", "image": im} for k, im in enumerate(names)]
    return json.dumps(r).encode()
def post(i):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
    conn.request("POST", "/validate?timeout=10s", review(i, images[i * per:(i + 1) * per]),
                 {"Content-Type": "application/json"})
    resp = conn.getresponse(); body = json.loads(resp.read())["response"]
    return resp.status, body.get("allowed"), (body.get("status") or {}).get("code"), (body.get("status") or {}).get("message", "")[:300]
t = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor(len(images) // per) as pool:
    answers = list(pool.map(post, range(len(images) // per)))
took = time.perf_counter() - t
print(json.dumps({"secs": took, "answers": answers}))
PY
rss_start="$(status VmHWM)"
mapfile -t huge < <(awk '{print $2}' huge.txt)
mapfile -t under < <(awk '{print $2}' under.txt)
mapfile -t one < <(awk '{print $2}' one.txt)
huge_json="$("$py" burst.py "$wport" "$root/testdata/admission/pod-create.json" 1 "${huge[@]}")"
rss_huge="$(status VmHWM)"
echo "bench: huge: $huge_json"
under_json="$("$py" burst.py "$wport" "$root/testdata/admission/pod-create.json" "$images_per" "${under[@]}")"
rss_under="$(status VmHWM)"
echo "bench: under: $under_json"
one_json="$("$py" burst.py "$wport" "$root/testdata/admission/pod-create.json" "$images_per" "${one[@]}")"
rss_one="$(status VmHWM)"
echo "bench: one: $one_json"
rss_now="$(status VmRSS)"

# --- report ----------------------------------------------------------------------
{
    "$py" - "$huge_json" "$under_json" "$one_json" "$rss_start" "$rss_huge" "$rss_under" "$rss_one" \
        "$rss_now" "$reviews" "$images_per" "$huge_mib" "$under_mib" <<'PY'
import json, sys
huge, under, one = (json.loads(v) for v in sys.argv[1:4])
start, peak_huge, peak_under, peak_one, now = (int(v) / 1024 for v in sys.argv[4:9])
reviews, per, huge_mib, under_mib = sys.argv[9:13]
def answers(run):
    codes = sorted({f"HTTP {s}, allowed={a}, code {c}" for s, a, c, _ in run["answers"]})
    return "; ".join(codes)
def ok(met):
    return "met" if met else "**not met**"
print("| burst | reviews at once | images per review | answers | wall s | peak RSS MiB | goal <= 256 MiB |")
print("|---|---:|---:|---|---:|---:|---|")
print(f"| (after start) | | | | | {start:.1f} | |")
print(f"| 10 referrers of {huge_mib} MiB per image | {reviews} | 1 | {answers(huge)} | {huge['secs']:.2f} | "
      f"{peak_huge:.1f} | {ok(peak_huge <= 256)} |")
print(f"| 10 referrers of {under_mib} MiB per image | {reviews} | {per} | {answers(under)} | {under['secs']:.2f} | "
      f"{peak_under:.1f} | {ok(peak_under <= 256)} |")
print(f"| 1 referrer of {under_mib} MiB per image, evaluated | {reviews} | {per} | {answers(one)} | {one['secs']:.2f} | "
      f"{peak_one:.1f} | {ok(peak_one <= 256)} |")
print()
print(f"- Peak RSS is a high-water mark: each row's figure covers the rows above it. RSS now (VmRSS): {now:.1f} MiB.")
print(f"- Denials, as answered (cut at 300 characters): `{huge['answers'][0][3]}`; `{one['answers'][0][3]}`")
PY
    echo "- Machine: $(nproc) cores, $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "- $("$vouch" --version 2>/dev/null || echo "vouch ?"); webhook flags: ${BENCH_WEBHOOK_ARGS:-(defaults)}; MALLOC_MMAP_THRESHOLD_=${mmap_threshold:-unset, the glibc default}."
    echo "- Wall time of this run: $((SECONDS - started)) s."
} >"$out/webhook-adversarial.md"
echo
cat "$out/webhook-adversarial.md"
echo "bench: written to target/bench/webhook-adversarial.md"
