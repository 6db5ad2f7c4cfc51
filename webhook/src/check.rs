//! Verifying the images of one review: policies matched before anything
//! is read, tags resolved once, verdicts cached by (repository, digest,
//! policy set version), concurrent requests for the same uncached digest
//! sharing one verification, at most a fixed number of verifications at
//! once in the process, each reading a bounded number of bytes, and every
//! image under the request's deadline.
//!
//! The decision itself is `vouch_verify::evaluate::evaluate`'s, exactly as
//! in `vouch verify`; this module only fetches its inputs and remembers
//! its answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use moka::future::Cache;
use tokio::sync::Semaphore;
use tokio::time::Instant as Deadline;
use vouch_evidence::digest::Sha256;
use vouch_registry::reference::ImageRef;
use vouch_registry::{attach, Repository};
use vouch_verify::bundle::TrustedRoot;
use vouch_verify::evaluate::{evaluate, Context, Verdict};
use vouch_verify::policy::{NoMatch, PolicySet};

use crate::metrics::Metrics;

/// Opens the repository of an image (registry address, credentials from
/// the mounted docker config, CA, limits): the caller's registry settings,
/// so that the webhook reaches registries exactly as `vouch verify` does.
pub type Opener = Arc<dyn Fn(&ImageRef) -> Result<Repository, String> + Send + Sync>;

/// The most repositories whose clients are kept open; past it the map is
/// emptied (the next request opens them again).
const MAX_OPEN_REPOSITORIES: usize = 256;

/// A verdict cache key: the repository (policies match on it), the
/// manifest digest and the policy set version. Never a tag: a tag can
/// move, a digest cannot.
type Key = (String, Sha256, Sha256);

/// What became of one image.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Evaluated: the verdict says allow or deny, with reasons.
    Verdict(Arc<Verdict>),
    /// No policy matches the image: the `--no-match` answer, given without
    /// reading anything from a registry (not even the tag).
    Unmatched(NoMatch),
    /// No verdict was reached.
    Failed(Failure),
}

/// Why no verdict was reached, in the two kinds `--fail-open` tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// An answer about the image: a reference without a digest under
    /// `--require-digest`; an image, tag or evidence that is missing,
    /// malformed, oversized, about another subject or not matching its
    /// digest; credentials refused. Always a deny, with the reason: a tag
    /// writer can cause any of these.
    Refused(String),
    /// A registry was unavailable (timeout, connection refused or cut,
    /// 429, 5xx), or the deadline passed: the only failure `--fail-open`
    /// admits.
    Unavailable {
        /// Why, for the user.
        reason: String,
        /// Whether it was the deadline (answered 504 rather than 500).
        deadline: bool,
    },
}

impl Failure {
    /// A registry error, with what was being done. The requester (who
    /// may have named the registry) is told which registry failed and how,
    /// never what a remote server answered: that goes to the operator's
    /// log only, since a registry can relay an internal service's page.
    fn registry(doing: String, error: vouch_registry::Error) -> Failure {
        log_line!("vouch webhook: {doing}: {error}");
        let reason = format!("{doing}: {}", error.without_remote_message());
        if error.is_unavailable() {
            Failure::Unavailable {
                reason,
                deadline: false,
            }
        } else {
            Failure::Refused(reason)
        }
    }
}

/// The verification engine shared by every request.
pub struct Checker {
    open: Opener,
    root: TrustedRoot,
    no_match: NoMatch,
    require_digest: bool,
    policies: RwLock<Arc<PolicySet>>,
    cache: Cache<Key, Arc<Verdict>>,
    repositories: Mutex<HashMap<String, Repository>>,
    /// One permit per verification that may run at once.
    verifications: Semaphore,
    /// The counters; verification latency and cache hits are kept here.
    pub metrics: Metrics,
}

/// The settings of a [`Checker`].
pub struct CheckerConfig {
    /// How to open a repository.
    pub open: Opener,
    /// The trusted root for keyless authorities that name none.
    pub root: TrustedRoot,
    /// What an image no policy matches gets.
    pub no_match: NoMatch,
    /// Whether a reference without a digest is refused in `/validate`.
    pub require_digest: bool,
    /// How long a verdict is reused.
    pub cache_ttl: Duration,
    /// The most verdicts kept.
    pub cache_capacity: u64,
    /// The most verifications (cache misses) running at once in the
    /// process; the others wait for a turn, within their deadline. With
    /// the byte limit of each verification's repository, this bounds the
    /// memory evidence can take.
    pub max_verifications: usize,
}

impl Checker {
    /// A checker starting with `policies`.
    pub fn new(config: CheckerConfig, policies: PolicySet) -> Checker {
        Checker {
            open: config.open,
            root: config.root,
            no_match: config.no_match,
            require_digest: config.require_digest,
            policies: RwLock::new(Arc::new(policies)),
            cache: Cache::builder()
                .max_capacity(config.cache_capacity)
                .time_to_live(config.cache_ttl)
                .build(),
            repositories: Mutex::new(HashMap::new()),
            verifications: Semaphore::new(config.max_verifications.max(1)),
            metrics: Metrics::default(),
        }
    }

    /// The policy set in force.
    pub fn policies(&self) -> Arc<PolicySet> {
        match self.policies.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts `policies` in force and drops every cached verdict (their keys
    /// name the old version, so none would be found again; dropping them
    /// frees the memory at once).
    pub fn replace_policies(&self, policies: PolicySet) {
        let policies = Arc::new(policies);
        match self.policies.write() {
            Ok(mut guard) => *guard = policies,
            Err(poisoned) => *poisoned.into_inner() = policies,
        }
        self.cache.invalidate_all();
    }

    /// Whether a policy in force matches `image` (by repository only, so
    /// a tag need not be resolved to know).
    pub fn matched(&self, image: &ImageRef) -> bool {
        !self.policies().matching(image).is_empty()
    }

    /// The repository of `image`, as a value of its own: its count of
    /// bytes read starts at zero.
    fn repository(&self, image: &ImageRef) -> Result<Repository, Failure> {
        let name = image.location.to_string();
        if let Ok(map) = self.repositories.lock() {
            if let Some(repo) = map.get(&name) {
                return Ok(repo.clone());
            }
        }
        let repo = (self.open)(image).map_err(Failure::Refused)?;
        if let Ok(mut map) = self.repositories.lock() {
            if map.len() >= MAX_OPEN_REPOSITORIES {
                map.clear();
            }
            map.insert(name, repo.clone());
        }
        Ok(repo)
    }

    /// The digest `image` names, or the one its tag points to now (one
    /// registry request).
    async fn resolve(&self, image: &ImageRef) -> Result<Sha256, Failure> {
        if let Some(digest) = &image.digest {
            return Ok(*digest);
        }
        let repo = self.repository(image)?;
        repo.resolve(image)
            .await
            .map(|d| d.digest)
            .map_err(|e| Failure::registry(format!("cannot resolve {image}"), e))
    }

    /// [`Checker::resolve`] before `deadline`.
    pub async fn resolve_by(
        &self,
        image: &ImageRef,
        deadline: Deadline,
        budget: Duration,
    ) -> Result<Sha256, Failure> {
        match tokio::time::timeout_at(deadline, self.resolve(image)).await {
            Ok(result) => result,
            Err(_) => Err(late(image, budget)),
        }
    }

    /// The verdict on `image` before `deadline`. An image no policy
    /// matches is answered at once, before anything is read.
    pub async fn check(
        self: Arc<Self>,
        image: ImageRef,
        deadline: Deadline,
        budget: Duration,
    ) -> Outcome {
        let policies = self.policies();
        if policies.matching(&image).is_empty() {
            return Outcome::Unmatched(self.no_match);
        }
        if image.digest.is_none() && self.require_digest {
            return Outcome::Failed(Failure::Refused(
                "the reference names no digest (the webhook requires one; the mutating webhook pins tags)"
                    .to_string(),
            ));
        }
        let started = Instant::now();
        let outcome = match tokio::time::timeout_at(deadline, self.verdict(&image, policies)).await
        {
            Ok(Ok(verdict)) => Outcome::Verdict(verdict),
            Ok(Err(failure)) => Outcome::Failed(failure),
            Err(_) => Outcome::Failed(late(&image, budget)),
        };
        self.metrics.verification(started.elapsed());
        outcome
    }

    async fn verdict(
        &self,
        image: &ImageRef,
        policies: Arc<PolicySet>,
    ) -> Result<Arc<Verdict>, Failure> {
        let digest = self.resolve(image).await?;
        let key = (image.location.to_string(), digest, policies.version);
        let pinned = image.pinned(digest);
        let entry = self
            .cache
            .entry(key)
            .or_try_insert_with(async {
                // Never closed, so never an error.
                let Ok(_turn) = self.verifications.acquire().await else {
                    return Err(Failure::Refused("the webhook is stopping".into()));
                };
                let repo = self.repository(&pinned)?;
                let attachments = attach::list(&repo, &digest, None)
                    .await
                    .map_err(|e| {
                        Failure::registry(format!("cannot read the evidence of {pinned}"), e)
                    })?
                    .attachments;
                let context = Context {
                    now: jiff::Timestamp::now(),
                    default_root: &self.root,
                    no_match: self.no_match,
                    osv: None,
                    scanned: &[],
                };
                // The verdict names the repository only, with the digest
                // beside it: a cached verdict serves every tag of the digest.
                let repository = ImageRef {
                    tag: None,
                    digest: None,
                    ..image.clone()
                };
                let mut verdict = evaluate(&policies, &repository, &digest, &attachments, &context);
                // What admission never reads is not kept for the life of the
                // cache entry: the inputs, the VEX statements, the build, the
                // per-attachment notes and each policy's per-requirement
                // results, whose failures the denials already say (`vouch
                // verify` shows them all). The findings stay: the upgrade
                // rule compares them.
                verdict.inputs = Vec::new();
                verdict.vex = Vec::new();
                verdict.provenance = None;
                verdict.evidence = Vec::new();
                for policy in &mut verdict.policies {
                    policy.requirements = Vec::new();
                }
                Ok::<_, Failure>(Arc::new(verdict))
            })
            .await
            .map_err(|e| (*e).clone())?;
        if entry.is_fresh() {
            self.metrics.cache_miss();
        } else {
            self.metrics.cache_hit();
        }
        Ok(entry.into_value())
    }
}

fn late(image: &ImageRef, budget: Duration) -> Failure {
    Failure::Unavailable {
        reason: format!(
            "no answer for {image} within the {} ms budget (registry slow, unreachable or rate-limiting)",
            budget.as_millis()
        ),
        deadline: true,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use tokio::sync::Semaphore;
    use vouch_load::policy;
    use vouch_registry::memory::hooked::{Hooked, StoreHook};
    use vouch_registry::memory::MemoryStore;
    use vouch_registry::Limits;

    use super::*;

    /// What a [`Hooked`] memory store does around its reads: referrers
    /// lookups (the first request of a verification) are counted, then held
    /// until the test opens the gate; every read is counted in `reads`.
    struct Gate {
        entered: AtomicUsize,
        reads: AtomicUsize,
        gate: Semaphore,
    }

    #[async_trait]
    impl StoreHook for Gate {
        fn before_read(&self) {
            self.reads.fetch_add(1, Ordering::SeqCst);
        }
        async fn before_referrers(&self) {
            self.entered.fetch_add(1, Ordering::SeqCst);
            drop(self.gate.acquire().await.unwrap());
        }
    }

    /// A checker with one policy for `registry.example/**` and at most
    /// `max_verifications` verifications at once, over a memory store with a
    /// [`Gate`].
    fn setup(max_verifications: usize) -> (Arc<Checker>, Arc<Hooked<Gate>>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.yaml");
        std::fs::write(
            &path,
            "apiVersion: vouch.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {name: open}\n\
             spec:\n  images: [{glob: \"registry.example/**\"}]\n  authorities: [{name: any, static: pass}]\n",
        )
        .unwrap();
        let policies = policy::load(&path).unwrap();
        let store = Arc::new(Hooked {
            inner: MemoryStore::new(),
            hook: Gate {
                entered: AtomicUsize::new(0),
                reads: AtomicUsize::new(0),
                gate: Semaphore::new(0),
            },
        });
        let shared = store.clone();
        let open: Opener = Arc::new(move |image: &ImageRef| {
            Ok(Repository::new(
                shared.clone(),
                image.location.to_string(),
                Limits::default(),
            ))
        });
        let checker = Checker::new(
            CheckerConfig {
                open,
                root: TrustedRoot::public_good().unwrap(),
                no_match: NoMatch::Deny,
                require_digest: false,
                cache_ttl: Duration::from_secs(60),
                cache_capacity: 100,
                max_verifications,
            },
            policies,
        );
        (Arc::new(checker), store, dir)
    }

    fn image(byte: u8) -> ImageRef {
        format!("registry.example/app@sha256:{}", hex(byte))
            .parse()
            .unwrap()
    }

    fn hex(byte: u8) -> String {
        format!("{byte:02x}").repeat(32)
    }

    async fn wait_until(what: &str, check: impl Fn() -> bool) {
        for _ in 0..3000 {
            if check() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("never: {what}");
    }

    fn spawn_checks(
        checker: &Arc<Checker>,
        images: Vec<ImageRef>,
    ) -> tokio::task::JoinSet<Outcome> {
        let deadline = Deadline::now() + Duration::from_secs(600);
        let mut tasks = tokio::task::JoinSet::new();
        for image in images {
            let checker = checker.clone();
            tasks.spawn(checker.check(image, deadline, Duration::from_secs(600)));
        }
        tasks
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_checks_of_one_uncached_digest_share_one_verification() {
        let (checker, store, _dir) = setup(4);
        let mut tasks = spawn_checks(&checker, vec![image(1); 4]);
        wait_until("one verification started", || {
            store.hook.entered.load(Ordering::SeqCst) >= 1
        })
        .await;
        // Room for the other three to start theirs, were they not shared.
        tokio::time::sleep(Duration::from_millis(300)).await;
        store.hook.gate.add_permits(1);
        while let Some(outcome) = tasks.join_next().await {
            match outcome.unwrap() {
                Outcome::Verdict(v) => assert!(v.allowed(), "{v:?}"),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(store.hook.entered.load(Ordering::SeqCst), 1);
        let metrics = checker.metrics.render();
        assert!(
            metrics.contains("vouch_webhook_cache_misses_total 1\n"),
            "{metrics}"
        );
        assert!(
            metrics.contains("vouch_webhook_cache_hits_total 3\n"),
            "{metrics}"
        );

        // A policy reload empties the cache: the same digest is verified again.
        let policies = (*checker.policies()).clone();
        checker.replace_policies(policies);
        let mut again = spawn_checks(&checker, vec![image(1)]);
        wait_until("a second verification", || {
            store.hook.entered.load(Ordering::SeqCst) == 2
        })
        .await;
        again.join_next().await.unwrap().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checks_of_different_digests_run_concurrently() {
        // Negative control of the single-flight test: the gate admits
        // concurrent verifications, so only sharing kept the count at one.
        let (checker, store, _dir) = setup(4);
        let mut tasks = spawn_checks(&checker, vec![image(1), image(2)]);
        wait_until("both verifications started", || {
            store.hook.entered.load(Ordering::SeqCst) == 2
        })
        .await;
        store.hook.gate.add_permits(1);
        while let Some(outcome) = tasks.join_next().await {
            assert!(matches!(outcome.unwrap(), Outcome::Verdict(_)));
        }
        let metrics = checker.metrics.render();
        assert!(
            metrics.contains("vouch_webhook_cache_misses_total 2\n"),
            "{metrics}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn verifications_past_the_process_cap_wait_for_a_turn() {
        let (checker, store, _dir) = setup(2);
        let mut tasks = spawn_checks(&checker, vec![image(1), image(2), image(3)]);
        wait_until("two verifications started", || {
            store.hook.entered.load(Ordering::SeqCst) == 2
        })
        .await;
        // Room for the third to start, were it not waiting for a turn.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(store.hook.entered.load(Ordering::SeqCst), 2);
        store.hook.gate.add_permits(3);
        while let Some(outcome) = tasks.join_next().await {
            assert!(matches!(outcome.unwrap(), Outcome::Verdict(_)));
        }
        assert_eq!(store.hook.entered.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_image_no_policy_matches_is_answered_without_a_registry_read() {
        let (checker, store, _dir) = setup(4);
        let unmatched: Vec<ImageRef> = [
            "other.example/app:v1".to_string(),
            format!("other.example/app@sha256:{}", hex(1)),
        ]
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
        let mut tasks = spawn_checks(&checker, unmatched.clone());
        while let Some(outcome) = tasks.join_next().await {
            assert!(
                matches!(outcome.unwrap(), Outcome::Unmatched(NoMatch::Deny)),
                "unmatched"
            );
        }
        let deadline = Deadline::now() + Duration::from_secs(60);
        assert!(!checker.matched(&unmatched[0]));
        assert_eq!(store.hook.reads.load(Ordering::SeqCst), 0);
        // Negative control: a matched tag is resolved (and not found).
        let matched: ImageRef = "registry.example/app:v1".parse().unwrap();
        assert!(checker.matched(&matched));
        let outcome = checker
            .clone()
            .check(matched.clone(), deadline, Duration::from_secs(60))
            .await;
        match outcome {
            Outcome::Failed(Failure::Refused(why)) => assert!(why.contains("not found"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(checker
            .resolve_by(&matched, deadline, Duration::from_secs(60))
            .await
            .is_err());
        assert_eq!(store.hook.reads.load(Ordering::SeqCst), 2);
    }
}
