//! os-release(5): which distribution and release an image is, the key
//! distribution advisories are published under (`Debian:12`,
//! `Alpine:v3.19`).
//!
//! The file is a list of shell-style variable assignments: values may be
//! unquoted, in double quotes (where `\"`, `\\`, `` \` `` and `\$` are
//! escapes) or in single quotes (no escapes), and adjacent pieces join as
//! in a shell; `#` starts a comment line; blank lines are ignored. A line
//! that is not an assignment is ignored, as systemd's parser does; an
//! unterminated quote is an error.

use crate::{Error, Result};

/// Where os-release lives, in the order systemd reads them: the first that
/// exists wins.
pub const PATHS: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

/// The fields of os-release a scan uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID`: the distribution (`debian`, `ubuntu`, `alpine`, `rhel`).
    pub id: Option<String>,
    /// `ID_LIKE`: the distributions it derives from, closest first.
    pub id_like: Vec<String>,
    /// `VERSION_ID`: the release (`12`, `22.04`, `3.19.1`).
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`: the release's codename (`bookworm`).
    pub version_codename: Option<String>,
    /// `NAME`: the distribution's name for people.
    pub name: Option<String>,
    /// `PRETTY_NAME`: the distribution and release for people.
    pub pretty_name: Option<String>,
}

impl OsRelease {
    /// Parses os-release `bytes`, read at `path` inside the image.
    pub fn parse(path: &str, bytes: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(bytes).map_err(|e| malformed(path, format!("{e}")))?;
        let mut os = OsRelease::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, raw)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim_end();
            if key.is_empty()
                || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                || key.as_bytes()[0].is_ascii_digit()
            {
                continue;
            }
            let value =
                unquote(raw).map_err(|why| malformed(path, format!("line {}: {why}", n + 1)))?;
            let slot = match key {
                "ID" => &mut os.id,
                "VERSION_ID" => &mut os.version_id,
                "VERSION_CODENAME" => &mut os.version_codename,
                "NAME" => &mut os.name,
                "PRETTY_NAME" => &mut os.pretty_name,
                "ID_LIKE" => {
                    os.id_like = value.split_whitespace().map(str::to_owned).collect();
                    continue;
                }
                _ => continue,
            };
            *slot = (!value.is_empty()).then_some(value);
        }
        Ok(os)
    }
}

/// A value as a shell reads it: quotes removed, escapes applied, trailing
/// unquoted blanks dropped.
fn unquote(raw: &str) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut chars = raw.chars();
    // Unquoted blanks are kept only when something follows them.
    let mut blanks = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                out.push_str(&blanks);
                blanks.clear();
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => out.push(c),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                out.push_str(&blanks);
                blanks.clear();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '`' | '$')) => out.push(c),
                            Some(c) => {
                                out.push('\\');
                                out.push(c);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(c) => out.push(c),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                out.push_str(&blanks);
                blanks.clear();
                if let Some(c) = chars.next() {
                    out.push(c);
                }
            }
            c if c == ' ' || c == '\t' => blanks.push(c),
            c => {
                out.push_str(&blanks);
                blanks.clear();
                out.push(c);
            }
        }
    }
    Ok(out)
}

fn malformed(path: &str, why: String) -> Error {
    Error::Malformed {
        what: "os-release",
        path: path.to_owned(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_debian_bookworm() {
        let bytes = include_bytes!("../../testdata/ospkg/debian-bookworm/os-release");
        let os = OsRelease::parse("usr/lib/os-release", bytes).unwrap();
        assert_eq!(os.id.as_deref(), Some("debian"));
        assert_eq!(os.version_id.as_deref(), Some("12"));
        assert_eq!(os.version_codename.as_deref(), Some("bookworm"));
        assert_eq!(os.name.as_deref(), Some("Debian GNU/Linux"));
        assert_eq!(
            os.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert!(os.id_like.is_empty());
    }

    #[test]
    fn quotes_escapes_comments_and_id_like() {
        let text = b"# a comment\n\
            NAME='Ubuntu'\n\
            ID=ubuntu\n\
            ID_LIKE=\"debian  fedora\"\n\
            PRETTY_NAME=\"say \\\"hi\\\" \\$HOME \\\\ \\n\"\n\
            VERSION_CODENAME=jam\\ my   \n\
            VERSION_ID=\"22\".'04'\n\
            not an assignment\n\
            1BAD=x\n";
        let os = OsRelease::parse("etc/os-release", text).unwrap();
        assert_eq!(os.name.as_deref(), Some("Ubuntu"));
        assert_eq!(os.id.as_deref(), Some("ubuntu"));
        assert_eq!(os.id_like, ["debian", "fedora"]);
        assert_eq!(os.pretty_name.as_deref(), Some("say \"hi\" $HOME \\ \\n"));
        assert_eq!(os.version_codename.as_deref(), Some("jam my"));
        assert_eq!(os.version_id.as_deref(), Some("22.04"));
    }

    #[test]
    fn unterminated_quote_is_refused_with_its_line() {
        let err = OsRelease::parse("etc/os-release", b"ID=debian\nNAME=\"Debian\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed os-release in etc/os-release: line 2: unterminated double quote"
        );
        assert!(OsRelease::parse("etc/os-release", b"ID='x").is_err());
        assert!(OsRelease::parse("etc/os-release", b"ID=\xff").is_err());
    }

    #[test]
    fn empty_values_are_absent() {
        let os = OsRelease::parse("etc/os-release", b"ID=\nVERSION_ID=\"\"\n").unwrap();
        assert_eq!(os, OsRelease::default());
    }
}
