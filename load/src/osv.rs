//! OSV databases as they are downloaded: a directory of records or an
//! export zip, read capped in size and count, and parsed into the
//! in-memory [`Database`] that `vouch-verify` scans; or an index built
//! from one ([`crate::index`]), told apart by content ([`open`]).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use vouch_evidence::digest::{sha256, Sha256};
use vouch_evidence::osv::{Database, Lookup, Record};

use crate::{Error, Result};

/// The most OSV records read from one database.
pub const MAX_RECORDS: usize = 2_000_000;
/// The largest OSV record read.
pub const MAX_RECORD_BYTES: u64 = 4 * 1024 * 1024;
/// The most bytes read from one database, uncompressed.
pub const MAX_DATABASE_BYTES: u64 = 4 * 1024 * 1024 * 1024;

fn database_error(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Osv {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Reads an OSV database: a directory of `*.json` records (searched
/// recursively, as the osv.dev and GitHub advisory trees lay them out) or
/// an OSV export zip (`all.zip`, `<ecosystem>/all.zip`) as downloaded.
/// Returns it with a digest over every record's digest, in name order, so
/// a verdict cache can key on the database too. It reads what it is
/// pointed at, capped in size and count.
pub fn load_database(path: &Path) -> Result<(Database, Sha256)> {
    let mut db = Database::new();
    let digest = read_export(path, &mut db)?;
    Ok((db, digest))
}

/// Opens what `--osv` or a policy's `vulnerabilities.osv` names, told
/// apart by content: an index `vouch osv index` built (opened, its header
/// checked, its records read at lookup), else a directory or an export
/// zip, loaded as [`load_database`] does. The digest is the one
/// [`load_database`] gives for the export (an index records the digest of
/// the export it was built from), so that the policy set's version and a
/// verdict cache change when the records do, whichever form is given.
pub fn open(path: &Path) -> Result<(Arc<dyn Lookup>, Sha256)> {
    if crate::index::is_index(path) {
        let index = crate::index::Index::open(path)?;
        let digest = index.header().records_digest;
        return Ok((Arc::new(index), digest));
    }
    let (db, digest) = load_database(path)?;
    Ok((Arc::new(db), digest))
}

/// What a read export's records go into: the in-memory [`Database`], or
/// an index being built. `prepare` runs on every core, `insert` in name
/// order.
pub(crate) trait Sink: Sync {
    /// What `prepare` makes of a record's bytes for `insert`.
    type Prepared: Send;
    /// The per-record work done in parallel (compressing, for an index).
    fn prepare(&self, record: &Record, bytes: &[u8]) -> Self::Prepared;
    /// Adds one parsed record read from `source`.
    fn insert(&mut self, source: &str, record: Record, prepared: Self::Prepared) -> Result<()>;
}

impl Sink for Database {
    type Prepared = ();
    fn prepare(&self, _: &Record, _: &[u8]) {}
    fn insert(&mut self, source: &str, record: Record, (): ()) -> Result<()> {
        Ok(Database::insert(self, source, record)?)
    }
}

/// Reads the export at `path` (a directory of records or an export zip)
/// into `sink`, capped in size and count, and returns the digest over
/// every record's digest in name order.
pub(crate) fn read_export<S: Sink>(path: &Path, sink: &mut S) -> Result<Sha256> {
    let mut loader = Loader {
        path,
        sink,
        canonical: Vec::new(),
        total: 0,
        count: 0,
        batch: Vec::new(),
        batch_bytes: 0,
    };
    if path.is_dir() {
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            let entry = entry.map_err(|e| database_error(path, e))?;
            let p = entry.path();
            if !entry.file_type().is_file() || p.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let name = p.strip_prefix(path).unwrap_or(p).display().to_string();
            let mut file = std::fs::File::open(p)
                .map_err(|e| database_error(path, format!("cannot open {name}: {e}")))?;
            loader.take(name, &mut file)?;
        }
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| database_error(path, format!("cannot open: {e}")))?;
        let mut archive = zip::ZipArchive::new(file).map_err(|e| {
            database_error(path, format!("neither a directory nor an OSV zip: {e}"))
        })?;
        let mut names: Vec<String> = Vec::new();
        for name in archive.file_names() {
            let name =
                name.map_err(|e| database_error(path, format!("a zip member's name: {e}")))?;
            if name.ends_with(".json") {
                names.push(name.into_owned());
            }
        }
        if names.len() > MAX_RECORDS {
            return Err(database_error(
                path,
                format!("more than {MAX_RECORDS} records"),
            ));
        }
        names.sort();
        for name in names {
            let mut member = archive
                .by_name(&name)
                .map_err(|e| database_error(path, format!("zip member {name}: {e}")))?;
            if member.is_file() {
                loader.take(name, &mut member)?;
            }
        }
    }
    loader.flush()?;
    if loader.count == 0 {
        return Err(database_error(path, "holds no OSV records (*.json)"));
    }
    Ok(sha256(&loader.canonical))
}

/// Records read but not yet parsed are parsed together once there are
/// this many, or this many bytes of them.
const BATCH_RECORDS: usize = 1024;
const BATCH_BYTES: u64 = 16 * 1024 * 1024;

/// Reads records one at a time (capped), parses them a batch at a time on
/// every core, and adds them to the sink in name order, so that the
/// result and its digest do not depend on the parallelism.
struct Loader<'a, S> {
    path: &'a Path,
    sink: &'a mut S,
    canonical: Vec<u8>,
    total: u64,
    count: usize,
    batch: Vec<(String, Vec<u8>)>,
    batch_bytes: u64,
}

impl<S: Sink> Loader<'_, S> {
    fn take(&mut self, name: String, reader: &mut dyn Read) -> Result<()> {
        let path = self.path;
        self.count += 1;
        if self.count > MAX_RECORDS {
            return Err(database_error(
                path,
                format!("more than {MAX_RECORDS} records"),
            ));
        }
        let bytes = vouch_bounded::read_bounded(reader, MAX_RECORD_BYTES)
            .map_err(|e| database_error(path, format!("cannot read {name}: {e}")))?
            .ok_or_else(|| {
                database_error(
                    path,
                    format!("{name} is larger than the limit of {MAX_RECORD_BYTES} bytes"),
                )
            })?;
        self.total += bytes.len() as u64;
        if self.total > MAX_DATABASE_BYTES {
            return Err(database_error(
                path,
                format!("the records exceed the limit of {MAX_DATABASE_BYTES} bytes"),
            ));
        }
        self.batch_bytes += bytes.len() as u64;
        self.batch.push((name, bytes));
        if self.batch.len() >= BATCH_RECORDS || self.batch_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        use rayon::prelude::*;
        let root = self.path.display().to_string();
        let sink = &*self.sink;
        let parsed: Vec<_> = self
            .batch
            .par_iter()
            .map(|(name, bytes)| {
                let source = format!("{root}/{name}");
                let record = Record::from_json(&source, bytes).map(|record| {
                    let prepared = sink.prepare(&record, bytes);
                    (record, prepared)
                });
                (source, record, bytes.len() as u64, sha256(bytes))
            })
            .collect();
        self.batch.clear();
        self.batch_bytes = 0;
        for (source, record, len, digest) in parsed {
            let (record, prepared) = record?;
            self.sink.insert(&source, record, prepared)?;
            self.canonical.extend_from_slice(&len.to_be_bytes());
            self.canonical.extend_from_slice(&digest.0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_testdata_database_loads_from_a_directory_and_a_zip_alike() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv");
        let (db, digest) = load_database(&dir).unwrap();
        assert!(db.len() >= 10);
        assert_eq!(
            load_database(&dir).unwrap().1,
            digest,
            "the digest is stable"
        );
        // The same records as an OSV export zip (deflated) read the same.
        let tmp = tempfile::tempdir().unwrap();
        let zip_path = tmp.path().join("all.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        for path in names {
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            zip.start_file(
                name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
            std::io::Write::write_all(&mut zip, &std::fs::read(&path).unwrap()).unwrap();
        }
        zip.finish().unwrap();
        let (zipped, zipped_digest) = load_database(&zip_path).unwrap();
        assert_eq!((zipped.len(), zipped_digest), (db.len(), digest));
        let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv-bad");
        let err = load_database(&bad).unwrap_err().to_string();
        assert!(err.contains("osv-bad/"), "{err}");
        let err = load_database(&dir.join("SOURCE.md"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("neither a directory nor an OSV zip"), "{err}");
    }
}
