//! How a vulnerability finding's VEX answer reads, the same in `vouch
//! vulns`, `diff` and `report`.

use vouch_verify::vulns::Finding;

/// The VEX column: the answer, or what was seen and not used.
pub fn vex_cell(f: &Finding) -> String {
    match &f.answer {
        Some(a) => {
            let why = a
                .justification
                .map(|j| format!(" ({j})"))
                .unwrap_or_default();
            format!("{}{why} by {}", a.status, a.by)
        }
        None if !f.ignored_vex.is_empty() => {
            format!("none trusted ({} ignored)", f.ignored_vex.len())
        }
        None => "-".into(),
    }
}
