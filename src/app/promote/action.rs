//! What a promotion is asked to do (`--to-alias`, `--to-stage`, `--approve-request`), what
//! each backend can do, and the other arguments checked before anything is read.

use crate::app::error::{AppError, UsageError};
use crate::cli::PromoteArgs;
use crate::gather::{self, Capabilities, Goal};
use crate::model_ref::ModelRef;
use crate::snapshot::Backend;

/// What the promotion does once green.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Point the alias at the candidate.
    Alias(String),
    /// Move the candidate into the stage.
    Stage(String),
    /// Approve the candidate's open request to the stage (Databricks workspace registry).
    Request(String),
}

impl Action {
    pub(crate) fn goal(&self) -> Goal {
        match self {
            Action::Alias(a) => Goal::Alias(a.clone()),
            Action::Stage(s) | Action::Request(s) => Goal::Stage(s.clone()),
        }
    }

    /// `mlgate.target`: `alias:champion`, `stage:Production`, `request:Production`.
    pub(crate) fn record(&self) -> String {
        match self {
            Action::Alias(a) => format!("alias:{a}"),
            Action::Stage(s) => format!("stage:{s}"),
            Action::Request(s) => format!("request:{s}"),
        }
    }

    /// Refuses, before anything is read, what the backend cannot do (its capabilities say).
    pub(crate) fn supported_on(&self, backend: Backend) -> Result<(), AppError> {
        let can = gather::capabilities(backend);
        let why = match self {
            Action::Alias(_) if !can.aliases => format!("{} no aliases", can.has()),
            Action::Stage(_) if !can.stages => format!("{} no stages", can.has()),
            Action::Request(_) if !can.transition_requests => {
                let having: Vec<_> = gather::all_capabilities()
                    .into_iter()
                    .filter(|c| c.transition_requests)
                    .collect();
                let names: Vec<_> = having.iter().map(|c| c.name).collect();
                let verb = if having.len() == 1 && !having[0].plural {
                    "has"
                } else {
                    "have"
                };
                format!("only {} {verb} transition requests", names.join(" and "))
            }
            _ => return Ok(()),
        };
        Err(UsageError::RegistryLacks {
            why,
            instead: self.instead(&can),
        }
        .into())
    }

    /// The flags of the other actions `can` allows, for a refusal's advice.
    fn instead(&self, can: &Capabilities) -> String {
        let flags: Vec<&str> = [
            (can.aliases, "--to-alias"),
            (can.stages, "--to-stage"),
            (can.transition_requests, "--approve-request"),
        ]
        .into_iter()
        .filter(|&(able, flag)| able && flag != self.flag())
        .map(|(_, flag)| flag)
        .collect();
        if flags.is_empty() {
            "another registry".into()
        } else {
            flags.join(" or ")
        }
    }

    /// The flag that asks for this action.
    fn flag(&self) -> &'static str {
        match self {
            Action::Alias(_) => "--to-alias",
            Action::Stage(_) => "--to-stage",
            Action::Request(_) => "--approve-request",
        }
    }
}

/// `--to-alias`, `--to-stage` or `--approve-request`, validated as `check` validates targets.
pub(crate) fn action(
    args: &PromoteArgs,
    rules: &[crate::engine::Rule],
) -> Result<Action, AppError> {
    use crate::app::target::{alias, stage};
    let active = |flag: &str, s: &str| -> Result<String, AppError> {
        let s = stage(flag, s)?;
        if s == "None" || s == "Archived" {
            return Err(UsageError::NotAPromotionStage {
                flag: flag.to_string(),
                stage: s,
            }
            .into());
        }
        Ok(s)
    };
    match (&args.to_alias, &args.to_stage, &args.approve_request) {
        (Some(a), _, _) => Ok(Action::Alias(alias("--to-alias", a, rules)?)),
        (_, Some(s), _) => Ok(Action::Stage(active("--to-stage", s)?)),
        (_, _, Some(s)) => Ok(Action::Request(active("--approve-request", s)?)),
        _ => Err(UsageError::NoPromotionTarget.into()),
    }
}

/// `--expect-incumbent`: a version number, or `none`.
pub(crate) fn expected(given: &str) -> Result<Option<String>, AppError> {
    let text = given.trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Some(text.trim_start_matches('0').to_string()).map(|v| {
            if v.is_empty() {
                "0".into()
            } else {
                v
            }
        }));
    }
    Err(UsageError::BadIncumbent {
        given: given.to_string(),
    }
    .into())
}

/// The registered model a promotion moves within; only registry references name one.
pub(crate) fn registry_name(reference: &ModelRef) -> Result<String, AppError> {
    match reference {
        ModelRef::Version { name, .. }
        | ModelRef::Alias { name, .. }
        | ModelRef::Stage { name, .. }
        | ModelRef::Latest { name } => Ok(name.clone()),
        ModelRef::Run { .. } | ModelRef::LoggedModel { .. } => Err(UsageError::NotAVersion {
            reference: reference.to_string(),
        }
        .into()),
    }
}

/// Whether a transition request (as the registry lists it) asks for `stage`.
pub(crate) fn is_request_to(request: &serde_json::Value, stage: &str) -> bool {
    request
        .get("to_stage")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case(stage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_incumbents_are_versions_or_none() {
        assert_eq!(expected("none").unwrap(), None);
        assert_eq!(expected("NONE").unwrap(), None);
        assert_eq!(expected("3").unwrap().as_deref(), Some("3"));
        assert_eq!(expected("03").unwrap().as_deref(), Some("3"));
        assert!(expected("v3").is_err());
        assert!(expected("").is_err());
    }

    #[test]
    fn backends_refuse_what_they_cannot_do() {
        let alias = Action::Alias("champion".into());
        let stage = Action::Stage("Production".into());
        let request = Action::Request("Production".into());
        assert!(alias.supported_on(Backend::MlflowOss).is_ok());
        assert!(alias.supported_on(Backend::UnityCatalog).is_ok());
        assert!(alias.supported_on(Backend::DatabricksWorkspace).is_err());
        assert!(stage.supported_on(Backend::UnityCatalog).is_err());
        assert!(request.supported_on(Backend::MlflowOss).is_err());
        assert!(request.supported_on(Backend::DatabricksWorkspace).is_ok());
    }
}
