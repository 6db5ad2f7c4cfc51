//! Where the command writes: text through escaping, data exact.
//!
//! Every line a person reads (tables, summaries, warnings, errors) goes
//! through [`Text`], which escapes control characters and bidi overrides
//! in everything written to it ([`vouch_evidence::text`]), so that no
//! string from an attestation, a project or a registry can move the
//! cursor, clear the screen or reorder a verdict, even one a command
//! forgot to escape. Only the line breaks the command writes itself pass;
//! each string from outside is also escaped whole where it is formatted
//! (`Escaped`), so that a newline in it cannot forge a row either.
//! Machine output (JSON, SBOMs) goes through [`data_stdout`] unchanged.
//!
//! `std::io::stdout`, `std::io::stderr`, `println!` and `eprintln!` are
//! refused by clippy (`clippy.toml`) everywhere else, so that a new output
//! path cannot bypass this module.

#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

use std::io::{self, IsTerminal, StderrLock, StdoutLock, Write};

use vouch_evidence::text::escape_lines;

/// A writer for text a person reads: escapes every control character
/// (but the line breaks) and bidi override in what passes through it.
/// Bytes that are not UTF-8 are shown as U+FFFD, never passed raw (a raw
/// 0x9b byte is a CSI to an 8-bit terminal).
pub struct Text<W: Write>(W);

impl<W: Write> Write for Text<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // `write!` hands over whole `str`s, so a character is never split.
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(escape_lines(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Standard output for text: tables, reports, summaries.
pub fn text_stdout() -> Text<StdoutLock<'static>> {
    Text(io::stdout().lock())
}

/// Standard error for text: warnings, summaries, errors.
pub fn text_stderr() -> Text<StderrLock<'static>> {
    Text(io::stderr().lock())
}

/// Standard output for data that must stay exact (JSON, an SBOM): a
/// consumer parses it, and JSON escapes its own control characters.
pub fn data_stdout() -> StdoutLock<'static> {
    io::stdout().lock()
}

/// Whether standard error is a terminal (for a progress line).
pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// `eprintln!` through [`Text`]: a line on standard error, escaped. A
/// failed write to standard error is not worth failing the command over.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!($crate::term::text_stderr(), $($arg)*);
    }};
}
pub(crate) use note;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_controls_and_bidi_but_keeps_its_own_line_breaks() {
        let mut out = Text(Vec::new());
        let (name, verdict) = ("a\u{1b}[2J\u{9b}H", "DENY\u{202e}");
        writeln!(out, "{name}: {verdict}").unwrap();
        out.write_all(b"raw \x9b\xc2").unwrap();
        assert_eq!(
            String::from_utf8(out.0).unwrap(),
            "a\\u{1b}[2J\\u{9b}H: DENY\\u{202e}\nraw \u{fffd}\u{fffd}"
        );
    }
}
