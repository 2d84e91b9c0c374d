//! Which way is better for each charted metric, and how much worse the policy allows: read
//! from the findings of the policy's `not_worse_than` rules on `run.metrics.*`, else guessed
//! from the metric's name (`log_loss`, `latency_p95_ms`: lower is better), else higher.
//!
//! The chart turns every metric so that up is better; a loss drawn the raw way up would read
//! as a regression when it improved. A guess is only a guess: the chart's legend names the
//! metrics whose direction no rule gave.

use crate::engine::finding::Compared;
use crate::engine::selector::Segment;
use crate::engine::{Finding, Outcome, Selector};

/// Where a metric's direction came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Source {
    /// A `not_worse_than` rule on this metric (or on every metric): its allowance, and, for a
    /// rule on this metric alone, whether it found the candidate worse beyond it.
    Rule {
        compared: Compared,
        beyond: Option<bool>,
    },
    /// Guessed from the name (no rule judges the metric).
    Name,
    /// Nothing says: higher is taken as better.
    Assumed,
}

/// A metric's direction and its source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Direction {
    pub higher_is_better: bool,
    pub source: Source,
}

/// The `not_worse_than` findings on the candidate's metrics, by metric name; `every` for a
/// rule over `run.metrics[*]`.
#[derive(Debug, Default)]
pub(super) struct Judged {
    named: Vec<(String, Outcome, Compared)>,
    every: Option<Compared>,
}

impl Judged {
    pub(super) fn of(findings: &[Finding]) -> Self {
        let mut judged = Judged::default();
        for f in findings {
            let Some(compared) = f.compared else { continue };
            match metric_of(&f.select) {
                Some(Metric::Named(_)) if f.outcome == Outcome::Skipped => {}
                Some(Metric::Named(name)) => judged.named.push((name, f.outcome, compared)),
                Some(Metric::Every) => judged.every = judged.every.or(Some(compared)),
                None => {}
            }
        }
        judged
    }

    /// The direction of the metric called `name`.
    pub(super) fn direction(&self, name: &str) -> Direction {
        if let Some((_, outcome, compared)) = self.named.iter().find(|(n, _, _)| n == name) {
            let beyond = match outcome {
                Outcome::Fail | Outcome::Waived => Some(true),
                Outcome::Pass => Some(false),
                Outcome::Error | Outcome::Skipped => None,
            };
            return Direction {
                higher_is_better: compared.higher_is_better,
                source: Source::Rule {
                    compared: *compared,
                    beyond,
                },
            };
        }
        if let Some(compared) = self.every {
            return Direction {
                higher_is_better: compared.higher_is_better,
                source: Source::Rule {
                    compared,
                    beyond: None,
                },
            };
        }
        match lower_is_better_by_name(name) {
            true => Direction {
                higher_is_better: false,
                source: Source::Name,
            },
            false if higher_is_better_by_name(name) => Direction {
                higher_is_better: true,
                source: Source::Name,
            },
            false => Direction {
                higher_is_better: true,
                source: Source::Assumed,
            },
        }
    }
}

enum Metric {
    Named(String),
    Every,
}

/// `run.metrics.auc`, `run.metrics["val.auc"]`, `run.metrics.auc.value`, `run.metrics[*]`.
fn metric_of(select: &str) -> Option<Metric> {
    let selector = Selector::parse(select).ok()?;
    let field = |s: &Segment, name: &str| matches!(s, Segment::Field(f) if f == name);
    match selector.segments.as_slice() {
        [run, metrics, rest @ ..] if field(run, "run") && field(metrics, "metrics") => match rest {
            [Segment::Field(name)] => Some(Metric::Named(name.clone())),
            [Segment::Field(name), value] if field(value, "value") => {
                Some(Metric::Named(name.clone()))
            }
            [Segment::Each] => Some(Metric::Every),
            [Segment::Each, value] if field(value, "value") => Some(Metric::Every),
            _ => None,
        },
        _ => None,
    }
}

/// Words of names whose metric is better lower: losses, errors, costs, times, harms.
const LOWER: &[&str] = &[
    "loss",
    "logloss",
    "error",
    "err",
    "rmse",
    "mse",
    "mae",
    "mape",
    "smape",
    "rmsle",
    "msle",
    "latency",
    "perplexity",
    "ppl",
    "toxicity",
    "duration",
    "time",
    "ms",
    "seconds",
    "sec",
    "fpr",
    "fnr",
    "brier",
    "wer",
    "cer",
    "bias",
    "cost",
    "drift",
    "distance",
    "size",
    "bytes",
    "memory",
    "hallucination",
    "p50",
    "p90",
    "p95",
    "p99",
];

/// Words of names whose metric is better higher: scores and rates of success.
const HIGHER: &[&str] = &[
    "auc",
    "accuracy",
    "acc",
    "precision",
    "recall",
    "f1",
    "fbeta",
    "r2",
    "score",
    "bleu",
    "rouge",
    "rougel",
    "rouge1",
    "rouge2",
    "meteor",
    "map",
    "ndcg",
    "mrr",
    "iou",
    "dice",
    "tpr",
    "tnr",
    "specificity",
    "sensitivity",
    "throughput",
    "qps",
    "lift",
    "gain",
    "kappa",
    "mcc",
    "hit",
    "coverage",
    "exact_match",
    "em",
];

fn words(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
}

fn lower_is_better_by_name(name: &str) -> bool {
    words(name).any(|w| LOWER.contains(&w.as_str()))
}

fn higher_is_better_by_name(name: &str) -> bool {
    words(name).any(|w| HIGHER.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_guess_the_direction_by_whole_words() {
        for lower in [
            "log_loss",
            "val.loss",
            "latency_p95_ms",
            "RMSE",
            "toxicity",
            "wer",
        ] {
            assert!(lower_is_better_by_name(lower), "{lower}");
        }
        for other in ["auc", "rougeL", "f1_score", "accuracy", "errand_count"] {
            assert!(!lower_is_better_by_name(other), "{other}");
        }
        assert!(higher_is_better_by_name("rougeL"));
        assert!(!higher_is_better_by_name("weirdness"));
    }

    #[test]
    fn selectors_name_the_metric() {
        let named = |s: &str| match metric_of(s) {
            Some(Metric::Named(n)) => Some(n),
            _ => None,
        };
        assert_eq!(named("run.metrics.auc").as_deref(), Some("auc"));
        assert_eq!(
            named("run.metrics[\"val.auc\"]").as_deref(),
            Some("val.auc")
        );
        assert_eq!(named("run.metrics.auc.value").as_deref(), Some("auc"));
        assert!(matches!(metric_of("run.metrics[*]"), Some(Metric::Every)));
        assert!(metric_of("incumbent.run.metrics.auc").is_none());
        assert!(metric_of("run.params.auc").is_none());
    }
}
