//! OSV records (`osv::Record::from_json`, `osv::Database::add`): advisory
//! data from osv.dev exports or a mirror.
//!
//! Beyond "no panic": the record is validated so that matching cannot fail
//! later, so asking whether version 1.0.0 (valid SemVer and PEP 440) of
//! each package it names is affected must succeed; the repository and CPE
//! lookups and the database answer without failing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_evidence::osv::{Database, Record};

fuzz_target!(|data: &[u8]| {
    let Ok(record) = Record::from_json("fuzz.json", data) else {
        return;
    };
    let _ = serde_json::to_vec(&record);
    for affected in &record.affected {
        if let Some(package) = &affected.package {
            if let Err(e) = record.affects(&package.ecosystem, &package.name, "1.0.0") {
                panic!("a validated record fails to match: {e}");
            }
        }
        for range in &affected.ranges {
            if let Some(repo) = &range.repo {
                let _ = record.affects_repo(repo, "1.0.0");
            }
            for cpe in &range.cpes {
                let _ = record.affects_cpe(cpe, "1.0.0");
            }
        }
    }
    let mut database = Database::new();
    if database.add("fuzz.json", data).is_ok() {
        for affected in &record.affected {
            if let Some(package) = &affected.package {
                let _ = database.lookup(&package.ecosystem, &package.name, "1.0.0");
            }
        }
    }
});
