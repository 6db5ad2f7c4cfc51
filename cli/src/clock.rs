//! The clock, read one way: every time vouch writes (signatures,
//! provenance, SBOMs, reports) is RFC 3339, UTC, whole seconds.

/// The current time as RFC 3339, UTC, whole seconds (as cosign writes it).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
