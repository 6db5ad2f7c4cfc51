//! Qualitative severities, from CVSS scores and GHSA's words.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Qualitative severity, ordered None < Low < Medium < High < Critical, so
/// that a policy threshold is a comparison.
///
/// Parsed from the lowercase names and from GHSA's `MODERATE` (= Medium),
/// case-insensitively, because GHSA records carry that word in
/// `database_specific.severity`; displayed lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Severity {
    /// CVSS 0.0: no impact.
    None,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9 (GHSA: MODERATE).
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// The CVSS v3/v4 qualitative band of a base score: 0 none, 0.1–3.9 low,
    /// 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical. A score that is not
    /// a number is None rather than a guess.
    pub fn from_score(score: f64) -> Severity {
        if score.is_nan() {
            return Severity::None;
        }
        cvss::v3::Score::new(score).severity().into()
    }

    /// The lowercase name, as displayed and serialised.
    fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl From<cvss::Severity> for Severity {
    fn from(severity: cvss::Severity) -> Self {
        match severity {
            cvss::Severity::None => Severity::None,
            cvss::Severity::Low => Severity::Low,
            cvss::Severity::Medium => Severity::Medium,
            cvss::Severity::High => Severity::High,
            cvss::Severity::Critical => Severity::Critical,
        }
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Severity::None),
            "low" => Ok(Severity::Low),
            "medium" | "moderate" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity {s:?} (known: none, low, medium or moderate, high, critical)"
            )),
        }
    }
}

impl TryFrom<String> for Severity {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, String> {
        s.parse()
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
