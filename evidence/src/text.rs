//! Text from outside, made safe to show.
//!
//! Every string vouch prints may have come from an attestation, a project
//! tree or a registry: whoever wrote it could put terminal escape
//! sequences in it (`ESC [ 2 J` clears the screen; a C1 `CSI`, U+009B,
//! does the same on terminals that honour it), a carriage return or
//! backspaces to overwrite what came before, or a bidi override that
//! shows `DENY` as `YNED`, and draw a fake ALLOW over a real DENY. So
//! every such string goes through [`escape`] (or its [`Escaped`] display
//! wrapper) before it reaches a terminal, a table, a log line or an error.
//! JSON output does not: it is data, and stays exact.
//!
//! The escaped form is the one `char::escape_debug` uses (`\n`, `\t`,
//! `\r`, `\u{1b}`, `\u{202e}`), readable and impossible to mistake for the
//! character itself; every other character, `é` and `中` included, is
//! kept. Backslashes are kept too, so a Windows path or a regex reads as
//! written: the escaped form is for reading, not for parsing back.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Whether `c` is escaped by [`escape`]: the C0 controls (tab and newline
/// included: a newline in a name would forge a row of a table), DEL, the
/// C1 controls, the line and paragraph separators, and the Unicode bidi
/// marks, embeddings, overrides and isolates, which reorder what follows
/// them on screen.
pub fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// `s` with every character of [`needs_escape`] written as an escape
/// (`\n`, `\t`, `\r`, else `\u{..}`); borrowed when there is none, as
/// nearly every string is.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "{}", c.escape_unicode());
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] on each line of `s`, keeping its line breaks: for a message
/// whose lines vouch laid out itself (an error listing its causes one per
/// line), where the strings from outside in it were escaped whole already
/// and anything missed still cannot reach the terminal as a control.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(escape).collect();
    Cow::Owned(lines.join("\n"))
}

/// Shows a value through [`escape`]: `format!("{}", Escaped(&name))`.
/// Width and alignment (`{:<32}`) apply to the escaped text, so that
/// tables stay aligned.
#[derive(Clone, Copy, Debug)]
pub struct Escaped<T>(pub T);

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.width().is_none() && f.precision().is_none() {
            write!(Escaper(f), "{}", self.0)
        } else {
            f.pad(&escape(&self.0.to_string()))
        }
    }
}

/// Escapes each piece a `Display` implementation writes (pieces are
/// whole `str`s, so no character is split).
struct Escaper<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for Escaper<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_str(&escape(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c0_controls_del_and_whitespace_controls_are_escaped() {
        assert_eq!(
            escape("a\u{1b}[2J\u{1b}[Hb\rc\u{8}d\u{7f}e\u{0}"),
            "a\\u{1b}[2J\\u{1b}[Hb\\rc\\u{8}d\\u{7f}e\\u{0}"
        );
        assert_eq!(escape("row\nforged\tcell"), "row\\nforged\\tcell");
        assert_eq!(escape("\u{7}bell"), "\\u{7}bell");
    }

    #[test]
    fn c1_controls_are_escaped_csi_and_nel_included() {
        assert_eq!(escape("a\u{9b}2Jb"), "a\\u{9b}2Jb");
        assert_eq!(escape("line\u{85}next"), "line\\u{85}next");
        assert_eq!(escape("\u{80}\u{9f}"), "\\u{80}\\u{9f}");
    }

    #[test]
    fn bidi_marks_overrides_isolates_and_line_separators_are_escaped() {
        for c in [
            '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
            '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}',
        ] {
            let s = format!("DENY{c}x");
            let escaped = escape(&s);
            assert!(!escaped.contains(c), "{c:?} kept");
            assert_eq!(escaped, format!("DENY{}x", c.escape_unicode()));
        }
        assert_eq!(escape("\u{202e}YNED"), "\\u{202e}YNED");
    }

    #[test]
    fn ordinary_text_and_unicode_are_untouched_and_borrowed() {
        for s in [
            "tinyxml2",
            "café 中文 😀 Ελληνικά עברית",
            "C:\\path\\to ^https://github\\.com/",
            "",
            "\u{a0}non-breaking \u{200b}zero-width \u{a9}",
        ] {
            assert!(matches!(escape(s), Cow::Borrowed(_)), "{s:?}");
        }
    }

    #[test]
    fn escape_lines_keeps_line_breaks_and_escapes_the_rest() {
        assert_eq!(
            escape_lines("denied:\n  a\u{1b}[0m\r\n  b\u{202e}"),
            "denied:\n  a\\u{1b}[0m\\r\n  b\\u{202e}"
        );
        assert!(matches!(escape_lines("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn escaped_pads_the_escaped_text_and_escapes_displays() {
        assert_eq!(format!("{:<9}|", Escaped("a\u{1b}")), "a\\u{1b}  |");
        assert_eq!(format!("{:>4}|", Escaped("é")), "   é|");
        assert_eq!(format!("{}", Escaped(format_args!("{}\n", 1))), "1\\n");
        assert_eq!(Escaped("x\u{9b}").to_string(), "x\\u{9b}");
    }
}
