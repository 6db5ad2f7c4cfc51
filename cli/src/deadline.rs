//! `--timeout`: an overall deadline for one command, besides the timeout of
//! each registry request (`--registry-timeout`).
//!
//! A registry can answer every request just within its own timeout, or a
//! copy can be made to walk many distinct manifests: only a deadline on the
//! whole command bounds how long it runs. It is enforced twice:
//!
//! - cooperatively, on the command's async runtime: at the deadline the
//!   command's future is dropped at its next `.await`, so that every write
//!   in progress (a layout file, always written to a temporary file and
//!   renamed; a registry upload, blobs before manifests and the tag last)
//!   is either done or never started, and temporary files are removed;
//! - and from the main thread, for a command busy without awaiting
//!   (hashing a project tree, waiting for a lock on a blocking thread): at
//!   most [`GRACE`] after the deadline the command is abandoned where it
//!   stands and the process exits. Every file vouch writes is renamed into place whole,
//!   so even then none is left half-written.
//!
//! The webhook is a server, which bounds each review by the apiserver's
//! own `?timeout=`: `--timeout` is refused for it.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

/// How long after the deadline a command that has not stopped by itself
/// is abandoned.
pub const GRACE: Duration = Duration::from_secs(2);

/// The stack of the thread a command runs on under a deadline: that of
/// the main thread on Linux, so that a command needs no more stack with
/// `--timeout` than without.
const STACK_BYTES: usize = 8 * 1024 * 1024;

/// A `--timeout` as given: its text, for messages, and its length.
#[derive(Debug, Clone)]
pub struct Timeout {
    text: String,
    duration: Duration,
}

/// Parses `--timeout`: a positive duration spelled as policy durations
/// are (`90s`, `10m`, `1h30m`, `PT10M`).
pub fn parse(text: &str) -> Result<Timeout, String> {
    let duration = vouch_verify::policy::parse_duration(text)?;
    let duration = Duration::try_from(duration).map_err(|e| format!("{text:?}: {e}"))?;
    Ok(Timeout {
        text: text.to_string(),
        duration,
    })
}

/// The deadline of one command: which, and when.
#[derive(Debug, Clone)]
pub struct Deadline {
    command: String,
    timeout: Timeout,
    /// `None` when it is too far to be represented: never reached.
    at: Option<Instant>,
}

impl Deadline {
    /// A deadline `timeout` from now for `vouch COMMAND`.
    pub fn start(command: &str, timeout: Timeout) -> Deadline {
        let at = Instant::now().checked_add(timeout.duration);
        Deadline {
            command: command.to_string(),
            timeout,
            at,
        }
    }

    /// When the async runtime stops the command.
    pub fn at(&self) -> Option<Instant> {
        self.at
    }

    /// The error a command stopped at its deadline fails with.
    pub fn expired(&self) -> anyhow::Error {
        anyhow!(
            "vouch {} stopped at its deadline: not finished within --timeout {} \
             (run it again with a longer one)",
            self.command,
            self.timeout.text
        )
    }

    /// Runs `command` on a thread of its own and waits for it until the
    /// deadline. Past it, fails with [`Deadline::expired`], whatever the
    /// command does next: it is given [`GRACE`] to stop by itself (an
    /// async command does, at its next `.await`, removing its temporary
    /// files), then left to end with the process.
    pub fn run<T: Send + 'static>(
        &self,
        command: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (done, outcome) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name(format!("vouch {}", self.command))
            .stack_size(STACK_BYTES)
            .spawn(move || {
                let _ = done.send(command());
            })?;
        let waited = match self.at {
            Some(at) => outcome.recv_timeout(at.saturating_duration_since(Instant::now())),
            None => outcome.recv().map_err(RecvTimeoutError::from),
        };
        match waited {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                let _ = outcome.recv_timeout(GRACE);
                Err(self.expired())
            }
            // The command panicked: as it would have on the main thread.
            Err(RecvTimeoutError::Disconnected) => match worker.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => Err(anyhow!("vouch {} ended without a result", self.command)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_read_as_policy_durations_do() {
        assert_eq!(parse("90s").unwrap().duration, Duration::from_secs(90));
        assert_eq!(parse("10m").unwrap().duration, Duration::from_secs(600));
        assert_eq!(parse("1h30m").unwrap().duration, Duration::from_secs(5400));
        assert_eq!(parse("PT2S").unwrap().duration, Duration::from_secs(2));
        for bad in ["0s", "-5m", "soon", "1mo", ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_command_past_its_deadline_is_abandoned_with_the_deadline_named() {
        let deadline = Deadline::start("copy", parse("1ms").unwrap());
        let (_hold, wait) = mpsc::channel::<()>();
        // A command that never returns by itself.
        let err = deadline
            .run(move || {
                let _ = wait.recv();
                Ok(())
            })
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("vouch copy") && err.contains("--timeout 1ms"),
            "{err}"
        );
    }
}
