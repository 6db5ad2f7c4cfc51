//! The server's counters, rendered in the Prometheus text exposition
//! format (version 0.0.4) on `/metrics`.
//!
//! Hand-written rather than the `prometheus` crate: a handful of counters
//! and one histogram are a few atomics and a `format!`, while the crate
//! would bring a registry, protobuf support and its own locking for
//! nothing the webhook uses.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the verification latency histogram: from a
/// warm cache (well under a millisecond) to a deadline (seconds).
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Every metric the server exports. Shared by all requests; each update
/// is one atomic add (or one short lock for the per-endpoint counters).
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
    connections_shed: AtomicU64,
}

impl Metrics {
    /// Counts one answered request to `endpoint` (`validate`, `mutate`)
    /// with its `verdict` (`allow`, `deny`, `patch`, `error`).
    pub fn request(&self, endpoint: &'static str, verdict: &'static str) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((endpoint, verdict)).or_default() += 1;
        }
    }

    /// Records how long one image's verification took (cache hits
    /// included, so that the histogram shows what admission waits for).
    pub fn verification(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Counts a verdict served from the cache.
    pub fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a verdict that had to be computed.
    pub fn cache_miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a policy reload; `ok` is false when the new files were
    /// invalid and the previous set was kept.
    pub fn reload(&self, ok: bool) {
        if ok {
            self.reloads.fetch_add(1, Ordering::Relaxed);
        } else {
            self.reload_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a connection closed to make room for a new one.
    pub fn connection_shed(&self) {
        self.connections_shed.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP vouch_webhook_requests_total Admission reviews answered, by endpoint and verdict.\n");
        out.push_str("# TYPE vouch_webhook_requests_total counter\n");
        if let Ok(map) = self.requests.lock() {
            for ((endpoint, verdict), n) in map.iter() {
                let _ = writeln!(
                    out,
                    "vouch_webhook_requests_total{{endpoint=\"{endpoint}\",verdict=\"{verdict}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP vouch_webhook_verification_seconds Time to a verdict on one image.\n");
        out.push_str("# TYPE vouch_webhook_verification_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "vouch_webhook_verification_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "vouch_webhook_verification_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.latency_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "vouch_webhook_verification_seconds_sum {sum}");
        let _ = writeln!(out, "vouch_webhook_verification_seconds_count {count}");
        counter(
            &mut out,
            "vouch_webhook_cache_hits_total",
            "Verdicts served from the cache.",
            &self.cache_hits,
        );
        counter(
            &mut out,
            "vouch_webhook_cache_misses_total",
            "Verdicts computed (not in the cache).",
            &self.cache_misses,
        );
        counter(
            &mut out,
            "vouch_webhook_policy_reloads_total",
            "Policy sets reloaded after a change.",
            &self.reloads,
        );
        counter(
            &mut out,
            "vouch_webhook_policy_reload_failures_total",
            "Changed policy files that were invalid (the previous set was kept).",
            &self.reload_failures,
        );
        counter(
            &mut out,
            "vouch_webhook_connections_shed_total",
            "Connections closed, not being answered, to make room for a new one (--max-connections).",
            &self.connections_shed,
        );
        out
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: &AtomicU64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
}
