//! RPM's version order, for Red Hat, SUSE, openSUSE, Rocky Linux,
//! AlmaLinux and the other RPM distributions: a port of rpm's `rpmvercmp`
//! (rpmio/rpmvercmp.c, with `~` and `^`) and of how `rpmverCmp`
//! (lib/rpmver.c) splits and compares `[epoch:]version[-release]`, checked
//! against rpm's own comparison on every pair of the oracle test.

use std::cmp::Ordering;

/// An RPM EVR: `[epoch:]version[-release]`.
#[derive(Debug, Clone)]
pub(super) struct Version {
    /// The epoch as written ("0" when the colon has nothing before it),
    /// None when absent (compared as "0").
    epoch: Option<String>,
    version: String,
    release: Option<String>,
}

impl Version {
    /// Splits an EVR as rpm's `parseEVR` does: leading digits followed by
    /// `:` are the epoch, the text after the last `-` the release. Every
    /// non-empty string without whitespace is an EVR rpm can compare.
    pub(super) fn parse(evr: &str) -> Result<Version, String> {
        if evr.is_empty() || evr.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(format!(
                "{evr:?} is not a valid RPM version: it is empty or has whitespace"
            ));
        }
        let digits = evr.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = match evr[digits..].strip_prefix(':') {
            Some(rest) if digits == 0 => (Some("0".to_owned()), rest),
            Some(rest) => (Some(evr[..digits].to_owned()), rest),
            None => (None, evr),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((version, release)) => (version, Some(release.to_owned())),
            None => (rest, None),
        };
        Ok(Version {
            epoch,
            version: version.to_owned(),
            release,
        })
    }
}

/// rpm's `rpmvercmp`: alphanumeric segments compared in turn (numeric ones
/// as numbers, newer than alphabetic ones), other characters separators,
/// `~` before everything (even the end), `^` after the end but before
/// anything else.
fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let class: fn(&u8) -> bool = if ca.is_ascii_digit() {
            u8::is_ascii_digit
        } else {
            u8::is_ascii_alphabetic
        };
        let end_a = i + a[i..].iter().take_while(|c| class(c)).count();
        let end_b = j + b[j..].iter().take_while(|c| class(c)).count();
        if end_b == j {
            // Segments of different types: numeric is newer than alphabetic.
            return if ca.is_ascii_digit() {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut sa, mut sb) = (&a[i..end_a], &b[j..end_b]);
        if ca.is_ascii_digit() {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                longer => return longer,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            other => return other,
        }
        i = end_a;
        j = end_b;
    }
    match (i < a.len(), j < b.len()) {
        (false, false) => Ordering::Equal,
        (false, true) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

impl Ord for Version {
    /// rpm's comparison of two EVRs (`rpm.ver` objects, `labelCompare`):
    /// epochs (absent is "0"), versions, then releases, a missing release
    /// before any release.
    fn cmp(&self, other: &Self) -> Ordering {
        let (e1, e2) = (
            self.epoch.as_deref().unwrap_or("0"),
            other.epoch.as_deref().unwrap_or("0"),
        );
        rpmvercmp(e1, e2)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
    }
}

order_is_equality!(Version);

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Real-world-shaped RPM EVRs of Red Hat, Rocky, Alma, SUSE, openSUSE
    /// and Fedora: epochs, `~` and `^`, `.elN_M` releases, module builds,
    /// SUSE's `150500.x.y` releases, letters, leading zeros, separators.
    const EVRS: &[&str] = &[
        "1.0-1",
        "1.0-1.el9",
        "1.0-1.el9_3",
        "1.0-1.el9_3.1",
        "1:1.0-1",
        "0:1.0-1",
        "001:1.0-1",
        "1.0~rc1-1",
        "1.0~~-1",
        "1.0^20230101-1",
        "1.0^git1-1",
        "1.0~rc1^git1-1",
        "1.0^git1~pre1-1",
        "1.0a-1",
        "1.0.a-1",
        "1.0.1-1",
        "1.01-1",
        "1.001-1",
        "1.0_1-1",
        "1.0+1-1",
        "3.0.7-27.el9",
        "1:3.0.7-27.el9",
        "1:3.0.7-25.el9_3",
        "1:3.0.7-24.el9",
        "1:1.1.1k-12.el8",
        "1:1.1.1k-9.el8_7",
        "0:1.9.5p2-10.el9_6.1",
        "1.9.5p2-9.el9",
        "1.9.5p2-10.el9",
        "1.9.5p3-1.el9",
        "2.28-236.el9_4.1",
        "2.28-236.el9",
        "2.28-225.el9",
        "4.18.0-513.5.1.el8_9",
        "5.14.0-362.8.1.el9_3",
        "5.14.0-427.13.1.el9_4",
        "1.6.3-23.el10_2.1",
        "22.23.2-2.module+el9.8.0+24958+80b2ac6e",
        "1:22.23.2-2.module+el9.8.0+24958+80b2ac6e",
        "1:20.10.0-1.module+el9.3.0+20000+abc",
        "3.0.8-150500.5.20.1",
        "3.0.8-150500.5.14.1",
        "1.1.1l-150400.7.60.2",
        "2.31-150300.63.1",
        "7.66.0-150400.5.18.1",
        "8.0.1-1.1",
        "1.2.13-150500.4.3.1",
        "2-1",
        "10-1",
        "9-1",
        "1.10-1",
        "1.9-1",
        "1.0-1.fc39",
        "1.0-2.fc39",
        "1.0-1.fc40",
        "0.9-1",
        "1.0-0.rc1.1",
        "1:0-0",
        "12:1-1",
        "1.0-1..1",
        "1.0-1.1.",
        "1.0-1~",
        "1.0-1^",
        "a-1",
        "b-1",
        "1.a-1",
        "1a-1",
        "1.0-a",
        "1.0-1-1",
        "1.0-1.é",
    ];

    /// Versions without a release (a string with no `:` or `-` is all
    /// version, so these pairs check rpmvercmp itself).
    const BARE: &[&str] = &[
        "1.0", "1.0.0", "1.0~rc1", "1.0^git1", "1.0~", "1.0^", "1..0", "1.0.", "1:1.0", "0:1.0",
        ":1.0", "2", "10", "1a", "1.a", "a", "1.0_1", "1.0+1", "1~~", "1~", "1^^", "1^~", "1~^",
        "05", "5", "0005.1",
    ];

    /// Asks rpm itself for the order of every pair, in one process: rpm's
    /// embedded Lua reads the pairs on stdin and answers with `rpm.ver`
    /// objects, compared by rpmverCmp over epoch, version and release
    /// (rpmvercmp on each; a string with no `:` or `-` is all version, so
    /// the BARE pairs check rpmvercmp itself).
    fn rpm_orders(pairs: &[(&str, &str)]) -> Vec<i32> {
        let lua = r#"%{lua:
for line in io.lines() do
  local a, b = line:match("^(%S+) (%S+)$")
  local va, vb = rpm.ver(a), rpm.ver(b)
  local evr = 0
  if va < vb then evr = -1 elseif vb < va then evr = 1 end
  print(evr .. "\n")
end
}"#;
        let mut input = String::new();
        for (a, b) in pairs {
            input.push_str(&format!("{a} {b}\n"));
        }
        let text = super::super::oracle::stdout_of(
            Command::new("rpm").args(["--eval", lua]),
            input,
            "rpm (Debian's rpm; scripts/install-oracles.sh)",
        );
        let answers: Vec<i32> = text
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.parse().unwrap())
            .collect();
        assert_eq!(answers.len(), pairs.len(), "rpm answered {text:?}");
        answers
    }

    fn ordering(n: i32) -> Ordering {
        n.cmp(&0)
    }

    #[test]
    fn agrees_with_rpm_on_every_pair() {
        let all: Vec<&str> = EVRS.iter().chain(BARE).copied().collect();
        let mut pairs = Vec::new();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i..] {
                pairs.push((*a, *b));
            }
        }
        assert!(pairs.len() > 4000, "{} pairs", pairs.len());
        let answers = rpm_orders(&pairs);
        let mut disagree = Vec::new();
        for ((a, b), evr) in pairs.iter().zip(answers) {
            let (va, vb) = (Version::parse(a).unwrap(), Version::parse(b).unwrap());
            let evr = ordering(evr);
            if va.cmp(&vb) != evr || vb.cmp(&va) != evr.reverse() {
                disagree.push(format!("{a} {evr:?} {b}"));
            }
        }
        assert!(disagree.is_empty(), "rpm says otherwise: {disagree:#?}");
    }
}
