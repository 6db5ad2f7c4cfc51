//! Looking records up, whatever holds them: the in-memory [`Database`]
//! or an on-disk index (`vouch-load`'s `index`), behind one trait, so that
//! a scan and a policy set work with either.
//!
//! The index keys are defined here, once, so that an index built by one
//! reader and queried by another file and find a record under the same
//! key as the in-memory database does.

use std::borrow::Cow;
use std::fmt;

use super::database::Database;
use super::ecosystem::Ecosystem;
use super::names::{normalize_repo, parse_cpe};
use super::record::Record;
use super::version::Query;

/// The records a lookup found, each with its fix versions as
/// [`Record::affects`] gives them: borrowed from an in-memory database,
/// owned when read from an index.
pub type Found<'a> = Vec<(Cow<'a, Record>, Vec<String>)>;

/// OSV records as a scan asks for them: by package, by GIT repository, by
/// CPE. Implemented by the in-memory [`Database`] and by the on-disk
/// index, which answer alike for the same export (the index also keeps
/// records of ecosystems the database drops as unmatchable). Errors are a
/// version that does not parse in its ecosystem's order, or an index that
/// cannot be read.
pub trait Lookup: Send + Sync + fmt::Debug {
    /// Every record affecting that package version, by id (see
    /// [`Database::lookup`]).
    fn lookup(&self, ecosystem: &Ecosystem, name: &str, version: &str)
        -> Result<Found<'_>, String>;

    /// Every record affecting that repository at that version, by id (see
    /// [`Database::lookup_repo`]).
    fn lookup_repo(&self, repo: &str, version: &str) -> Result<Found<'_>, String>;

    /// Every record affecting the product `cpe` names at that version, by
    /// id (see [`Database::lookup_cpe`]).
    fn lookup_cpe(&self, cpe: &str, version: &str) -> Result<Found<'_>, String>;

    /// How many live records it holds, for a summary line.
    fn len(&self) -> usize;

    /// Whether it holds no live record.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many withdrawn records were seen and dropped (one per id).
    fn withdrawn(&self) -> usize;

    /// How many valid records were dropped because no lookup can return
    /// them.
    fn unmatchable(&self) -> usize;
}

impl Lookup for Database {
    fn lookup(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
        version: &str,
    ) -> Result<Found<'_>, String> {
        Ok(borrowed(Database::lookup(self, ecosystem, name, version)?))
    }

    fn lookup_repo(&self, repo: &str, version: &str) -> Result<Found<'_>, String> {
        Ok(borrowed(Database::lookup_repo(self, repo, version)))
    }

    fn lookup_cpe(&self, cpe: &str, version: &str) -> Result<Found<'_>, String> {
        Ok(borrowed(Database::lookup_cpe(self, cpe, version)))
    }

    fn len(&self) -> usize {
        Database::len(self)
    }

    fn withdrawn(&self) -> usize {
        Database::withdrawn(self)
    }

    fn unmatchable(&self) -> usize {
        Database::unmatchable(self)
    }
}

fn borrowed(found: Vec<(&Record, Vec<String>)>) -> Found<'_> {
    found
        .into_iter()
        .map(|(record, fixes)| (Cow::Borrowed(record), fixes))
        .collect()
}

/// The keys a record is filed under in an index, as strings: `p` NUL
/// ecosystem NUL normalised name for each package, `r` NUL normalised
/// repository for each GIT range, `c` NUL `part:vendor:product` for each
/// range CPE that parses; sorted, without repeats. Empty for a record no
/// lookup can return.
pub fn index_keys(record: &Record) -> Vec<String> {
    let keys = Database::keys(record);
    let mut out: Vec<String> = keys
        .packages
        .iter()
        .map(|(ecosystem, name)| key('p', ecosystem.as_str(), Some(name)))
        .chain(keys.repos.iter().map(|repo| key('r', repo, None)))
        .chain(keys.cpes.iter().map(|cpe| key('c', cpe, None)))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn key(kind: char, first: &str, second: Option<&str>) -> String {
    match second {
        Some(second) => format!("{kind}\0{first}\0{second}"),
        None => format!("{kind}\0{first}"),
    }
}

/// The key under which an index files the records of a package (see
/// [`index_keys`]).
pub fn package_key(ecosystem: &Ecosystem, name: &str) -> String {
    key(
        'p',
        ecosystem.as_str(),
        Some(&ecosystem.normalize_name(name)),
    )
}

/// The key under which an index files the records with a GIT range in
/// `repo`.
pub fn repo_key(repo: &str) -> String {
    key('r', &normalize_repo(repo), None)
}

/// The key under which an index files the records whose ranges carry a
/// CPE of the product `cpe` names; None for a CPE that does not parse
/// (it can match nothing).
pub fn cpe_key(cpe: &str) -> Option<String> {
    parse_cpe(cpe).map(|c| key('c', &c.key, None))
}

/// Of `candidates` (the records filed under [`package_key`], in id
/// order), those affecting that package version, as [`Database::lookup`]
/// answers. An unparsable `version` is an error even with no candidate.
pub fn select_package<'a>(
    candidates: impl IntoIterator<Item = Cow<'a, Record>>,
    ecosystem: &Ecosystem,
    name: &str,
    version: &str,
) -> Result<Found<'a>, String> {
    let query = Query::new(ecosystem, version)?;
    let name = ecosystem.normalize_name(name);
    let mut found = Vec::new();
    for record in candidates {
        if let Some(fixes) = record.affects_query(ecosystem, &name, &query)? {
            found.push((record, fixes));
        }
    }
    Ok(found)
}

/// Of `candidates` (filed under [`repo_key`]), those affecting `repo` at
/// `version`, as [`Database::lookup_repo`] answers.
pub fn select_repo<'a>(
    candidates: impl IntoIterator<Item = Cow<'a, Record>>,
    repo: &str,
    version: &str,
) -> Found<'a> {
    candidates
        .into_iter()
        .filter_map(|record| {
            let fixes = record.affects_repo(repo, version)?;
            Some((record, fixes))
        })
        .collect()
}

/// Of `candidates` (filed under [`cpe_key`]), those affecting the product
/// `cpe` names at `version`, as [`Database::lookup_cpe`] answers.
pub fn select_cpe<'a>(
    candidates: impl IntoIterator<Item = Cow<'a, Record>>,
    cpe: &str,
    version: &str,
) -> Found<'a> {
    candidates
        .into_iter()
        .filter_map(|record| {
            let fixes = record.affects_cpe(cpe, version)?;
            Some((record, fixes))
        })
        .collect()
}
