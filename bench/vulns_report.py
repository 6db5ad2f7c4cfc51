"""Render bench/vulns.sh's results as a Markdown table.

    python3 bench/vulns_report.py OUT_DIR OSV_DIR N [N ...]

Reads OUT_DIR/vulns-exec.json (hyperfine's --export-json), OUT_DIR/vulns-rss.tsv
(peak RSS per row) and OSV_DIR/osv-N.meta.json (bench/vulns_osv.py's counts);
prints the table and the notes under it.
"""

import json, os, sys
out, osv, sizes = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
with open(os.path.join(out, "vulns-exec.json"), encoding="utf-8") as f:
    med = {r["command"]: r["median"] for r in json.load(f)["results"]}
with open(os.path.join(out, "vulns-rss.tsv"), encoding="utf-8") as f:
    rss = {k: int(v) / 1024 for k, v in (l.rstrip("\n").split("\t") for l in f)}
base_t, base_m = med["inputs"], rss["inputs"]
print("| case | OSV records (kept) | database MB | median s | OSV cost s | records/s | "
      "peak RSS MiB | RSS over inputs per 10k kept | findings |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
print(f"| `vouch inputs` (baseline: discovery + hashing) | - | - | {base_t:.3f} | - | - | "
      f"{base_m:.1f} | - | - |")
worst = 0.0
for n in sizes:
    with open(os.path.join(osv, f"osv-{n}.meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    for store, size in (("dir", meta["dir_bytes"]), ("zip", meta["zip_bytes"])):
        key = f"{store} {n}"
        cost = med[key] - base_t
        rate = f"{n / cost:,.0f}" if cost > 0 else "n/a (noise)"
        per10k = (rss[key] - base_m) / meta["kept"] * 10000
        worst = max(worst, per10k)
        print(f"| `vouch vulns --osv` {store} | {n:,} ({meta['kept']:,}) | {size / 1e6:.0f} | "
              f"{med[key]:.3f} | {cost:.3f} | {rate} | {rss[key]:.1f} | "
              f"{per10k:.1f} MiB | {meta['expected_findings']} |")
print()
for n in sizes:
    with open(os.path.join(osv, f"osv-{n}.meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    mix = ", ".join(f"{k} {v:,}" for k, v in meta["mix"].items())
    print(f"- {n:,} records: {mix}; kept {meta['kept']:,} (dropped as unmatchable "
          f"{meta['dropped']:,}, withdrawn {meta['withdrawn']:,}); "
          f"{meta['locked_crate_records']} name locked crates.")
# The per-row figure above carries the fixed cost of loading any database;
# between two sizes it cancels out, leaving the cost of the records alone.
if len(sizes) > 1:
    lo, hi = min(sizes), max(sizes)
    kept = {}
    for n in (lo, hi):
        with open(os.path.join(osv, f"osv-{n}.meta.json"), encoding="utf-8") as f:
            kept[n] = json.load(f)["kept"]
    slopes = {s: (rss[f"{s} {hi}"] - rss[f"{s} {lo}"]) / (kept[hi] - kept[lo]) * 10000
              for s in ("dir", "zip")}
    worst = max(slopes.values())
    print(f"- Marginal peak RSS per 10k kept records, between the {lo:,} and {hi:,} databases: "
          f"dir {slopes['dir']:.1f} MiB, zip {slopes['zip']:.1f} MiB.")
if worst > 50:
    print(f"- **RSS per 10k kept records is large: {worst:.1f} MiB (> 50).**")
