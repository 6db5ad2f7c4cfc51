//! How a command ends, as [`crate::main`] turns it into an exit status:
//! `Ok(`[`Outcome`]`)` for a command that ran to its end, allowed (0) or
//! denied (1); an error for one that could not, misconfigured
//! ([`Misconfigured`], 2) or failed (1; 3 for an unconfirmed registry
//! write). Commands say what happened; only `main` picks the number.

/// What a command that ran to its end decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done, and nothing denied (every command that decides nothing ends
    /// so): exit 0.
    Allowed,
    /// A verdict of "no" (`vouch verify`): reported as `vouch: denied:
    /// <what>` and exit 1. It is no error: the evidence was read and
    /// judged as configured.
    Denied(String),
}

/// An error in what the user configured (a flag, a policy, a trusted
/// root), not in the evidence: it exits 2, like a usage error, so that a
/// script can tell "denied" (1) from "could not decide as asked". Made
/// where the configuration is loaded (the flags of [`crate::args`]) and
/// where a command refuses a flag; its message is its cause's, unchanged.
#[derive(Debug)]
pub enum Misconfigured {
    /// A flag missing, or given where it does not apply.
    Usage(String),
    /// What a flag names cannot be used: a file unreadable or invalid (a
    /// policy, a trusted root, a key, OSV records, TLS material), or
    /// values that do not make a valid configuration. The message names it.
    Invalid(anyhow::Error),
}

impl Misconfigured {
    /// An unusable configuration, from any error (its context chain is
    /// kept in the message, on one line).
    pub fn invalid(error: impl Into<anyhow::Error>) -> Misconfigured {
        Misconfigured::Invalid(error.into())
    }
}

impl std::fmt::Display for Misconfigured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Misconfigured::Usage(message) => f.write_str(message),
            Misconfigured::Invalid(error) => write!(f, "{error:#}"),
        }
    }
}

// No `source()`: the message already holds the cause's chain, which
// `main` would otherwise print twice.
impl std::error::Error for Misconfigured {}

/// An error that lists its items one per line (the inputs that do not
/// match their declarations). `main` prints the head and each item on a
/// line of its own, each escaped whole, so that no item can forge another
/// line; every other error is printed on one line.
#[derive(Debug)]
pub struct Listed {
    /// What is wrong, before the list.
    pub head: String,
    /// One line each.
    pub items: Vec<String>,
}

impl std::fmt::Display for Listed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.head)?;
        for item in &self.items {
            write!(f, "\n  {item}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Listed {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misconfiguration_reads_as_its_cause_once() {
        let cause = anyhow::anyhow!("no such file").context("cannot open trusted root r.json");
        let err = anyhow::Error::from(Misconfigured::invalid(cause));
        assert_eq!(
            format!("{err:#}"),
            "cannot open trusted root r.json: no such file"
        );
        let usage = Misconfigured::Usage("--policy is required".into());
        assert_eq!(usage.to_string(), "--policy is required");
    }
}
