//! The records of testdata/osv as a database, for the tests of this crate:
//! read from the checkout (the loader that reads databases lives in
//! `vouch-load`).

use std::path::Path;

use vouch_evidence::osv::Database;

/// The records of testdata/osv named in `names`, or all of them when
/// `names` is empty.
pub(crate) fn osv(names: &[&str]) -> Database {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| {
            names.is_empty() || names.iter().any(|n| p.file_name().is_some_and(|f| f == *n))
        })
        .collect();
    paths.sort();
    let mut db = Database::new();
    for path in paths {
        db.add(&path.display().to_string(), &std::fs::read(&path).unwrap())
            .unwrap();
    }
    db
}
