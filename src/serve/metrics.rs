//! The guard's counters and the Prometheus text (format 0.0.4) `GET /metrics` serves. Every
//! delivery counter is rendered from the start, zeros included, so an alert on a rate has a
//! series to watch before the first bad signature arrives.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::event::Source;

/// How one webhook delivery was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryOutcome {
    /// Handed to the sink, which queued it (202).
    Accepted,
    /// Verified but not the guard's business (200): a registered-model event, or the sink said so.
    Ignored,
    /// The registry's canned test payload (200), never handed to the sink.
    Test,
    /// Unsigned, or the signature does not match (401).
    BadSignature,
    /// The signed timestamp is further than the allowed skew from now (401).
    Stale,
    /// A delivery already seen (200, so the registry does not retry it).
    Duplicate,
    /// Signed, but not a payload the registry sends (400).
    Malformed,
    /// Signed, but an event (or envelope field) this listener does not know (200).
    Unknown,
    /// The body exceeds the size limit (413).
    TooLarge,
    /// No secret is configured for this source, so nothing can be verified (503).
    NoSecret,
    /// The body did not arrive within the read timeout (408).
    Timeout,
}

impl DeliveryOutcome {
    /// Every outcome, in the order they are rendered.
    pub const ALL: [DeliveryOutcome; 11] = [
        DeliveryOutcome::Accepted,
        DeliveryOutcome::Ignored,
        DeliveryOutcome::Test,
        DeliveryOutcome::BadSignature,
        DeliveryOutcome::Stale,
        DeliveryOutcome::Duplicate,
        DeliveryOutcome::Malformed,
        DeliveryOutcome::Unknown,
        DeliveryOutcome::TooLarge,
        DeliveryOutcome::NoSecret,
        DeliveryOutcome::Timeout,
    ];

    /// The `outcome` label value.
    pub fn label(self) -> &'static str {
        match self {
            DeliveryOutcome::Accepted => "accepted",
            DeliveryOutcome::Ignored => "ignored",
            DeliveryOutcome::Test => "test",
            DeliveryOutcome::BadSignature => "bad_signature",
            DeliveryOutcome::Stale => "stale",
            DeliveryOutcome::Duplicate => "duplicate",
            DeliveryOutcome::Malformed => "malformed",
            DeliveryOutcome::Unknown => "unknown",
            DeliveryOutcome::TooLarge => "too_large",
            DeliveryOutcome::NoSecret => "no_secret",
            DeliveryOutcome::Timeout => "timeout",
        }
    }

    fn index(self) -> usize {
        // `ALL` lists every variant, so the search always succeeds.
        Self::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }
}

const SOURCES: [Source; 2] = [Source::Mlflow, Source::Databricks];
const OUTCOMES: usize = DeliveryOutcome::ALL.len();

/// Upper bounds of the decision-latency histogram, in seconds (`+Inf` is implicit).
const BUCKETS: [f64; 8] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Actions rendered at zero before they are first seen: the ones the core takes.
const KNOWN_ACTIONS: [&str; 5] = [
    "accepted",
    "recorded",
    "reported",
    "reverted",
    "could-not-decide",
];

/// The guard's counters; shared between the listener and the core, updated without locks on
/// the delivery path.
#[derive(Debug)]
pub struct Metrics {
    deliveries: [[AtomicU64; OUTCOMES]; SOURCES.len()],
    decisions: Mutex<BTreeMap<String, u64>>,
    /// Cumulative count per bucket is computed at render time; these hold per-bucket counts,
    /// the last one for values above every bound.
    latency_buckets: [AtomicU64; BUCKETS.len() + 1],
    latency_sum_nanos: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Metrics {
            deliveries: Default::default(),
            decisions: Mutex::new(
                KNOWN_ACTIONS
                    .iter()
                    .map(|a| ((*a).to_string(), 0))
                    .collect(),
            ),
            latency_buckets: Default::default(),
            latency_sum_nanos: AtomicU64::new(0),
        }
    }

    /// Counts one answered delivery.
    pub fn delivery(&self, source: Source, outcome: DeliveryOutcome) {
        self.deliveries[source_index(source)][outcome.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// How many deliveries from `source` were answered with `outcome`.
    pub fn deliveries(&self, source: Source, outcome: DeliveryOutcome) -> u64 {
        self.deliveries[source_index(source)][outcome.index()].load(Ordering::Relaxed)
    }

    /// Counts one decision of the core (`reverted`, `recorded`, …) and how long it took from
    /// the event's arrival (or the reconcile's start) to the decision.
    pub fn decision(&self, action: &str, latency: Duration) {
        {
            let mut decisions = self
                .decisions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *decisions.entry(action.to_string()).or_insert(0) += 1;
        }
        let seconds = latency.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        self.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.latency_sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP mlgate_guard_deliveries_total Webhook deliveries received, by source and outcome.\n\
             # TYPE mlgate_guard_deliveries_total counter\n",
        );
        for source in SOURCES {
            for outcome in DeliveryOutcome::ALL {
                let _ = writeln!(
                    out,
                    "mlgate_guard_deliveries_total{{source=\"{}\",outcome=\"{}\"}} {}",
                    source.label(),
                    outcome.label(),
                    self.deliveries(source, outcome)
                );
            }
        }
        out.push_str(
            "# HELP mlgate_guard_decisions_total Decisions the guard took, by action.\n\
             # TYPE mlgate_guard_decisions_total counter\n",
        );
        let decisions = self
            .decisions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for (action, count) in decisions {
            let _ = writeln!(
                out,
                "mlgate_guard_decisions_total{{action=\"{}\"}} {count}",
                label_value(&action)
            );
        }
        out.push_str(
            "# HELP mlgate_guard_decision_seconds Time from an event's arrival to the guard's decision.\n\
             # TYPE mlgate_guard_decision_seconds histogram\n",
        );
        let mut cumulative = 0u64;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.latency_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "mlgate_guard_decision_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.latency_buckets[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "mlgate_guard_decision_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let sum = Duration::from_nanos(self.latency_sum_nanos.load(Ordering::Relaxed));
        let _ = writeln!(
            out,
            "mlgate_guard_decision_seconds_sum {}",
            sum.as_secs_f64()
        );
        let _ = writeln!(out, "mlgate_guard_decision_seconds_count {cumulative}");
        out
    }
}

fn source_index(source: Source) -> usize {
    match source {
        Source::Mlflow => 0,
        Source::Databricks => 1,
    }
}

/// A label value escaped as the text format requires (backslash, quote, newline).
fn label_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_delivery_counter_is_rendered_from_zero() {
        let metrics = Metrics::new();
        metrics.delivery(Source::Mlflow, DeliveryOutcome::Accepted);
        metrics.delivery(Source::Mlflow, DeliveryOutcome::Accepted);
        metrics.delivery(Source::Databricks, DeliveryOutcome::BadSignature);
        let text = metrics.render();
        assert!(text
            .contains("mlgate_guard_deliveries_total{source=\"mlflow\",outcome=\"accepted\"} 2\n"));
        assert!(text.contains(
            "mlgate_guard_deliveries_total{source=\"databricks\",outcome=\"bad_signature\"} 1\n"
        ));
        for source in SOURCES {
            for outcome in DeliveryOutcome::ALL {
                let series = format!(
                    "mlgate_guard_deliveries_total{{source=\"{}\",outcome=\"{}\"}} ",
                    source.label(),
                    outcome.label()
                );
                assert_eq!(text.matches(&series).count(), 1, "{series}");
            }
        }
        assert!(text.contains("# TYPE mlgate_guard_deliveries_total counter\n"));
    }

    #[test]
    fn decisions_and_the_latency_histogram_accumulate() {
        let metrics = Metrics::new();
        metrics.decision("reverted", Duration::from_millis(30));
        metrics.decision("reverted", Duration::from_millis(700));
        metrics.decision("rolled \"back\"", Duration::from_secs(60));
        let text = metrics.render();
        assert!(text.contains("mlgate_guard_decisions_total{action=\"reverted\"} 2\n"));
        assert!(text.contains("mlgate_guard_decisions_total{action=\"could-not-decide\"} 0\n"));
        assert!(text.contains("mlgate_guard_decisions_total{action=\"rolled \\\"back\\\"\"} 1\n"));
        assert!(text.contains("mlgate_guard_decision_seconds_bucket{le=\"0.05\"} 1\n"));
        assert!(text.contains("mlgate_guard_decision_seconds_bucket{le=\"0.5\"} 1\n"));
        assert!(text.contains("mlgate_guard_decision_seconds_bucket{le=\"1\"} 2\n"));
        assert!(text.contains("mlgate_guard_decision_seconds_bucket{le=\"10\"} 2\n"));
        assert!(text.contains("mlgate_guard_decision_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("mlgate_guard_decision_seconds_sum 60.73\n"));
        assert!(text.contains("mlgate_guard_decision_seconds_count 3\n"));
        assert!(text.contains("# TYPE mlgate_guard_decision_seconds histogram\n"));
    }

    #[test]
    fn every_line_is_a_comment_or_a_sample() {
        let text = Metrics::new().render();
        for line in text.lines() {
            let sample = line
                .rsplit_once(' ')
                .is_some_and(|(_, v)| v.parse::<f64>().is_ok());
            assert!(line.starts_with("# ") || sample, "{line}");
        }
    }
}
