//! In-process timing of lookups in the on-disk OSV index, for
//! bench/vulns.sh.
//!
//!   cargo bench -p vouch-load --bench index_lookup -- INDEX QUERIES.tsv ROUNDS
//!
//! QUERIES.tsv holds one lookup a line (OSV ecosystem, package name,
//! version; bench/vulns_osv.py writes them for the first package of
//! records spread over the export). The index is opened once (timed), then
//! ROUNDS rounds of every query (hits: the package has records, each of
//! which is read, checked, inflated, parsed and matched, affected or not)
//! and of as many misses (the same names with a suffix no record has) are
//! timed; one JSON object is printed with the open time, the records found
//! affected, and the median microseconds per lookup of each kind. It fails
//! unless the hits find records and the misses none, so it never times
//! lookups that cannot answer. No timing is asserted anywhere.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    clippy::disallowed_macros
)] // bench driver

use std::path::Path;
use std::time::Instant;

use vouch_evidence::osv::{Ecosystem, Lookup};
use vouch_load::index::Index;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [index, queries, rounds] = args.as_slice() else {
        panic!("usage: index_lookup INDEX QUERIES.tsv ROUNDS");
    };
    let rounds: usize = rounds.parse().unwrap();
    let started = Instant::now();
    let index = Index::open(Path::new(index)).unwrap();
    let open_ms = started.elapsed().as_secs_f64() * 1e3;
    let queries: Vec<(Ecosystem, String, String)> = std::fs::read_to_string(queries)
        .unwrap()
        .lines()
        .map(|line| {
            let mut parts = line.split('\t');
            let ecosystem = Ecosystem::parse(parts.next().unwrap()).unwrap();
            (
                ecosystem,
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!queries.is_empty());
    let misses: Vec<(Ecosystem, String, String)> = queries
        .iter()
        .map(|(e, n, v)| (e.clone(), format!("{n}-no-such-package"), v.clone()))
        .collect();
    let time = |set: &[(Ecosystem, String, String)]| -> (f64, usize) {
        let mut per = Vec::new();
        let mut found = 0;
        for _ in 0..rounds {
            found = 0;
            let t = Instant::now();
            for (e, n, v) in set {
                found += index.lookup(e, n, v).map(|f| f.len()).unwrap_or(0);
            }
            per.push(t.elapsed().as_secs_f64() * 1e6 / set.len() as f64);
        }
        (median(per), found)
    };
    let (hit_us, found) = time(&queries);
    let (miss_us, missed) = time(&misses);
    assert_eq!(missed, 0, "a miss found a record");
    assert!(found > 0, "no hit found a record");
    println!(
        "{{\"records\": {}, \"open_ms\": {open_ms:.2}, \"queries\": {}, \"found\": {found}, \"hit_us\": {hit_us:.1}, \"miss_us\": {miss_us:.2}, \"rounds\": {rounds}}}",
        index.len(),
        queries.len()
    );
}
