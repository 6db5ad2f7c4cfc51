//! The on-disk OSV index: an export (directory or zip) read once by
//! `vouch osv index` into one file that a scan opens in milliseconds and
//! reads a few records of, instead of parsing the whole export into memory.
//!
//! Layout (all integers big-endian):
//!
//! ```text
//! "vouch-osv-index\n" format:u32          prefix: what the file is
//! records    zlib-compressed record JSON, one after the other
//! table      per record: offset:u64 length:u32 sha256(compressed):32
//! keys       per key, sorted: len:u32 key count:u32 (record:u32)*count
//! keyOffsets per key: offset:u32 into `keys`, for a binary search
//! header     JSON (Header): format, digests, counts, build time, sections
//! trailer    header length:u32 sha256(header):32 "vouch-osv-index\n"
//! ```
//!
//! Opening checks the prefix (a foreign file, another format), the trailer
//! and the header's digest (a truncated file has no trailer where the
//! length puts it), the file's length against the header's, the sections'
//! bounds, and the digests of `keys` and `keyOffsets`, which are held in
//! memory (a few bytes per record). A record is read at lookup: its
//! compressed bytes are compared with the table's digest before they are
//! inflated (capped) and parsed and validated as [`Record::from_json`]
//! does, so a damaged record is an error, never a wrong answer.
//!
//! Keys are those of [`osv::index_keys`]: a record is filed under every
//! package, GIT repository and range CPE it names, whatever its ecosystem,
//! so records of ecosystems vouch does not order yet are kept. Withdrawn
//! records and, of two records with one id, the earlier `modified` are
//! dropped as [`Database`](vouch_evidence::osv::Database) drops them.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vouch_evidence::digest::{sha256, Sha256};
use vouch_evidence::osv::{self, Ecosystem, Found, Lookup, Record};

use crate::osv::{read_export, Sink, MAX_RECORD_BYTES};
use crate::{Error, Result};

/// The first (and last) bytes of an index file.
pub const MAGIC: &[u8; 16] = b"vouch-osv-index\n";
/// The format this vouch writes and reads; another is refused at open.
pub const FORMAT: u32 = 1;

const PREFIX: u64 = 16 + 4;
const TRAILER: u64 = 4 + 32 + 16;
const ENTRY: u64 = 8 + 4 + 32;
/// The largest header read.
const MAX_HEADER: u32 = 64 * 1024;
/// The most bytes of keys held in memory.
const MAX_KEYS_BYTES: u64 = 512 * 1024 * 1024;

/// What an index says about itself, as JSON inside the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Header {
    /// The file format ([`FORMAT`]).
    pub format: u32,
    /// When it was built (RFC 3339).
    pub built: String,
    /// The digest over the export's records (each record's length and
    /// SHA-256, in name order), the one loading the export directly gives:
    /// it joins the policy set's version and the webhook's verdict cache
    /// key, so they change when the data does, zip or index alike.
    pub records_digest: Sha256,
    /// The SHA-256 of the export zip as downloaded (none for a directory),
    /// to compare with the digest its publisher gives.
    pub export_sha256: Option<Sha256>,
    /// Live records stored.
    pub records: u64,
    /// Withdrawn records dropped (one per id).
    pub withdrawn: u64,
    /// Valid records dropped because no lookup can return them (no
    /// package, GIT repository or range CPE).
    pub unmatchable: u64,
    /// Distinct lookup keys.
    pub keys: u64,
    /// The whole file's length, so that a truncated file is refused.
    pub file_length: u64,
    sections: Sections,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Sections {
    records: Section,
    table: Section,
    keys: Section,
    key_offsets: Section,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    offset: u64,
    length: u64,
    sha256: Option<Sha256>,
}

impl Section {
    fn end(&self) -> Option<u64> {
        self.offset.checked_add(self.length)
    }
}

/// The big-endian integer at the start of `bytes` (callers pass enough).
fn be_u32(bytes: &[u8]) -> u32 {
    bytes.first_chunk().map_or(0, |b| u32::from_be_bytes(*b))
}

/// The big-endian integer at the start of `bytes` (callers pass enough).
fn be_u64(bytes: &[u8]) -> u64 {
    bytes.first_chunk().map_or(0, |b| u64::from_be_bytes(*b))
}

fn index_error(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Osv {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Whether `path` is a file that begins as an index does (the test that
/// tells an index from an export zip; [`Index::open`] checks the rest).
pub fn is_index(path: &Path) -> bool {
    let mut prefix = [0u8; 16];
    path.is_file()
        && File::open(path)
            .and_then(|mut f| f.read_exact(&mut prefix))
            .is_ok()
        && &prefix == MAGIC
}

/// Builds the index of the export at `export` (a directory of records or
/// an export zip, read as `--osv` reads it, with the same caps) into
/// `output`, written to a temporary file beside it and renamed into place
/// once complete, so that `output` is never half-written. `built` is the
/// build time recorded. Returns the header written.
pub fn build(export: &Path, output: &Path, built: jiff::Timestamp) -> Result<Header> {
    let out_error = |e: std::io::Error| index_error(output, format!("cannot write: {e}"));
    let dir = match output.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp = tempfile::NamedTempFile::new_in(dir).map_err(out_error)?;
    let mut builder = Builder {
        out: BufWriter::new(temp.as_file().try_clone().map_err(out_error)?),
        offset: PREFIX,
        table: Vec::new(),
        ids: HashMap::new(),
        postings: BTreeMap::new(),
        record_ids: Vec::new(),
        live: Vec::new(),
        unmatchable: 0,
    };
    builder.out.write_all(MAGIC).map_err(out_error)?;
    builder
        .out
        .write_all(&FORMAT.to_be_bytes())
        .map_err(out_error)?;
    let records_digest = read_export(export, &mut builder)?;
    let export_sha256 = if export.is_dir() {
        None
    } else {
        Some(file_sha256(export).map_err(|e| index_error(export, format!("cannot read: {e}")))?)
    };
    let header = builder
        .finish(records_digest, export_sha256, built)
        .map_err(out_error)?;
    // Readable as any downloaded export is (a temporary file is 0600).
    std::fs::set_permissions(
        temp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .map_err(out_error)?;
    temp.as_file().sync_all().map_err(out_error)?;
    temp.persist(output).map_err(|e| out_error(e.error))?;
    Ok(header)
}

/// The SHA-256 of a file, streamed.
fn file_sha256(path: &Path) -> std::io::Result<Sha256> {
    let mut file = File::open(path)?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        context.update(&buffer[..n]);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    Ok(Sha256(out))
}

/// An index being written: records are appended as they come (in name
/// order), the keys kept in memory until the end.
struct Builder {
    out: BufWriter<File>,
    offset: u64,
    table: Vec<(u64, u32, Sha256)>,
    /// Each id seen (live or withdrawn): its `modified`, and its record.
    ids: HashMap<String, (jiff::Timestamp, Option<u32>)>,
    postings: BTreeMap<String, Vec<u32>>,
    record_ids: Vec<String>,
    /// Whether each record written is still the one kept for its id.
    live: Vec<bool>,
    unmatchable: u64,
}

impl Sink for Builder {
    /// The record's keys, and its compressed bytes unless it is withdrawn
    /// or has none.
    type Prepared = (Vec<String>, Option<Vec<u8>>);

    fn prepare(&self, record: &Record, bytes: &[u8]) -> Self::Prepared {
        let keys = osv::index_keys(record);
        let compressed = (!keys.is_empty() && record.withdrawn.is_none()).then(|| {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            // Writing to a Vec cannot fail.
            let _ = encoder.write_all(bytes);
            encoder.finish().unwrap_or_default()
        });
        (keys, compressed)
    }

    fn insert(&mut self, source: &str, record: Record, prepared: Self::Prepared) -> Result<()> {
        let (keys, compressed) = prepared;
        if keys.is_empty() {
            self.unmatchable += 1;
            return Ok(());
        }
        let modified: jiff::Timestamp = record.modified.parse().map_err(|e| Error::Osv {
            path: source.to_owned(),
            reason: format!("modified: {e}"),
        })?;
        let current = self.ids.get(&record.id).copied();
        if current.is_some_and(|(at, _)| at >= modified) {
            return Ok(());
        }
        if let Some((_, Some(old))) = current {
            self.live[old as usize] = false;
        }
        let Some(compressed) = compressed else {
            self.ids.insert(record.id, (modified, None));
            return Ok(());
        };
        let index = u32::try_from(self.table.len()).map_err(|_| Error::Osv {
            path: source.to_owned(),
            reason: "too many records for one index".into(),
        })?;
        self.out.write_all(&compressed).map_err(|e| Error::Osv {
            path: source.to_owned(),
            reason: format!("cannot write the index: {e}"),
        })?;
        self.table
            .push((self.offset, compressed.len() as u32, sha256(&compressed)));
        self.offset += compressed.len() as u64;
        self.live.push(true);
        for key in keys {
            self.postings.entry(key).or_default().push(index);
        }
        self.ids.insert(record.id.clone(), (modified, Some(index)));
        self.record_ids.push(record.id);
        Ok(())
    }
}

impl Builder {
    /// Writes the table, the keys, the header and the trailer.
    fn finish(
        mut self,
        records_digest: Sha256,
        export_sha256: Option<Sha256>,
        built: jiff::Timestamp,
    ) -> std::io::Result<Header> {
        let records = Section {
            offset: PREFIX,
            length: self.offset - PREFIX,
            sha256: None,
        };
        let mut table = Vec::with_capacity(self.table.len() * ENTRY as usize);
        for (offset, length, digest) in &self.table {
            table.extend_from_slice(&offset.to_be_bytes());
            table.extend_from_slice(&length.to_be_bytes());
            table.extend_from_slice(&digest.0);
        }
        let mut keys = Vec::new();
        let mut key_offsets = Vec::new();
        let too_large = || std::io::Error::other("the keys exceed the index's limit");
        for (key, mut list) in std::mem::take(&mut self.postings) {
            list.retain(|&i| self.live[i as usize]);
            list.sort_by(|&a, &b| self.record_ids[a as usize].cmp(&self.record_ids[b as usize]));
            list.dedup();
            if list.is_empty() {
                continue;
            }
            let at = u32::try_from(keys.len()).map_err(|_| too_large())?;
            key_offsets.extend_from_slice(&at.to_be_bytes());
            keys.extend_from_slice(&(key.len() as u32).to_be_bytes());
            keys.extend_from_slice(key.as_bytes());
            keys.extend_from_slice(&(list.len() as u32).to_be_bytes());
            for i in list {
                keys.extend_from_slice(&i.to_be_bytes());
            }
        }
        if keys.len() as u64 > MAX_KEYS_BYTES {
            return Err(too_large());
        }
        let mut sections = Sections {
            records,
            table: Section {
                offset: records.offset + records.length,
                length: table.len() as u64,
                sha256: Some(sha256(&table)),
            },
            keys: Section {
                offset: 0,
                length: keys.len() as u64,
                sha256: Some(sha256(&keys)),
            },
            key_offsets: Section {
                offset: 0,
                length: key_offsets.len() as u64,
                sha256: Some(sha256(&key_offsets)),
            },
        };
        sections.keys.offset = sections.table.offset + sections.table.length;
        sections.key_offsets.offset = sections.keys.offset + sections.keys.length;
        let mut header = Header {
            format: FORMAT,
            built: built.to_string(),
            records_digest,
            export_sha256,
            records: self.live.iter().filter(|l| **l).count() as u64,
            withdrawn: self.ids.values().filter(|(_, i)| i.is_none()).count() as u64,
            unmatchable: self.unmatchable,
            keys: (key_offsets.len() / 4) as u64,
            file_length: 0,
            sections,
        };
        // The length is part of the header it counts: serialise until the
        // figure is stable (once or twice, as its digits change).
        let end = header.sections.key_offsets.end().unwrap_or(u64::MAX);
        let mut json = serde_json::to_vec(&header)?;
        loop {
            let length = end + json.len() as u64 + TRAILER;
            if header.file_length == length {
                break;
            }
            header.file_length = length;
            json = serde_json::to_vec(&header)?;
        }
        self.out.write_all(&table)?;
        self.out.write_all(&keys)?;
        self.out.write_all(&key_offsets)?;
        self.out.write_all(&json)?;
        self.out.write_all(&(json.len() as u32).to_be_bytes())?;
        self.out.write_all(&sha256(&json).0)?;
        self.out.write_all(MAGIC)?;
        self.out.flush()?;
        Ok(header)
    }
}

/// An open index: the header and the keys in memory, the records read
/// from the file at lookup. Shared between threads (reads are positioned,
/// `pread`), as the webhook shares its policy set.
#[derive(Debug)]
pub struct Index {
    path: PathBuf,
    file: File,
    header: Header,
    keys: Vec<u8>,
    key_offsets: Vec<u8>,
}

impl Index {
    /// Opens the index at `path`, refusing a file that is not one (another
    /// format, a foreign file), is truncated, or whose header or keys do
    /// not match their recorded digests.
    pub fn open(path: &Path) -> Result<Index> {
        let fail = |reason: String| index_error(path, reason);
        let file = File::open(path).map_err(|e| fail(format!("cannot open: {e}")))?;
        let length = file
            .metadata()
            .map_err(|e| fail(format!("cannot read: {e}")))?
            .len();
        let read = |offset: u64, length: u64| -> Result<Vec<u8>> {
            let mut buffer = vec![0u8; length as usize];
            file.read_exact_at(&mut buffer, offset)
                .map_err(|e| fail(format!("cannot read at {offset}: {e}")))?;
            Ok(buffer)
        };
        let not_index = || fail("not a vouch OSV index (build one with `vouch osv index`)".into());
        if length < PREFIX {
            return Err(not_index());
        }
        let prefix = read(0, PREFIX)?;
        if &prefix[..16] != MAGIC {
            return Err(not_index());
        }
        let format = be_u32(&prefix[16..]);
        if format != FORMAT {
            return Err(fail(format!(
                "index format {format}, but this vouch reads format {FORMAT}: rebuild it with this vouch's `vouch osv index`"
            )));
        }
        let truncated = |why: &str| fail(format!("the index is truncated or damaged: {why}"));
        if length < PREFIX + TRAILER {
            return Err(truncated("shorter than its prefix and trailer"));
        }
        let trailer = read(length - TRAILER, TRAILER)?;
        if &trailer[36..] != MAGIC {
            return Err(truncated("it does not end with its trailer"));
        }
        let header_length = be_u32(&trailer);
        if header_length > MAX_HEADER || u64::from(header_length) > length - PREFIX - TRAILER {
            return Err(truncated("its header length is out of bounds"));
        }
        let header_at = length - TRAILER - u64::from(header_length);
        let json = read(header_at, u64::from(header_length))?;
        if sha256(&json).0[..] != trailer[4..36] {
            return Err(truncated("its header does not match its digest"));
        }
        let header: Header = serde_json::from_slice(&json)
            .map_err(|e| truncated(&format!("its header does not parse: {e}")))?;
        if header.format != FORMAT {
            return Err(truncated("its header names another format"));
        }
        if header.file_length != length {
            return Err(truncated(&format!(
                "{length} bytes, but it was written with {}",
                header.file_length
            )));
        }
        let s = &header.sections;
        let contiguous = s.records.offset == PREFIX
            && s.records.end() == Some(s.table.offset)
            && s.table.end() == Some(s.keys.offset)
            && s.keys.end() == Some(s.key_offsets.offset)
            && s.key_offsets.end() == Some(header_at)
            && s.table.length.is_multiple_of(ENTRY)
            && s.key_offsets.length == header.keys.saturating_mul(4)
            && s.keys.length <= MAX_KEYS_BYTES;
        if !contiguous {
            return Err(truncated("its sections are out of bounds"));
        }
        let checked = |section: Section, what: &str| -> Result<Vec<u8>> {
            let bytes = read(section.offset, section.length)?;
            if section.sha256 != Some(sha256(&bytes)) {
                return Err(truncated(&format!("its {what} do not match their digest")));
            }
            Ok(bytes)
        };
        let keys = checked(s.keys, "keys")?;
        let key_offsets = checked(s.key_offsets, "key offsets")?;
        Ok(Index {
            path: path.to_path_buf(),
            file,
            header,
            keys,
            key_offsets,
        })
    }

    /// What the index says about itself.
    pub fn header(&self) -> &Header {
        &self.header
    }

    fn damaged(&self, why: impl std::fmt::Display) -> String {
        format!("the OSV index {} is damaged: {why}", self.path.display())
    }

    /// The bytes of `keys` at `at..at+n`, or why not.
    fn keys_at(&self, at: usize, n: usize) -> std::result::Result<&[u8], String> {
        at.checked_add(n)
            .and_then(|end| self.keys.get(at..end))
            .ok_or_else(|| self.damaged("a key runs past its section"))
    }

    fn u32_at(&self, at: usize) -> std::result::Result<u32, String> {
        Ok(be_u32(self.keys_at(at, 4)?))
    }

    /// The key stored at position `i` of the sorted keys, and where its
    /// record list starts.
    fn key(&self, i: usize) -> std::result::Result<(&[u8], usize), String> {
        let at = self
            .key_offsets
            .get(i * 4..i * 4 + 4)
            .ok_or_else(|| self.damaged("a key offset is missing"))?;
        let at = be_u32(at) as usize;
        let length = self.u32_at(at)? as usize;
        Ok((self.keys_at(at + 4, length)?, at + 4 + length))
    }

    /// The records filed under `key`, in id order.
    fn records_under(&self, key: &str) -> std::result::Result<Vec<Record>, String> {
        let (mut low, mut high) = (0usize, self.key_offsets.len() / 4);
        while low < high {
            let middle = low + (high - low) / 2;
            let (found, list) = self.key(middle)?;
            match found.cmp(key.as_bytes()) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => {
                    let count = self.u32_at(list)? as usize;
                    let mut records = Vec::with_capacity(count.min(1024));
                    for n in 0..count {
                        records.push(self.record(self.u32_at(list + 4 + n * 4)?)?);
                    }
                    return Ok(records);
                }
            }
        }
        Ok(Vec::new())
    }

    /// Reads record `i`: its table entry, its bytes (checked against the
    /// entry's digest), inflated (capped) and validated.
    fn record(&self, i: u32) -> std::result::Result<Record, String> {
        let sections = &self.header.sections;
        let entry_at = u64::from(i) * ENTRY;
        if entry_at + ENTRY > sections.table.length {
            return Err(self.damaged(format!("record {i} is not in its table")));
        }
        let mut entry = [0u8; ENTRY as usize];
        self.file
            .read_exact_at(&mut entry, sections.table.offset + entry_at)
            .map_err(|e| self.damaged(e))?;
        let offset = be_u64(&entry);
        let length = be_u32(&entry[8..]);
        let in_records = offset >= sections.records.offset
            && offset.checked_add(u64::from(length)) <= sections.records.end();
        if !in_records || u64::from(length) > MAX_RECORD_BYTES {
            return Err(self.damaged(format!("record {i} is out of bounds")));
        }
        let mut compressed = vec![0u8; length as usize];
        self.file
            .read_exact_at(&mut compressed, offset)
            .map_err(|e| self.damaged(e))?;
        if sha256(&compressed).0[..] != entry[12..] {
            return Err(self.damaged(format!("record {i} does not match its digest")));
        }
        let mut json = Vec::new();
        flate2::read::ZlibDecoder::new(&compressed[..])
            .take(MAX_RECORD_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|e| self.damaged(format!("record {i}: {e}")))?;
        if json.len() as u64 > MAX_RECORD_BYTES {
            return Err(self.damaged(format!("record {i} is too large")));
        }
        let source = format!("{}#{i}", self.path.display());
        Record::from_json(&source, &json).map_err(|e| e.to_string())
    }
}

fn owned(records: Vec<Record>) -> impl Iterator<Item = Cow<'static, Record>> {
    records.into_iter().map(Cow::Owned)
}

impl Lookup for Index {
    fn lookup(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
        version: &str,
    ) -> std::result::Result<Found<'_>, String> {
        let candidates = self.records_under(&osv::package_key(ecosystem, name))?;
        osv::select_package(owned(candidates), ecosystem, name, version)
    }

    fn lookup_repo(&self, repo: &str, version: &str) -> std::result::Result<Found<'_>, String> {
        let candidates = self.records_under(&osv::repo_key(repo))?;
        Ok(osv::select_repo(owned(candidates), repo, version))
    }

    fn lookup_cpe(&self, cpe: &str, version: &str) -> std::result::Result<Found<'_>, String> {
        let Some(key) = osv::cpe_key(cpe) else {
            return Ok(Vec::new());
        };
        let candidates = self.records_under(&key)?;
        Ok(osv::select_cpe(owned(candidates), cpe, version))
    }

    fn len(&self) -> usize {
        self.header.records as usize
    }

    fn withdrawn(&self) -> usize {
        self.header.withdrawn as usize
    }

    fn unmatchable(&self) -> usize {
        self.header.unmatchable as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_evidence::osv::RangeKind;

    fn testdata() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv")
    }

    /// Authored records beside the real ones: one id twice (the later
    /// `modified` in the file read first), a live record withdrawn by a
    /// later copy, and a Maven record (an ecosystem the in-memory
    /// database drops).
    fn export(dir: &Path) {
        for entry in std::fs::read_dir(testdata()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            }
        }
        let record = |id: &str, modified: &str, withdrawn: bool, ecosystem: &str, fixed: &str| {
            let withdrawn = if withdrawn {
                format!(r#""withdrawn": "{modified}","#)
            } else {
                String::new()
            };
            format!(
                r#"{{"id": "{id}", "modified": "{modified}", {withdrawn}
                "summary": "{id} fixed in {fixed}",
                "affected": [{{"package": {{"ecosystem": "{ecosystem}", "name": "left-pad"}},
                  "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}],
                  "versions": ["1.0.0"]}}]}}"#
            )
        };
        let write = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
        write(
            "a-dup.json",
            record("GHSA-dup", "2024-02-01T00:00:00Z", false, "npm", "2.0.0"),
        );
        write(
            "b-dup.json",
            record("GHSA-dup", "2024-01-01T00:00:00Z", false, "npm", "9.0.0"),
        );
        write(
            "c-gone.json",
            record("GHSA-gone", "2024-01-01T00:00:00Z", false, "npm", "3.0.0"),
        );
        write(
            "d-gone.json",
            record("GHSA-gone", "2024-03-01T00:00:00Z", true, "npm", "3.0.0"),
        );
        write(
            "e-maven.json",
            record("GHSA-maven", "2024-01-01T00:00:00Z", false, "Maven", "1.1"),
        );
    }

    fn ids(found: Found<'_>) -> Vec<(String, Vec<String>)> {
        found.into_iter().map(|(r, f)| (r.id.clone(), f)).collect()
    }

    #[test]
    fn an_index_answers_every_lookup_as_the_database_does() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("export");
        std::fs::create_dir(&dir).unwrap();
        export(&dir);
        let (db, digest) = crate::osv::load_database(&dir).unwrap();
        let path = tmp.path().join("osv.idx");
        let built = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        let header = build(&dir, &path, built).unwrap();
        assert_eq!(header.records_digest, digest, "the export's digest is kept");
        assert_eq!(header.export_sha256, None, "a directory has no file digest");
        let index = Index::open(&path).unwrap();
        assert_eq!(index.header(), &header);
        assert_eq!(header.built, "2023-11-14T22:13:20Z");
        // The Maven record is kept; the database drops it.
        assert_eq!(Lookup::len(&index), db.len() + 1);
        assert_eq!(Lookup::withdrawn(&index), db.withdrawn());
        assert_eq!(db.unmatchable(), 1);
        assert_eq!(Lookup::unmatchable(&index), 0);

        let mut queries = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let record = Record::from_json("t", &std::fs::read(&path).unwrap()).unwrap();
            for affected in &record.affected {
                let mut versions: Vec<String> = affected.versions.clone();
                for range in &affected.ranges {
                    versions.extend(range.events.iter().map(|e| match e {
                        osv::Event::Introduced(v)
                        | osv::Event::Fixed(v)
                        | osv::Event::LastAffected(v)
                        | osv::Event::Limit(v) => v.clone(),
                    }));
                }
                versions.extend(["0.0.1".to_owned(), "999.0.0".to_owned()]);
                versions.retain(|v| v != "0" && v != "*");
                for version in &versions {
                    if let Some(package) = &affected.package {
                        let e = &package.ecosystem;
                        if matches!(e, Ecosystem::Other(_)) {
                            continue;
                        }
                        let by_db = Lookup::lookup(&db, e, &package.name, version).map(ids);
                        let by_index = index.lookup(e, &package.name, version).map(ids);
                        assert_eq!(by_index, by_db, "{} {} {version}", e, package.name);
                        queries += 1;
                    }
                    for range in &affected.ranges {
                        if let (RangeKind::Git, Some(repo)) = (range.kind, &range.repo) {
                            let by_db = ids(Lookup::lookup_repo(&db, repo, version).unwrap());
                            assert_eq!(ids(index.lookup_repo(repo, version).unwrap()), by_db);
                            queries += 1;
                        }
                        for cpe in &range.cpes {
                            let by_db = ids(Lookup::lookup_cpe(&db, cpe, version).unwrap());
                            assert_eq!(ids(index.lookup_cpe(cpe, version).unwrap()), by_db);
                            queries += 1;
                        }
                    }
                }
            }
        }
        assert!(queries > 50, "{queries} queries");
        // The later `modified` wins, whichever file comes first; a later
        // withdrawal removes the record.
        let npm = Ecosystem::Npm;
        let dup = ids(index.lookup(&npm, "left-pad", "1.5.0").unwrap());
        assert_eq!(dup, vec![("GHSA-dup".to_owned(), vec!["2.0.0".to_owned()])]);
        assert!(ids(index.lookup(&npm, "left-pad", "2.5.0").unwrap()).is_empty());
        // A record of an ecosystem vouch does not order yet is kept and
        // found by its listed versions.
        let maven = Ecosystem::parse("Maven").unwrap();
        let found = ids(index.lookup(&maven, "left-pad", "1.0.0").unwrap());
        assert_eq!(found, vec![("GHSA-maven".to_owned(), vec![])]);
        assert!(ids(Lookup::lookup(&db, &maven, "left-pad", "1.0.0").unwrap()).is_empty());
        // An unparsable version is an error, as in the database.
        assert!(index.lookup(&npm, "no-such", "not a version").is_err());
        assert!(Lookup::lookup(&db, &npm, "no-such", "not a version").is_err());
    }

    #[test]
    fn a_zip_and_its_directory_give_one_digest_and_the_zip_its_file_digest() {
        let tmp = tempfile::tempdir().unwrap();
        let zip_path = tmp.path().join("all.zip");
        let mut zip = zip::ZipWriter::new(File::create(&zip_path).unwrap());
        let mut names: Vec<_> = std::fs::read_dir(testdata())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        for path in names {
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
        }
        zip.finish().unwrap();
        let now = jiff::Timestamp::now();
        let from_zip = build(&zip_path, &tmp.path().join("a.idx"), now).unwrap();
        let from_dir = build(&testdata(), &tmp.path().join("b.idx"), now).unwrap();
        assert_eq!(from_zip.records_digest, from_dir.records_digest);
        assert_eq!(
            from_zip.export_sha256,
            Some(sha256(&std::fs::read(&zip_path).unwrap()))
        );
        let (_, digest) = crate::osv::open(&tmp.path().join("a.idx")).unwrap();
        assert_eq!(digest, crate::osv::load_database(&zip_path).unwrap().1);
    }

    #[test]
    fn a_truncated_foreign_or_damaged_index_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("osv.idx");
        build(&testdata(), &path, jiff::Timestamp::now()).unwrap();
        let good = std::fs::read(&path).unwrap();
        let refused = |bytes: &[u8]| {
            let bad = tmp.path().join("bad.idx");
            std::fs::write(&bad, bytes).unwrap();
            Index::open(&bad).unwrap_err().to_string()
        };
        for cut in [10, 100, good.len() / 2, good.len() - 1] {
            let err = refused(&good[..cut]);
            assert!(
                err.contains("truncated") || err.contains("not a vouch OSV index"),
                "{cut}: {err}"
            );
        }
        let err = refused(b"PK\x03\x04 a zip, say, or anything else entirely");
        assert!(err.contains("not a vouch OSV index"), "{err}");
        let mut other_format = good.clone();
        other_format[19] = 2;
        let err = refused(&other_format);
        assert!(err.contains("index format 2"), "{err}");
        // A flipped byte in the keys is caught at open.
        let header = Index::open(&path).unwrap().header().clone();
        let mut keys = good.clone();
        keys[header.sections.keys.offset as usize + 6] ^= 1;
        assert!(refused(&keys).contains("keys do not match"));
        // A flipped byte in a record is caught at lookup, never answered.
        let mut record = good.clone();
        record[PREFIX as usize + 3] ^= 1;
        let bad = tmp.path().join("record.idx");
        std::fs::write(&bad, &record).unwrap();
        let index = Index::open(&bad).unwrap();
        let errors = (0..header.records as u32)
            .filter_map(|i| index.record(i).err())
            .collect::<Vec<_>>();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("does not match its digest"),
            "{errors:?}"
        );
        // A failed build leaves nothing behind at the output.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "{mode:o}");
        let out = tmp.path().join("never.idx");
        let bad_export = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv-bad");
        assert!(build(&bad_export, &out, jiff::Timestamp::now()).is_err());
        assert!(!out.exists());
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 3);
    }
}
