//! RPM databases: sqlite (`rpmdb.sqlite`), NDB (`Packages.db`) and
//! BerkeleyDB (`Packages`), each holding one RPM header per package.
//!
//! The format is told by the content's magic, never by the file name: an
//! image may put any bytes under any name. Each container hands its header
//! blobs, in its own order (which is the order `rpm -qa` lists), to
//! [`header::package`].

mod bdb;
pub mod header;
mod ndb;
mod sqlite;

use crate::{Error, Package, Result};

/// At most this many packages in one database (a full RHEL install has a
/// few thousand): a cap on work and memory before the headers are parsed.
pub const MAX_PACKAGES: usize = 100_000;

/// The three container formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Sqlite,
    Ndb,
    BerkeleyDb,
}

fn format(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(sqlite::MAGIC) {
        Some(Format::Sqlite)
    } else if bytes.starts_with(ndb::MAGIC) {
        Some(Format::Ndb)
    } else if bdb::is_hash(bytes) {
        Some(Format::BerkeleyDb)
    } else {
        None
    }
}

/// The packages of the RPM database at `path` (inside the image), whichever
/// of the three formats it is in, in the database's order, `gpg-pubkey`
/// pseudo-packages included (as `rpm -qa` lists them).
pub fn packages(path: &str, bytes: &[u8]) -> Result<Vec<Package>> {
    let mut out = Vec::new();
    let mut each = |blob: &[u8]| -> Result<()> {
        if out.len() == MAX_PACKAGES {
            return Err(Error::TooLarge {
                what: "RPM packages",
                path: path.to_owned(),
                limit: MAX_PACKAGES as u64,
            });
        }
        out.push(header::package(path, out.len(), blob)?);
        Ok(())
    };
    match format(bytes) {
        Some(Format::Sqlite) => sqlite::blobs(path, bytes, &mut each)?,
        Some(Format::Ndb) => ndb::blobs(path, bytes, &mut each)?,
        Some(Format::BerkeleyDb) => bdb::blobs(path, bytes, &mut each)?,
        None => {
            return Err(Error::Malformed {
                what: "RPM database",
                path: path.to_owned(),
                why: "neither SQLite, NDB nor BerkeleyDB hash (unknown magic)".into(),
            })
        }
    }
    Ok(out)
}

/// A container-level error.
fn malformed(what: &'static str, path: &str, why: String) -> Error {
    Error::Malformed {
        what,
        path: path.to_owned(),
        why,
    }
}

#[cfg(test)]
mod oracle;

#[cfg(test)]
mod hostile;
