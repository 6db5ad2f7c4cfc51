//! `vouch layout`: the classic in-toto layout that checks the per-input
//! links `vouch attest --links` writes, with the reference implementation's
//! `in-toto-verify` (see `vouch_attest::links` for its steps and rules).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use crate::files::{load_private_key, load_public_key};
use crate::files::{write_atomic, Overwrite};
use crate::term::note;

/// Arguments of `vouch layout`.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  \
    vouch layout --key owner.key --functionary ci.pub -o root.layout .\n  \
    vouch attest . --image oci:layout:app --key ci.key --links links/\n  \
    in-toto-verify --layout root.layout --verification-keys owner.pub --link-dir links/\n\n\
    Run in-toto-verify from the project root: its inspection hashes the working directory.")]
pub struct Args {
    /// The project directory: one step per input it vendors.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The owner's private key (PKCS#8 PEM), which signs the layout; in-toto-verify
    /// checks the layout with its public half (`--verification-keys`).
    #[arg(long, value_name = "OWNER.key")]
    key: PathBuf,
    /// The functionary's public key (SPKI PEM): the only key whose links the layout accepts.
    #[arg(long, value_name = "PUB")]
    functionary: PathBuf,
    /// Where to write the layout (DSSE JSON).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// When the layout expires: a span from now (`30d`, `1y`, `12h`, `P1M`), a UTC
    /// date (`2027-01-31`, at midnight) or a time (`2027-01-31T12:00:00Z`).
    #[arg(long, value_name = "DURATION_OR_DATE", default_value = "30d")]
    expires: String,
}

/// The expiry `text` names, as in-toto writes it (`YYYY-MM-DDTHH:MM:SSZ`),
/// refusing one that is not after `now`.
fn expiry(text: &str, now: Timestamp) -> Result<String> {
    let at = if let Ok(at) = text.parse::<Timestamp>() {
        at
    } else if let Some(date) = text
        .parse::<jiff::civil::Date>()
        .ok()
        // jiff reads the date of a date-time too: a time without its
        // offset is ambiguous, and is refused rather than cut to its date.
        .filter(|_| !text.contains(['T', 't', ' ']))
    {
        date.to_zoned(TimeZone::UTC)?.timestamp()
    } else if let Ok(span) = text.parse::<Span>() {
        now.to_zoned(TimeZone::UTC)
            .checked_add(span)
            .with_context(|| format!("--expires {text:?} is out of range"))?
            .timestamp()
    } else {
        bail!(
            "--expires {text:?} is neither a span (30d, 1y, 12h), a UTC date (2027-01-31) \
             nor a time (2027-01-31T12:00:00Z)"
        );
    };
    if at <= now {
        bail!("--expires {text:?} is not in the future ({at}): the layout would be expired");
    }
    Ok(at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Discovers the inputs of DIR, and writes the layout signed by the owner.
pub fn run(args: Args) -> Result<()> {
    let expires = expiry(&args.expires, Timestamp::now())?;
    let owner = load_private_key(&args.key)?;
    let functionary = load_public_key(&args.functionary)?;
    let inputs = vouch_attest::Root::new(&args.dir)
        .and_then(|root| vouch_attest::discover(&root))
        .with_context(|| format!("cannot discover the inputs of {}", args.dir.display()))?;
    let layout = vouch_attest::links::layout(&inputs, &owner, &functionary, &expires)
        .with_context(|| format!("cannot write a layout for {}", args.dir.display()))?;
    write_atomic(&args.output, &layout, 0o644, Overwrite::Yes)?;
    let steps = inputs.iter().filter(|i| i.path.is_some()).count();
    note!(
        "Layout written to {} ({steps} step(s), one per vendored input; expires {expires})",
        args.output.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_takes_spans_dates_and_times_in_the_future() {
        let now: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        assert_eq!(expiry("30d", now).unwrap(), "2026-03-31T10:00:00Z");
        assert_eq!(expiry("1y", now).unwrap(), "2027-03-01T10:00:00Z");
        assert_eq!(expiry("P1M", now).unwrap(), "2026-04-01T10:00:00Z");
        assert_eq!(expiry("2027-01-31", now).unwrap(), "2027-01-31T00:00:00Z");
        assert_eq!(
            expiry("2027-01-31T12:30:00Z", now).unwrap(),
            "2027-01-31T12:30:00Z"
        );
        for (text, needle) in [
            ("2020-01-01", "not in the future"),
            ("-1d", "not in the future"),
            ("soon", "is neither a span"),
            ("2027-01-31T12:30:00", "is neither a span"),
        ] {
            let err = format!("{:#}", expiry(text, now).unwrap_err());
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
