//! Base64 as the formats use it: standard or URL-safe, padded or not.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use crate::{Error, Result};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(true)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes `value` of JSON field `field`, in whichever alphabet it is written.
///
/// The DSSE spec lets producers use either alphabet, so a consumer must
/// accept both; a value mixing the two is rejected.
pub(crate) fn decode_b64(field: &'static str, value: &str) -> Result<Vec<u8>> {
    let url_safe = value.contains(['-', '_']);
    if url_safe && value.contains(['+', '/']) {
        return Err(Error::Base64 {
            field,
            reason: "mixes the standard and URL-safe alphabets".into(),
        });
    }
    let engine = if url_safe { &URL_SAFE } else { &STANDARD };
    engine.decode(value).map_err(|e| Error::Base64 {
        field,
        reason: e.to_string(),
    })
}

/// Encodes in standard base64 with padding, as DSSE and Sigstore write it.
pub(crate) fn encode_b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_alphabets_and_optional_padding() {
        let bytes = [0xfb, 0xff, 0xfe];
        assert_eq!(decode_b64("f", "+//+").unwrap(), bytes);
        assert_eq!(decode_b64("f", "-__-").unwrap(), bytes);
        assert_eq!(decode_b64("f", "aGk=").unwrap(), b"hi");
        assert_eq!(decode_b64("f", "aGk").unwrap(), b"hi");
    }

    #[test]
    fn rejects_mixed_alphabets_and_garbage_naming_the_field() {
        let err = decode_b64("sig", "+_//").unwrap_err().to_string();
        assert!(err.contains("`sig`") && err.contains("mixes"), "{err}");
        let err = decode_b64("payload", "not base64!")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad base64 in field `payload`"), "{err}");
    }
}
