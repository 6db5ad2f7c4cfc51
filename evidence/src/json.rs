//! Strict reading of signed JSON.
//!
//! A signed payload must mean one thing to every reader. JSON with a
//! repeated key does not: serde_json keeps the last value, Go's
//! encoding/json too, but other parsers keep the first, so a signer and a
//! verifier could read different statements from the same signed bytes.
//! vouch refuses such payloads outright, before interpreting them.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::{Error, Result};

/// Walks any JSON value, failing on the first object with a repeated key.
struct Unique;

impl<'de> DeserializeSeed<'de> for Unique {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Unique)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            map.next_value_seed(Unique)?;
        }
        Ok(())
    }
}

/// Checks that `bytes` are one well-formed JSON value in which no object
/// repeats a key. `what` names the document in the error.
pub fn check_unique_keys(bytes: &[u8], what: &'static str) -> Result<()> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    Unique
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end())
        .map_err(|error| Error::Json { what, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_unique_keys_at_every_depth_and_refuses_repeats() {
        check_unique_keys(br#"{"a":1,"b":[{"a":2,"c":{"a":3}}],"d":null}"#, "doc").unwrap();
        for bad in [
            &br#"{"a":1,"a":2}"#[..],
            br#"{"x":[{"k":1,"k":1}]}"#,
            br#"{"p":{"q":{"_type":"a","_type":"b"}}}"#,
        ] {
            let err = check_unique_keys(bad, "doc").unwrap_err().to_string();
            assert!(err.contains("duplicate key"), "{err}");
        }
        assert!(
            check_unique_keys(b"{} {}", "doc").is_err(),
            "trailing value"
        );
        assert!(check_unique_keys(b"{", "doc").is_err());
    }
}
