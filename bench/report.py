"""Render bench/verify.sh's results (target/bench/*.json) as a Markdown table.

    python bench/report.py OUT_DIR

Process rows come from hyperfine's --export-json (median of its runs);
in-process rows from bench/peer_loop.{py,mjs}. Ratio is peer / vouch of the
medians, against vouch's row of the same kind.
"""

import json
import os
import sys

out = sys.argv[1]


def load(name):
    with open(os.path.join(out, name), encoding="utf-8") as f:
        return json.load(f)


CASES = [
    ("msg.json", "message-signature bundle, 1 MiB artifact (process)",
     {"vouch": "vouch verify-bundle", "sigstore-js": "node sigstore_verify.mjs (@sigstore/verify 3.1.1)"}),
    ("dsse.json", "DSSE in-toto bundle, ~1 KiB statement (process)",
     {"vouch": "vouch verify-bundle", "sigstore-js": "node sigstore_verify.mjs (@sigstore/verify 3.1.1)"}),
]

print("| case | tool | median ms | ratio (peer / vouch) |")
print("|---|---|---:|---:|")
for path, case, tools in CASES:
    results = {r["command"]: r for r in load(path)["results"]}
    base = results["vouch"]["median"]
    for name, label in tools.items():
        med = results[name]["median"]
        ratio = "1.00 (baseline)" if name == "vouch" else f"{med / base:.1f}x"
        print(f"| {case} | {label} | {med * 1e3:.2f} | {ratio} |")
base = load("inproc-vouch.json")["median_ms"]
for path, label in [("inproc-vouch.json", "vouch verify_with_key (Rust)"),
                    ("inproc-sslib.json", "securesystemslib 1.6.0 Envelope.verify (Python)"),
                    ("inproc-sigstore-js.json", "@sigstore/verify 3.1.1 Verifier.verify (Node)")]:
    r = load(path)
    ratio = "1.00 (baseline)" if path == "inproc-vouch.json" else f"{r['median_ms'] / base:.1f}x"
    print(f"| DSSE bundle verify, in-process ({r['payload_bytes']} B payload) "
          f"| {label} | {r['median_ms']:.4f} | {ratio} |")
