//! Reading files safely: only regular files ([`open_regular`]), and with a
//! bound on the bytes actually read ([`read_bounded`]). A crate of its own
//! because every crate that reads files shares them (the registry's layout
//! store, discovery in the attest crate, the policy and OSV loader, the
//! CLI), and none of those may depend on another for it; the pure crates
//! (`evidence`, `verify`) read no files at all.
//!
//! A file's reported length is no bound: a device (`/dev/zero`), a file in
//! `/proc` or a file that grows while it is read reports a length that is
//! not what a read returns. Every capped read in vouch goes through
//! [`read_bounded`], which counts what it reads and stops one byte past the
//! limit, so it never holds more than `limit + 1` bytes whatever the source.
#![forbid(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Read};
use std::path::Path;

/// Opens `path` with `options` only if it is a regular file. It is opened
/// non-blocking, so that the open of a FIFO returns at once rather than
/// waiting for a writer, and its type is checked on the open handle, so
/// that nothing can be swapped in between a check and the open: a FIFO,
/// device, socket or directory is refused before anything is read (an
/// `InvalidInput` error saying what it is). With `no_follow`, a symlink at
/// `path` itself is refused too (`O_NOFOLLOW`): for a path already resolved,
/// a symlink put there since is not followed.
pub fn open_regular(path: &Path, options: &mut OpenOptions, no_follow: bool) -> io::Result<File> {
    #[cfg(unix)]
    {
        let mut flags = libc::O_NONBLOCK;
        if no_follow {
            flags |= libc::O_NOFOLLOW;
        }
        std::os::unix::fs::OpenOptionsExt::custom_flags(options, flags);
    }
    #[cfg(not(unix))]
    let _ = no_follow;
    let file = options.open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    #[cfg(unix)]
    let what = {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_dir() {
            "a directory"
        } else {
            "something else"
        }
    };
    #[cfg(not(unix))]
    let what = if kind.is_dir() {
        "a directory"
    } else {
        "something else"
    };
    Err(io::Error::new(
        ErrorKind::InvalidInput,
        format!("is {what}, not a regular file"),
    ))
}

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
