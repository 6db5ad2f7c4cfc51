//! RubyGems' version order (`Gem::Version`, rubygems/version.rb), for
//! OSV's `RubyGems` ecosystem, checked against Ruby's own
//! `Gem::Version#<=>` and `Gem::Version.correct?` on every pair of the
//! oracle test.
//!
//! A version matches `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`;
//! each `-` reads as `.pre.`. Its segments are the runs of digits
//! (numbers, of any size) and of letters (strings) in it, so `1.0.a1` is
//! `1, 0, "a", 1`. A version with a letter is a pre-release, below the
//! release: a string segment sorts below any number. Trailing zeros are
//! dropped from the numeric part (before the first string) and from the
//! rest, so `1.0.0` is `1` and `1.0.a` is `1.a`. Two versions compare
//! segment by segment, the shorter padded with zeros; strings compare
//! byte-wise (`"B" < "a"`).
//!
//! Ruby also accepts the empty string (as `0`) and surrounding white
//! space; a lockfile or an OSV record never carries those, so vouch
//! refuses them rather than read an empty field as version `0`.

use std::cmp::Ordering;

/// One segment: a number (its decimal digits, leading zeros stripped, so
/// that any size compares exactly) or a run of letters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Number(String),
    Letters(String),
}

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Number(n) if n.is_empty())
    }
}

/// A RubyGems version, as its canonical segments.
#[derive(Debug, Clone)]
pub(super) struct Version {
    segments: Vec<Segment>,
}

/// Whether `text` is one or more of `[0-9A-Za-z]` (with `-` too when
/// `dash`).
fn alnum(text: &str, dash: bool) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || (dash && b == b'-'))
}

/// Whether `version` matches Ruby's `VERSION_PATTERN`, anchored, without
/// the white space Ruby allows around it.
fn correct(version: &str) -> bool {
    let (release, pre) = match version.split_once('-') {
        Some((release, pre)) => (release, Some(pre)),
        None => (version, None),
    };
    let mut parts = release.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !first_ok || !parts.all(|p| alnum(p, false)) {
        return false;
    }
    match pre {
        None => true,
        Some(pre) => pre.split('.').all(|p| alnum(p, true)),
    }
}

impl Version {
    /// Parses `version` as `Gem::Version.new` does, refusing what
    /// `Gem::Version.correct?` refuses, and the empty or space-padded
    /// strings Ruby reads as other versions (see the module doc).
    pub(super) fn parse(version: &str) -> Result<Version, String> {
        if !correct(version) {
            return Err(format!("{version:?} is not a valid RubyGems version"));
        }
        let normal = version.replace('-', ".pre.");
        let mut segments = Vec::new();
        let bytes = normal.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let digit = bytes[i].is_ascii_digit();
            if !digit && !bytes[i].is_ascii_alphabetic() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len()
                && if digit {
                    bytes[i].is_ascii_digit()
                } else {
                    bytes[i].is_ascii_alphabetic()
                }
            {
                i += 1;
            }
            let run = &normal[start..i];
            segments.push(if digit {
                Segment::Number(run.trim_start_matches('0').to_owned())
            } else {
                Segment::Letters(run.to_owned())
            });
        }
        // Ruby's canonical_segments: trailing zeros dropped from the
        // numeric part and from the part from the first string on.
        let split = segments
            .iter()
            .position(|s| matches!(s, Segment::Letters(_)))
            .unwrap_or(segments.len());
        let mut rest = segments.split_off(split);
        while segments.last().is_some_and(Segment::is_zero) {
            segments.pop();
        }
        while rest.last().is_some_and(Segment::is_zero) {
            rest.pop();
        }
        segments.extend(rest);
        Ok(Version { segments })
    }

    /// Whether it is a pre-release (a segment has a letter), as
    /// `Gem::Version#prerelease?` says (the oracle test checks the
    /// segments split as Ruby splits them).
    #[cfg(test)]
    pub(super) fn is_prerelease(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Letters(_)))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Number(String::new());
        let len = self.segments.len().max(other.segments.len());
        for i in 0..len {
            let a = self.segments.get(i).unwrap_or(&zero);
            let b = other.segments.get(i).unwrap_or(&zero);
            let order = match (a, b) {
                (Segment::Number(x), Segment::Number(y)) => {
                    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
                }
                (Segment::Letters(x), Segment::Letters(y)) => x.as_bytes().cmp(y.as_bytes()),
                (Segment::Letters(_), Segment::Number(_)) => Ordering::Less,
                (Segment::Number(_), Segment::Letters(_)) => Ordering::Greater,
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }
}

order_is_equality!(Version);

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Real gem versions (rack, rails, nokogiri, grpc, sorbet, bundler
    /// itself...) and the edge cases of Gem::Version's rules.
    const VERSIONS: &[&str] = &[
        "0",
        "0.0",
        "0.0.0",
        "0.0.1",
        "0.0.1.rc.1",
        "0.0.1.rc1",
        "0.0.1.rc.2",
        "0.1",
        "0.9.9",
        "1",
        "1.0",
        "1.0.0",
        "1.0.0.0",
        "01.0",
        "1.00",
        "1.0.1",
        "1.0.0.pre1",
        "1.0.0.pre",
        "1.0.0.pre.1",
        "1.0.0-pre1",
        "1.0.0-1",
        "1.0-1",
        "1.0-1-1",
        "1.0-a-b",
        "1.0.a",
        "1.a",
        "1.0.a.0",
        "1.0.a1",
        "1.0.A",
        "1.0.b",
        "1.0.B",
        "1.0.alpha",
        "1.0.beta",
        "1.0.beta.2",
        "1.0.beta.10",
        "1.0.rc",
        "1.0.rc1",
        "1.0.rc.1",
        "1.0.0a",
        "1.0a",
        "1.0.0.a.0.1",
        "1.0.0.a.1",
        "1.1",
        "1.10",
        "1.9",
        "1.9.9",
        "2.0.0.rc1",
        "2.0.0.beta",
        "2.2.8.1",
        "2.2.8",
        "3.0.0",
        "3.0.9.1",
        "3.1.0",
        "6.1.7.6",
        "7.0.0.alpha2",
        "7.0.8",
        "7.1.0.beta1",
        "7.1.0.rc2",
        "7.1.3.2",
        "1.16.0",
        "1.16.0.rc1",
        "1.15.5",
        "1.13.10",
        "2.4.1",
        "2.3.15",
        "2.5.0.dev",
        "1.60.0.pre1",
        "0.5.11142",
        "0.5.11142.1",
        "20230311",
        "2023.3.11",
        "99999999999999999999",
        "99999999999999999998.1",
        "100000000000000000000.0",
        "1.99999999999999999999999",
        "1.0.0.zz",
        "1.0.0.z",
        "10.0.0",
    ];

    /// Asks Ruby's `Gem::Version#<=>` for the order of every pair, in one
    /// `ruby` process; pairs come on stdin, one per line.
    fn ruby_orders(pairs: &[(&str, &str)]) -> Vec<Ordering> {
        let lines: Vec<String> = pairs.iter().map(|(a, b)| format!("{a} {b}")).collect();
        let script = "STDIN.each_line { |l| a, b = l.split; \
                      puts(Gem::Version.new(a) <=> Gem::Version.new(b)) }";
        let text = ruby_stdin(script, &lines);
        let orders: Vec<Ordering> = text
            .lines()
            .map(|l| match l {
                "-1" => Ordering::Less,
                "0" => Ordering::Equal,
                "1" => Ordering::Greater,
                other => panic!("the ruby oracle answered {other:?}"),
            })
            .collect();
        assert_eq!(orders.len(), pairs.len(), "ruby answered {text:?}");
        orders
    }

    #[test]
    fn agrees_with_ruby_on_every_pair() {
        let mut pairs = Vec::new();
        for (i, a) in VERSIONS.iter().enumerate() {
            for b in &VERSIONS[i..] {
                pairs.push((*a, *b));
            }
        }
        assert!(pairs.len() > 3000, "{} pairs", pairs.len());
        let want = ruby_orders(&pairs);
        let mut disagree = Vec::new();
        for ((a, b), want) in pairs.iter().zip(want) {
            let (va, vb) = (Version::parse(a).unwrap(), Version::parse(b).unwrap());
            if va.cmp(&vb) != want || vb.cmp(&va) != want.reverse() {
                disagree.push(format!("{a} {want:?} {b}"));
            }
        }
        assert!(disagree.is_empty(), "Ruby says otherwise: {disagree:#?}");
    }

    #[test]
    fn prerelease_as_ruby_says() {
        let script = "STDIN.each_line { |l| puts Gem::Version.new(l.strip).prerelease? }";
        let out = ruby_stdin(script, VERSIONS);
        for (v, want) in VERSIONS.iter().zip(out.lines()) {
            assert_eq!(
                Version::parse(v).unwrap().is_prerelease().to_string(),
                want,
                "{v}"
            );
        }
    }

    /// Runs `script` with `lines` on stdin, returning its stdout.
    fn ruby_stdin<S: AsRef<str>>(script: &str, lines: &[S]) -> String {
        let input: String = lines.iter().map(|l| format!("{}\n", l.as_ref())).collect();
        super::super::oracle::stdout_of(
            Command::new("ruby").args(["-e", script]),
            input,
            "RubyGems (Debian's ruby)",
        )
    }

    /// `Gem::Version.correct?` on valid and invalid strings (given to
    /// Ruby JSON-quoted, so that any byte reaches it as is): vouch accepts
    /// exactly what Ruby accepts, but for the empty and space-padded
    /// strings, which it refuses on purpose.
    #[test]
    fn validity_as_ruby_says() {
        let mut candidates: Vec<&str> = VERSIONS.to_vec();
        candidates.extend([
            "a",
            "1a",
            "a.1",
            ".1",
            "1.",
            "1..0",
            "1.0-",
            "1.0--1",
            "1.0-.1",
            "1.0-a.",
            "1_0",
            "1.0+1",
            "1.0~1",
            "v1.0",
            "1.0 1",
            "1.0.-1",
            "-1",
            "1.0.é",
            "1,0",
            "1.0-a--b",
            "1-",
            "1-a",
            "1.a-b.c-d",
        ]);
        let quoted: Vec<String> = candidates
            .iter()
            .map(|c| serde_json::to_string(c).unwrap())
            .collect();
        let lines: Vec<&str> = quoted.iter().map(String::as_str).collect();
        let out = ruby_stdin(
            "require 'json'; STDIN.each_line { |l| puts Gem::Version.correct?(JSON.parse(l)) }",
            &lines,
        );
        let answers: Vec<&str> = out.lines().collect();
        assert_eq!(answers.len(), candidates.len());
        for (c, want) in candidates.iter().zip(answers) {
            let mine = Version::parse(c).is_ok();
            assert_eq!(mine.to_string(), want, "{c:?}");
        }
        // Ruby reads these as versions; vouch refuses them.
        for padded in ["", " ", " 1.0", "1.0 ", "1.0\n"] {
            assert_eq!(
                ruby_stdin(
                    "require 'json'; STDIN.each_line { |l| puts Gem::Version.correct?(JSON.parse(l)) }",
                    &[&serde_json::to_string(padded).unwrap()]
                )
                .trim(),
                "true"
            );
            assert_eq!(
                Version::parse(padded).unwrap_err(),
                format!("{padded:?} is not a valid RubyGems version")
            );
        }
    }
}
