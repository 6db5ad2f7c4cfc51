//! How a vulnerability finding's VEX answer reads, the same in `vouch
//! vulns`, `verify`, `diff` and `report`.

use vouch_verify::vulns::Finding;

/// The VEX column: the answer, or what was seen and not used. A vendor's
/// answer (`vulnerabilities.vendorVex`) names the file it was read from.
pub fn vex_cell(f: &Finding) -> String {
    match &f.answer {
        Some(a) => {
            let why = a
                .justification
                .map(|j| format!(" ({j})"))
                .unwrap_or_default();
            let file = a
                .file
                .as_ref()
                .map(|file| format!(" in {file}"))
                .unwrap_or_default();
            format!("{}{why} by {}{file}", a.status, a.by)
        }
        None if !f.ignored_vex.is_empty() => {
            format!("none trusted ({} ignored)", f.ignored_vex.len())
        }
        None => "-".into(),
    }
}

/// One line for a finding a trusted statement answers (`not_affected` or
/// `fixed`): which finding, the answer as [`vex_cell`] gives it, and the
/// statement's impact statement when it has one; `None` for any other.
pub fn answered_line(f: &Finding) -> Option<String> {
    let a = f.answer.as_ref().filter(|_| f.answered())?;
    let impact = a
        .impact
        .as_ref()
        .map(|i| format!(": {i}"))
        .unwrap_or_default();
    Some(format!(
        "{} in {}: {}{impact}",
        f.id,
        f.input.label(),
        vex_cell(f)
    ))
}
