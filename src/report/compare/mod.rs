//! The candidate compared with the incumbent (the version a promotion would replace): shared
//! metrics with their differences, params that changed, and signature differences, as plain
//! data that any reporter can lay out. Pure: it reads the snapshot (already redacted, as every
//! output is) and judges nothing — whether a drop in `auc` or a removed input blocks a
//! promotion is for the rules in the engine; this module only says what differs.

mod signature;

pub use signature::{diff as diff_signatures, ChangeKind, Part, Signature, SignatureChange, Spec};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::snapshot::{Metric, Snapshot, StringMap, INCUMBENT};

/// What the report can say about the incumbent of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The candidate as `models:/name/5`.
    pub candidate: String,
    /// The target the incumbent holds: `@champion` or `Production`.
    pub holds: String,
    pub state: State,
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// No version holds the target: the first promotion.
    Vacant,
    /// The holder could not be gathered: the recorded failures, each described.
    NotGathered {
        version: Option<String>,
        errors: Vec<(String, String)>,
    },
    Compared(Box<Compared>),
}

/// The two versions side by side. Each part is `Err(why)` when a side lacks what it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Compared {
    /// The incumbent's version number.
    pub version: String,
    pub metrics: Result<MetricDiff, String>,
    pub params: Result<ParamDiff, String>,
    pub signature: Result<SignatureDiff, String>,
}

/// The comparison of a snapshot, or `None` when no promotion target was evaluated.
pub fn compare(s: &Snapshot) -> Option<Comparison> {
    let incumbent = s.incumbent.as_deref()?;
    let errors: Vec<(String, String)> = s
        .errors
        .iter()
        .filter(|e| under_incumbent(&e.section))
        .map(|e| (e.section.clone(), e.describe()))
        .collect();
    let whole = errors.iter().any(|(section, _)| section == INCUMBENT);
    let state = match &incumbent.version {
        // Nothing at all was read about the holder, or not even who it is.
        _ if whole => State::NotGathered {
            version: incumbent.version.clone(),
            errors,
        },
        None if !errors.is_empty() => State::NotGathered {
            version: None,
            errors,
        },
        None => State::Vacant,
        Some(version) if incumbent.run.is_none() && incumbent.mlflow_model.is_none() => {
            State::NotGathered {
                version: Some(version.clone()),
                errors,
            }
        }
        Some(version) => {
            let runs = match (&s.run, &incumbent.run) {
                (Some(c), Some(i)) => Ok((c, i)),
                (None, _) => Err(format!("the candidate's run {}", absence(s, "run"))),
                (_, None) => Err(format!(
                    "the incumbent's run {}",
                    absence(s, "incumbent.run")
                )),
            };
            let models = match (&s.mlflow_model, &incumbent.mlflow_model) {
                (Some(c), Some(i)) => Ok((c, i)),
                (None, _) => Err(format!(
                    "the candidate's MLmodel {}",
                    absence(s, "mlflow_model")
                )),
                (_, None) => Err(format!(
                    "the incumbent's MLmodel {}",
                    absence(s, "incumbent.mlflow_model")
                )),
            };
            State::Compared(Box::new(Compared {
                version: version.clone(),
                metrics: runs
                    .clone()
                    .map(|(c, i)| diff_metrics(&c.metrics, &i.metrics)),
                params: runs.map(|(c, i)| diff_params(&c.params, &i.params)),
                signature: models
                    .map(|(c, i)| diff_signatures(read_signature(c), read_signature(i))),
            }))
        }
    };
    Some(Comparison {
        candidate: s.model_uri(),
        holds: incumbent.holds.clone(),
        state,
    })
}

fn read_signature(mlflow_model: &Map<String, Value>) -> Signature {
    Signature::read(mlflow_model.get("signature"))
}

/// Whether a recorded error section is about the incumbent.
fn under_incumbent(section: &str) -> bool {
    section
        .strip_prefix(INCUMBENT)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// Why a section is absent, worded to follow "the incumbent's run".
fn absence(s: &Snapshot, path: &str) -> String {
    if let Some(e) = s.error_for(path) {
        format!("could not be gathered: {}", e.describe())
    } else if let Some(u) = s.unavailable_for(path) {
        format!("is not available: {}", u.reason)
    } else {
        "is not in the snapshot".to_string()
    }
}

impl Comparison {
    /// One plain-text line (the terminal's): what was compared and how much differs.
    pub fn headline(&self) -> String {
        let Comparison {
            candidate, holds, ..
        } = self;
        match &self.state {
            State::Vacant => {
                format!("no version holds {holds}: {candidate} is the first promotion")
            }
            State::NotGathered { version, .. } => format!(
                "the incumbent ({}holds {holds}) could not be gathered: not compared",
                version
                    .as_ref()
                    .map_or(String::new(), |v| format!("version {v}, "))
            ),
            State::Compared(c) => {
                let metrics = c.metrics.as_ref().map_or_else(
                    |_| "metrics not compared".to_string(),
                    |m| {
                        let signs: Vec<f64> = m
                            .shared
                            .iter()
                            .filter_map(|s| s.difference().map(|d| d.absolute))
                            .collect();
                        format!(
                            "{} shared metric{} ({} higher, {} lower)",
                            m.shared.len(),
                            plural(m.shared.len()),
                            signs.iter().filter(|d| **d > 0.0).count(),
                            signs.iter().filter(|d| **d < 0.0).count()
                        )
                    },
                );
                let params = c.params.as_ref().map_or_else(
                    |_| "params not compared".to_string(),
                    |p| {
                        let n = p.changed.len();
                        format!("{n} param{} changed", plural(n))
                    },
                );
                let signature = match c
                    .signature
                    .as_ref()
                    .map(|s| (s.identical(), s.changes.len()))
                {
                    Ok((true, _)) => "signatures identical".to_string(),
                    Ok((false, n)) if n > 0 => format!("{n} signature difference{}", plural(n)),
                    // A side without a readable signature (or without an MLmodel).
                    _ => "signatures not compared".to_string(),
                };
                let parts = [metrics, params, signature];
                format!(
                    "{candidate} vs version {} (holds {holds}): {}",
                    c.version,
                    parts.join(", ")
                )
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A metric's latest value: the text as recorded and, when it is a finite number, the number.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricValue {
    pub text: String,
    pub number: Option<f64>,
}

impl MetricValue {
    /// MLflow sends `NaN` and `Infinity` as strings; those (and anything not a number) have no
    /// finite number, so no difference is computed and they are not charted.
    fn of(metric: &Metric) -> Self {
        let (text, number) = match &metric.value {
            Value::Number(n) => (n.to_string(), n.as_f64()),
            Value::String(s) => (s.clone(), s.trim().parse::<f64>().ok()),
            other => (other.to_string(), None),
        };
        Self {
            text,
            number: number.filter(|n| n.is_finite()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SharedMetric {
    pub name: String,
    pub candidate: MetricValue,
    pub incumbent: MetricValue,
}

/// Metrics of both runs: shared ones first (in the candidate's order), then those of one side.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricDiff {
    pub shared: Vec<SharedMetric>,
    pub only_candidate: Vec<(String, MetricValue)>,
    pub only_incumbent: Vec<(String, MetricValue)>,
}

pub fn diff_metrics(
    candidate: &IndexMap<String, Metric>,
    incumbent: &IndexMap<String, Metric>,
) -> MetricDiff {
    let mut diff = MetricDiff::default();
    for (name, metric) in candidate {
        match incumbent.get(name) {
            Some(other) => diff.shared.push(SharedMetric {
                name: name.clone(),
                candidate: MetricValue::of(metric),
                incumbent: MetricValue::of(other),
            }),
            None => diff
                .only_candidate
                .push((name.clone(), MetricValue::of(metric))),
        }
    }
    diff.only_incumbent = incumbent
        .iter()
        .filter(|(name, _)| !candidate.contains_key(*name))
        .map(|(name, m)| (name.clone(), MetricValue::of(m)))
        .collect();
    diff
}

/// Candidate − incumbent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub absolute: f64,
    /// In percent of the incumbent's magnitude; `None` when the incumbent is zero.
    pub relative: Option<f64>,
    /// The larger magnitude of the two values: how many decimals the difference needs.
    scale: f64,
}

impl SharedMetric {
    /// The difference, when both values are finite numbers.
    pub fn difference(&self) -> Option<Difference> {
        let (c, i) = (self.candidate.number?, self.incumbent.number?);
        let absolute = c - i;
        Some(Difference {
            absolute,
            relative: (i != 0.0).then(|| absolute / i.abs() * 100.0),
            scale: c.abs().max(i.abs()),
        })
    }
}

/// The minus sign of a difference (U+2212): unlike `-` it cannot be mistaken for a dash or a
/// list marker, and it is as wide as `+`.
const MINUS: char = '\u{2212}';

impl Difference {
    /// `+0.0225 (+2.8%)`, `−50 (−4.1%)`, `±0`: four significant digits of the larger value, so
    /// a row's difference reads at the precision of its values.
    pub fn text(&self) -> String {
        if self.absolute == 0.0 {
            return "±0".to_string();
        }
        let magnitude = if self.scale > 0.0 {
            self.scale.log10().floor()
        } else {
            0.0
        };
        // Clamped to 0..=12, so the cast cannot truncate or wrap.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let decimals = (3.0 - magnitude).clamp(0.0, 12.0) as usize;
        let text = signed(
            self.absolute,
            &format!("{:.decimals$}", self.absolute.abs()),
        );
        match self.relative {
            Some(relative) => {
                let digits = if relative.abs() >= 0.1 { 1 } else { 3 };
                let relative = signed(relative, &format!("{:.digits$}", relative.abs()));
                format!("{text} ({relative}%)")
            }
            None => text,
        }
    }
}

fn signed(value: f64, magnitude: &str) -> String {
    // A difference too small for the decimals chosen is still not zero: say it in full.
    let magnitude = if magnitude.chars().all(|c| c == '0' || c == '.') {
        format!("{:.2e}", value.abs())
    } else {
        magnitude.to_string()
    };
    let sign = if value < 0.0 { MINUS } else { '+' };
    format!("{sign}{magnitude}")
}

/// Params of both runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParamDiff {
    /// `(key, candidate, incumbent)`, in the candidate's order.
    pub changed: Vec<(String, String, String)>,
    pub only_candidate: Vec<(String, String)>,
    pub only_incumbent: Vec<(String, String)>,
    /// Shared params with the same value.
    pub unchanged: usize,
    /// Shared params whose shown values are the same redaction marker: the real values may
    /// differ, so they are neither changed nor unchanged.
    pub redacted: Vec<String>,
}

impl ParamDiff {
    /// No param changed, and none is on one side only.
    pub fn is_same(&self) -> bool {
        self.changed.is_empty() && self.only_candidate.is_empty() && self.only_incumbent.is_empty()
    }
}

pub fn diff_params(candidate: &StringMap, incumbent: &StringMap) -> ParamDiff {
    let mut diff = ParamDiff::default();
    for (key, value) in candidate {
        match incumbent.get(key) {
            Some(other) if other == value && value.contains(crate::redact::MARKER) => {
                diff.redacted.push(key.clone());
            }
            Some(other) if other == value => diff.unchanged += 1,
            Some(other) => diff
                .changed
                .push((key.clone(), value.clone(), other.clone())),
            None => diff.only_candidate.push((key.clone(), value.clone())),
        }
    }
    diff.only_incumbent = incumbent
        .iter()
        .filter(|(key, _)| !candidate.contains_key(*key))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    diff
}

/// The signatures of both MLmodel files and what differs between them.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureDiff {
    pub candidate: Signature,
    pub incumbent: Signature,
    /// Empty unless both signatures were read.
    pub changes: Vec<SignatureChange>,
}

impl SignatureDiff {
    /// Both sides have a readable signature, and nothing differs.
    pub fn identical(&self) -> bool {
        matches!(
            (&self.candidate, &self.incumbent),
            (Signature::Present { .. }, Signature::Present { .. })
        ) && self.changes.is_empty()
    }
}

#[cfg(test)]
mod tests;
