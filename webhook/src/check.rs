//! Verifying the images of one review: tags resolved once, verdicts cached
//! by (repository, digest, policy set version), concurrent requests for
//! the same uncached digest sharing one verification, and every image
//! under the request's deadline.
//!
//! The decision itself is `vouch_verify::evaluate::evaluate`'s, exactly as
//! in `vouch verify`; this module only fetches its inputs and remembers
//! its answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use moka::future::Cache;
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
    /// Refused before evaluation (a reference without a digest under
    /// `--require-digest`).
    Refused(String),
    /// No verdict could be reached: registry error, deadline.
    Failed {
        /// Why, for the user.
        reason: String,
        /// Whether it was the deadline (answered 504 rather than 500).
        deadline: bool,
    },
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

    fn repository(&self, image: &ImageRef) -> Result<Repository, String> {
        let name = image.location.to_string();
        if let Ok(map) = self.repositories.lock() {
            if let Some(repo) = map.get(&name) {
                return Ok(repo.clone());
            }
        }
        let repo = (self.open)(image)?;
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
    pub async fn resolve(&self, image: &ImageRef) -> Result<Sha256, String> {
        if let Some(digest) = &image.digest {
            return Ok(*digest);
        }
        let repo = self.repository(image)?;
        repo.resolve(image)
            .await
            .map(|d| d.digest)
            .map_err(|e| format!("cannot resolve {image}: {e}"))
    }

    /// [`Checker::resolve`] before `deadline`.
    pub async fn resolve_by(
        &self,
        image: &ImageRef,
        deadline: Deadline,
        budget: Duration,
    ) -> Result<Sha256, (String, bool)> {
        match tokio::time::timeout_at(deadline, self.resolve(image)).await {
            Ok(result) => result.map_err(|reason| (reason, false)),
            Err(_) => Err((late(image, budget), true)),
        }
    }

    /// The verdict on `image` before `deadline`.
    pub async fn check(
        self: Arc<Self>,
        image: ImageRef,
        deadline: Deadline,
        budget: Duration,
    ) -> Outcome {
        if image.digest.is_none() && self.require_digest {
            return Outcome::Refused(
                "the reference names no digest (the webhook requires one; the mutating webhook pins tags)"
                    .to_string(),
            );
        }
        let started = Instant::now();
        let outcome = match tokio::time::timeout_at(deadline, self.verdict(&image)).await {
            Ok(Ok(verdict)) => Outcome::Verdict(verdict),
            Ok(Err(reason)) => Outcome::Failed {
                reason,
                deadline: false,
            },
            Err(_) => Outcome::Failed {
                reason: late(&image, budget),
                deadline: true,
            },
        };
        self.metrics.verification(started.elapsed());
        outcome
    }

    async fn verdict(&self, image: &ImageRef) -> Result<Arc<Verdict>, String> {
        let digest = self.resolve(image).await?;
        let policies = self.policies();
        let key = (image.location.to_string(), digest, policies.version);
        let pinned = image.pinned(digest);
        let entry = self
            .cache
            .entry(key)
            .or_try_insert_with(async {
                let repo = self.repository(&pinned)?;
                let attachments = attach::list(&repo, &digest, None)
                    .await
                    .map_err(|e| format!("cannot read the evidence of {pinned}: {e}"))?
                    .attachments;
                let context = Context {
                    now: jiff::Timestamp::now(),
                    default_root: &self.root,
                    no_match: self.no_match,
                    osv: None,
                };
                let mut verdict = evaluate(&policies, &pinned, &digest, &attachments, &context);
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
                Ok::<_, String>(Arc::new(verdict))
            })
            .await
            .map_err(|e| e.to_string())?;
        if entry.is_fresh() {
            self.metrics.cache_miss();
        } else {
            self.metrics.cache_hit();
        }
        Ok(entry.into_value())
    }
}

fn late(image: &ImageRef, budget: Duration) -> String {
    format!(
        "no answer for {image} within the {} ms budget (registry slow, unreachable or rate-limiting)",
        budget.as_millis()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use tokio::sync::Semaphore;
    use vouch_registry::memory::MemoryStore;
    use vouch_registry::oci::Descriptor;
    use vouch_registry::{Limits, Store};
    use vouch_verify::policy;

    use super::*;

    /// A memory store whose referrers lookups (the first request of a
    /// verification) are counted, then held until the test opens the gate.
    struct Gated {
        inner: MemoryStore,
        entered: AtomicUsize,
        gate: Semaphore,
    }

    #[async_trait]
    impl Store for Gated {
        fn location(&self) -> String {
            self.inner.location()
        }
        async fn resolve_tag(
            &self,
            repository: &str,
            tag: &str,
        ) -> vouch_registry::Result<Option<Descriptor>> {
            self.inner.resolve_tag(repository, tag).await
        }
        async fn fetch_manifest(
            &self,
            repository: &str,
            digest: &Sha256,
            limit: u64,
        ) -> vouch_registry::Result<Option<(Vec<u8>, Option<String>)>> {
            self.inner.fetch_manifest(repository, digest, limit).await
        }
        async fn fetch_blob(
            &self,
            repository: &str,
            digest: &Sha256,
            limit: u64,
        ) -> vouch_registry::Result<Option<Vec<u8>>> {
            self.inner.fetch_blob(repository, digest, limit).await
        }
        async fn push_blob(
            &self,
            repository: &str,
            digest: &Sha256,
            content: &[u8],
        ) -> vouch_registry::Result<()> {
            self.inner.push_blob(repository, digest, content).await
        }
        async fn push_manifest(
            &self,
            repository: &str,
            digest: &Sha256,
            content: &[u8],
            media_type: &str,
            tag: Option<&str>,
        ) -> vouch_registry::Result<()> {
            self.inner
                .push_manifest(repository, digest, content, media_type, tag)
                .await
        }
        async fn referrers(
            &self,
            repository: &str,
            subject: &Sha256,
            limit: usize,
        ) -> vouch_registry::Result<Option<Vec<Descriptor>>> {
            self.entered.fetch_add(1, Ordering::SeqCst);
            drop(self.gate.acquire().await.unwrap());
            self.inner.referrers(repository, subject, limit).await
        }
    }

    fn setup() -> (Arc<Checker>, Arc<Gated>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.yaml");
        std::fs::write(
            &path,
            "apiVersion: vouch.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {name: open}\n\
             spec:\n  images: [{glob: \"**\"}]\n  authorities: [{name: any, static: pass}]\n",
        )
        .unwrap();
        let policies = policy::load(&path).unwrap();
        let store = Arc::new(Gated {
            inner: MemoryStore::new(),
            entered: AtomicUsize::new(0),
            gate: Semaphore::new(0),
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
        let (checker, store, _dir) = setup();
        let mut tasks = spawn_checks(&checker, vec![image(1); 4]);
        wait_until("one verification started", || {
            store.entered.load(Ordering::SeqCst) >= 1
        })
        .await;
        // Room for the other three to start theirs, were they not shared.
        tokio::time::sleep(Duration::from_millis(300)).await;
        store.gate.add_permits(1);
        while let Some(outcome) = tasks.join_next().await {
            match outcome.unwrap() {
                Outcome::Verdict(v) => assert!(v.allowed(), "{v:?}"),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(store.entered.load(Ordering::SeqCst), 1);
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
            store.entered.load(Ordering::SeqCst) == 2
        })
        .await;
        again.join_next().await.unwrap().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checks_of_different_digests_run_concurrently() {
        // Negative control of the single-flight test: the gate admits
        // concurrent verifications, so only sharing kept the count at one.
        let (checker, store, _dir) = setup();
        let mut tasks = spawn_checks(&checker, vec![image(1), image(2)]);
        wait_until("both verifications started", || {
            store.entered.load(Ordering::SeqCst) == 2
        })
        .await;
        store.gate.add_permits(1);
        while let Some(outcome) = tasks.join_next().await {
            assert!(matches!(outcome.unwrap(), Outcome::Verdict(_)));
        }
        let metrics = checker.metrics.render();
        assert!(
            metrics.contains("vouch_webhook_cache_misses_total 2\n"),
            "{metrics}"
        );
    }
}
