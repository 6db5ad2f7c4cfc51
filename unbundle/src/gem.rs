//! Ruby gems in Debian: the Ruby team packages a gem as `ruby-<name>`,
//! lower case with `_` as `-` (`ruby-rack`, `ruby-net-http-persistent`,
//! `ruby-nokogiri`), so a gem's package is found by that name in the
//! verified package indexes.
//!
//! Every step is kept: the swap itself is not implemented for gems. A
//! Bundler project takes a gem from a `PATH` source only as its own code
//! (no checksum, no version pin Bundler enforces), and Debian's
//! `ruby-<name>` installs the gem's files under `/usr/lib/ruby/vendor_ruby`
//! with a generated gemspec rather than as the `.gem` the lockfile's
//! `CHECKSUMS` names, so nothing in the project would record which
//! package it was swapped onto. The plan still says which package carries
//! each gem and how its upstream version stands to the pin, in RubyGems'
//! own order (`Gem::Version`), which is what a vendor's assessment needs.

use std::cmp::Ordering;

use vouch_evidence::osv::Ecosystem;

use crate::{debian_upstream, Action, Candidate, Delta, Step};

/// Why no gem step is swapped, in the plan's words.
pub const NO_MECHANISM: &str = "the swap itself is not implemented for gems (Bundler takes a \
     gem from a directory only as the project's own code, unpinned and unchecked), so no swap \
     is written";

/// The Debian package that carries gem `name`: `ruby-<name>`, lower case,
/// `_` as `-`.
pub fn debian_name(name: &str) -> String {
    format!("ruby-{}", name.to_ascii_lowercase().replace('_', "-"))
}

/// The gem version a Debian version packages: the upstream part, without
/// a repack suffix (`1.13.10+dfsg-2` is `1.13.10`, `2.2.6.4-1+deb12u1` is
/// `2.2.6.4`), Debian's pre-release `~` read as RubyGems' `.`
/// (`7.1.0~rc2-1` is `7.1.0.rc2`, below `7.1.0` in both orders).
pub fn upstream(debian: &str) -> String {
    let upstream = debian_upstream(debian);
    upstream
        .split('+')
        .next()
        .unwrap_or(upstream)
        .replace('~', ".")
}

/// The plan for gem `name` pinned at `locked`, given the packages named
/// [`debian_name`] that verified indexes list: the newest in RubyGems'
/// order and its delta (incompatible when the first segment differs),
/// always kept, with [`NO_MECHANISM`] as why.
pub fn plan(name: &str, locked: &str, candidates: &[Candidate]) -> Step {
    let gems = Ecosystem::RubyGems;
    let keep = |reason: String| Step::keep(name, locked, reason);
    if gems.check_version(locked).is_err() {
        return keep(format!(
            "the pinned version {locked:?} is not a RubyGems version"
        ));
    }
    let best = candidates
        .iter()
        .filter(|c| gems.check_version(&upstream(&c.version)).is_ok())
        .max_by(|a, b| {
            gems.compare(&upstream(&a.version), &upstream(&b.version))
                .unwrap_or(Ordering::Equal)
        });
    let Some(candidate) = best else {
        return keep(format!(
            "no verified package index lists {} (Debian's package of the gem)",
            debian_name(name)
        ));
    };
    let packaged = upstream(&candidate.version);
    let major = |v: &str| v.split('.').next().unwrap_or(v).to_string();
    let delta = if major(&packaged) != major(locked) {
        Delta::Incompatible
    } else {
        Delta::of(gems.compare(&packaged, locked).unwrap_or(Ordering::Equal))
    };
    Step::weighed(
        name,
        locked,
        candidate,
        packaged.clone(),
        delta,
        Action::Keep,
        format!("{} carries {packaged}; {NO_MECHANISM}", candidate.package),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_upstream_versions() {
        assert_eq!(debian_name("rack"), "ruby-rack");
        assert_eq!(
            debian_name("net_http_persistent"),
            "ruby-net-http-persistent"
        );
        assert_eq!(debian_name("RedCloth"), "ruby-redcloth");
        assert_eq!(upstream("2.2.6.4-1+deb12u1"), "2.2.6.4");
        assert_eq!(upstream("1.13.10+dfsg-2"), "1.13.10");
        assert_eq!(upstream("1:3.1.0-1"), "3.1.0");
        assert_eq!(upstream("7.1.0~rc2-1"), "7.1.0.rc2");
    }

    #[test]
    fn every_step_is_kept_with_the_delta_in_rubygems_order() {
        let rack = |version: &str| Candidate {
            package: "ruby-rack".into(),
            version: version.into(),
        };
        let candidates = [rack("2.2.6.4-1+deb12u1"), rack("2.2.6.2-1")];
        let same = plan("rack", "2.2.6.4", &candidates);
        assert_eq!((same.action, same.delta), (Action::Keep, Some(Delta::Same)));
        assert_eq!(same.package_version.as_deref(), Some("2.2.6.4-1+deb12u1"));
        assert_eq!(same.upstream_version.as_deref(), Some("2.2.6.4"));
        assert!(same.reason.ends_with(NO_MECHANISM), "{}", same.reason);
        // 2.2.6.4 is newer than 2.2.6 in RubyGems' order (four segments).
        assert_eq!(plan("rack", "2.2.6", &candidates).delta, Some(Delta::Newer));
        assert_eq!(
            plan("rack", "2.2.10", &candidates).delta,
            Some(Delta::Older)
        );
        assert_eq!(
            plan("rack", "3.0.9.1", &candidates).delta,
            Some(Delta::Incompatible)
        );
        let none = plan("left-pad", "1.0.0", &[]);
        assert_eq!((none.action, none.package), (Action::Keep, None));
        assert!(none.reason.contains("ruby-left-pad"), "{}", none.reason);
        assert_eq!(plan("rack", "v1", &candidates).action, Action::Keep);
    }
}
