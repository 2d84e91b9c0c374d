//! The promotion being checked (`--target-stage`, `--target-alias`), validated before any rule
//! sees it: a mistyped target would make every rule scoped to it *skipped*, and a gate that
//! skips everything must not pass. Stages are the registry's four (case-insensitive, written
//! back in the registry's case); aliases follow MLflow's own rules and are never trimmed.

use super::error::{AliasFlaw, AppError, UsageError};
use crate::cli::EvalArgs;
use crate::engine::Rule;
use crate::gather::Goal;
use crate::model_ref::STAGES;
use crate::snapshot::Snapshot;

/// A validated promotion target.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Target {
    pub stage: Option<String>,
    pub alias: Option<String>,
}

impl Target {
    /// The promotion whose incumbent a live check gathers: the alias when both are given
    /// (aliases are how current registries promote).
    pub(super) fn goal(&self) -> Option<Goal> {
        match (&self.alias, &self.stage) {
            (Some(alias), _) => Some(Goal::Alias(alias.clone())),
            (None, Some(stage)) => Some(Goal::Stage(stage.clone())),
            (None, None) => None,
        }
    }

    /// Makes this the snapshot's promotion, whatever the snapshot saved: a `mlgate test` case
    /// says its own target (or none), so a fixture saved by a check with a target does not
    /// scope the case's rules behind its back.
    pub(super) fn replace(&self, snapshot: &mut Snapshot) {
        snapshot.target.stage.clone_from(&self.stage);
        snapshot.target.alias.clone_from(&self.alias);
    }

    /// Records the promotion in the snapshot, where scopes read it.
    pub(super) fn apply(&self, snapshot: &mut Snapshot) {
        if let Some(stage) = &self.stage {
            snapshot.target.stage = Some(stage.clone());
        }
        if let Some(alias) = &self.alias {
            snapshot.target.alias = Some(alias.clone());
        }
    }
}

/// Checks `--target-stage` and `--target-alias` against the registry's rules and the aliases
/// the policies name.
pub(super) fn validate(eval: &EvalArgs, rules: &[Rule]) -> Result<Target, AppError> {
    let stage = eval
        .target_stage
        .as_deref()
        .map(|s| stage("--target-stage", s))
        .transpose()?;
    let alias = eval
        .target_alias
        .as_deref()
        .map(|a| alias("--target-alias", a, rules))
        .transpose()?;
    Ok(Target { stage, alias })
}

/// A stage named by `flag`, in the registry's case.
pub(super) fn stage(flag: &str, given: &str) -> Result<String, AppError> {
    if let Some(found) = STAGES.iter().find(|s| s.eq_ignore_ascii_case(given)) {
        return Ok((*found).to_string());
    }
    let lower: Vec<String> = STAGES.iter().map(|s| s.to_ascii_lowercase()).collect();
    let given_lower = given.to_ascii_lowercase();
    // A typo, or the short form people write (`Prod`, `stag`): one stage starts with it.
    let abbreviated = || {
        let mut starting = STAGES
            .iter()
            .filter(|s| given_lower.len() >= 3 && s.to_ascii_lowercase().starts_with(&given_lower));
        match (starting.next(), starting.next()) {
            (Some(only), None) => Some(*only),
            _ => None,
        }
    };
    let suggestion = crate::suggest::closest(&given_lower, lower.iter().map(String::as_str))
        .and_then(|l| STAGES.iter().find(|s| s.eq_ignore_ascii_case(l)).copied())
        .or_else(abbreviated)
        .map(str::to_string);
    Err(UsageError::BadStage {
        flag: flag.to_string(),
        given: given.to_string(),
        suggestion,
    }
    .into())
}

/// MLflow's alias rules (`_validate_model_alias_name`): not empty, at most 255 characters,
/// only letters, digits, `_` and `-`; `latest` and version-like `v3` are reserved.
pub(super) fn alias(flag: &str, given: &str, rules: &[Rule]) -> Result<String, AppError> {
    let name = given.strip_prefix('@').unwrap_or(given);
    let bad = |flaw: AliasFlaw| {
        Err(UsageError::BadAlias {
            flag: flag.to_string(),
            given: given.to_string(),
            flaw,
        }
        .into())
    };
    if name.is_empty() {
        return bad(AliasFlaw::Empty);
    }
    if name.len() > 255 {
        return bad(AliasFlaw::TooLong);
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
    {
        return bad(AliasFlaw::BadCharacter(c));
    }
    if name.eq_ignore_ascii_case("latest") {
        return bad(AliasFlaw::Latest);
    }
    if name.len() > 1
        && name.starts_with(['v', 'V'])
        && name[1..].bytes().all(|b| b.is_ascii_digit())
    {
        return bad(AliasFlaw::VersionLike);
    }
    // Aliases are case-sensitive: `Champion` turns on no rule scoped to `@champion`. A near
    // miss of an alias the policies name is almost surely a typo.
    let named: Vec<&str> = rules
        .iter()
        .flat_map(|r| &r.scope.targets)
        .filter_map(|t| t.strip_prefix('@'))
        .collect();
    if !named.is_empty() && !named.contains(&name) {
        let near = named
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name))
            .copied()
            .or_else(|| crate::suggest::closest(name, named.iter().copied()));
        if let Some(near) = near {
            return Err(UsageError::AliasTypo {
                flag: flag.to_string(),
                given: given.to_string(),
                near: near.to_string(),
            }
            .into());
        }
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(stage: Option<&str>, alias: Option<&str>) -> EvalArgs {
        EvalArgs {
            target_stage: stage.map(str::to_string),
            target_alias: alias.map(str::to_string),
            now: None,
        }
    }

    #[test]
    fn stages_are_normalised_and_typos_refused() {
        let t = validate(&eval(Some("production"), None), &[]).unwrap();
        assert_eq!(t.stage.as_deref(), Some("Production"));
        let e = validate(&eval(Some("Producton"), None), &[]).unwrap_err();
        assert!(e.to_string().contains("did you mean `Production`"), "{e}");
        // Short forms people write name the one stage they begin.
        let e = validate(&eval(Some("Prod"), None), &[]).unwrap_err();
        assert!(e.to_string().contains("did you mean `Production`"), "{e}");
        let e = validate(&eval(Some("stag"), None), &[]).unwrap_err();
        assert!(e.to_string().contains("did you mean `Staging`"), "{e}");
        // Too short to say which: no guess.
        let e = validate(&eval(Some("Pr"), None), &[]).unwrap_err();
        assert!(!e.to_string().contains("did you mean"), "{e}");
    }

    #[test]
    fn aliases_follow_mlflow_rules_and_are_not_trimmed() {
        assert_eq!(
            validate(&eval(None, Some("@champion")), &[])
                .unwrap()
                .alias
                .as_deref(),
            Some("champion")
        );
        for bad in ["champion ", "", "@", "latest", "v3", "a/b"] {
            assert!(validate(&eval(None, Some(bad)), &[]).is_err(), "{bad:?}");
        }
    }
}
