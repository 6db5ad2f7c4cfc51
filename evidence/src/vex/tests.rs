//! Tests of the vocabulary, and the helpers the other VEX tests share.

use super::*;

/// A timestamp from its RFC 3339 text.
pub(super) fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The message of an error the test expects.
pub(super) fn err(result: Result<impl fmt::Debug>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn labels_read_and_print_as_the_spec_spells_them() {
    for status in Status::ALL {
        assert_eq!(status.to_string().parse::<Status>().unwrap(), status);
        assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
    }
    for justification in Justification::ALL {
        assert_eq!(
            justification.to_string().parse::<Justification>().unwrap(),
            justification
        );
        assert_eq!(
            serde_json::to_value(justification).unwrap(),
            justification.as_str()
        );
    }
    assert_eq!(Status::NotAffected.to_string(), "not_affected");
    assert_eq!(
        Justification::VulnerableCodeCannotBeControlledByAdversary.to_string(),
        "vulnerable_code_cannot_be_controlled_by_adversary"
    );
    assert_eq!(
        err("NotAffected".parse::<Status>()),
        "invalid VEX status: unknown status \"NotAffected\" (expected one of: \
         not_affected, affected, fixed, under_investigation)"
    );
    let e = err("code_not_reachable".parse::<Justification>());
    assert!(
        e.contains("unknown justification \"code_not_reachable\""),
        "{e}"
    );
    assert!(
        Justification::ALL.iter().all(|j| e.contains(j.as_str())),
        "{e}"
    );
}
