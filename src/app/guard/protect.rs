//! What `mlgate guard` protects: `[[protect]]` entries of `mlgate.toml` and `--protect`
//! flags, read into [`Protect`] rules (a model name or glob, a target, what a violation does,
//! how old a passing record may be), and expanded into concrete [`Target`]s against the
//! registry's model names.

use crate::app::config::ProtectEntry;
use crate::app::error::{AppError, UsageError};
use crate::cli::OnViolation;
use crate::gather::Goal;

/// One protection rule, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Protect {
    /// A model name, or a glob over names.
    pub model: String,
    pub goal: Goal,
    pub on_violation: OnViolation,
    /// Seconds a passing record stays valid; `None`: for ever.
    pub max_age: Option<i64>,
}

/// One protected target of one model: what a decision is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct TargetKey {
    pub model: String,
    /// `@champion` or `Production`, as rule scopes name it.
    pub holds: String,
}

/// A target with the rule that protects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    pub model: String,
    pub goal: Goal,
    pub on_violation: OnViolation,
    pub max_age: Option<i64>,
}

impl Target {
    pub(super) fn key(&self) -> TargetKey {
        TargetKey {
            model: self.model.clone(),
            holds: self.goal.holds(),
        }
    }

    /// `mlgate.target` as promote records it: `alias:champion`, `stage:Production`.
    pub(super) fn record(&self) -> String {
        match &self.goal {
            Goal::Alias(a) => format!("alias:{a}"),
            Goal::Stage(s) => format!("stage:{s}"),
        }
    }
}

impl Protect {
    /// Whether `model` is one this rule protects.
    pub(super) fn covers(&self, model: &str) -> bool {
        if is_glob(&self.model) {
            crate::glob::matches(&self.model, model)
        } else {
            self.model == model
        }
    }

    pub(super) fn is_glob(&self) -> bool {
        is_glob(&self.model)
    }

    pub(super) fn target(&self, model: &str) -> Target {
        Target {
            model: model.to_string(),
            goal: self.goal.clone(),
            on_violation: self.on_violation,
            max_age: self.max_age,
        }
    }
}

fn is_glob(model: &str) -> bool {
    model.contains(['*', '?', '['])
}

/// The rules of `mlgate.toml` and the flags, in that order; a target named twice keeps its
/// first rule (the config's, which says more).
pub(super) fn rules(
    entries: &[ProtectEntry],
    flags: &[String],
    on_violation: OnViolation,
    max_age: Option<&str>,
) -> Result<Vec<Protect>, AppError> {
    let mut out: Vec<Protect> = Vec::new();
    for e in entries {
        let goal = goal(&e.target, &format!("[[protect]] target {:?}", e.target))?;
        out.push(Protect {
            model: non_empty(&e.model, "[[protect]] model")?,
            goal,
            on_violation: e.on_violation,
            max_age: e.max_age.as_deref().map(age).transpose()?,
        });
    }
    let max_age = max_age.map(age).transpose()?;
    for flag in flags {
        let (model, goal) = split(flag)?;
        out.push(Protect {
            model,
            goal,
            on_violation,
            max_age,
        });
    }
    let mut seen = Vec::new();
    out.retain(|p| {
        let key = (p.model.clone(), p.goal.holds());
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
    if out.is_empty() {
        return Err(bad(
            "nothing to protect: add `[[protect]]` entries to mlgate.toml or pass --protect MODEL@ALIAS"
                .into(),
        ));
    }
    Ok(out)
}

/// `MODEL@ALIAS` or `MODEL/STAGE`.
fn split(flag: &str) -> Result<(String, Goal), AppError> {
    let what = format!("--protect {flag:?}");
    if let Some((model, alias)) = flag.rsplit_once('@') {
        return Ok((non_empty(model, &what)?, goal(&format!("@{alias}"), &what)?));
    }
    if let Some((model, stage)) = flag.rsplit_once('/') {
        return Ok((non_empty(model, &what)?, goal(stage, &what)?));
    }
    Err(bad(format!(
        "{what}: expected MODEL@ALIAS or MODEL/STAGE (`churn@champion`, `churn/Production`)"
    )))
}

/// `@alias` or one of the registry's stages.
fn goal(target: &str, what: &str) -> Result<Goal, AppError> {
    if let Some(alias) = target.strip_prefix('@') {
        let valid = !alias.is_empty()
            && alias.len() <= 255
            && alias
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        return if valid {
            Ok(Goal::Alias(alias.to_string()))
        } else {
            Err(bad(format!(
                "{what}: an alias is letters, digits, `_` and `-` (at most 255)"
            )))
        };
    }
    for stage in ["Staging", "Production"] {
        if target.eq_ignore_ascii_case(stage) {
            return Ok(Goal::Stage(stage.to_string()));
        }
    }
    Err(bad(format!(
        "{what}: a target is `@alias`, `Staging` or `Production` (only those stages can be protected)"
    )))
}

/// `30d`, `12h`, `90m`, `600s` (or plain seconds) as seconds.
fn age(text: &str) -> Result<i64, AppError> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match digits.parse::<i64>() {
        Ok(n) if scale > 0 && n > 0 => n
            .checked_mul(scale)
            .ok_or_else(|| bad(format!("max_age {text:?} is too long"))),
        _ => Err(bad(format!(
            "max_age {text:?}: expected a positive number with s, m, h or d (`30d`, `12h`)"
        ))),
    }
}

fn non_empty(text: &str, what: &str) -> Result<String, AppError> {
    if text.trim().is_empty() {
        Err(bad(format!("{what}: the model name is empty")))
    } else {
        Ok(text.to_string())
    }
}

fn bad(message: String) -> AppError {
    UsageError::BadProtect { message }.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(f: &str) -> Result<Vec<Protect>, AppError> {
        rules(&[], &[f.to_string()], OnViolation::Revert, Some("12h"))
    }

    #[test]
    fn flags_name_an_alias_or_a_stage() {
        let p = &flag("churn@champion").unwrap()[0];
        assert_eq!(p.goal, Goal::Alias("champion".into()));
        assert_eq!(
            (p.on_violation, p.max_age),
            (OnViolation::Revert, Some(43_200))
        );
        let p = &flag("team/churn-*/production").unwrap()[0];
        assert_eq!(p.model, "team/churn-*");
        assert_eq!(p.goal, Goal::Stage("Production".into()));
        assert!(p.is_glob() && p.covers("team/churn-eu") && !p.covers("team/other"));
        for wrong in [
            "churn",
            "@champion",
            "churn@",
            "churn@a b",
            "churn/Archived",
            "/Production",
        ] {
            let e = flag(wrong).unwrap_err().to_string();
            assert!(e.contains("--protect"), "{wrong}: {e}");
        }
    }

    #[test]
    fn config_entries_come_first_and_a_target_is_protected_once() {
        let entry = ProtectEntry {
            model: "churn".into(),
            target: "@champion".into(),
            on_violation: OnViolation::Report,
            max_age: Some("30d".into()),
        };
        let got = rules(
            &[entry],
            &["churn@champion".into()],
            OnViolation::Revert,
            None,
        )
        .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].on_violation, OnViolation::Report);
        assert_eq!(got[0].max_age, Some(30 * 86_400));
        assert!(rules(&[], &[], OnViolation::Report, None).is_err());
    }

    #[test]
    fn ages_have_units() {
        assert_eq!(age("600").unwrap(), 600);
        assert_eq!(age("90m").unwrap(), 5400);
        for wrong in ["", "0d", "-1h", "3w", "h", "99999999999999999999d"] {
            assert!(age(wrong).is_err(), "{wrong}");
        }
    }
}
