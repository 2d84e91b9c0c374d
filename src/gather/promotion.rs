//! The reads a promotion makes besides the snapshot: who holds the target (always a fresh
//! read, never the per-process cache: the guard exists to see changes), the candidate's stage
//! after a move, the open transition requests; and the gather of candidate and incumbent side
//! by side, the incumbent filed under the candidate's `incumbent` section.

use serde_json::Value;

use super::backends::on_registry;
use super::chain::gather;
use super::context::Context;
use super::error::{Asked, ReadError};
use super::facts::Section;
use super::listing;
use super::reference::{target_of, GatherFailure};
use super::registry::Registry;
use super::{tracking, wire};
use crate::client::ClientError;
use crate::model_ref::ModelRef;
use crate::snapshot::{Backend, Incumbent, Snapshot};

/// What a promotion moves: an alias, or a version into a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goal {
    Alias(String),
    Stage(String),
}

impl Goal {
    /// As rule scopes (`when.target`) and people name it: `@champion`, `Production`.
    pub fn holds(&self) -> String {
        match self {
            Goal::Alias(alias) => format!("@{alias}"),
            Goal::Stage(stage) => stage.clone(),
        }
    }
}

/// The candidate, with the incumbent gathered into it, and the holder read before gathering.
pub struct Gathered {
    pub snapshot: Snapshot,
    /// The version that held the goal when mlgate started (`None`: no version did).
    pub holder: Option<String>,
}

/// Who holds `goal` of model `name` right now: the version the alias points at, or the latest
/// version in the stage. `None` when no version does.
///
/// A registered model's read carries every tag it has, and the ledger lives in those tags: on a
/// target with 1,000 entries it is a 700 KB answer, read three times a promotion. So the holder
/// is asked for through the registry's narrow call where it has one (the version an alias
/// names, the latest version in a stage); the whole model is read only when that call does not
/// answer (no such alias, a server without the call, a model that is not there), because its
/// answer is the authority on what does not exist and on why.
pub async fn holder(
    cx: &Context,
    backend: Backend,
    name: &str,
    goal: &Goal,
) -> Result<Option<String>, ClientError> {
    if let Some(found) = narrow_holder(cx, backend, name, goal).await {
        return Ok(found);
    }
    let facts = on_registry!(backend, |r| r.registered_model(cx, name).await)?;
    Ok(holder_in(&facts.model, goal))
}

/// The holder through `registered-models/alias` or `get-latest-versions` (open-source MLflow;
/// the Databricks workspace registry has no aliases). `None`: ask the registered model.
async fn narrow_holder(
    cx: &Context,
    backend: Backend,
    name: &str,
    goal: &Goal,
) -> Option<Option<String>> {
    match (backend, goal) {
        (Backend::MlflowOss, Goal::Alias(alias)) => tracking::version_by_alias(cx, name, alias)
            .await
            .ok()
            .map(|v| Some(v.version)),
        (Backend::MlflowOss | Backend::DatabricksWorkspace, Goal::Stage(stage)) => {
            match tracking::latest_version(cx, name, Some(stage)).await {
                Ok(v) => Some(Some(v.version)),
                // The model answered, with no version in the stage.
                Err(ReadError::NoVersion { .. }) => Some(None),
                Err(_) => None,
            }
        }
        _ => None,
    }
}

/// A protected target as the registry shows it now: who holds it, and every version of the
/// model with its tags (where mlgate's records of earlier verdicts live).
pub struct TargetNow {
    pub holder: Option<String>,
    pub versions: Vec<wire::ModelVersion>,
}

/// Reads [`TargetNow`]: the registered model (fresh, never the cache), then its versions.
pub async fn target_now(
    cx: &Context,
    backend: Backend,
    name: &str,
    goal: &Goal,
) -> Result<TargetNow, ReadError> {
    let facts = on_registry!(backend, |r| r.registered_model(cx, name).await)?;
    let holder = holder_in(&facts.model, goal);
    let versions = listing::versions(cx, &facts.model).await?;
    Ok(TargetNow { holder, versions })
}

/// The holder of `goal` as a registered model lists it (`aliases`, `latest_versions`).
fn holder_in(model: &wire::RegisteredModel, goal: &Goal) -> Option<String> {
    match goal {
        Goal::Alias(alias) => model
            .aliases
            .iter()
            .find(|a| &a.alias == alias)
            .map(|a| a.version.clone()),
        // `latest_versions` has one version per stage; the highest number wins should a
        // server list more.
        Goal::Stage(stage) => model
            .latest_versions
            .iter()
            .filter(|v| {
                v.get("current_stage")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case(stage))
            })
            .filter_map(|v| match v.get("version") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
            .max_by_key(|v| v.parse::<u64>().unwrap_or(0)),
    }
}

/// The version as the registry reports it now (its stage, aliases, status).
pub async fn version_now(
    cx: &Context,
    backend: Backend,
    name: &str,
    version: &str,
) -> Result<wire::ModelVersion, ReadError> {
    let reference = ModelRef::Version {
        name: name.to_string(),
        version: version.to_string(),
    };
    let found = on_registry!(backend, |r| r.resolve(cx, &reference).await)?;
    // A version reference always resolves to a version on every backend.
    found.ok_or_else(|| ReadError::Unresolved {
        asked: Asked {
            method: "GET",
            url: cx.client().url(""),
        },
        name: name.to_string(),
        version: version.to_string(),
    })
}

/// The version's transition requests as the registry lists them now.
pub async fn transition_requests(
    cx: &Context,
    backend: Backend,
    name: &str,
    version: &str,
) -> Result<Option<Vec<Value>>, ClientError> {
    match on_registry!(backend, |r| r.transition_requests(cx, name, version).await) {
        Section::Read(read) => read.map(Some),
        Section::Unavailable(_) => Ok(None),
    }
}

/// Gathers the candidate and `holder`, the version holding `goal` as read (by [`holder`]) when
/// mlgate started, concurrently. A
/// holder that cannot be gathered at all is an error under `incumbent`, not a failed run:
/// the candidate's facts still decide every rule that does not compare.
pub async fn gather_promotion(
    cx: &Context,
    backend: Backend,
    reference: &ModelRef,
    goal: &Goal,
    holder: Option<String>,
    now: String,
) -> Result<Gathered, GatherFailure> {
    let name = reference.name().unwrap_or_default().to_string();
    let Some(version) = holder.clone() else {
        let mut snapshot = gather(cx, backend, reference, now).await?;
        Incumbent::attach_vacant(&mut snapshot, goal.holds());
        return Ok(Gathered { snapshot, holder });
    };
    let incumbent_ref = ModelRef::Version { name, version };
    let (candidate, incumbent) = tokio::join!(
        gather(cx, backend, reference, now.clone()),
        gather(cx, backend, &incumbent_ref, now.clone())
    );
    let mut snapshot = candidate?;
    let incumbent = incumbent.unwrap_or_else(|failure| {
        Snapshot::not_gathered(
            target_of(&incumbent_ref),
            None,
            Some(backend),
            now,
            failure.entry(),
        )
    });
    Incumbent::attach(&mut snapshot, goal.holds(), incumbent);
    Ok(Gathered { snapshot, holder })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(json: serde_json::Value) -> wire::RegisteredModel {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn holders_are_found_by_alias_and_by_stage() {
        let m = model(serde_json::json!({
            "name": "m",
            "aliases": [{"alias": "champion", "version": "3"}],
            "latest_versions": [
                {"version": "2", "current_stage": "Production"},
                {"version": "10", "current_stage": "production"},
                {"version": "4", "current_stage": "Staging"}
            ]
        }));
        let alias = |a: &str| Goal::Alias(a.into());
        assert_eq!(holder_in(&m, &alias("champion")).as_deref(), Some("3"));
        assert_eq!(holder_in(&m, &alias("Champion")), None);
        let stage = |s: &str| Goal::Stage(s.into());
        assert_eq!(holder_in(&m, &stage("Production")).as_deref(), Some("10"));
        assert_eq!(holder_in(&m, &stage("Archived")), None);
    }
}
