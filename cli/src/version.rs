//! What `vouch --version` says after the version: the commit the binary was
//! built from and whether the tree had tracked changes. Shared by the build
//! script (`cli/build.rs` includes this file), which computes it, and by the
//! unit tests, which check its parsing: the text is decided in one place.
//!
//! The three forms, after `vouch 0.1.0 `:
//! - `(commit <hex>, clean)` / `(commit <hex>, modified)`: built in a git
//!   checkout of the workspace; "modified" when a tracked file differs from
//!   the commit (staged or not), as `git describe --dirty` counts it;
//!   untracked files do not count.
//! - `(commit <hex>, supplied)`: built outside git with `VOUCH_BUILD_COMMIT`
//!   naming the commit (a tarball or an exported tree); nothing checked the
//!   files against it, so nothing is claimed about them.
//! - `(commit unknown)`: built outside git, nothing supplied.

/// The environment variable through which a build outside git (an exported
/// tree, a distribution's tarball) names the commit it was made from.
pub const COMMIT_VARIABLE: &str = "VOUCH_BUILD_COMMIT";

/// Where the commit named by `--version` came from, and what is known of
/// the tree it was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A git checkout of the workspace: its HEAD, and whether a tracked
    /// file differed from it.
    Checkout {
        /// HEAD, as `git rev-parse HEAD` prints it.
        commit: String,
        /// True when a tracked file differed from HEAD.
        modified: bool,
    },
    /// No checkout, the commit supplied by [`COMMIT_VARIABLE`].
    Supplied(String),
    /// No checkout and nothing supplied.
    Unknown,
}

impl Origin {
    /// The parenthesis `--version` prints after the version.
    pub fn describe(&self) -> String {
        match self {
            Origin::Checkout { commit, modified } => {
                let state = if *modified { "modified" } else { "clean" };
                format!("(commit {commit}, {state})")
            }
            Origin::Supplied(commit) => format!("(commit {commit}, supplied)"),
            Origin::Unknown => "(commit unknown)".to_owned(),
        }
    }
}

/// What the build says, from what git found (`checkout`: an
/// [`Origin::Checkout`], or `None` outside a checkout of the workspace) and
/// what [`COMMIT_VARIABLE`] supplied. A checkout is its own evidence: a
/// supplied commit may only agree with it, never replace it (a pipeline
/// that names the wrong commit fails the build instead of mislabelling it).
pub fn resolve(checkout: Option<Origin>, supplied: Option<String>) -> Result<Origin, String> {
    match (checkout, supplied) {
        (Some(Origin::Checkout { commit, .. }), Some(supplied)) if supplied != commit => {
            Err(format!(
                "{COMMIT_VARIABLE} names {supplied}, but the checkout being built is at {commit}"
            ))
        }
        (Some(found), _) => Ok(found),
        (None, Some(supplied)) => Ok(Origin::Supplied(supplied)),
        (None, None) => Ok(Origin::Unknown),
    }
}

/// Checks a commit id, from git or from [`COMMIT_VARIABLE`]: the full hex
/// object name (40 digits, or 64 in a SHA-256 repository), lower case as git
/// prints it. Surrounding whitespace (a trailing newline) is dropped; any
/// other text is refused, so that `--version` can never print a branch
/// name, an abbreviation or something injected through the environment.
pub fn parse_commit(text: &str) -> Result<String, String> {
    let commit = text.trim();
    let hex = commit
        .bytes()
        .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if (commit.len() == 40 || commit.len() == 64) && hex {
        Ok(commit.to_owned())
    } else {
        Err(format!(
            "{commit:?} is not a full commit id (40 or 64 lower-case hex digits)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn a_full_commit_is_accepted_with_its_newline_dropped() {
        assert_eq!(parse_commit(&format!("{COMMIT}\n")), Ok(COMMIT.to_owned()));
        let sha256 = "ab".repeat(32);
        assert_eq!(parse_commit(&sha256), Ok(sha256.clone()));
    }

    #[test]
    fn anything_but_a_full_lower_case_commit_is_refused() {
        for bad in [
            "",
            "0123456",                                       // abbreviated
            &COMMIT[..39],                                   // one short
            &format!("{COMMIT}0"),                           // one long
            &COMMIT.to_uppercase(),                          // not as git prints it
            "g123456789abcdef0123456789abcdef01234567",      // not hex
            "main",                                          // a ref name
            &format!("{COMMIT}, clean)"),                    // injected text
            &format!("{} {}", &COMMIT[..20], &COMMIT[20..]), // inner space
        ] {
            let error = parse_commit(bad).expect_err(bad);
            assert!(error.contains("not a full commit id"), "{error}");
        }
    }

    #[test]
    fn a_checkout_wins_and_a_supplied_commit_may_only_agree_with_it() {
        let other = "f".repeat(40);
        let checkout = |modified| Origin::Checkout {
            commit: COMMIT.to_owned(),
            modified,
        };
        assert_eq!(resolve(Some(checkout(true)), None), Ok(checkout(true)));
        assert_eq!(
            resolve(Some(checkout(false)), Some(COMMIT.to_owned())),
            Ok(checkout(false))
        );
        let error = resolve(Some(checkout(false)), Some(other.clone())).unwrap_err();
        assert!(error.contains(&other) && error.contains(COMMIT), "{error}");
        assert_eq!(
            resolve(None, Some(other.clone())),
            Ok(Origin::Supplied(other))
        );
        assert_eq!(resolve(None, None), Ok(Origin::Unknown));
    }

    #[test]
    fn each_origin_is_described_as_the_version_line_says() {
        let commit = COMMIT.to_owned();
        let clean = Origin::Checkout {
            commit: commit.clone(),
            modified: false,
        };
        let modified = Origin::Checkout {
            commit: commit.clone(),
            modified: true,
        };
        assert_eq!(clean.describe(), format!("(commit {COMMIT}, clean)"));
        assert_eq!(modified.describe(), format!("(commit {COMMIT}, modified)"));
        assert_eq!(
            Origin::Supplied(commit).describe(),
            format!("(commit {COMMIT}, supplied)")
        );
        assert_eq!(Origin::Unknown.describe(), "(commit unknown)");
    }
}
