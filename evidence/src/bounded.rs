//! Reading with a bound on the bytes actually read.
//!
//! A file's reported length is no bound: a device (`/dev/zero`), a file in
//! `/proc` or a file that grows while it is read reports a length that is
//! not what a read returns. Every capped read in vouch goes through
//! [`read_bounded`], which counts what it reads and stops one byte past the
//! limit, so it never holds more than `limit + 1` bytes whatever the source.

use std::io::Read;

/// Reads all of `reader` if it holds at most `limit` bytes; `Ok(None)` when
/// it holds more (after reading `limit + 1` bytes and no more), so that the
/// caller can name the file and the limit in its own error.
pub fn read_bounded(reader: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_one_byte_past_the_limit_of_an_endless_source() {
        // An endless reader (what /dev/zero is) stops at limit + 1.
        assert_eq!(read_bounded(std::io::repeat(0), 16).unwrap(), None);
        assert_eq!(
            read_bounded(&b"0123456789abcdef"[..], 16).unwrap(),
            Some(b"0123456789abcdef".to_vec())
        );
        assert_eq!(read_bounded(&b""[..], 0).unwrap(), Some(Vec::new()));
        assert_eq!(read_bounded(&b"x"[..], 0).unwrap(), None);
    }
}
