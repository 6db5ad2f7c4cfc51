//! Which keyless signers a policy trusts: matchers over a Fulcio
//! certificate's OIDC issuer and subject.
//!
//! Each side is an exact string or a regular expression. Regular
//! expressions are always anchored to the whole string (compiled as
//! `^(?:...)$`), as cosign and policy-controller do: an unanchored
//! `…/release.yml@refs/tags/v.*` would also admit
//! `…/release.yml@refs/heads/evil?x=…/release.yml@refs/tags/v1`, and a
//! subject `https://github.com/org` would admit `https://github.com/org-evil`
//! if it were a prefix match. The matcher only compares strings: it must be
//! called on an identity read from a certificate that was verified first
//! (see [`crate::bundle::verify_keyless`]).

use std::fmt;

use regex::Regex;

use crate::bundle::{CertificateIdentity, IdentityPolicy};

/// How one claim (issuer or subject) is matched.
#[derive(Debug, Clone)]
pub enum Claim {
    /// The claim must equal this string exactly.
    Exact(String),
    /// The claim must match this regular expression as a whole; `source`
    /// is the expression as written in the policy, `regex` its anchored
    /// compilation.
    RegExp {
        /// The expression as the policy wrote it (for messages).
        source: String,
        /// `^(?:source)$`.
        regex: Regex,
    },
}

impl Claim {
    /// An exact claim.
    pub fn exact(value: impl Into<String>) -> Self {
        Claim::Exact(value.into())
    }

    /// Compiles `source` anchored to the whole string. The error is the
    /// `regex` crate's message, which points at the offending part.
    pub fn regexp(source: &str) -> Result<Self, String> {
        // Compiled as written first, so that a syntax error points into
        // what the policy author wrote rather than into the anchored form.
        Regex::new(source).map_err(|e| e.to_string())?;
        let regex = Regex::new(&format!("^(?:{source})$")).map_err(|e| e.to_string())?;
        Ok(Claim::RegExp {
            source: source.to_string(),
            regex,
        })
    }

    /// Whether `value` satisfies this claim.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Claim::Exact(expected) => expected == value,
            Claim::RegExp { regex, .. } => regex.is_match(value),
        }
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Exact(value) => write!(f, "{value:?}"),
            Claim::RegExp { source, .. } => write!(f, "~/{source}/"),
        }
    }
}

/// One trusted keyless identity: an issuer claim and a subject claim, both
/// of which must match (policy-controller's `identities` entry).
#[derive(Debug, Clone)]
pub struct IdentityMatcher {
    /// The OIDC issuer (`issuer` or `issuerRegExp`).
    pub issuer: Claim,
    /// The certificate's SAN: email or URI (`subject` or `subjectRegExp`).
    pub subject: Claim,
}

impl IdentityMatcher {
    /// Whether a verified certificate's `issuer` and `subject` are this
    /// identity.
    pub fn matches(&self, issuer: &str, subject: &str) -> bool {
        self.issuer.matches(issuer) && self.subject.matches(subject)
    }
}

impl fmt::Display for IdentityMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subject {} from issuer {}", self.subject, self.issuer)
    }
}

/// A non-empty list of trusted identities, any one of which suffices: what a
/// keyless authority hands to [`crate::bundle::verify_keyless`].
#[derive(Debug, Clone)]
pub struct Identities(Vec<IdentityMatcher>);

impl Identities {
    /// The list; `None` when it is empty, since an empty list would trust
    /// no one and is always a mistake in a policy.
    pub fn new(matchers: Vec<IdentityMatcher>) -> Option<Self> {
        (!matchers.is_empty()).then_some(Identities(matchers))
    }

    /// The identities, in policy order.
    pub fn matchers(&self) -> &[IdentityMatcher] {
        &self.0
    }

    /// The first identity that `issuer` and `subject` match, if any: the
    /// evaluator reports which one satisfied a requirement.
    pub fn find(&self, issuer: &str, subject: &str) -> Option<&IdentityMatcher> {
        self.0.iter().find(|m| m.matches(issuer, subject))
    }
}

impl IdentityPolicy for Identities {
    fn admits(&self, found: &CertificateIdentity) -> bool {
        self.find(&found.issuer, &found.subject).is_some()
    }

    fn expected(&self) -> String {
        let all: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        format!("one of [{}]", all.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://token.actions.githubusercontent.com";
    const WORKFLOW: &str = "https://github.com/org/repo/.github/workflows/release.yml";

    fn release() -> IdentityMatcher {
        IdentityMatcher {
            issuer: Claim::exact(ISSUER),
            subject: Claim::regexp(&format!("{WORKFLOW}@refs/tags/v.*")).unwrap(),
        }
    }

    #[test]
    fn anchored_regexp_admits_the_release_tags() {
        let m = release();
        assert!(m.matches(ISSUER, &format!("{WORKFLOW}@refs/tags/v1.2.3")));
        assert!(m.matches(ISSUER, &format!("{WORKFLOW}@refs/tags/v")));
    }

    #[test]
    fn anchored_regexp_refuses_a_branch_and_a_smuggled_identity() {
        // Bad input 7: each would match if the regexp were unanchored.
        let m = release();
        assert!(!m.matches(ISSUER, &format!("{WORKFLOW}@refs/heads/evil")));
        let smuggled = format!("https://evil.example/x?u={WORKFLOW}@refs/tags/v1");
        assert!(!m.matches(ISSUER, &smuggled));
        // A prefix before and a suffix after are both refused.
        assert!(!m.matches(ISSUER, &format!("x{WORKFLOW}@refs/tags/v1")));
        let m = IdentityMatcher {
            issuer: Claim::exact(ISSUER),
            subject: Claim::regexp("https://github.com/org/.*@refs/tags/v1").unwrap(),
        };
        assert!(!m.matches(ISSUER, "https://github.com/org/r@refs/tags/v1?u=x"));
        assert!(m.matches(ISSUER, "https://github.com/org/r@refs/tags/v1"));
    }

    #[test]
    fn an_alternation_is_anchored_as_a_whole() {
        // `a|b` anchored naively as `^a|b$` would admit anything starting with a.
        let m = IdentityMatcher {
            issuer: Claim::regexp("https://accounts.google.com|https://github.com/login/oauth")
                .unwrap(),
            subject: Claim::exact("alice@example.com"),
        };
        assert!(m.matches("https://accounts.google.com", "alice@example.com"));
        assert!(!m.matches("https://accounts.google.com.evil", "alice@example.com"));
        assert!(!m.matches(
            "https://evil/https://github.com/login/oauth",
            "alice@example.com"
        ));
    }

    #[test]
    fn both_claims_must_match() {
        let m = release();
        let subject = format!("{WORKFLOW}@refs/tags/v1");
        assert!(m.matches(ISSUER, &subject));
        assert!(!m.matches("https://accounts.google.com", &subject));
        let exact = IdentityMatcher {
            issuer: Claim::exact(ISSUER),
            subject: Claim::exact("alice@example.com"),
        };
        assert!(exact.matches(ISSUER, "alice@example.com"));
        assert!(!exact.matches(ISSUER, "alice@example.com.evil"));
    }

    #[test]
    fn invalid_regexp_is_an_error_naming_the_problem() {
        let err = Claim::regexp("https://(unclosed").unwrap_err();
        assert!(err.contains("unclosed"), "{err}");
        assert!(Claim::regexp("fine.*").is_ok());
    }

    #[test]
    fn identities_implement_the_keyless_identity_policy() {
        let ids = Identities::new(vec![release()]).unwrap();
        let found = |subject: &str| CertificateIdentity {
            subject: subject.to_string(),
            subject_kind: crate::bundle::SubjectKind::Uri,
            issuer: ISSUER.to_string(),
        };
        assert!(ids.admits(&found(&format!("{WORKFLOW}@refs/tags/v2"))));
        assert!(!ids.admits(&found(&format!("{WORKFLOW}@refs/heads/main"))));
        assert!(ids.expected().contains("release.yml@refs/tags/v.*"));
        assert!(Identities::new(Vec::new()).is_none());
    }
}
