//! How repositories and CPEs are compared.

/// A repository URL as compared: lowercase, without scheme (http or
/// https), trailing "/" or ".git".
pub(super) fn normalize_repo(repo: &str) -> String {
    let lower = repo.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    rest.trim_end_matches('/').to_owned()
}

/// A version or tag as compared with `versions[]` entries of ranges vouch
/// cannot order (GIT): without one leading "v", so tag "v1.3" is "1.3".
/// Whether `cpe` names a concrete version that is not `version` (compared
/// as [`Record::affects_cpe`] does, a leading "v" ignored): the two
/// statements of an input's version disagree, and no record can match it
/// by that CPE.
pub fn cpe_names_other_version(cpe: &str, version: &str) -> bool {
    parse_cpe(cpe)
        .and_then(|c| c.version)
        .is_some_and(|named| bare_version(&named) != bare_version(version))
}

pub(super) fn bare_version(version: &str) -> &str {
    version.strip_prefix('v').unwrap_or(version)
}

/// The CPEs of a range's `database_specific.cpe`: a string, or an array of
/// strings; anything else (absent, another type, an array holding a
/// non-string) is none, because `database_specific` is free-form.
pub(super) fn range_cpes(database_specific: Option<&serde_json::Value>) -> Vec<String> {
    match database_specific.and_then(|d| d.get("cpe")) {
        Some(serde_json::Value::String(cpe)) => vec![cpe.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A CPE reduced for matching: `part:vendor:product`, lowercased and
/// unquoted, with the version it names when it names one.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct CpeName {
    /// `part:vendor:product`, the index key.
    pub(super) key: String,
    /// The version field when concrete (not ANY `*`/empty, not NA `-`).
    pub(super) version: Option<String>,
}

/// Reduces a CPE 2.3 formatted string (`cpe:2.3:a:vendor:product:version:
/// ...`, fields split at unescaped ":", "\" quoting removed) or a CPE 2.2
/// URI (`cpe:/a:vendor:product:version...`, "%xx" decoded) to a
/// [`CpeName`]. None for anything else, and for a part other than a, o or
/// h or a vendor or product that is empty or a wildcard, since such a CPE
/// names no one product and must never match.
pub(super) fn parse_cpe(cpe: &str) -> Option<CpeName> {
    let lower = cpe.trim().to_lowercase();
    let fields: Vec<String> = if let Some(rest) = lower.strip_prefix("cpe:2.3:") {
        let mut fields = vec![String::new()];
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => fields.last_mut()?.push(chars.next()?),
                ':' => fields.push(String::new()),
                c => fields.last_mut()?.push(c),
            }
        }
        fields
    } else if let Some(rest) = lower.strip_prefix("cpe:/") {
        rest.split(':').map(percent_decode).collect::<Option<_>>()?
    } else {
        return None;
    };
    let [part, vendor, product, rest @ ..] = fields.as_slice() else {
        return None;
    };
    let names_one = |f: &str| !f.is_empty() && !f.contains(['*', '?']) && f != "-";
    if !matches!(part.as_str(), "a" | "o" | "h") || !names_one(vendor) || !names_one(product) {
        return None;
    }
    let version = rest
        .first()
        .filter(|v| !v.is_empty() && *v != "*" && *v != "-")
        .cloned();
    Some(CpeName {
        key: format!("{part}:{vendor}:{product}"),
        version,
    })
}

/// Decodes "%xx" escapes (of a CPE 2.2 URI component); None when one is
/// not two hex digits or the bytes are not UTF-8.
fn percent_decode(field: &str) -> Option<String> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
