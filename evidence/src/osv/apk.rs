//! apk's version order, for Alpine, Wolfi and Chainguard: a port of
//! apk-tools' src/version.c (`digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}`),
//! checked against apk-tools' own test vectors (test/unit/version.data).

use std::cmp::Ordering;

/// A valid apk version (apk-tools' `apk_version_validate`).
#[derive(Debug, Clone)]
pub(super) struct Version(String);

impl Version {
    /// Accepts the versions apk-tools calls valid. apk also orders invalid
    /// ones (by falling back to comparing strings), but that order is not
    /// transitive, so a record or package carrying one is refused instead.
    pub(super) fn parse(version: &str) -> Result<Version, String> {
        let mut t = Tokens::new(version.as_bytes());
        while t.token < Token::End {
            t.next();
        }
        if t.token == Token::End {
            Ok(Version(version.to_owned()))
        } else {
            Err(format!("{version:?} is not a valid apk version"))
        }
    }
}

/// The token kinds, in apk-tools' order (which the comparison uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// The suffixes, in order; `None` stands for "no suffix": the ones before
/// it are pre-releases.
const SUFFIXES: [&str; 10] = [
    "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p",
];
const SUFFIX_NONE: usize = 4;

/// A tokenizer over one version, apk-tools' `token_state`.
struct Tokens<'a> {
    rest: &'a [u8],
    token: Token,
    suffix: usize,
    number: u64,
    value: &'a [u8],
}

impl<'a> Tokens<'a> {
    /// The first token, which must be digits.
    fn new(version: &'a [u8]) -> Tokens<'a> {
        let mut t = Tokens {
            rest: version,
            token: Token::InitialDigit,
            suffix: 0,
            number: 0,
            value: &[],
        };
        t.digits();
        t
    }

    fn advance(&mut self, n: usize) {
        self.rest = &self.rest[n..];
    }

    /// The longest prefix of `rest` in `class`, consumed.
    fn span(&mut self, class: impl Fn(u8) -> bool) -> &'a [u8] {
        let n = self.rest.iter().take_while(|c| class(**c)).count();
        let (span, rest) = self.rest.split_at(n);
        self.rest = rest;
        span
    }

    /// A run of digits as a number (wrapping as apk's `uint64_t` does).
    fn digits(&mut self) {
        self.value = self.span(|c| c.is_ascii_digit());
        self.number = self.value.iter().fold(0u64, |n, d| {
            n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
        });
        if self.value.is_empty() {
            self.token = Token::Invalid;
        }
    }

    /// apk-tools' `token_next`: the next token, checked against the one
    /// before it.
    fn next(&mut self) {
        let Some(&c) = self.rest.first() else {
            self.token = Token::End;
            return;
        };
        match c {
            b'a'..=b'z' if self.token <= Token::Digit => {
                self.value = &self.rest[..1];
                self.token = Token::Letter;
                self.advance(1);
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if self.token > Token::Digit {
                        self.token = Token::Invalid;
                        return;
                    }
                    self.advance(1);
                }
                self.token = match self.token {
                    Token::InitialDigit | Token::Digit => Token::Digit,
                    Token::Suffix => Token::SuffixNo,
                    _ => {
                        self.token = Token::Invalid;
                        return;
                    }
                };
                self.digits();
            }
            b'_' if self.token <= Token::SuffixNo => {
                self.advance(1);
                self.value = self.span(|c| c.is_ascii_lowercase());
                match SUFFIXES
                    .iter()
                    .position(|s| !s.is_empty() && s.as_bytes() == self.value)
                {
                    Some(suffix) => {
                        self.suffix = suffix;
                        self.token = Token::Suffix;
                    }
                    None => self.token = Token::Invalid,
                }
            }
            b'~' if self.token < Token::CommitHash => {
                self.advance(1);
                self.value = self.span(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
                self.token = if self.value.is_empty() {
                    Token::Invalid
                } else {
                    Token::CommitHash
                };
            }
            b'-' if self.token < Token::RevisionNo && self.rest.starts_with(b"-r") => {
                self.advance(2);
                self.token = Token::RevisionNo;
                self.digits();
            }
            _ => self.token = Token::Invalid,
        }
    }

    /// apk-tools' `token_cmp`, for two tokens of one kind.
    fn cmp_token(&self, other: &Tokens<'_>) -> Ordering {
        match self.token {
            Token::Digit if self.value[0] == b'0' || other.value[0] == b'0' => {
                // A leading zero compares as a string (as Gentoo does).
                self.value.cmp(other.value)
            }
            Token::Digit | Token::InitialDigit | Token::SuffixNo | Token::RevisionNo => {
                self.number.cmp(&other.number)
            }
            Token::Letter => self.value[0].cmp(&other.value[0]),
            Token::Suffix => self.suffix.cmp(&other.suffix),
            _ => self.value.cmp(other.value),
        }
    }
}

/// apk-tools' `apk_version_compare_fuzzy`: with `fuzzy`, `b` matches every
/// version it is a prefix of (the `~` operator of the test vectors).
fn compare(a: &str, b: &str, fuzzy: bool) -> Ordering {
    let (mut ta, mut tb) = (Tokens::new(a.as_bytes()), Tokens::new(b.as_bytes()));
    while ta.token == tb.token && ta.token < Token::End {
        match ta.cmp_token(&tb) {
            Ordering::Equal => {}
            other => return other,
        }
        ta.next();
        tb.next();
    }
    if ta.token == tb.token || (tb.token == Token::End && fuzzy) {
        return Ordering::Equal;
    }
    // Equal so far: the longer one is newer, unless what follows is a
    // pre-release suffix.
    if ta.token == Token::Suffix && ta.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if tb.token == Token::Suffix && tb.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    tb.token.cmp(&ta.token)
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(&self.0, &other.0, false)
    }
}

order_is_equality!(Version);

#[cfg(test)]
mod tests {
    use super::*;

    /// apk-tools' own test vectors, test/unit/version.data at a named
    /// commit (testdata/apk-version/SOURCE.md), run as its
    /// test/unit/version_test.c runs them: `ver` must be valid, `!ver`
    /// invalid, `a op b` must hold and `a !op b` must not, where op is a
    /// set of `<`, `>`, `=` and `~` (fuzzy: equal as a prefix).
    #[test]
    fn apk_tools_test_vectors() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/apk-version/version.data"
        );
        let data = std::fs::read_to_string(path).expect("apk-tools' version.data");
        let (mut checked, mut failed) = (0, Vec::new());
        for line in data.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(' ').collect();
            let ok = match fields.as_slice() {
                [a, op, b] => {
                    let (invert, op) = match op.strip_prefix('!') {
                        Some(op) => (true, op),
                        None => (false, *op),
                    };
                    let fuzzy = op.contains('~');
                    let got = compare(a, b, fuzzy);
                    let holds = match got {
                        Ordering::Less => op.contains('<'),
                        Ordering::Greater => op.contains('>'),
                        Ordering::Equal => op.contains('=') || fuzzy,
                    };
                    holds != invert
                }
                [v] => match v.strip_prefix('!') {
                    Some(v) => Version::parse(v).is_err(),
                    None => Version::parse(v).is_ok(),
                },
                _ => panic!("unexpected line in version.data: {line:?}"),
            };
            checked += 1;
            if !ok {
                failed.push(line.to_owned());
            }
        }
        assert!(checked > 700, "only {checked} vectors in {path}");
        assert!(
            failed.is_empty(),
            "apk-tools vectors that fail: {failed:#?}"
        );
    }
}
