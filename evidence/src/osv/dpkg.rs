//! Debian's version order (dpkg), for Debian and Ubuntu: a port of dpkg's
//! `parseversion` (lib/dpkg/parsehelp.c) and `verrevcmp`/`dpkg_version_compare`
//! (lib/dpkg/version.c), checked against `dpkg --compare-versions` on every
//! pair of the oracle test.

use std::cmp::Ordering;

/// A Debian version, `[epoch:]upstream[-revision]`.
#[derive(Debug, Clone)]
pub(super) struct Version {
    epoch: u32,
    upstream: String,
    revision: String,
}

impl Version {
    /// Parses a version as dpkg does, refusing what dpkg refuses with an
    /// error (empty, embedded whitespace, an epoch that is not a number or
    /// is too big, nothing after the colon, an empty revision) and
    /// accepting what dpkg only warns about (no leading digit, unusual
    /// characters), since dpkg still orders those.
    pub(super) fn parse(version: &str) -> Result<Version, String> {
        let bad = |why: &str| Err(format!("{version:?} is not a valid Debian version: {why}"));
        if version.is_empty() {
            return bad("it is empty");
        }
        if version.contains(|c: char| c.is_ascii_whitespace()) {
            return bad("it has embedded spaces");
        }
        let (epoch, rest) = match version.split_once(':') {
            Some((epoch, rest)) => {
                if epoch.is_empty() {
                    return bad("the epoch is empty");
                }
                if !epoch.bytes().all(|b| b.is_ascii_digit()) {
                    return bad("the epoch is not a number");
                }
                match epoch.parse::<u32>() {
                    Ok(e) if i32::try_from(e).is_ok() => (e, rest),
                    _ => return bad("the epoch is too big"),
                }
            }
            None => (0, version),
        };
        if rest.is_empty() {
            return bad("nothing after the colon");
        }
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((_, "")) => return bad("the revision is empty"),
            Some((upstream, revision)) => (upstream, revision),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return bad("the upstream version is empty");
        }
        Ok(Version {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }
}

/// dpkg's weight of a non-digit character: `~` before the end of the
/// string, the end before letters, letters before everything else.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating runs of non-digits (compared by
/// [`order`]) and digits (compared as numbers of any length).
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

order_is_equality!(Version);

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// Real-world-shaped Debian and Ubuntu versions: epochs, `~` (before
    /// anything, even the end), `+` suffixes (`+deb12u1`, `+b1` binNMUs,
    /// `+dfsg`, `+really`), `.` and `-` in every place, Ubuntu's
    /// `ubuntu`, `build` and `esm` revisions, leading zeros, letters.
    const VERSIONS: &[&str] = &[
        "0",
        "0.0",
        "1",
        "1.0",
        "1.0-0",
        "1.0-1",
        "1.0-1+b1",
        "1.0-1+deb12u1",
        "1.0-1~deb12u1",
        "1.0~rc1-1",
        "1.0~~rc1-1",
        "1.0~rc1~1-1",
        "1.0~beta1+dfsg-1",
        "1.0+dfsg-1",
        "1.0+dfsg1-1",
        "1.0.dfsg-1",
        "1.0+really0.9-1",
        "0.9+really1.0-1",
        "1:1.2.13.dfsg-1",
        "1:1.2.13.dfsg-1+b1",
        "1:1.2.11.dfsg-2+deb11u2",
        "1:1.2.13.dfsg-3",
        "1:1.3.dfsg-3",
        "1.2.13.dfsg-1",
        "1.2.11.dfsg-2ubuntu9.2",
        "2:1.0-1",
        "0:1.0-1",
        "00:1.0-1",
        "4:4.4.1-1",
        "1:0",
        "1:0-0",
        "3.0.11-1~deb12u2",
        "3.0.11-1~deb12u1",
        "3.0.13-1~deb12u1",
        "3.0.9-1",
        "3.0.11-1",
        "2.36-9",
        "2.36-9+b1",
        "2.36-9+deb12u4",
        "2.36-9+deb12u10",
        "7.88.1-10",
        "7.88.1-10+deb12u5",
        "7.88.1-10+deb12u12",
        "2.2.4-1.1",
        "2.2.4-1+deb12u1",
        "2.2.4-1+deb12u1+b1",
        "1.18.0-6.1+deb11u3",
        "9.2p1-2",
        "9.2p1-2+deb12u3",
        "9.6p1-1",
        "1.1.8-1ubuntu2.2",
        "1.1.8-1ubuntu2.2+esm4",
        "1.1.8-1ubuntu2.10",
        "1.4.0-11ubuntu2",
        "1.4.0-11ubuntu2.3",
        "1.4.0-11ubuntu2.4",
        "3.0.2-0ubuntu1",
        "3.0.2-0ubuntu1.9",
        "3.0.2-0ubuntu1.15",
        "8.12.1-1",
        "8.12.1-1ubuntu0.1~esm1",
        "2:8.2.3995-1ubuntu2.15",
        "5.15.0-91.101",
        "5.15.0-101.111",
        "1.0-1ubuntu1",
        "1.0-1ubuntu1~22.04",
        "1.0-1ubuntu0.22.04.1",
        "1.0-1ubuntu0.20.04.1",
        "1.0-1build1",
        "1.0-1build2",
        "1.0a-1",
        "1.0b-1",
        "1.0-1a",
        "1.0-1.1",
        "1.0-1.a",
        "1.0-a",
        "1.0.0-1",
        "1.00-1",
        "01.0-1",
        "1.0+1-1",
        "1.0+-1",
        "1.0~-1",
        "1.0-1~",
        "1.0-1~~",
        "10.0-1",
        "9.9-1",
        "1.10-1",
        "1.9-1",
        "20230311-1",
        "2023.03.11-1",
        "1.0-1-1",
        "1:2:3-4",
        "99999999999999999999.1-1",
        "99999999999999999998.2-1",
    ];

    /// Asks `dpkg --compare-versions` for the order of every pair, in one
    /// shell (two dpkg runs per pair at most).
    fn dpkg_orders(pairs: &[(&str, &str)]) -> Vec<Ordering> {
        // `c A B` prints <, = or >, or why dpkg failed (exit 2: a version
        // it refuses; 127: no dpkg), so that a missing or failing oracle is
        // named rather than read as an answer.
        let mut script = String::from(
            "c() {\n\
             \x20 dpkg --compare-versions \"$1\" lt \"$2\"; r=$?\n\
             \x20 if [ $r = 0 ]; then echo '<'; return; fi\n\
             \x20 if [ $r = 1 ]; then dpkg --compare-versions \"$1\" eq \"$2\"; r=$?; fi\n\
             \x20 case $r in 0) echo '=';; 1) echo '>';; *) echo \"dpkg exited $r on $1 $2\";; esac\n\
             }\n",
        );
        for (a, b) in pairs {
            script.push_str(&format!("c '{a}' '{b}'\n"));
        }
        let text = super::super::oracle::stdout_of(
            Command::new("sh").arg("-s"),
            script,
            "dpkg (sh and Debian's dpkg)",
        );
        let orders: Vec<Ordering> = text
            .lines()
            .map(|l| match l {
                "<" => Ordering::Less,
                "=" => Ordering::Equal,
                ">" => Ordering::Greater,
                failed => panic!("the dpkg oracle (Debian's dpkg) failed: {failed}"),
            })
            .collect();
        assert_eq!(orders.len(), pairs.len(), "dpkg answered {text:?}");
        orders
    }

    #[test]
    fn agrees_with_dpkg_on_every_pair() {
        let mut pairs = Vec::new();
        for (i, a) in VERSIONS.iter().enumerate() {
            for b in &VERSIONS[i..] {
                pairs.push((*a, *b));
            }
        }
        assert!(pairs.len() > 4000, "{} pairs", pairs.len());
        // Two shells at once: the machine has two cores.
        let (first, second) = pairs.split_at(pairs.len() / 2);
        let (one, two) = std::thread::scope(|s| {
            let one = s.spawn(|| dpkg_orders(first));
            let two = s.spawn(|| dpkg_orders(second));
            (one.join().unwrap(), two.join().unwrap())
        });
        let mut disagree = Vec::new();
        for ((a, b), want) in pairs.iter().zip(one.into_iter().chain(two)) {
            let (va, vb) = (Version::parse(a).unwrap(), Version::parse(b).unwrap());
            if va.cmp(&vb) != want || vb.cmp(&va) != want.reverse() {
                disagree.push(format!("{a} {want:?} {b}"));
            }
        }
        assert!(disagree.is_empty(), "dpkg says otherwise: {disagree:#?}");
    }

    /// dpkg refuses these with an error (exit 2). It reads an empty
    /// argument as "no version", which a record or a package never is:
    /// vouch refuses that too.
    #[test]
    fn refuses_what_dpkg_refuses() {
        assert_eq!(
            Version::parse("").unwrap_err(),
            "\"\" is not a valid Debian version: it is empty"
        );
        for (bad, why) in [
            ("1.0 1", "it has embedded spaces"),
            (":1.0", "the epoch is empty"),
            ("a:1.0", "the epoch is not a number"),
            ("-1:1.0", "the epoch is not a number"),
            ("2147483648:1.0", "the epoch is too big"),
            ("1:", "nothing after the colon"),
            ("1.0-", "the revision is empty"),
            ("-1", "the upstream version is empty"),
        ] {
            assert_eq!(
                Version::parse(bad).unwrap_err(),
                format!("{bad:?} is not a valid Debian version: {why}")
            );
            let status = Command::new("dpkg")
                .args(["--compare-versions", bad, "eq", "1"])
                .stderr(Stdio::null())
                .status()
                .expect("the dpkg oracle needs dpkg");
            assert_eq!(status.code(), Some(2), "dpkg accepts {bad:?}");
        }
    }
}
