//! The webhook's log: one line on standard error per event.
//!
//! A log line carries what the cluster and the registries sent: pod
//! names, user names, image references, registry errors and the denial
//! messages made of them. Each line is escaped whole
//! ([`vouch_evidence::text::escape`]): no control character reaches the
//! terminal or the log collector, and a newline cannot forge a second log
//! entry. `eprintln!` is refused by clippy elsewhere (`clippy.toml`), so a
//! new log line goes through here too.

use std::fmt;
use std::io::Write;

use vouch_evidence::text::Escaped;

/// Writes one escaped log line; `log_line!` formats it.
#[allow(clippy::disallowed_methods)]
pub(crate) fn write(args: fmt::Arguments<'_>) {
    let line = format!("{}\n", Escaped(args));
    // A log that cannot be written is no reason to stop answering.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `eprintln!` for the webhook's log, escaped: `log_line!("...", ...)`.
macro_rules! log_line {
    ($($arg:tt)*) => {
        $crate::log::write(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use vouch_evidence::text::Escaped;

    #[test]
    fn a_log_line_is_one_line_with_nothing_raw() {
        let line = format!(
            "{}",
            Escaped(format_args!(
                "deny {}",
                "pod\n\u{1b}[2Jvouch webhook: allow\u{202e}"
            ))
        );
        assert_eq!(line, "deny pod\\n\\u{1b}[2Jvouch webhook: allow\\u{202e}");
    }
}
