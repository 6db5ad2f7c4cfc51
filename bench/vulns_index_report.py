"""Render the index part of bench/vulns.sh as a Markdown table.

    python3 bench/vulns_index_report.py OUT_DIR META ZIP_BYTES INDEX_BYTES BUILD_SECONDS BUILD_KIB

Reads OUT_DIR/vulns-index-exec.json and vulns-index-zip-exec.json
(hyperfine), vulns-index-rss.tsv (peak RSS per row),
vulns-index-findings.tsv (findings per vulns row, checked against the
generator's) and vulns-index-lookup.json (load's index_lookup bench), and
META (bench/vulns_osv.py's counts for the export).
"""

import json, os, sys

out, meta_path = sys.argv[1], sys.argv[2]
zip_bytes, index_bytes, build_s, build_kib = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
med = {}
for name in ("vulns-index-exec.json", "vulns-index-zip-exec.json"):
    with open(os.path.join(out, name), encoding="utf-8") as f:
        med.update({r["command"]: r["median"] for r in json.load(f)["results"]})
with open(os.path.join(out, "vulns-index-rss.tsv"), encoding="utf-8") as f:
    rss = {k: int(v) / 1024 for k, v in (l.rstrip("\n").split("\t") for l in f)}
with open(os.path.join(out, "vulns-index-findings.tsv"), encoding="utf-8") as f:
    found = {k: int(v) for k, v in (l.rstrip("\n").split("\t") for l in f)}
with open(os.path.join(out, "vulns-index-lookup.json"), encoding="utf-8") as f:
    lookup = json.load(f)
with open(meta_path, encoding="utf-8") as f:
    meta = json.load(f)
n = meta["records"]
base, image_base = med["inputs"], med["sbom"]
print(f"| {n:,} OSV records | median s | beyond the baseline s | peak RSS MiB | findings |")
print("|---|---:|---:|---:|---:|")
print(f"| `vouch osv index` (zip {zip_bytes / 1e6:.0f} MB -> index {index_bytes / 1e6:.0f} MB) | "
      f"{build_s:.1f} (one run) | - | {build_kib / 1024:.1f} | - |")
for key, label, rows in (
        ("inputs", "`vouch inputs DIR` (baseline)",
         (("index", "`vouch vulns DIR --osv INDEX`"), ("zip", "`vouch vulns DIR --osv ZIP` (in memory)"))),
        ("sbom", "`vouch sbom IMAGE --format cyclonedx` (baseline)",
         (("image index", "`vouch vulns IMAGE --osv INDEX`"),
          ("image zip", "`vouch vulns IMAGE --osv ZIP` (in memory)")))):
    baseline = med[key]
    print(f"| {label} | {baseline:.3f} | - | {rss[key]:.1f} | - |")
    for key, label in rows:
        print(f"| {label} | {med[key]:.3f} | {med[key] - baseline:.3f} | {rss[key]:.1f} | {found[key]:,} |")
print(f"| `vouch webhook` at start, no OSV records | - | - | {rss['webhook-plain']:.1f} | - |")
print(f"| `vouch webhook` at start, its policy's gate naming the index | - | - | {rss['webhook-index']:.1f} | - |")
print()
print(f"- Per lookup (in-process, median of {lookup['rounds']} rounds of {lookup['queries']:,}): "
      f"{lookup['hit_us']:.1f} µs for a package with records (every record filed under it read, "
      f"checked, inflated, parsed and matched; {lookup['found']:,} affected), "
      f"{lookup['miss_us']:.2f} µs for a package without; "
      f"opening the index: {lookup['open_ms']:.1f} ms.")
mix = ", ".join(f"{k} {v:,}" for k, v in meta["mix"].items())
print(f"- Mix: {mix}. The index keeps every record a lookup can return "
      f"({lookup['records']:,} live); the in-memory database keeps {meta['kept']:,} "
      f"and drops {meta['dropped']:,} of ecosystems it does not order yet.")
gap, image_gap = med["index"] - base, med["image index"] - image_base
print(f"- Goal, webhook peak RSS under 128 MiB with the index loaded: "
      f"{'met' if rss['webhook-index'] < 128 else 'missed'} at start ({rss['webhook-index']:.1f} MiB; "
      f"the index adds {rss['webhook-index'] - rss['webhook-plain']:.1f} MiB).")
print(f"- Goal, `vouch vulns` on a real image under 0.3 s beyond reading its packages (`vouch sbom`): "
      f"{'met' if image_gap < 0.3 else f'missed by {image_gap - 0.3:.3f} s'} ({image_gap:.3f} s; "
      f"{found['image index']:,} findings, the generator's {meta['image_expected_findings']:,} from "
      f"{meta['image_source_records']:,} records naming the image's source packages). "
      f"On the directory: {gap:.3f} s beyond `vouch inputs`.")
