//! The incumbent: the version a promotion would replace, gathered beside the candidate.
//!
//! `mlgate promote` (and `check` with a promotion target) reads who holds the target alias or
//! stage and gathers that version the same way as the candidate, so rules can compare the two
//! (`incumbent.run.metrics.auc`). The section has the candidate's shape minus what the two
//! share (the registered model) and what only the candidate has (manifest, target). Calls that
//! failed while gathering it are recorded in the snapshot's own `errors` / `unavailable` under
//! `incumbent.` paths, so one mechanism decides "could not evaluate" for both versions.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    Artifacts, Experiment, GatherError, ModelVersion, Permissions, Run, Snapshot, Unavailable,
};

/// The section every incumbent path starts with.
pub const INCUMBENT: &str = "incumbent";

/// The current holder of the promotion target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Incumbent {
    /// The target it holds, as a rule scope names it: `@champion` or `Production`.
    pub holds: String,
    /// The version holding the target; absent when none does (the first promotion), and then
    /// rules that read `incumbent` are skipped, never passed or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<ModelVersion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<Experiment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mlflow_model: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<Artifacts>,
    #[serde(default)]
    pub permissions: Permissions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_requests: Option<Vec<Value>>,
    /// What the backend gave beyond the sections above (`logged_model`, `input_example`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Incumbent {
    /// The section of a target that no version holds.
    pub fn vacant(holds: impl Into<String>) -> Self {
        Self {
            holds: holds.into(),
            ..Self::default()
        }
    }

    /// Why rules reading the incumbent are skipped when no version holds the target.
    pub fn vacancy_reason(&self) -> String {
        format!("no version holds {}", self.holds)
    }

    /// Files a gathered snapshot of the holder under `candidate`: its sections become the
    /// incumbent section, its errors and unavailable sections move to the candidate's lists
    /// under `incumbent.` paths. The registered model is the candidate's (same model).
    pub fn attach(candidate: &mut Snapshot, holds: impl Into<String>, holder: Snapshot) {
        let prefixed = |section: &str| {
            if section == super::NOTHING_GATHERED {
                INCUMBENT.to_string()
            } else {
                format!("{INCUMBENT}.{section}")
            }
        };
        candidate
            .errors
            .extend(holder.errors.into_iter().map(|e| GatherError {
                section: prefixed(&e.section),
                ..e
            }));
        candidate
            .unavailable
            .extend(holder.unavailable.into_iter().map(|u| Unavailable {
                section: prefixed(&u.section),
                ..u
            }));
        candidate.errors.sort_by(|a, b| a.section.cmp(&b.section));
        candidate.incumbent = Some(Box::new(Incumbent {
            holds: holds.into(),
            version: holder.target.version,
            model_version: holder.model_version,
            run: holder.run,
            experiment: holder.experiment,
            mlflow_model: holder.mlflow_model,
            artifacts: holder.artifacts,
            permissions: holder.permissions,
            transition_requests: holder.transition_requests,
            extra: holder.extra,
        }));
    }

    /// Records that no version holds the target: the section names the vacancy, and the
    /// `unavailable` entry makes rules reading the incumbent skip with that reason.
    pub fn attach_vacant(candidate: &mut Snapshot, holds: impl Into<String>) {
        let incumbent = Incumbent::vacant(holds);
        candidate.unavailable.push(Unavailable {
            section: INCUMBENT.into(),
            reason: incumbent.vacancy_reason(),
        });
        candidate.incumbent = Some(Box::new(incumbent));
    }
}
