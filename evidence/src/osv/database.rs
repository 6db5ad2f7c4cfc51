//! An in-memory, indexed OSV database.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::ecosystem::Ecosystem;
use super::names::{normalize_repo, parse_cpe};
use super::record::{timestamp, RangeKind, Record};
use super::version::Query;
use crate::{Error, Result};

/// An in-memory OSV database: records indexed by (ecosystem, normalised
/// package name), plus the ones with GIT ranges by repository and the ones
/// with range CPEs by `part:vendor:product`, so that a scan of many inputs
/// looks each up directly.
#[derive(Debug, Default)]
pub struct Database {
    /// Live records by id (ordered, so lookups answer in a stable order).
    records: BTreeMap<String, Record>,
    /// Withdrawn ids and their `modified` time.
    withdrawn: BTreeMap<String, jiff::Timestamp>,
    by_package: HashMap<(Ecosystem, String), BTreeSet<String>>,
    by_repo: HashMap<String, BTreeSet<String>>,
    pub(super) by_cpe: HashMap<String, BTreeSet<String>>,
    /// How many records were dropped as unmatchable (see [`Database::add`]).
    unmatchable: usize,
}

/// The index keys of one record (see [`Database::keys`]).
pub(super) struct Keys {
    pub(super) packages: Vec<(Ecosystem, String)>,
    pub(super) repos: Vec<String>,
    pub(super) cpes: Vec<String>,
}

/// Files `id` under `key` in one of the database's indexes.
fn index_id<K: std::hash::Hash + Eq>(index: &mut HashMap<K, BTreeSet<String>>, key: K, id: &str) {
    index.entry(key).or_default().insert(id.to_owned());
}

/// Removes `id` from under `key`, dropping the key when no id is left.
fn unindex_id<K: std::hash::Hash + Eq>(
    index: &mut HashMap<K, BTreeSet<String>>,
    key: &K,
    id: &str,
) {
    if let Some(ids) = index.get_mut(key) {
        ids.remove(id);
        if ids.is_empty() {
            index.remove(key);
        }
    }
}

impl Database {
    /// An empty database.
    pub fn new() -> Database {
        Database::default()
    }

    /// Adds one record (parsed with [`Record::from_json`], errors as there).
    ///
    /// Withdrawn records are counted and dropped. Of two records with one
    /// id (the same advisory in two exports), the later `modified` wins,
    /// whether withdrawn or not; on a tie the first one added stays.
    ///
    /// A record that no lookup can ever return is validated, counted
    /// ([`Database::unmatchable`]) and dropped: one whose affected entries
    /// name only ecosystems vouch does not order (Maven, NuGet, ...), with
    /// no GIT repository and no CPE. The full OSV export is mostly such
    /// records, and keeping them would cost memory for nothing.
    pub fn add(&mut self, source: &str, bytes: &[u8]) -> Result<()> {
        self.insert(source, Record::from_json(source, bytes)?)
    }

    /// Adds one record already parsed with [`Record::from_json`] (from
    /// `source`), as [`Database::add`] does: so that a loader can parse
    /// records in parallel and add them in a stable order.
    pub fn insert(&mut self, source: &str, record: Record) -> Result<()> {
        let keys = Database::keys(&record);
        let ordered = keys
            .packages
            .iter()
            .any(|(e, _)| !matches!(e, Ecosystem::Other(_)));
        if !ordered && keys.repos.is_empty() && keys.cpes.is_empty() {
            self.unmatchable += 1;
            return Ok(());
        }
        let modified = timestamp("modified", &record.modified)
            .map_err(|why| Error::invalid(format!("OSV record in {source}"), why))?;
        let current = match self.records.get(&record.id) {
            Some(live) => timestamp("modified", &live.modified).ok(),
            None => self.withdrawn.get(&record.id).copied(),
        };
        if current.is_some_and(|current| current >= modified) {
            return Ok(());
        }
        if let Some(old) = self.records.remove(&record.id) {
            self.unindex(&old);
        }
        if record.withdrawn.is_some() {
            self.withdrawn.insert(record.id, modified);
        } else {
            self.withdrawn.remove(&record.id);
            self.index(&record);
            self.records.insert(record.id.clone(), record);
        }
        Ok(())
    }

    /// The index keys of a record: its packages, its GIT repositories and
    /// the `part:vendor:product` of its range CPEs (CPEs that do not parse
    /// can never match, so they are not indexed).
    pub(super) fn keys(record: &Record) -> Keys {
        let ranges = || record.affected.iter().flat_map(|a| &a.ranges);
        Keys {
            packages: record
                .affected
                .iter()
                .filter_map(|a| a.package.as_ref())
                .map(|p| (p.ecosystem.clone(), p.ecosystem.normalize_name(&p.name)))
                .collect(),
            repos: ranges()
                .filter(|r| r.kind == RangeKind::Git)
                .filter_map(|r| r.repo.as_deref())
                .map(normalize_repo)
                .collect(),
            cpes: ranges()
                .flat_map(|r| &r.cpes)
                .filter_map(|c| parse_cpe(c))
                .map(|c| c.key)
                .collect(),
        }
    }

    fn index(&mut self, record: &Record) {
        let keys = Database::keys(record);
        for key in keys.packages {
            index_id(&mut self.by_package, key, &record.id);
        }
        for key in keys.repos {
            index_id(&mut self.by_repo, key, &record.id);
        }
        for key in keys.cpes {
            index_id(&mut self.by_cpe, key, &record.id);
        }
    }

    fn unindex(&mut self, record: &Record) {
        let keys = Database::keys(record);
        for key in &keys.packages {
            unindex_id(&mut self.by_package, key, &record.id);
        }
        for key in &keys.repos {
            unindex_id(&mut self.by_repo, key, &record.id);
        }
        for key in &keys.cpes {
            unindex_id(&mut self.by_cpe, key, &record.id);
        }
    }

    /// How many live (not withdrawn) records the database holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the database holds no live record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// How many withdrawn records were seen and dropped (one per id), for
    /// a scan's summary line.
    pub fn withdrawn(&self) -> usize {
        self.withdrawn.len()
    }

    /// How many valid records were dropped because no vouch input can
    /// match them (only ecosystems vouch does not order, no repository, no
    /// CPE).
    pub fn unmatchable(&self) -> usize {
        self.unmatchable
    }

    /// Every record affecting that package version, by id, each with its
    /// fix versions as [`Record::affects`] gives them. An unparsable
    /// `version` is an error even when no record names the package, so
    /// that a bad input is reported whatever the database holds.
    pub fn lookup(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
        version: &str,
    ) -> std::result::Result<Vec<(&Record, Vec<String>)>, String> {
        let query = Query::new(ecosystem, version)?;
        let name = ecosystem.normalize_name(name);
        let Some(ids) = self.by_package.get(&(ecosystem.clone(), name.clone())) else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for record in ids.iter().filter_map(|id| self.records.get(id)) {
            if let Some(fixes) = record.affects_query(ecosystem, &name, &query)? {
                found.push((record, fixes));
            }
        }
        Ok(found)
    }

    /// Every record affecting that repository at that version, as
    /// [`Record::affects_repo`] answers, by id.
    pub fn lookup_repo(&self, repo: &str, version: &str) -> Vec<(&Record, Vec<String>)> {
        let Some(ids) = self.by_repo.get(&normalize_repo(repo)) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| self.records.get(id))
            .filter_map(|record| Some((record, record.affects_repo(repo, version)?)))
            .collect()
    }

    /// Every record affecting the product `cpe` names at that version, as
    /// [`Record::affects_cpe`] answers, by id; none for a CPE that does not
    /// parse.
    pub fn lookup_cpe(&self, cpe: &str, version: &str) -> Vec<(&Record, Vec<String>)> {
        let Some(ids) = parse_cpe(cpe).and_then(|c| self.by_cpe.get(&c.key)) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| self.records.get(id))
            .filter_map(|record| Some((record, record.affects_cpe(cpe, version)?)))
            .collect()
    }
}
